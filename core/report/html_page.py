"""Self-contained HTML rendering of a walk-forward report (plotly, shipped with vectorbt).

plotly.js is embedded once, so the page opens offline (an operator's laptop after scp). The page
is built from the report document alone, the same one `--json` prints.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from core.files import write_text_atomic

_CURVE_ORDER = ("evolved", "stop_loss", "trailing", "take_profit", "hold_entries", "basket", "random_median")


def _label(doc: dict[str, Any], key: str) -> str:
    s = doc["strategies"][key]
    return s["label"] + (f" {s['level']:.0%}" if s.get("level") is not None else "")


def _fitness_figure(doc: dict[str, Any]):
    import plotly.graph_objects as go

    gens = doc["generations"]
    x = [g["generation"] for g in gens]
    fig = go.Figure([go.Scatter(x=x, y=[g["best"] for g in gens], mode="lines", name="best"),
                     go.Scatter(x=x, y=[g["mean"] for g in gens], mode="lines", name="mean")])
    fig.update_layout(title="Training fitness over generations", xaxis_title="generation", yaxis_title="fitness")
    return fig


def _equity_figure(doc: dict[str, Any]):
    import plotly.graph_objects as go

    fig = go.Figure()
    for key in _CURVE_ORDER:
        curve = doc["equity_curves"].get(key)
        if curve is not None:
            fig.add_trace(go.Scatter(x=list(range(len(curve))), y=curve, mode="lines", name=_label(doc, key),
                                     line={"width": 3 if key == "evolved" else 1.5}))
    fig.update_layout(title=f"Out-of-sample equity, mean over {doc['split']['test_windows']} test windows",
                      xaxis_title="bar in window", yaxis_title="equity / initial cash")
    return fig


def _regime_figure(doc: dict[str, Any], metric: str, title: str):
    import plotly.graph_objects as go

    regimes = sorted({r for s in doc["strategies"].values() for r in s["regimes"]})
    fig = go.Figure()
    for key in _CURVE_ORDER:
        s = doc["strategies"][key]
        fig.add_trace(go.Bar(x=regimes, y=[s["regimes"].get(r, {}).get(metric) for r in regimes],
                             name=_label(doc, key)))
    fig.update_layout(barmode="group", title=title, xaxis_title="regime of the test window", yaxis_title=metric)
    return fig


def _cell(s: dict[str, Any], c: str) -> str:
    iv = s.get("intervals", {}).get(c)
    ci = f" [{iv['ci_low']:.4f}, {iv['ci_high']:.4f}]" if iv and iv["ci_low"] is not None else ""
    return f"<td>{s['overall'][c]:.4f}{ci}</td>"


def _table(doc: dict[str, Any], strategies: dict[str, Any] | None = None) -> str:
    strategies = strategies or doc["strategies"]
    cols = ("sharpe", "max_drawdown", "win_rate", "profit_factor", "total_return", "fitness")
    head = "".join(f"<th>{c}</th>" for c in ("strategy", *cols, "train fitness"))
    rows = []
    for key in _CURVE_ORDER:
        s = strategies[key]
        cells = "".join(_cell(s, c) for c in cols)
        train = "-" if s["train_fitness"] is None else f"{s['train_fitness']:.4f}"
        rows.append(f"<tr><td>{html.escape(_label(doc, key))}</td>{cells}<td>{train}</td></tr>")
    return f"<table border='1' cellpadding='4'><tr>{head}</tr>{''.join(rows)}</table>"


def _objective_line(doc: dict) -> str:
    obj = doc.get("objective")
    if not obj:
        return ""
    return (f"<p>Fitness mode: {html.escape(obj['fitness'])}, {obj['folds']} inner folds: "
            f"{html.escape(obj['description'])}.</p>")


def write_html_report(doc: dict[str, Any], path: str | Path) -> Path:
    """Write the page; an unwritable path is the user's input, so it is a BadInputError."""
    figures = [_fitness_figure(doc), _equity_figure(doc),
               _regime_figure(doc, "sharpe", "Out-of-sample mean window Sharpe per regime"),
               _regime_figure(doc, "max_drawdown", "Out-of-sample mean window max drawdown per regime")]
    plots = [fig.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(figures)]
    verdict = "".join(f"<li>{html.escape(line)}</li>" for line in doc["verdict"])
    method = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(str(v))}</li>" for k, v in doc["method"].items())
    split = doc["split"]
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>evorisk report, run {doc['run_id']}</title></head><body>"
            f"<h1>Walk-forward report, run {doc['run_id']} ({html.escape(doc['status'])})</h1>"
            f"<p>Split: {html.escape(split['rule'])}. {split['train_windows']} training windows, "
            f"{split['test_windows']} test windows. {html.escape(doc['costs']['note'])}.</p>"
            f"{_objective_line(doc)}<h2>Verdict</h2><ul>{verdict}</ul>"
            "<h2>Out of sample, baselines under the evolved genome's portfolio rules</h2>"
            f"{_table(doc, doc.get('same_rules', {}).get('strategies'))}"
            "<h2>Out of sample, all at equal weight without portfolio rules</h2>"
            f"{_table(doc, doc.get('equal_exposure', {}).get('strategies'))}"
            "<p>[ ] = 95% block-bootstrap interval over test windows.</p>"
            + "".join(plots) + f"<h2>Method</h2><ul>{method}</ul></body></html>")
    return write_text_atomic(path, page, "--html")  # tmp + os.replace: never half a page
