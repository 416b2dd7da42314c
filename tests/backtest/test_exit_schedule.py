"""One exit policy, literally (SPEC 4): the kernel and the live monitor compose the same exit
schedule from core.policy, and a kind whose weight cannot pass the vote never sets a fill price."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import policy
from core.backtest import enums as E
from core.backtest.api import BacktestConfig, build_dataset, decode_matrix, window_detail
from core.backtest.rules_nb import position_schedule_nb, tp_level_px_nb
from core.genome import decode
from core.monitor.indicators import CoinIndicators
from core.monitor.levels import exit_schedule
from core.regimes import REGIME_MULT
from tests.support.kernel_inputs import make_series, neutral_params, tiny_dataset, with_entries


def test_weightless_trail_never_sets_the_fill_price():
    """Issue 14: w_trail = 0.0005 with the trail armed and nearer than the stop-loss; the old kernel
    filled the stop-loss exit at the trailing level and recorded it as a trail exit."""
    path = np.concatenate((np.full(6, 100.0), np.linspace(100, 120, 6), np.linspace(120, 80, 12), np.full(6, 80.0)))
    ds = with_entries(tiny_dataset({"A": path}), long_bars=[3])
    params = neutral_params(sl_pct=0.10, trail_pct=0.05, trail_act=0.0, w_sl=0.9995, w_trail=0.0005, w_tp=0.0)
    ev = window_detail(ds, params, 0).trades[0]
    assert ev["kind"] == E.EXIT_SL
    entry = ds.open[0, int(ev["entry_bar"])]
    assert ev["exit_px"] == pytest.approx(entry * 0.90, rel=1e-12)


@pytest.mark.parametrize("w_sl, w_trail, want", [
    (0.9995, 0.0005, (90.0, policy.KIND_SL)),  # the trail can never pass: the stop-loss only
    (0.1, 0.9, (114.0, policy.KIND_TRAIL)),  # the stop-loss can never pass: the trail only
    (0.5, 0.5, (114.0, policy.KIND_TRAIL)),  # both pass alone: the nearer one
    (0.2, 0.2, (90.0, policy.KIND_SL)),  # only the sum passes: the farther one
    (0.1, 0.1, (math.nan, policy.KIND_NONE)),  # nothing passes: no adverse exit at all
])
def test_adverse_exit_follows_the_vote(w_sl, w_trail, want):
    px, kind = policy.adverse_exit(1.0, 100.0, 120.0, 0.10, 0.05, 0.0, False, 100.0, w_sl, w_trail)
    assert kind == want[1]
    assert px == pytest.approx(want[0]) if kind != policy.KIND_NONE else math.isnan(px)
    # mirrored for a short: entry 100, best 80
    spx, skind = policy.adverse_exit(-1.0, 100.0, 80.0, 0.10, 0.05, 0.0, False, 100.0, w_sl, w_trail)
    assert skind == kind
    if kind == policy.KIND_SL:
        assert spx == pytest.approx(110.0)
    elif kind == policy.KIND_TRAIL:
        assert spx == pytest.approx(84.0)


def test_take_profit_levels_exist_only_when_their_weight_passes():
    assert policy.take_profit_passes(0.31) and not policy.take_profit_passes(0.3)


@pytest.mark.parametrize("state", range(5))
def test_breaker_episode_halves_once_and_exits_once(state):
    act, reduce_done, exit_done = policy.breaker_episode(policy.REDUCING, False, False)
    assert act == policy.ACT_REDUCE and reduce_done
    assert policy.breaker_episode(policy.REDUCING, True, False)[0] == policy.ACT_NONE
    assert policy.breaker_episode(policy.EMERGENCY, True, False)[0] == policy.ACT_EXIT
    assert policy.breaker_episode(policy.EMERGENCY, True, True)[0] == policy.ACT_NONE
    after = policy.breaker_episode(state, True, True)
    assert after[1] == (state in (policy.REDUCING, policy.EMERGENCY, policy.STALE))
    assert after[2] == (state == policy.EMERGENCY)


genes_st = st.lists(st.floats(0.0, 1.0), min_size=22, max_size=22)


@settings(max_examples=200, deadline=None)
@given(genes=genes_st, side=st.sampled_from([1, -1]), moves=st.lists(st.floats(-0.08, 0.08), min_size=1, max_size=40),
       vol=st.floats(0.005, 0.2), avg_vol=st.floats(0.005, 0.2), atr=st.floats(0.0, 0.2),
       momentum=st.floats(-0.5, 0.5), regime=st.integers(0, 5), tightened=st.booleans(),
       fee=st.floats(0.0, 0.005), tp_done=st.integers(0, 3))
def test_kernel_and_monitor_give_the_same_schedule(genes, side, moves, vol, avg_vol, atr, momentum, regime,
                                                   tightened, fee, tp_done):
    """Along a random path (best price since entry, bars held), for a random genome: the kernel's
    schedule (decoded matrix, dataset indicators) equals the monitor's (RiskParams, CoinIndicators)."""
    row = decode_matrix(np.array([genes]))[0]
    rp = decode(np.array(genes))
    ind = CoinIndicators(vol_ratio=vol / avg_vol, atr_pct=atr, momentum=momentum, regime=regime)
    n = rp.tp_levels if rp.tp_scaling else 1
    tp_done = min(tp_done, n - 1)
    entry = 100.0
    px = best = entry
    be_mult = policy.break_even_mult(float(side), fee, fee)
    for held, move in enumerate(moves, start=1):
        px *= 1.0 + move
        best = max(best, px) if side > 0 else min(best, px)
        k_px, k_kind, k_tp, k_on = position_schedule_nb(row, float(side), entry, best, float(held), vol, avg_vol, atr,
                                                        REGIME_MULT[regime], momentum, tightened, be_mult)
        m = exit_schedule(rp, side, entry, best, float(held), ind, tightened, 3.0, tp_done, fee=fee, slippage=fee)
        assert (m.adverse_px is None) == (k_kind == policy.KIND_NONE)
        if m.adverse_px is not None:
            assert m.adverse_px == k_px
            assert m.adverse_kind == ("trail" if k_kind == policy.KIND_TRAIL else "stop")
        assert bool(m.take_profits) == bool(k_on)
        assert [t.px for t in m.take_profits] == [tp_level_px_nb(entry, float(side), k_tp, k, n)
                                                  for k in range(tp_done + 1, n + 1)] if k_on else True
        assert sum(t.size for t in m.take_profits) == pytest.approx(3.0) if k_on else True
        assert m.time_exit_due == (held >= rp.max_hold_days)


@settings(max_examples=25, deadline=None)
@given(genes=genes_st, seed=st.integers(0, 2**32 - 1), short=st.booleans())
def test_kernel_stop_fills_sit_at_the_monitors_schedule(genes, seed, short):
    """Every stop or trail exit of the kernel on a random path fills at the adverse level the
    monitor computes for that position at that bar (or at the open when the bar gapped through)."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, 320)))
    cfg = BacktestConfig(window_bars=319, window_step_bars=1000, fee_pct=0.0, slippage_pct=0.0,
                         sides="both" if short else "long")
    ds = build_dataset([make_series("A", close, wick=0.02)], cfg)
    ds = with_entries(ds, long_bars=[] if short else range(120, 300, 7), short_bars=range(120, 300, 7) if short else [])
    row = decode_matrix(np.array([genes]))[0]
    rp = decode(np.array(genes))
    d = window_detail(ds, row, 0)
    lb = int(row[E.VOL_LOOKBACK]) - E.MIN_LOOKBACK
    w0 = int(ds.window_starts[0])
    for ev in d.trades:
        if ev["kind"] not in (E.EXIT_SL, E.EXIT_TRAIL):
            continue
        a, t, t0, side = 0, int(ev["exit_bar"]), int(ev["entry_bar"]), int(ev["side"])
        entry = ds.open[a, t0]
        best = entry
        for b in range(t0 + 1, t):
            best = max(best, ds.high[a, b]) if side > 0 else min(best, ds.low[a, b])
        v, av = ds.vol[lb, a, t - 1], ds.avg_vol[lb, a, t - 1]
        ind = CoinIndicators(vol_ratio=v / av if (av > 0 and v == v) else 1.0,
                             atr_pct=ds.atr[lb, a, t - 1] if ds.atr[lb, a, t - 1] == ds.atr[lb, a, t - 1] else 0.0,
                             momentum=ds.momentum[a, t - 1], regime=int(ds.regime[a, t - 1]))
        tightened = policy.stops_tightened(int(d.states[t - 1 - w0])) if t - 1 >= w0 else False
        m = exit_schedule(rp, side, entry, best, float(t - t0), ind, tightened, 1.0, fee=0.0, slippage=0.0)
        assert m.adverse_px is not None
        assert m.adverse_kind == ("trail" if ev["kind"] == E.EXIT_TRAIL else "stop")
        o = ds.open[a, t]
        gapped = o <= m.adverse_px if side > 0 else o >= m.adverse_px
        assert ev["exit_px"] == pytest.approx(o if gapped else m.adverse_px, rel=1e-12)


def test_held_time_counts_from_the_fill_that_opened_the_position():
    from core.exchange.models import Fill
    from core.monitor.held import opening_fill_ms

    fills = [Fill("BTC", 1, True, 100.0, 1.0, 1_000), Fill("BTC", 2, False, 101.0, 1.0, 2_000),  # a closed trade
             Fill("BTC", 3, True, 99.0, 0.5, 3_000), Fill("BTC", 4, True, 98.0, 0.5, 4_000),  # the current one
             Fill("ETH", 5, False, 10.0, 2.0, 5_000)]
    assert opening_fill_ms(fills, {"BTC": 1.0, "ETH": -2.0, "SOL": 3.0}) == {"BTC": 3_000, "ETH": 5_000}
