"""Risk-adjusted sizing (SPEC 5): each rule of the active genome that can cut a new position."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from core import policy
from core.errors import BadInputError
from core.exchange.models import AccountState, Position
from core.genome import decode, default_genes
from core.monitor.sizing import effective_breaker_state, size_new_position
from core.monitor.state import MonitorState

PARAMS = replace(decode(default_genes()), concentration_limit=0.10, correlation_limit=0.50, max_drawdown_pct=0.10)
BTC_PX = 50_000.0
ETH_PX = 2_500.0


def position(coin: str, size: float, px: float) -> Position:
    return Position(coin=coin, size=size, entry_px=px, mark_px=px, unrealized_pnl_usd=0.0,
                    position_value_usd=abs(size) * px, margin_used_usd=abs(size) * px / 10, leverage=10.0,
                    liquidation_px=None)


def account(*positions: Position, equity_usd: float = 100_000.0) -> AccountState:
    return AccountState(equity_usd=equity_usd, margin_used_usd=0.0, withdrawable_usd=equity_usd,
                        positions=tuple(positions), time_ms=1_700_000_000_000)


def corr(value: float) -> tuple[tuple[str, ...], np.ndarray]:
    return ("BTC", "ETH"), np.array([[1.0, value], [value, 1.0]])


def size(acct: AccountState, requested: float, state: int = policy.NORMAL, side: str = "long",
         correlation: float | None = None):
    coins, matrix = corr(correlation) if correlation is not None else ((), None)
    return size_new_position(PARAMS, acct, "BTC", side, requested, BTC_PX, state, coins, matrix)


def test_nothing_limits_a_small_position_in_a_flat_book():
    d = size(account(), 0.1)
    assert d.allowed_size == pytest.approx(0.1) and d.limiting_factors == ()
    assert d.concentration_cap_usd == pytest.approx(10_000.0)
    assert any("no other holdings" in c for c in d.checks) and any("NORMAL: new risk allowed" in c for c in d.checks)


def test_concentration_caps_the_position_at_the_genome_fraction_of_equity():
    d = size(account(), 1.0)  # $50,000 asked, 10% of $100,000 allowed
    assert d.allowed_size == pytest.approx(0.2)
    (line,) = d.limiting_factors
    assert line.startswith("concentration: BTC may be 10.0% of equity $100,000.00 = $10,000.00 = 0.2 BTC")


def test_concentration_counts_what_is_already_held_in_the_coin():
    d = size(account(position("BTC", 0.15, BTC_PX)), 1.0)
    assert d.allowed_size == pytest.approx(0.05) and "0.15 already held" in d.limiting_factors[0]


def test_concentration_uses_the_kernels_equal_weight_target_when_it_is_smaller():
    wide = replace(PARAMS, concentration_limit=0.9)
    held = account(position("ETH", 4.0, ETH_PX))
    d = size_new_position(wide, held, "BTC", "long", 10.0, BTC_PX, policy.NORMAL, *corr(0.0))
    assert d.concentration_cap_usd == pytest.approx(100_000.0 * policy.position_target_fraction(2, 0.9))


def test_correlation_with_held_coins_above_the_limit_blocks_the_position():
    d = size(account(position("ETH", 4.0, ETH_PX)), 0.1, correlation=0.9)
    assert d.allowed_size == 0.0 and d.weighted_correlation == pytest.approx(0.9)
    (line,) = d.limiting_factors
    assert line.startswith("correlation: with ETH") and "0.90 > limit 0.50" in line


def test_the_correlation_gate_is_judged_at_the_target_size_so_a_tiny_order_cannot_slip_past():
    d = size(account(position("ETH", 4.0, ETH_PX)), 0.0001, correlation=0.9)
    assert d.allowed_size == 0.0


def test_low_correlation_passes_and_unknown_correlation_is_said_not_checked():
    ok = size(account(position("ETH", 4.0, ETH_PX)), 0.1, correlation=0.2)
    assert ok.allowed_size == pytest.approx(0.1) and ok.limiting_factors == ()
    assert any("weighted 0.20 <= limit 0.50" in c for c in ok.checks)
    unknown = size(account(position("ETH", 4.0, ETH_PX)), 0.1)
    assert unknown.allowed_size == pytest.approx(0.1) and unknown.weighted_correlation is None
    assert any("unknown" in c and "not checked" in c for c in unknown.checks)
    short_history = size(account(position("ETH", 4.0, ETH_PX)), 0.1, correlation=math.nan)
    assert short_history.allowed_size == pytest.approx(0.1)  # NaN pairs are skipped, as in the kernel


@pytest.mark.parametrize("state", [policy.REDUCING, policy.EMERGENCY])
def test_no_new_risk_from_reducing_upward(state):
    d = size(account(), 0.1, state=state)
    assert d.allowed_size == 0.0
    (line,) = d.limiting_factors
    assert line.startswith(f"breaker {policy.BREAKER_NAMES[state]}: no new risk")


def test_stale_data_allows_no_new_risk():
    d = size(account(), 0.1, state=policy.STALE)
    assert d.allowed_size == 0.0 and d.limiting_factors == ("breaker STALE: the monitor has no trustworthy data, "
                                                            "so no new risk",)


def test_tightened_still_allows_new_risk():
    assert size(account(), 0.1, state=policy.TIGHTENED).allowed_size == pytest.approx(0.1)


def test_every_binding_rule_is_listed():
    d = size(account(position("ETH", 4.0, ETH_PX)), 1.0, state=policy.REDUCING, correlation=0.9)
    assert [line.split(":")[0] for line in d.limiting_factors] == ["breaker REDUCING", "concentration", "correlation"]


def test_closing_an_opposite_position_is_never_limited():
    d = size(account(position("BTC", -0.3, BTC_PX)), 0.5, state=policy.REDUCING)
    assert d.allowed_size == pytest.approx(0.3)
    assert any(c.startswith("closing: 0.3") for c in d.checks)


def test_bad_requests_are_bad_input():
    with pytest.raises(BadInputError):
        size(account(), 0.0)
    with pytest.raises(BadInputError):
        size(account(), 0.1, side="sideways")
    with pytest.raises(BadInputError):
        size_new_position(PARAMS, account(), "BTC", "long", 0.1, math.nan, policy.NORMAL)


def test_breaker_state_is_the_persisted_one_or_stricter_when_equity_has_fallen_since():
    assert effective_breaker_state(None, 100_000.0, PARAMS)[0] == policy.NORMAL
    saved = MonitorState(hwm_usd=100_000.0, breaker_state=policy.TIGHTENED, breaker_reason="drawdown")
    assert effective_breaker_state(saved, 99_000.0, PARAMS) == (policy.TIGHTENED, "monitor state TIGHTENED (drawdown)")
    state, why = effective_breaker_state(saved, 92_000.0, PARAMS)  # 8% down, max 10%: 0.8 -> REDUCING
    assert state == policy.REDUCING and "0.80 x max drawdown" in why
    stale = MonitorState(hwm_usd=100_000.0, breaker_state=policy.STALE, breaker_reason="no mids")
    assert effective_breaker_state(stale, 100_000.0, PARAMS)[0] == policy.STALE
