"""The drawdown gauge and the breaker banner say what core/policy.py decides: the thresholds, the
tightened stop factor and the state names come from there, so a policy change shows at once."""
from __future__ import annotations

from core import policy
from core.vocabulary import BreakerState
from console.widgets.breaker_banner import STATE_CLASSES, WHAT_IT_DOES
from console.widgets.drawdown import gauge, history_chart, ratio_colour


def test_gauge_colours_change_exactly_at_the_policy_thresholds():
    eps = 1e-9
    assert ratio_colour(policy.TIGHTEN_AT - eps) == "green"
    assert ratio_colour(policy.TIGHTEN_AT) == "yellow"
    assert ratio_colour(policy.REDUCE_AT - eps) == "yellow"
    assert ratio_colour(policy.REDUCE_AT) == "dark_orange"
    assert ratio_colour(policy.EMERGENCY_AT - eps) == "dark_orange"
    assert ratio_colour(policy.EMERGENCY_AT) == "red"


def test_the_history_chart_labels_every_breaker_line_with_its_policy_threshold():
    chart = history_chart([0.0] * 20, width=20, height=12).plain
    for at, state in zip(policy.BREAKER_THRESHOLDS,
                         (BreakerState.TIGHTENED, BreakerState.REDUCING, BreakerState.EMERGENCY)):
        assert f"{state.name[0]} {at:.1f}" in chart


def test_the_gauge_marks_the_three_thresholds():
    assert [c for c in gauge(0.0, 60).plain if c in "TRE"] == ["T", "R", "E"]


def test_the_banner_knows_every_breaker_state_and_the_tightened_stop_factor():
    assert set(STATE_CLASSES) == set(WHAT_IT_DOES) == {s.name for s in BreakerState}
    assert f"x{policy.TIGHTENED_STOP_FACTOR:g}" in WHAT_IT_DOES[BreakerState.TIGHTENED.name]
