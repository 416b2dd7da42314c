"""Since when a position is held: the venue time of its opening fill, from `userFills`.

Held time drives the time exit (gene 11) and the time decay of stops (gene 12); counting it
from when the monitor first noticed a position would make both late after a restart or for a
position opened while the monitor was down. Pure: fills in, times out.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from core.exchange.models import Fill

FLAT_EPS = 1e-9  # relative size below which the walk back through fills counts as flat


def opening_fill_ms(fills: Iterable[Fill], sizes: Mapping[str, float]) -> dict[str, int]:
    """For each coin's signed position size, the time of the fill that opened it from flat: walk
    the fills back from the newest, undoing each, until the size is 0. Coins whose opening fill is
    not among `fills` (the venue keeps the latest 2000) are left out."""
    newest_first = sorted(fills, key=lambda f: f.time_ms, reverse=True)
    out = {}
    for coin, size in sizes.items():
        rest = size
        for f in (f for f in newest_first if f.coin == coin):
            rest -= f.size if f.is_buy else -f.size
            if abs(rest) <= FLAT_EPS * max(1.0, abs(size)):
                out[coin] = f.time_ms
                break
    return out
