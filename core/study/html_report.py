"""Self-contained HTML report of the stop study (plotly, shipped with vectorbt).

The page embeds plotly.js once so it opens offline, e.g. on an operator's laptop after scp.
"""
from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from core.files import write_text_atomic
from core.study.aggregate import StudyStats
from core.study.enums import EXIT_KIND_LABELS, ExitKind
from core.study.runner import StudyResult
from core.study.summary import LEVEL_KINDS, summary_lines


def _return_vs_level_figure(result: StudyResult, stats: StudyStats):
    import plotly.graph_objects as go

    levels_pct = result.stop_levels * 100
    fig = go.Figure()
    for kind in LEVEL_KINDS:
        fig.add_trace(go.Scatter(x=levels_pct, y=stats.overall.mean_return[kind] * 100, mode="lines",
                                 name=f"{EXIT_KIND_LABELS[kind]} (mean)"))
        fig.add_trace(go.Scatter(x=levels_pct, y=stats.overall.median_return[kind] * 100, mode="lines",
                                 line={"dash": "dot"}, name=f"{EXIT_KIND_LABELS[kind]} (median)"))
    hold = stats.overall.mean_return[ExitKind.Hold, 0] * 100
    fig.add_trace(go.Scatter(x=levels_pct, y=np.full(levels_pct.shape, hold), mode="lines",
                             line={"color": "black"}, name="hold (mean)"))
    fig.update_layout(title="Total return per window vs stop level (all coins and windows)",
                      xaxis_title="stop level (% of entry close)", yaxis_title="total return (%)")
    return fig


def _heatmap_figure(result: StudyResult, stats: StudyStats):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    titles = [f"{EXIT_KIND_LABELS[k]}: mean return minus hold's (percentage points)" for k in LEVEL_KINDS]
    fig = make_subplots(rows=len(LEVEL_KINDS), cols=1, subplot_titles=titles, vertical_spacing=0.06)
    hold = stats.asset_mean_return[:, ExitKind.Hold, :1]
    excess = (stats.asset_mean_return - hold[:, None, :]) * 100
    limit = float(np.nanmax(np.abs(excess[:, list(LEVEL_KINDS), :]))) or 1.0
    for row, kind in enumerate(LEVEL_KINDS, start=1):
        fig.add_trace(go.Heatmap(z=excess[:, kind, :], x=result.stop_levels * 100, y=list(result.assets),
                                 zmin=-limit, zmax=limit, colorscale="RdBu", showscale=row == 1,
                                 hovertemplate="%{y} stop %{x}%: %{z:.1f} pp<extra></extra>"), row=row, col=1)
        fig.update_xaxes(title_text="stop level (%)", row=row, col=1)
    fig.update_layout(height=320 * len(LEVEL_KINDS), title="Coin x stop level: does the exit beat holding?")
    return fig


def write_html_report(result: StudyResult, stats: StudyStats, path: str | Path) -> Path:
    """Write the report; an unwritable path is the user's input, so it is a BadInputError."""
    figures = [_return_vs_level_figure(result, stats), _heatmap_figure(result, stats)]
    body = [fig.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(figures)]
    findings = "".join(f"<li>{html.escape(line)}</li>" for line in summary_lines(result, stats))
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>evorisk stop study</title></head>"
            "<body style='font-family:sans-serif'><h1>Stop study</h1>"
            f"<ul>{findings}</ul>{''.join(body)}</body></html>")
    return write_text_atomic(path, page, "--html")  # tmp + os.replace: never half a page
