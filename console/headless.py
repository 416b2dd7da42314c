"""What `evorisk console` prints when there is no terminal (CI, pipes): one live monitor cycle
and the recent runs, as plain text."""
from __future__ import annotations

import logging

from console.services.live_session import LiveSession
from console.views.monitor_line import snapshot_line
from storage import Store
from storage.run_repo import RunRepo

log = logging.getLogger("evorisk.console.headless")
HEADLESS_POLL_S = 3600.0  # one cycle is run by hand; the timer must not fire meanwhile


def live_lines(store: Store, network: str) -> list[str]:
    """One monitor cycle on the paper exchange (other networks need a terminal session)."""
    if network != "paper":
        return [f"live: run in a terminal, or `evorisk monitor --headless` for {network}"]
    session = LiveSession.start("paper", store, poll_interval_s=HEADLESS_POLL_S)
    try:
        snap = session.service.run_cycle()
    finally:
        session.stop()
    lines = ["live (paper demo): " + snapshot_line(snap, as_json=False)]
    for p in snap.positions:
        stop = "-" if p.dist_stop is None else f"{p.dist_stop:.1%}"
        lines.append(f"  {p.coin:5} {p.side:5} size {abs(p.size):g} mark {p.mark_px:g} uPnL {p.unrealized_pnl_usd:+,.2f}"
                     f" stop {p.stop_px:g} ({stop} away)")
    return lines


def headless_summary(store: Store, network: str) -> str:
    runs = RunRepo(store).list_runs(limit=5)
    lines = [f"evorisk (headless: no terminal) network={network.upper()} db={store.path}"]
    lines += live_lines(store, network)
    lines.append(f"runs: {len(runs)} recent")
    for r in runs:
        lines.append(f"  run {r['id']} {r['status']} best={r['best_fitness']}")
    lines.append("Run in a terminal for the console; `evorisk --help` lists commands.")
    return "\n".join(lines)
