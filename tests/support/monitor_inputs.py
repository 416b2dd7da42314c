"""Hand-made inputs for the pure monitor step (no tests here): a context on a 5 % breaker, positions,
market inputs at a fixed time, and a three-coin book of a long, a short and an odd-lot long."""
from __future__ import annotations

from core.exchange.models import AccountState, Position
from core.genome import decode, default_genes
from core.monitor.evaluate import Context, MarketInputs

T0 = 1_700_000_000_000
SZ_DECIMALS = {"BTC": 5, "ETH": 4, "SOL": 2}


def params(**genes: float):
    g = default_genes()
    g[13] = 0.0  # max drawdown 5 %
    for index, value in genes.items():
        g[int(index[1:])] = value
    return decode(g)


def ctx(p=None) -> Context:
    return Context(p or params(), "test", "paper", 30.0)


def pos(coin: str, size: float, entry: float, mark: float) -> Position:
    return Position(coin, size, entry, mark, (mark - entry) * size, abs(size) * mark, 0.0, 10.0, None)


def market(equity: float, positions: list[Position], mids: dict[str, float] | None = None, t_ms: int = T0,
           indicators: dict | None = None) -> MarketInputs:
    mids = mids if mids is not None else {p.coin: p.mark_px for p in positions}
    return MarketInputs(AccountState(equity, 0.0, 0.0, tuple(positions), t_ms), mids, indicators or {},
                        sz_decimals=SZ_DECIMALS)


BOOK = [pos("BTC", 0.5, 60000.0, 60000.0), pos("ETH", -4.0, 3000.0, 3000.0), pos("SOL", 101.37, 150.0, 150.0)]
