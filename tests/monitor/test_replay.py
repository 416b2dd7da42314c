"""`evorisk replay` (SPEC 6, 10): the real monitor with standing exits on history through the
paper exchange reproduces the kernel's exits, and every difference is explained."""
from __future__ import annotations

import json

import pytest

from console.cli import main
from core.genome import default_genes, save_genome_file
from core.replay.compare import ExitEvent, compare


@pytest.fixture(scope="module")
def two_coins(daily_dir):
    return [str(daily_dir / "BTC.csv"), str(daily_dir / "ETH.csv")]


@pytest.fixture(scope="module")
def default_run(two_coins):
    from console.services.replay import run_replay

    return run_replay(two_coins, default_genes(), end="2019-09-01")


def test_replay_reproduces_the_kernels_exits_bar_for_bar(default_run):
    run = default_run
    p = run.parity
    assert p.kernel_trades >= 5, "the comparison must cover real exits"
    assert p.match_share == 1.0, p.mismatches
    assert abs(p.final_equity_diff_pct) < 0.5
    assert p.breaker_state_agreement == 1.0
    kinds = {e.kind for e in run.kernel_events}
    assert kinds & {"stop", "trail"}, "standing stop orders must be among the reproduced exits"


def test_replay_json_carries_the_contract_fields(two_coins, tmp_path, capsys):
    genome = tmp_path / "g.json"
    save_genome_file(genome, default_genes())
    html = tmp_path / "replay.html"
    assert main(["replay", "--data", *two_coins, "--genome", str(genome), "--end", "2019-01-01", "--json",
                 "--html", str(html)]) == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(doc) >= {"kernel_trades", "matched_trades", "match_share", "final_equity_diff_pct", "mismatches"}
    assert 0.0 <= doc["match_share"] <= 1.0 and all("reason" in m for m in doc["mismatches"])
    page = html.read_text()
    assert "Replay parity" in page and "Breaker state per bar" in page


def test_replay_with_shorts_reproduces_the_kernels_long_and_short_exits(two_coins):
    from console.services.replay import run_replay

    run = run_replay(two_coins, default_genes(), end="2019-09-01", sides="both")
    p = run.parity
    shorts = [e for e in run.kernel_events if e.side < 0]
    assert len(shorts) >= 5 and {e.kind for e in shorts} & {"stop", "trail", "take_profit"}
    assert p.match_share == 1.0 and p.booked_trades == p.kernel_trades, p.mismatches
    assert abs(p.final_equity_diff_pct) < 0.5 and p.breaker_state_agreement == 1.0


def test_html_breaker_chart_shows_both_sides_state_per_bar_as_compared(default_run):
    from console.views.replay import BREAKER_AXIS, breaker_figure

    kernel, replay = breaker_figure(default_run).data
    n = len(default_run.dates) - 1  # the last bar's replay decision comes after the replay ends
    assert len(kernel.x) == len(replay.x) == n and list(kernel.x) == default_run.dates[:n]
    assert list(kernel.y) == default_run.kernel_states[:n] and list(replay.y) == default_run.replay_states[1:]
    assert set(kernel.y) | set(replay.y) <= set(BREAKER_AXIS)
    agree = sum(a == b for a, b in zip(kernel.y, replay.y)) / n
    assert agree == pytest.approx(default_run.parity.breaker_state_agreement)


def test_replay_bad_genome_is_one_line_and_exit_2(two_coins, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"genes": [0.5]}')
    assert main(["replay", "--data", *two_coins, "--genome", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "22" in err[0]


def test_every_mismatch_carries_a_reason():
    k = [ExitEvent("BTC", 1, 10, 15, "stop", 100.0, 1.0), ExitEvent("ETH", 1, 12, 20, "trail", 50.0, 2.0)]
    b = [ExitEvent("BTC", 1, 10, 15, "stop", 100.01, 1.0), ExitEvent("ETH", 1, 12, 19, "trail", 50.5, 2.0)]
    p = compare(k, b, [1.0, 2.0], [1.0, 2.0], ["NORMAL"], ["NORMAL"])
    assert p.matched_trades == 1 and p.match_share == 0.5
    reasons = [m["reason"] for m in p.mismatches]
    assert any("bar 19 instead of bar 20" in r for r in reasons) and any("extra booked" in r for r in reasons)


def test_a_breaker_action_on_another_bar_quotes_both_equities_at_the_deciding_close():
    k = [ExitEvent("BCH", 1, 8, 12, "breaker_reduce", 430.0, 0.75)]
    b = [ExitEvent("BCH", 1, 8, 11, "breaker_reduce", 439.4, 0.75)]
    # equity curves start at bar 5: bar 10 (the close before the replay's halving) is index 5
    kernel_eq = [10_000.0, 9_900.0, 9_800.0, 9_700.0, 9_600.0, 9_181.67, 9_170.0]
    replay_eq = [10_000.0, 9_900.0, 9_800.0, 9_700.0, 9_600.0, 9_181.38, 9_173.0]
    p = compare(k, b, kernel_eq, replay_eq, ["NORMAL"] * 6, ["NORMAL"] * 6, first_bar=5)
    assert p.matched_trades == 0
    missed, extra = p.mismatches
    assert "bar 11 instead of bar 12" in missed["reason"]
    assert "close of bar 10" in missed["reason"] and "9,181.67" in missed["reason"] and "9,181.38" in missed["reason"]
    assert "the kernel's breaker_reduce is at bar 12" in extra["reason"]


def test_a_lagging_resting_take_profit_is_explained_like_a_lagging_stop():
    k = [ExitEvent("ETH", -1, 1367, 1381, "take_profit", 410.10, 5.0)]
    b = [ExitEvent("ETH", -1, 1367, 1381, "take_profit", 410.79, 5.0)]
    (m,) = compare(k, b, [1.0], [1.0], ["NORMAL"], ["NORMAL"]).mismatches
    assert m["matched"] and "resting take-profit was within the 0.2 % move tolerance" in m["reason"]
