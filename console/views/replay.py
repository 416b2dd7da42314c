"""A replay run as the operator reads it: the parity document (`replay --json`), its text table, and
the HTML page with the equity and breaker-state charts of kernel and live monitor (`--html`)."""
from __future__ import annotations

import html

from core.files import write_text_atomic


def replay_doc(run) -> dict:
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
