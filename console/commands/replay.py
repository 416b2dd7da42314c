"""`evorisk replay --data PATH... --genome FILE [--start D] [--end D] [--json] [--html FILE]`:
the live monitor with its standing exits against the kernel on the same history (console/replay.py)."""
from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path

from console import argtypes as at
from console.exit_codes import EXIT_OK
from console.outputs import guard_output
from core.files import write_text_atomic
from core.genome import load_genome_file


def _doc(run) -> dict:
    p = run.parity.to_json()
    return {"coins": list(run.names), "first_date": run.dates[0], "last_date": run.dates[-1], "bars": len(run.dates),
            "sides": run.sides,
            **{k: (float(v) if isinstance(v, float) else v) for k, v in p.items()},
            "seconds": round(run.seconds, 1),
            "auto_approved_by": "replay (breaker and time-exit actions are approved automatically and recorded)"}


def table_text(doc: dict) -> str:
    rows = [("kernel exit events", f"{doc['kernel_trades']}"),
            ("booked on the paper exchange", f"{doc['booked_trades']}"),
            ("same coin, entry bar, exit bar and kind", f"{doc['matched_trades']}"),
            ("match share", f"{doc['match_share']:.2%}"),
            ("final equity kernel (USD)", f"{doc['final_equity_kernel']:,.2f}"),
            ("final equity replay (USD)", f"{doc['final_equity_replay']:,.2f}"),
            ("final equity difference", f"{doc['final_equity_diff_pct']:.3f}%"),
            ("exit price difference, mean / max", f"{doc['exit_px_diff_mean_pct']:.3f}% / {doc['exit_px_diff_max_pct']:.3f}%"),
            ("breaker state per bar agrees", f"{doc['breaker_state_agreement']:.2%}")]
    entries = "long and short entries" if doc.get("sides") == "both" else "long entries"
    lines = [f"replay {doc['first_date']} .. {doc['last_date']} ({doc['bars']} bars, {len(doc['coins'])} coins: "
             f"{', '.join(doc['coins'])}; {entries}) in {doc['seconds']:.1f} s"]
    lines += [f"{name:<42}{value:>20}" for name, value in rows]
    if doc["mismatches"]:
        lines.append("mismatches (each explained):")
        lines += [f"  {m['coin']} entry bar {m['entry_bar']} exit bar {m['exit_bar']} {m['kind']}: {m['reason']}"
                  for m in doc["mismatches"]]
    else:
        lines.append("mismatches: none")
    return "\n".join(lines)


BREAKER_AXIS = ("NORMAL", "TIGHTENED", "REDUCING", "EMERGENCY")  # severity upwards; STALE never occurs in replay


def breaker_figure(run):
    """Breaker state per bar, kernel vs replay, paired as the comparison pairs them."""
    import plotly.graph_objects as go

    dates, kernel, replay = run.breaker_by_bar()
    fig = go.Figure([go.Scatter(x=dates, y=kernel, name="kernel", mode="lines", line_shape="hv"),
                     go.Scatter(x=dates, y=replay, name="replay (live monitor)", mode="lines", line_shape="hv",
                                line_dash="dot")])
    fig.update_layout(title="Breaker state per bar: kernel vs live monitor", yaxis_title="breaker state",
                      yaxis={"categoryorder": "array", "categoryarray": list(BREAKER_AXIS)})
    return fig


def write_html(path: str, run, doc: dict) -> None:
    """Equity curves and breaker states of kernel and replay, and the parity table, one page."""
    import plotly.graph_objects as go
    from plotly.io import to_html

    fig = go.Figure([go.Scatter(x=run.dates, y=run.kernel_equity, name="kernel", mode="lines"),
                     go.Scatter(x=run.dates, y=run.replay_equity, name="replay (paper exchange)", mode="lines")])
    fig.update_layout(title="Equity: kernel vs live monitor on the paper exchange", yaxis_title="USD")
    body = to_html(fig, include_plotlyjs=True, full_html=False)
    body += to_html(breaker_figure(run), include_plotlyjs=False, full_html=False)
    page = (f"<html><head><meta charset='utf-8'><title>evorisk replay</title></head><body>"
            f"<h1>Replay parity</h1><pre>{html.escape(table_text(doc))}</pre>{body}</body></html>")

    write_text_atomic(path, page, "--html")


def cmd_replay(args: argparse.Namespace) -> int:
    from console.replay import run_replay

    guard_output(args.html, "--html", args, [*args.data, args.genome])  # before any work
    genes, _ = load_genome_file(args.genome)[0]
    paths: list[str] = []
    for spec in args.data:
        p = Path(spec)
        paths.extend(sorted(str(x) for x in p.glob("*.csv")) if p.is_dir() else [spec])
    run = run_replay(paths, genes, start=args.start, end=args.end, fee=args.fee, slippage=args.slippage,
                     sides=args.sides)
    doc = _doc(run)
    if args.html:
        write_html(args.html, run, doc)
    sys.stdout.write((json.dumps(doc) if args.json else table_text(doc)) + "\n")
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("replay", parents=[common], help="live monitor vs kernel on history through the paper exchange")
    p.add_argument("--data", nargs="+", required=True, help="daily OHLCV CSV files or directories of them")
    p.add_argument("--genome", required=True, help="genome JSON file")
    p.add_argument("--start", type=at.iso_date, help="first replayed date (after a 200-bar warm-up)")
    p.add_argument("--end", type=at.iso_date, help="replay ends before this date")
    p.add_argument("--fee", type=at.fee_fraction, default=0.0025, help="fee per side (the kernel's, default 0.0025)")
    p.add_argument("--slippage", type=at.fee_fraction, default=0.0025, help="slippage per side (default 0.0025)")
    p.add_argument("--sides", choices=("long", "both"), default="long",
                   help="the kernel's test entries: long, or both (adds the mirrored shorts)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--html", help="write the equity chart and table to this HTML file")
    p.set_defaults(func=cmd_replay)
