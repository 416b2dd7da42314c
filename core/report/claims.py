"""The design note's two claims judged on the test windows, in numbers (SPEC section 10).

Claim 1: the evolved rules reach 1.5-2.5x the Sharpe ratio of fixed stops.
Claim 2: they cut the maximum drawdown by 30-50% against fixed stops.
A claim holds only if it holds against EACH of the three fixed exits (stop-loss, trailing stop,
take-profit), each at the level that did best on the training windows. Beating the range's top
still counts as holding ("at least 1.5x"); the text says when a result lies above the range.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from core.report.walk_forward import FIXED_KINDS, WalkForwardResult

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


@dataclass(frozen=True)
class ClaimCheck:
    name: str  # "sharpe" or "drawdown"
    claim: str
    holds: bool
    comparisons: tuple[Comparison, ...]
    text: str

    def to_dict(self) -> dict:
        d = asdict(self)
        d["comparisons"] = [asdict(c) for c in self.comparisons]
        return d


def _baseline_label(result: WalkForwardResult, kind: str) -> str:
    s = result.strategies[kind]
    return f"{s.label} {s.level:.0%}" if s.level is not None else s.label


def _sharpe_check(result: WalkForwardResult) -> ClaimCheck:
    low, high = SHARPE_RATIO_CLAIM
    mine = result.strategies["evolved"].overall["sharpe"]
    comps, parts = [], []
    for kind in FIXED_KINDS:
        other = result.strategies[kind].overall["sharpe"]
        label = _baseline_label(result, kind)
        if other > 0:
            ratio = mine / other
            comps.append(Comparison(kind, label, mine, other, ratio, ratio >= low))
            parts.append(f"{label}: {other:.3f} ({ratio:.2f}x)")
        else:  # a multiple of a non-positive Sharpe means nothing; only the sign can be compared
            comps.append(Comparison(kind, label, mine, other, None, mine > 0))
            parts.append(f"{label}: {other:.3f} (not positive, so no multiple; the evolved genome's is "
                         f"{'positive' if mine > 0 else 'not positive either'})")
    holds = all(c.holds for c in comps)
    above = holds and all(c.effect is None or c.effect > high for c in comps)
    verdict = "HOLDS" + (f" (above the claimed {high:.1f}x)" if above else "") if holds else "does NOT hold"
    text = (f"Claim 1, Sharpe {low:.1f}-{high:.1f}x that of fixed stops: {verdict} on this data. Out of sample "
            f"({result.test_windows} test windows) the evolved genome's mean window Sharpe is {mine:.3f}; "
            + "; ".join(parts) + f". Holding needs >= {low:.1f}x against each of the three "
            f"({sum(c.holds for c in comps)} of 3 met).")
    return ClaimCheck("sharpe", f"Sharpe {low}-{high}x vs fixed stops", holds, tuple(comps), text)


def _drawdown_check(result: WalkForwardResult) -> ClaimCheck:
    low, high = DRAWDOWN_CUT_CLAIM
    mine = result.strategies["evolved"].overall["max_drawdown"]
    comps, parts = [], []
    for kind in FIXED_KINDS:
        other = result.strategies[kind].overall["max_drawdown"]
        label = _baseline_label(result, kind)
        if other > 0:
            cut = 1.0 - mine / other
            comps.append(Comparison(kind, label, mine, other, cut, cut >= low))
            word = "lower" if cut >= 0 else "higher"
            parts.append(f"{label}: {other:.1%} (the evolved genome's is {abs(cut):.1%} {word})")
        else:
            comps.append(Comparison(kind, label, mine, other, None, False))
            parts.append(f"{label}: 0.0% (no drawdown to cut)")
    holds = all(c.holds for c in comps)
    above = holds and all(c.effect is not None and c.effect > high for c in comps)
    verdict = "HOLDS" + (f" (a cut above the claimed {high:.0%})" if above else "") if holds else "does NOT hold"
    text = (f"Claim 2, max drawdown {low:.0%}-{high:.0%} lower than fixed stops: {verdict} on this data. The "
            f"evolved genome's mean window max drawdown is {mine:.1%}; " + "; ".join(parts)
            + f". Holding needs a cut of >= {low:.0%} against each of the three ({sum(c.holds for c in comps)}"
            " of 3 met).")
    return ClaimCheck("drawdown", f"max drawdown {low:.0%}-{high:.0%} lower vs fixed stops", holds, tuple(comps), text)


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
    sized = "; ".join(f"{_baseline_label(result, k)}: Sharpe {m['sharpe']:.3f}, max drawdown {m['max_drawdown']:.1%}"
                      for k, m in result.size_matched.items())
    lines.append(f"Size check: the evolved genome caps a position at {cap:.1%} of equity (equal weight otherwise); "
                 f"the fixed stops above use plain equal weight. Capped the same way they give: {sized}.")
    ev = result.strategies["evolved"]
    lines.append(f"In sample the evolved genome's fitness was {ev.train_fitness:.3f} on {result.train_windows} "
                 f"training windows; out of sample it is {ev.test_fitness:.3f}.")
    return lines
