"""A price gap needs confirmation (RELIABILITY scenario 7), on crafted inputs to the pure step:
one observation proposes nothing, the next poll confirms (the breaker acts) or reverts (a bad
tick, nothing happens), and neither the high-water mark nor the history learns from it."""
from __future__ import annotations

import math

import pytest

from core.monitor.evaluate import evaluate
from core.monitor.gaps import GAP_CONFIRM_PCT, MAX_GAP_HOLDS
from core.monitor.state import MonitorState
from tests.support.monitor_inputs import BOOK, T0, ctx, market, pos


def poll(state: MonitorState, equity: float, minute: int, btc: float = 1.0, bad_btc: bool = False):
    """One poll at `minute` with every mark drifting a little (a live feed), BTC's times `btc`."""
    book = [pos(x.coin, x.size, x.entry_px, x.mark_px * (1 + minute * 1e-4) * (btc if x.coin == "BTC" else 1.0))
            for x in BOOK]
    mids = {x.coin: (math.nan if bad_btc and x.coin == "BTC" else x.mark_px) for x in book}
    return evaluate(ctx(), market(equity, book, mids, T0 + minute * 60_000), state, T0 + minute * 30_000)


@pytest.fixture
def calm() -> MonitorState:
    return poll(MonitorState(), 100_000, 0).state


def test_a_30pct_jump_proposes_nothing_until_the_next_poll_confirms_it(calm):
    # BTC -30 % costs 9 % of equity: 1.8 x the 5 % max drawdown, EMERGENCY if believed at once
    gap = poll(calm, 91_000, 1, btc=0.7)
    snap = gap.snapshot
    assert gap.proposals == () and gap.transition is None
    assert snap.breaker_state == "NORMAL" and snap.new_risk_allowed is False and snap.data_error is None
    [note] = snap.price_gap
    assert note["coin"] == "BTC" and note["pct"] == pytest.approx(-0.30, abs=1e-3)
    assert note["old_px"] == pytest.approx(calm.last_px["BTC"]) and note["new_px"] == pytest.approx(42_004.2)
    assert snap.drawdown == pytest.approx(0.09) and snap.drawdown_ratio == pytest.approx(1.8)  # still displayed
    assert gap.state.hwm_usd == 100_000 and gap.state.breaker_state == calm.breaker_state
    assert gap.state.drawdown_history == calm.drawdown_history and set(gap.state.price_gaps) == {"BTC"}
    confirmed = poll(gap.state, 91_000, 2, btc=0.7)
    assert confirmed.gaps.confirmed == ("BTC",) and confirmed.snapshot.price_gap == ()
    assert confirmed.snapshot.breaker_state == "EMERGENCY"
    assert (confirmed.transition.from_state, confirmed.transition.to_state) == ("NORMAL", "EMERGENCY")
    assert "exit_all" in [a.kind for a in confirmed.proposals]
    assert confirmed.state.price_gaps == {} and confirmed.state.last_px["BTC"] == pytest.approx(42_008.4)


def test_a_reverted_spike_never_proposes(calm):
    gap = poll(calm, 91_000, 1, btc=0.7)
    assert gap.proposals == () and gap.snapshot.price_gap
    states, proposed = [], []
    state = gap.state
    for minute in range(2, 5):
        result = poll(state, 100_000, minute)
        state = result.state
        states.append(result.snapshot.breaker_state)
        proposed += result.proposals
        assert result.transition is None and result.snapshot.price_gap == ()
        if minute == 2:
            assert result.gaps.reverted == ("BTC",)
    assert states == ["NORMAL"] * 3 and proposed == [] and state.price_gaps == {}


def test_an_upward_bad_tick_never_raises_the_high_water_mark(calm):
    spike = poll(calm, 109_000, 1, btc=1.3)  # believed, the peak would be 109k and the revert a 8 % drawdown
    assert spike.proposals == () and spike.state.hwm_usd == 100_000
    assert spike.state.tracks["BTC"].best_px == calm.tracks["BTC"].best_px  # the trailing stop ignores it too
    after = poll(spike.state, 100_000, 2)
    assert after.snapshot.breaker_state == "NORMAL" and after.snapshot.drawdown == 0.0 and after.proposals == ()


def test_a_move_within_the_threshold_acts_at_once(calm):
    assert GAP_CONFIRM_PCT == 0.15
    result = poll(calm, 96_400, 1, btc=0.88)  # 12 %: a hard move, not a gap
    assert result.snapshot.price_gap == () and result.snapshot.breaker_state == "REDUCING"
    assert "reduce" in [a.kind for a in result.proposals]


def test_a_gap_moves_no_stop_even_where_tightened_would_place_them(calm):
    tight = poll(calm, 97_400, 1)
    assert tight.snapshot.breaker_state == "TIGHTENED" and tight.state.stops == {}  # none placed yet
    assert [a.kind for a in poll(tight.state, 97_300, 2).proposals] == ["protective_stops"]  # without a gap
    gapped = poll(tight.state, 88_400, 2, btc=0.7)
    assert gapped.proposals == () and gapped.snapshot.breaker_state == "TIGHTENED"


def test_a_market_still_wild_after_max_holds_is_believed(calm):
    state, held = calm, 0
    for minute, (btc, equity) in enumerate([(0.7, 91_000), (0.5, 85_000), (0.35, 80_500), (0.25, 77_500)], 1):
        result = poll(state, equity, minute, btc=btc)  # every poll ~30 % from both the old and the gapped price
        state = result.state
        if result.snapshot.price_gap:
            held += 1
            assert result.proposals == () and result.snapshot.price_gap[0]["holds"] == held
    assert held == MAX_GAP_HOLDS == 3
    assert result.snapshot.breaker_state == "EMERGENCY" and "exit_all" in [a.kind for a in result.proposals]


def test_a_stale_poll_between_the_gap_and_its_confirmation_keeps_it_pending(calm):
    gap = poll(calm, 91_000, 1, btc=0.7)
    stale = poll(gap.state, 91_000, 2, btc=0.7, bad_btc=True)
    assert stale.snapshot.breaker_state == "STALE" and stale.state.price_gaps == gap.state.price_gaps
    confirmed = poll(stale.state, 91_000, 3, btc=0.7)
    assert confirmed.snapshot.breaker_state == "EMERGENCY" and confirmed.proposals


def test_a_pending_gap_survives_a_restart(calm):
    gap = poll(calm, 91_000, 1, btc=0.7)
    restored = MonitorState.from_json(gap.state.to_json())
    assert restored == gap.state and restored.price_gaps["BTC"].pct == pytest.approx(-0.30, abs=1e-3)
    assert poll(restored, 91_000, 2, btc=0.7).proposals == poll(gap.state, 91_000, 2, btc=0.7).proposals
    assert MonitorState.from_json('{"hwm_usd": 1.0}').price_gaps == {}  # a row from before gaps loads


def test_the_banner_names_the_unconfirmed_gap(calm):
    from console.widgets.breaker_banner import gap_text

    assert gap_text(poll(calm, 100_000, 1).snapshot) == ""
    assert gap_text(poll(calm, 91_000, 1, btc=0.7).snapshot) == \
        " | price gap BTC -30.0%: waiting for the next poll to confirm"
