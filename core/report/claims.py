"""The design note's two claims judged on the test windows, in numbers (SPEC section 10).

Claim 1: the evolved rules reach 1.5-2.5x the Sharpe ratio of fixed stops.
Claim 2: they cut the maximum drawdown by 30-50% against fixed stops.
A claim holds only if it holds against EACH of the three fixed exits (stop-loss, trailing stop,
take-profit), each at the level that did best on the training windows. Beating the range's top
still counts as holding ("at least 1.5x"); the text says when a result lies above the range.
Each figure carries a 95% block-bootstrap interval over the test windows (core.report.intervals);
the text says whether the claim still holds at the interval's unfavourable end, and under which
portfolio rules the comparison was made (same rules, or equal exposure without rules).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from core.backtest.enums import M_MAXDD, M_SHARPE
from core.report.intervals import Interval, drawdown_cut, paired_intervals, sharpe_multiple
from core.report.walk_forward import FIXED_KINDS, WalkForwardResult

RULES_TEXT = {"same_rules": "with every baseline under the evolved genome's own portfolio rules (position cap, "
                            "correlation gate, breaker)",
              "equal_exposure": "with every strategy, the evolved genome included, at plain equal weight and no "
                                "portfolio rules"}

SHARPE_RATIO_CLAIM = (1.5, 2.5)  # multiples of the fixed stops' Sharpe
DRAWDOWN_CUT_CLAIM = (0.30, 0.50)  # fraction by which max drawdown is lower


@dataclass(frozen=True)
class Comparison:
    baseline: str  # strategy key
    baseline_label: str  # e.g. "fixed stop-loss 8%"
    evolved: float
    other: float
    effect: float | None  # Sharpe multiple, or drawdown cut (fraction); None when undefined
    holds: bool
    evolved_ci_low: float | None = None
    evolved_ci_high: float | None = None
    other_ci_low: float | None = None
    other_ci_high: float | None = None
    effect_ci_low: float | None = None  # None when the interval is undefined
    effect_ci_high: float | None = None
    holds_at_ci_low: bool = False  # the claim still met at the interval's unfavourable end


@dataclass(frozen=True)
class ClaimCheck:
    name: str  # "sharpe" or "drawdown"
    claim: str
    holds: bool
    comparisons: tuple[Comparison, ...]
    text: str
    rules: str = "same_rules"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["comparisons"] = [asdict(c) for c in self.comparisons]
        return d


def _baseline_label(result: WalkForwardResult, kind: str) -> str:
    s = result.strategies[kind]
    return f"{s.label} {s.level:.0%}" if s.level is not None else s.label


def _intervals(result: WalkForwardResult, kind: str, column: int, statistic) -> list[Interval]:
    mine = result.strategies["evolved"].window_metrics[:, column]
    other = result.strategies[kind].window_metrics[:, column]
    return paired_intervals(statistic, mine, other, block=result.block)


def _ci_fields(iv: list[Interval], threshold: float) -> dict:
    e, o, x = (i.to_dict() for i in iv)
    return dict(evolved_ci_low=e["ci_low"], evolved_ci_high=e["ci_high"], other_ci_low=o["ci_low"],
                other_ci_high=o["ci_high"], effect_ci_low=x["ci_low"], effect_ci_high=x["ci_high"],
                holds_at_ci_low=x["ci_low"] is not None and x["ci_low"] >= threshold)


def _ci_text(iv: Interval, fmt: str) -> str:
    if not (math.isfinite(iv.ci_low) and math.isfinite(iv.ci_high)):
        return "95% interval undefined"
    return f"95% interval {format(iv.ci_low, fmt)} to {format(iv.ci_high, fmt)}"


def _robust_text(comps: list[Comparison], holds: bool, threshold: float) -> str:
    robust = sum(c.holds_at_ci_low for c in comps)
    if holds:
        return (f" At the low end of the intervals it holds against {robust} of 3"
                + (" as well." if robust == 3 else ", so the evidence is not conclusive."))
    reach = sum(c.effect_ci_high is not None and c.effect_ci_high >= threshold for c in comps)
    return f" At the intervals' favourable ends it would meet the claim against {reach} of 3."


def _sharpe_check(result: WalkForwardResult) -> ClaimCheck:
    low, high = SHARPE_RATIO_CLAIM
    mine = result.strategies["evolved"].overall["sharpe"]
    comps, parts = [], []
    for kind in FIXED_KINDS:
        other = result.strategies[kind].overall["sharpe"]
        label = _baseline_label(result, kind)
        iv = _intervals(result, kind, M_SHARPE, sharpe_multiple)
        ci = _ci_fields(iv, low)
        if other > 0:
            ratio = mine / other
            comps.append(Comparison(kind, label, mine, other, ratio, ratio >= low, **ci))
            parts.append(f"{label}: {other:.3f} ({ratio:.2f}x, {_ci_text(iv[2], '.2f')})")
        else:  # a multiple of a non-positive Sharpe means nothing; only the sign can be compared
            ci["holds_at_ci_low"] = mine > 0 and ci["evolved_ci_low"] is not None and ci["evolved_ci_low"] > 0
            comps.append(Comparison(kind, label, mine, other, None, mine > 0, **ci))
            parts.append(f"{label}: {other:.3f} (not positive, so no multiple; the evolved genome's is "
                         f"{'positive' if mine > 0 else 'not positive either'})")
    holds = all(c.holds for c in comps)
    above = holds and all(c.effect is None or c.effect > high for c in comps)
    verdict = "HOLDS" + (f" (above the claimed {high:.1f}x)" if above else "") if holds else "does NOT hold"
    mine_iv = _intervals(result, FIXED_KINDS[0], M_SHARPE, sharpe_multiple)[0]
    text = (f"Claim 1, Sharpe {low:.1f}-{high:.1f}x that of fixed stops: {verdict} on this data, "
            f"{RULES_TEXT[result.rules]}. Out of sample ({result.test_windows} test windows) the evolved genome's "
            f"mean window Sharpe is {mine:.3f} ({_ci_text(mine_iv, '.3f')}); "
            + "; ".join(parts) + f". Holding needs >= {low:.1f}x against each of the three "
            f"({sum(c.holds for c in comps)} of 3 met)." + _robust_text(comps, holds, low))
    return ClaimCheck("sharpe", f"Sharpe {low}-{high}x vs fixed stops", holds, tuple(comps), text, result.rules)


def _drawdown_check(result: WalkForwardResult) -> ClaimCheck:
    low, high = DRAWDOWN_CUT_CLAIM
    mine = result.strategies["evolved"].overall["max_drawdown"]
    comps, parts = [], []
    for kind in FIXED_KINDS:
        other = result.strategies[kind].overall["max_drawdown"]
        label = _baseline_label(result, kind)
        iv = _intervals(result, kind, M_MAXDD, drawdown_cut)
        ci = _ci_fields(iv, low)
        if other > 0:
            cut = 1.0 - mine / other
            comps.append(Comparison(kind, label, mine, other, cut, cut >= low, **ci))
            word = "lower" if cut >= 0 else "higher"
            parts.append(f"{label}: {other:.1%} (the evolved genome's is {abs(cut):.1%} {word}; cut "
                         f"{_ci_text(iv[2], '.0%')})")
        else:
            comps.append(Comparison(kind, label, mine, other, None, False, **ci))
            parts.append(f"{label}: 0.0% (no drawdown to cut)")
    holds = all(c.holds for c in comps)
    above = holds and all(c.effect is not None and c.effect > high for c in comps)
    verdict = "HOLDS" + (f" (a cut above the claimed {high:.0%})" if above else "") if holds else "does NOT hold"
    mine_iv = _intervals(result, FIXED_KINDS[0], M_MAXDD, drawdown_cut)[0]
    text = (f"Claim 2, max drawdown {low:.0%}-{high:.0%} lower than fixed stops: {verdict} on this data, "
            f"{RULES_TEXT[result.rules]}. The evolved genome's mean window max drawdown is {mine:.1%} "
            f"({_ci_text(mine_iv, '.1%')}); " + "; ".join(parts)
            + f". Holding needs a cut of >= {low:.0%} against each of the three ({sum(c.holds for c in comps)}"
            " of 3 met)." + _robust_text(comps, holds, low))
    return ClaimCheck("drawdown", f"max drawdown {low:.0%}-{high:.0%} lower vs fixed stops", holds, tuple(comps),
                      text, result.rules)


def judge_claims(result: WalkForwardResult) -> list[ClaimCheck]:
    return [_sharpe_check(result), _drawdown_check(result)]


def context_lines(result: WalkForwardResult) -> list[str]:
    """The other baselines in one sentence each (numbers only), for the verdict paragraph."""
    e = result.strategies["evolved"].overall
    lines = []
    for key in ("hold_entries", "basket", "random_median"):
        o = result.strategies[key].overall
        lines.append(f"Against {result.strategies[key].label}: Sharpe {e['sharpe']:.3f} vs {o['sharpe']:.3f}, "
                     f"max drawdown {e['max_drawdown']:.1%} vs {o['max_drawdown']:.1%}, total return "
                     f"{e['total_return']:+.1%} vs {o['total_return']:+.1%} per window, test fitness "
                     f"{e['fitness']:.3f} vs {o['fitness']:.3f}.")
    cap = result.evolved_position_cap
    if result.rules == "same_rules":
        lines.append(f"Rules: every strategy but the basket caps a position at {cap:.1%} of equity and uses the "
                     "evolved genome's correlation gate and breaker.")
    else:
        lines.append("Rules: every strategy at plain equal weight, no position cap, correlation gate or breaker; "
                     "only the exit rules differ.")
    ev = result.strategies["evolved"]
    lines.append(f"In sample the evolved genome's fitness was {ev.train_fitness:.3f} on {result.train_windows} "
                 f"training windows; out of sample it is {ev.test_fitness:.3f}.")
    return lines
