"""The pure monitor step: breaker walk, exact orders, stop levels from the shared policy, and
bad data that must never read as a drawdown."""
from __future__ import annotations

import math

import numpy as np
import pytest

from core import policy
from core.monitor.evaluate import MarketInputs, evaluate
from core.monitor.indicators import CoinIndicators, coin_indicators, correlation_matrix
from core.monitor.levels import MS_PER_DAY
from core.monitor.state import MonitorState
from core.regimes import REGIME_MULT
from tests.support.monitor_inputs import BOOK, SZ_DECIMALS, T0, ctx, market, params, pos

def step(state: MonitorState, equity: float, minute: int, positions=BOOK, p=None):
    mids = {x.coin: x.mark_px * (1 + minute * 1e-4) for x in positions}
    return evaluate(ctx(p), market(equity, positions, mids, T0 + minute * 60_000), state, T0 + minute * 30_000)


def test_breaker_walks_up_in_order_and_proposes_halves_then_all():
    state, seen, kinds = MonitorState(), [], []
    for minute, equity in enumerate([100_000, 97_400, 96_400, 94_900, 94_000]):
        result = step(state, equity, minute)
        state = result.state
        seen.append(result.snapshot.breaker_state)
        kinds += [a.kind for a in result.proposals]
        for action in result.proposals:
            if action.kind in ("reduce", "exit_all"):
                sides = {leg.coin: leg.side for leg in action.legs}
                assert sides == {"BTC": "sell", "ETH": "buy", "SOL": "sell"}  # longs sell, shorts buy
                sizes = {leg.coin: leg.size for leg in action.legs}
                if action.kind == "reduce":
                    assert sizes == {"BTC": 0.25, "ETH": 2.0, "SOL": 50.68}  # halves, rounded down
                else:
                    assert sizes == {"BTC": 0.5, "ETH": 4.0, "SOL": 101.37}
                assert all(leg.reduce_only and leg.tif == "Ioc" for leg in action.legs)
                for leg in action.legs:
                    mark = next(x.mark_px for x in BOOK if x.coin == leg.coin) * (1 + minute * 1e-4)
                    assert leg.limit_px == pytest.approx(mark * (1.02 if leg.side == "buy" else 0.98), rel=1e-4)
    assert seen == ["NORMAL", "TIGHTENED", "REDUCING", "EMERGENCY", "EMERGENCY"]
    assert [k for k in kinds if k != "protective_stops"] == ["reduce", "exit_all"]
    # stops are (re)proposed in every state from TIGHTENED up while none rest on the exchange yet
    assert kinds.count("protective_stops") == 4


def test_reduce_is_proposed_once_per_episode_and_hysteresis_holds_the_state():
    state = MonitorState()
    kinds, states = [], []
    for minute, equity in enumerate([100_000, 96_400, 96_600, 96_400, 97_500, 99_000, 96_400]):
        result = step(state, equity, minute)
        state = result.state
        states.append(result.snapshot.breaker_state)
        kinds += [a.kind for a in result.proposals if a.kind == "reduce"]
    # 3.6 % dd = 0.72 ratio; 3.4 % = 0.68 stays REDUCING (hysteresis); 2.5 % = 0.5 steps down
    assert states == ["NORMAL", "REDUCING", "REDUCING", "REDUCING", "TIGHTENED", "NORMAL", "REDUCING"]
    assert kinds == ["reduce", "reduce"]  # once per episode; the second episode proposes again


@pytest.mark.parametrize("bad", [math.nan, 0.0, -5.0, None])
def test_bad_prices_are_stale_never_a_drawdown(bad):
    state = step(MonitorState(), 100_000, 0).state
    mids = {"BTC": bad, "ETH": 3000.0, "SOL": 150.0} if bad is not None else {"ETH": 3000.0, "SOL": 150.0}
    result = evaluate(ctx(), market(50_000, BOOK, mids), state, T0 + 60_000)
    assert result.snapshot.breaker_state == "STALE"
    assert result.proposals == ()
    assert result.state.hwm_usd == 100_000  # untouched
    assert result.snapshot.data_error
    assert result.snapshot.new_risk_allowed is False


def test_nan_equity_is_stale():
    result = evaluate(ctx(), market(math.nan, BOOK), MonitorState(hwm_usd=100_000.0), T0)
    assert result.snapshot.breaker_state == "STALE" and result.proposals == ()


def test_frozen_mids_for_three_intervals_are_stale():
    state = MonitorState()
    mids = {x.coin: x.mark_px for x in BOOK}
    states = []
    for minute in range(4):
        result = evaluate(ctx(), market(100_000, BOOK, dict(mids), T0 + minute * 60_000), state, T0 + minute * 30_000)
        state = result.state
        states.append(result.snapshot.breaker_state)
    assert states == ["NORMAL", "NORMAL", "STALE", "STALE"]


def test_stop_levels_in_the_snapshot_equal_policy_stop_distances():
    p = params(g2=0.3, g8=0.9, g16=0.4, g17=0.7, g18=1.0)
    ind = {"BTC": CoinIndicators(vol_ratio=1.8, atr_pct=0.04, momentum=0.05, regime=1),
           "ETH": CoinIndicators(vol_ratio=0.7, atr_pct=0.01, momentum=0.02, regime=3)}
    book = [pos("BTC", 0.5, 60000.0, 61000.0), pos("ETH", -4.0, 3000.0, 2990.0)]
    first = evaluate(ctx(p), market(100_000, book, indicators=ind), MonitorState(), T0).state
    later = T0 + 3 * MS_PER_DAY
    snap = evaluate(ctx(p), market(100_000, book, t_ms=later, indicators=ind), first, T0 + 1).snapshot
    for row in snap.positions:
        i, side = ind[row.coin], (1 if row.size > 0 else -1)
        m = REGIME_MULT[i.regime]
        sl, tr, tp = policy.stop_distances(
            policy.StopParams(p.stop_loss_pct, p.stop_atr_mult, p.trail_pct, p.take_profit_pct, p.vol_mult,
                              p.high_vol_ratio, float(p.max_hold_days), p.time_decay, p.momentum_adj,
                              p.news_vol_mult, p.regime_sensitivity),
            policy.StopContext(m[0], m[1], m[2], i.vol_ratio, i.atr_pct, 3.0, i.momentum * side > 0, False))
        assert (row.stop_distance, row.trail_distance, row.take_profit_distance) == (sl, tr, tp)
        assert row.stop_px == pytest.approx(row.entry_px * (1 - side * sl))
        assert row.held_hours == pytest.approx(72.0)


def test_tightened_stops_use_the_tightened_policy_levels():
    result = step(MonitorState(), 100_000, 0)
    tight = step(result.state, 97_400, 1)
    assert tight.snapshot.breaker_state == "TIGHTENED"
    action = next(a for a in tight.proposals if a.kind == "protective_stops")
    assert action.auto_approved_by == "policy:tightened"
    for leg in action.legs:
        row = next(r for r in tight.snapshot.positions if r.coin == leg.coin)
        assert leg.trigger_px == pytest.approx(row.stop_px, rel=1e-4)
        assert leg.side == ("sell" if row.size > 0 else "buy") and leg.reduce_only
    normal = step(result.state, 100_000, 1)
    assert normal.snapshot.positions[0].stop_distance == pytest.approx(
        tight.snapshot.positions[0].stop_distance / policy.TIGHTENED_STOP_FACTOR)


def test_correlation_and_concentration_against_genes_14_and_15():
    corr = np.array([[1.0, 0.9, 0.2], [0.9, 1.0, np.nan], [0.2, np.nan, 1.0]])
    m = market(100_000, BOOK)
    m = MarketInputs(m.account, m.mids, {}, ("BTC", "ETH", "SOL"), corr, SZ_DECIMALS)
    snap = evaluate(ctx(), m, MonitorState(), T0).snapshot
    w = [30_000.0, -12_000.0, 15_205.5]  # signed notional: the ETH short hedges the correlated BTC long
    expected = policy.weighted_correlation(3, w, [float(x) for x in corr.ravel()])
    assert expected < 0
    assert snap.weighted_correlation == pytest.approx(expected)
    assert snap.correlation_breached == (expected > snap.correlation_limit)
    assert snap.correlation_matrix[1][2] is None
    btc = next(r for r in snap.positions if r.coin == "BTC")
    assert btc.concentration == pytest.approx(0.3) and btc.concentration_breached


def test_indicators_follow_the_backtest_formulas():
    from core.backtest import indicators_nb as ind

    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 150)))
    high, low = close * 1.01, close * 0.99
    got = coin_indicators(high, low, close, 14)
    vol = ind.rolling_return_std_nb(close, 14)
    assert got.vol_ratio == pytest.approx(vol[-1] / ind.rolling_mean_nb(vol, 100)[-1], rel=1e-12)
    assert got.atr_pct == pytest.approx(ind.atr_pct_nb(high, low, close, 14)[-1], rel=1e-12)
    assert got.momentum == pytest.approx(ind.momentum_nb(close, 20)[-1], rel=1e-12)
    hourly = {c: {i * 3_600_000: float(x) for i, x in enumerate(close[:100] * k)} for c, k in (("A", 1), ("B", 2))}
    assert correlation_matrix(hourly, ("A", "B"))[0, 1] == pytest.approx(1.0)


def test_state_survives_json():
    result = step(step(MonitorState(), 100_000, 0).state, 97_000, 1)
    again = MonitorState.from_json(result.state.to_json())
    assert again == result.state
