"""One price rule (issue 19): what the gateway rounds, the paper exchange quotes and accepts.

HYPERLIQUID.md section 5: prices carry at most 5 significant figures and 6 - szDecimals decimals;
integer prices are always allowed."""
from __future__ import annotations

import random

from hyperliquid.utils.signing import float_to_wire

from core.exchange.paper.market import CoinSpec
from core.exchange.paper.order_wire import WireError, parse_wire
from core.exchange.paper.wire import px_str
from core.exchange.ticks import round_price

COINS = tuple(CoinSpec(f"C{d}", d, 20, 1.0) for d in range(6))  # asset d has szDecimals d


def listed_price(rng: random.Random) -> tuple[float, int]:
    """A price and szDecimals as listed coins pair them: the price's tick is never above the price."""
    sz_decimals = rng.randrange(6)
    return 10 ** rng.uniform(sz_decimals - 4, 6), sz_decimals


def venue_accepts(px: float, sz_decimals: int) -> bool:
    """The paper exchange's order check on the wire the SDK makes of `px` (a reduce-only IOC)."""
    raw = {"a": sz_decimals, "b": True, "p": float_to_wire(px), "s": "1", "r": True, "t": {"limit": {"tif": "Ioc"}}}
    try:
        parse_wire(raw, COINS)
    except WireError as exc:
        assert "tick size" in str(exc), exc
        return False
    return True


def test_every_price_the_gateway_rounds_is_one_the_paper_exchange_accepts():
    rng = random.Random(19)
    for _ in range(3000):
        px, sz_decimals = listed_price(rng)
        assert venue_accepts(round_price(px, sz_decimals), sz_decimals), (px, sz_decimals)


def test_the_paper_exchange_quotes_the_prices_the_gateway_would_send():
    rng = random.Random(5)
    for _ in range(1000):
        px, sz_decimals = listed_price(rng)
        assert float(px_str(px, sz_decimals)) == round_price(px, sz_decimals)


def test_five_significant_figures_and_at_most_six_minus_sz_decimals():
    assert round_price(65012.37, 5) == 65012.0
    assert round_price(3201.456, 4) == 3201.5
    assert round_price(0.601234, 0) == 0.60123
    assert round_price(0.0123456, 2) == 0.0123  # 6 - 2 = 4 decimals before 5 significant figures
    assert not venue_accepts(3201.45, 4) and not venue_accepts(0.0123456, 2)


def test_integer_prices_are_always_allowed_so_large_prices_keep_their_integer():
    assert round_price(123456.7, 5) == 123457.0 and venue_accepts(123457.0, 5)
    assert round_price(65000.0, 5) == 65000.0


def test_a_directed_rounding_stays_on_its_side():
    assert round_price(3201.46, 4, direction=-1) == 3201.4
    assert round_price(3201.41, 4, direction=+1) == 3201.5
    assert round_price(3201.4, 4, direction=+1) == 3201.4  # already on the tick
