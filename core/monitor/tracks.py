"""Following each held position between polls: since when it is held and its best price so far,
the reference of the trailing stop, kept the way the backtest kernel keeps it bar by bar."""
from __future__ import annotations

from typing import Mapping

from core.exchange.models import AccountState
from core.monitor.indicators import CoinIndicators
from core.monitor.state import Track


def follow_positions(prev: dict[str, Track], acct: AccountState, mids: Mapping[str, float],
                     indicators: Mapping[str, CoinIndicators], opened_ms: Mapping[str, int],
                     entry_slippage: float = 0.0, best_from_marks: bool = True) -> dict[str, Track]:
    """Follow each held coin: since when it is held (its opening fill when known, else first seen)
    and its best price for the trailing stop: the best mark polled and the extremes of completed
    daily bars that began after the position opened (the kernel's best price, bar by bar)."""
    out = {}
    for pos in acct.positions:
        side, mark = ("long" if pos.size > 0 else "short"), mids[pos.coin]
        old = prev.get(pos.coin)
        if old is None or old.side != side:
            sign = 1.0 if side == "long" else -1.0
            old = Track(side, int(opened_ms.get(pos.coin, acct.time_ms)), pos.entry_px / (1.0 + sign * entry_slippage))
        best = old.best_px
        if best_from_marks:
            best = max(best, mark) if side == "long" else min(best, mark)
        ind = indicators.get(pos.coin)
        if ind is not None and ind.bar_open_ms > old.first_seen_ms:
            extreme = ind.bar_high if side == "long" else ind.bar_low
            if extreme == extreme:
                best = max(best, extreme) if side == "long" else min(best, extreme)
        out[pos.coin] = Track(side, old.first_seen_ms, best, old.tp_done, old.time_exit_proposed)
    return out
