"""The reliability scorecard of RELIABILITY.md section 4: runs the fault-scenario tests, maps them to
the scenarios of section 2, and reports the figures (pytest runs -q through the project addopts).

Tests map to scenarios by their `test_sNN_` prefix (tests/reliability/test_reliability_*.py) or through the
explicit table below for tests written before the prefix existed. A scenario passes when it has
at least one test and every mapped test passed (an xfail is a known failure, not a pass). Counts
(fuzz cases, canary hits, /exchange calls, kills) come from the tests' junit properties.

Run: `python -m bench.bench_reliability` (replaces its section of bench/RESULTS.md).
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("RESULTS.md")  # its own section is replaced (replace_section)
SCENARIOS = {
    1: "/info down", 2: "Slow, timeout", 3: "HTTP 429", 4: "Malformed JSON, missing fields", 5: "Order rejected",
    6: "Partial fill of a reduce-only IOC close", 7: "Stale price or gap", 8: "NaN, 0, negative or inf",
    9: "Corrupt CSV", 10: "Corrupt or version-mismatched checkpoint", 11: "kill -9 mid-evolution",
    12: "kill -9 mid emergency exit", 13: "SQLite locked or busy", 14: "Disk full", 15: "Duplicate order on retry",
    16: "Secrets", 17: "Approval bypass", 18: "Bad genome", 19: "Mainnet guard", 20: "Clock skew vs nonce window",
    21: "scheduleCancel dead-man switch", 22: "Two executors, one approved action",
    23: "`unknownOid` while a POST is in flight", 24: "Re-send after `not_found`, then kill -9",
    25: "Two monitors on one account or database",
    26: "Output path is the database", 27: "Global flags placement", 28: "Database from a newer schema",
    29: "Wire fields of the wrong type at the paper server",
    30: "Scenario files and flags out of range",
    31: "Idle connections",
    32: "Logging while SQLite is busy or the disk full", 33: "Live mainnet session (console or monitor)",
}
# Tests that predate the sNN naming, by file::name (every parametrization counts).
EXISTING: dict[str, tuple[int, ...]] = {
    "tests/monitor/test_monitor_paper.py::test_5xx_and_unreachable_are_stale_with_the_last_numbers_kept": (1,),
    "tests/exchange/test_gateway_errors.py::test_stopped_server_is_unreachable": (1,),
    "tests/exchange/test_gateway_errors.py::test_latency_beyond_timeout_is_exchange_timeout_and_the_order_can_be_found_by_cloid": (2,),
    "tests/exchange/test_gateway_errors.py::test_injected_429_becomes_rate_limited_with_retry_after": (3,),
    "tests/exchange/test_gateway_errors.py::test_spent_weight_budget_becomes_rate_limited_until_the_minute_passes": (3,),
    "tests/exchange/test_paper_exchange.py::test_weight_budget_answers_429_with_a_non_json_body": (3,),
    "tests/exchange/test_gateway_errors.py::test_malformed_body_becomes_malformed_reply": (4,),
    "tests/exchange/test_gateway_errors.py::test_missing_fields_reject_the_whole_account": (4,),
    "tests/exchange/test_gateway.py::test_ioc_that_is_not_marketable_is_an_order_error": (5,),
    "tests/exchange/test_gateway.py::test_reduce_only_that_would_increase_is_rejected": (5,),
    "tests/monitor/test_monitor_executor.py::test_partial_fills_retry_the_remainder_with_widening_slippage": (6,),
    "tests/exchange/test_gateway.py::test_ioc_larger_than_book_depth_fills_partially": (6,),
    "tests/monitor/test_monitor_paper.py::test_stale_feed_is_stale_and_proposes_nothing": (7,),
    "tests/monitor/test_monitor_evaluate.py::test_frozen_mids_for_three_intervals_are_stale": (7,),
    # The pure halves of scenarios 1 and 7 (the paper-exchange halves are test_s01_/test_s07_ in
    # tests/reliability/test_reliability_monitor.py): the back-off schedule, and gap confirmation on crafted inputs.
    "tests/monitor/test_monitor_backoff.py::test_delays_double_from_one_interval_and_cap_at_ten_intervals": (1,),
    "tests/monitor/test_monitor_backoff.py::test_retry_after_longer_than_the_backoff_wins_and_a_shorter_one_does_not": (1,),
    "tests/monitor/test_monitor_backoff.py::test_the_first_good_poll_resets_the_schedule": (1,),
    "tests/monitor/test_monitor_gaps.py::test_a_30pct_jump_proposes_nothing_until_the_next_poll_confirms_it": (7,),
    "tests/monitor/test_monitor_gaps.py::test_a_reverted_spike_never_proposes": (7,),
    "tests/monitor/test_monitor_gaps.py::test_an_upward_bad_tick_never_raises_the_high_water_mark": (7,),
    "tests/monitor/test_monitor_gaps.py::test_a_gap_moves_no_stop_even_where_tightened_would_place_them": (7,),
    "tests/monitor/test_monitor_gaps.py::test_a_market_still_wild_after_max_holds_is_believed": (7,),
    "tests/monitor/test_monitor_gaps.py::test_a_pending_gap_survives_a_restart": (7,),
    "tests/exchange/test_gateway_errors.py::test_bad_prices_are_rejected_at_the_boundary": (8,),
    "tests/exchange/test_gateway_errors.py::test_parsed_mids_are_always_positive_and_finite": (8,),
    "tests/monitor/test_monitor_evaluate.py::test_bad_prices_are_stale_never_a_drawdown": (8,),
    "tests/monitor/test_monitor_evaluate.py::test_nan_equity_is_stale": (8,),
    "tests/market/test_loader.py::test_malformed_file_exits_2_with_path_row_message": (9,),
    "tests/market/test_loader.py::test_binary_junk_is_rejected_without_traceback": (9,),
    "tests/market/test_loader.py::test_non_utf8_text_names_the_line": (9,),
    "tests/market/test_loader.py::test_every_problem_in_a_file_is_listed": (9,),
    "tests/evolution/test_evolution_persistence.py::test_a_corrupt_checkpoint_is_refused_with_one_line": (10,),
    "tests/evolution/test_evolution_persistence.py::test_a_flipped_byte_is_caught_by_the_checksum": (10,),
    "tests/evolution/test_evolution_fallback.py::test_resume_falls_back_to_the_newest_valid_checkpoint_bit_identically": (10,),
    "tests/evolution/test_evolution_kill.py::test_kill_9_at_random_moments_then_resume_is_bit_identical": (11,),
    "tests/monitor/test_monitor_executor.py::test_locked_database_is_retried_and_reported_and_nothing_is_lost": (13,),
    "tests/monitor/test_monitor_executor.py::test_no_order_is_sent_when_the_approval_cannot_be_written": (13,),
    "tests/storage/test_store.py::test_locked_database_reports_busy_and_commits_nothing": (13,),
    "tests/exchange/test_gateway.py::test_duplicate_cloid_is_refused_and_status_is_found_by_cloid": (15,),
    "tests/exchange/test_gateway.py::test_private_key_never_appears_in_repr_or_logs": (16,),
    "tests/exchange/test_gateway.py::test_invalid_key_is_a_config_error_without_the_key_in_the_message": (16,),
    "tests/monitor/test_monitor_paper.py::test_approval_bypass_attempts_send_nothing": (17,),
    "tests/monitor/test_monitor_paper.py::test_nothing_is_sent_before_approval_and_approve_sends_exactly_the_listed_orders": (17,),
    "tests/backtest/test_genome.py::test_invalid_genomes_name_the_bad_gene": (18,),
    "tests/exchange/test_gateway.py::test_network_guard_keeps_paper_and_testnet_off_mainnet": (19,),
    "tests/exchange/test_gateway.py::test_nonces_are_monotonic_even_when_the_clock_stands_still": (20,),
    "tests/exchange/test_paper_exchange.py::test_reused_and_out_of_window_nonces_are_rejected": (20,),
    "tests/exchange/test_paper_exchange.py::test_schedule_cancel_dead_man_switch_cancels_open_orders": (21,),
    # The rules and SQL under scenarios 22-25 (tests/monitor/test_monitor_claims.py), beside their test_sNN_ tests.
    "tests/monitor/test_monitor_claims.py::test_a_claim_is_free_ours_expired_or_of_a_dead_process_and_otherwise_held": (22,),
    "tests/monitor/test_monitor_claims.py::test_the_claim_is_one_compare_and_set_and_a_stale_view_loses": (22,),
    "tests/monitor/test_monitor_claims.py::test_unknown_oid_is_believed_only_after_the_expiry_and_never_during_our_own_post":
        (23,),
    "tests/monitor/test_monitor_claims.py::test_the_re_send_after_not_found_commits_intent_before_its_post": (24,),
    "tests/monitor/test_monitor_claims.py::test_a_monitor_lease_is_taken_only_from_a_stale_holder": (25,),
    "tests/monitor/test_monitor_executor.py::test_kill_after_approval_then_restart_books_every_order_exactly_once": (12, 24),
}
ALSO = {"test_s08_fuzzed_wire_replies_never_crash_or_leak_nan": (4,)}  # the JSON fuzz covers scenario 4 too
# What the mapped tests do not show (the scenario may still pass on what they do show).
PARTIAL = {
    3: "Retry-After is honoured; the client keeps no weight budget of its own (the venue's is tested)",
    18: "bounds, types and NaN are checked; no sanity backtest gates a promotion",
}
KILL_TEST = "test_kill_after_approval_then_restart_books_every_order_exactly_once"
KILL_LOOP_TEST = "test_s24_kill_9_loop_behind_a_slow_proxy_never_resends_a_booked_cloid"
KILL_LOOP_KILLS = 60  # full scale here; `make test` runs the same loop with its default of 20
EVOLUTION_KILL_TEST = "test_kill_9_at_random_moments_then_resume_is_bit_identical"
EVOLUTION_KILLS = 4  # kill points in that test: start-up, first checkpoint, and two random ones
SDK_CONSTRUCTORS = ("Info", "Exchange", "NonceExchange")
FUZZED_PARSERS = ("account", "mids", "candles", "order", "cancel", "scheduleCancel", "orderStatus", "openOrders",
                  "userFills")  # as in tests/reliability/test_reliability_fuzz.py SAMPLES


def _run_pytest(nodes: list[str], junit: Path) -> str:
    env = {**os.environ, "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba")),
           "EVORISK_KILL_LOOP_KILLS": str(KILL_LOOP_KILLS)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "junit_family=legacy",
                           f"--junitxml={junit}",
                           *nodes], cwd=ROOT, env=env, capture_output=True, text=True)
    counts = [line for line in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return counts[-1].strip("= ") if counts else f"pytest exited {proc.returncode}"


def _cases(junit: Path) -> list[dict]:
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = {child.tag: child.get("type", "") for child in case}
        outcome = "failed" if {"failure", "error"} & set(kinds) else "passed"
        if "skipped" in kinds:
            outcome = "xfail" if "xfail" in kinds["skipped"] else "skipped"
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        path = case.get("classname", "").replace(".", "/") + ".py"
        out.append({"file": path, "name": case.get("name", ""), "outcome": outcome, "props": props})
    return out


def _scenarios_of(case: dict) -> tuple[int, ...]:
    base = case["name"].split("[")[0]
    found = list(EXISTING.get(f"{case['file']}::{base}", ()))
    match = re.match(r"test_s(\d\d)_", base)
    if match:
        found.append(int(match.group(1)))
    return tuple(found) + ALSO.get(base, ())


def _prop_sum(cases: list[dict], name: str) -> int:
    return sum(int(c["props"][name]) for c in cases if name in c["props"])


def _sweep_figure(cases: list[dict]) -> str:
    """Bad-input sweep (tests/reliability/test_reliability_cli_sweep.py): cases and pass rate per command."""
    swept = [c for c in cases if "sweep_command" in c["props"] and c["outcome"] in ("passed", "failed")]
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in swept:
        per[c["props"]["sweep_command"]][0] += 1
        per[c["props"]["sweep_command"]][1] += c["outcome"] == "passed"
    passed = sum(ok for _, ok in per.values())
    detail = ", ".join(f"{cmd} {ok}/{n}" for cmd, (n, ok) in sorted(per.items()))
    rate = 100 * passed / max(len(swept), 1)
    return (f"- Bad-input sweep over every command and flag: **{passed} of {len(swept)} cases ({rate:.0f}%) one "
            f"stderr line, exit 2, no traceback** ({detail}; `subprocess`: the installed console script).")


def sdk_constructor_check(tests: bool) -> tuple[int, int, list[str]]:
    """Info/Exchange constructions in library code (or in tests/) and how many pass timeout=."""
    total, with_timeout, missing = 0, 0, []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if any(part.startswith(".") or part in ("build", "__pycache__") for part in parts) or \
                (parts[0] == "tests") != tests:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node.func, "id", getattr(node.func, "attr", None)) if isinstance(node, ast.Call) else None
            if name in SDK_CONSTRUCTORS:
                total += 1
                if any(k.arg == "timeout" for k in node.keywords):
                    with_timeout += 1
                else:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return total, with_timeout, missing


def _kill_loop_line(case: dict | None) -> str:
    """RELIABILITY section 4's kill -9 loop figure, from the loop test's junit properties."""
    if case is None or "kill_loop_kills" not in case["props"]:
        return "- **kill -9 loop not run**"
    p = case["props"]
    verdict = "" if case["outcome"] == "passed" else f" (test {case['outcome']})"
    return (f"- **{p['kill_loop_resends_of_booked']} re-sends of a booked cloid over {p['kill_loop_kills']} kill -9 "
            f"restarts** of a monitor process behind a slow loopback proxy{verdict}: {p['kill_loop_actions']} approved "
            f"3-leg actions, {p['kill_loop_cloids']} cloids booked once each, at most "
            f"{p['kill_loop_max_posts_per_cloid']} POST per cloid, {p['kill_loop_row_mismatches']} order rows differing "
            f"from the venue after reconcile; kill points {p['kill_loop_points']}.")


def _scenario_rows(by_scenario: dict[int, list[dict]]) -> tuple[list[str], int, int]:
    rows, passing, partial = [], 0, 0
    for number, title in SCENARIOS.items():
        cases = by_scenario.get(number, [])
        passed = sum(c["outcome"] == "passed" for c in cases)
        if not cases:
            status = "NOT COVERED"
        elif passed == len(cases):
            status, passing = "pass", passing + 1
            if number in PARTIAL:
                status, partial = "pass (partial)", partial + 1
        else:
            bad = [f"{c['name']} {c['outcome']}" for c in cases if c["outcome"] != "passed"]
            status = "FAIL: " + "; ".join(bad)
        note = PARTIAL.get(number, "")
        rows.append(f"| {number} | {title} | {status} | {passed}/{len(cases)} | {note} |")
    return rows, passing, partial


def run() -> str:
    nodes = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "reliability").glob("test_reliability_*.py"))
    nodes += list(EXISTING)
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "reliability.xml"
        summary = _run_pytest(nodes, junit)
        cases = _cases(junit)
    by_scenario: dict[int, list[dict]] = defaultdict(list)
    for case in cases:
        for number in _scenarios_of(case):
            by_scenario[number].append(case)
    rows, passing, partial = _scenario_rows(by_scenario)
    kills = [c for c in cases if c["name"].startswith(KILL_TEST)]
    evolution = [c for c in cases if c["name"].startswith(EVOLUTION_KILL_TEST)]
    s12 = next((c["props"] for c in cases if "lost_rows" in c["props"]), {})
    total, with_timeout, missing = sdk_constructor_check(tests=False)
    t_total, t_with, t_missing = sdk_constructor_check(tests=True)
    loop = next((c for c in cases if c["name"].startswith(KILL_LOOP_TEST)), None)
    fuzz_cases = _prop_sum(cases, "fuzz_json_cases") + _prop_sum(cases, "fuzz_csv_cases")
    fuzz_crashes = _prop_sum(cases, "fuzz_json_crashes") + _prop_sum(cases, "fuzz_csv_crashes")
    fuzz_leaks = _prop_sum(cases, "fuzz_json_nan_leaks") + _prop_sum(cases, "fuzz_csv_nan_leaks")
    figures = [
        f"- Fault scenarios passing: **{passing} of {len(SCENARIOS)}** ({partial} of them with a partial gap noted "
        f"below), loopback only; pytest: {summary}.",
        _sweep_figure(cases),
        f"- Malformed inputs fuzzed (wire JSON of {len(FUZZED_PARSERS)} parsers, CSV; seed 20240521): "
        f"**{fuzz_cases} cases, {fuzz_crashes} crashes, {fuzz_leaks} NaN leaks**"
        + (" (every crash: csv.Error on a bare CR in core/market/loader.py, see S9)" if fuzz_crashes else "") + ".",
        (f"- **0 duplicate orders across {len(kills)} kill -9 restarts**" if kills and all(
            c["outcome"] == "passed" for c in kills) else f"- **duplicate-order check FAILED or not run** "
            f"({[c['outcome'] for c in kills]})")
        + " (killed before the POST, after the 1st and after the 2nd booked order, then restarted; every cloid "
        "exists exactly once on the exchange and each position is closed).",
        _kill_loop_line(loop),
        f"- **{sum(c['outcome'] == 'passed' for c in evolution)} of {len(evolution)} evolution resume(s) bit-identical** "
        f"after {EVOLUTION_KILLS} kills (sha256 of the final state).",
        f"- **{_prop_sum(cases, 'exchange_calls')} `/exchange` calls** across "
        f"{_prop_sum(cases, 'bypass_attempts') + _prop_sum(cases, 'guard_attempts')} approval-bypass and "
        f"mainnet-guard attempts (counted at the paper server and at a proxy trap for every other host).",
        f"- **{_prop_sum(cases, 'canary_hits')} secret-canary hits** in {_prop_sum(cases, 'canary_places_checked')} "
        f"places checked: DEBUG logs (SDK payloads included), SQLite dumps and files, stderr, CLI output and log "
        f"file, exceptions' str/repr, console screenshots.",
        f"- SQLite: **{s12.get('lost_rows', '?')} lost committed rows across {s12.get('kills', '?')} kills** "
        f"({s12.get('committed_rows', '?')} committed intent rows), `integrity_check` ok after "
        f"{s12.get('integrity_ok', '?')} of {s12.get('kills', '?')}; the evolution kill test checks it after its "
        f"{EVOLUTION_KILLS} kills too.",
        f"- **{with_timeout} of {total} SDK constructors ({100 * with_timeout // max(total, 1)}%)** in library code "
        f"pass an explicit `timeout=` (AST scan)" + (f"; missing: {', '.join(missing)}" if missing else "")
        + f". In tests: {t_with} of {t_total}" + (f" (missing: {', '.join(t_missing)})" if t_missing else "") + ".",
    ]
    return "\n".join([
        "## Reliability scorecard (RELIABILITY.md section 4)", "",
        f"Command: `NUMBA_CACHE_DIR=.cache/numba .venv/bin/python -m bench.bench_reliability` (kill -9 loop at "
        f"{KILL_LOOP_KILLS} kills).", "",
        "Every fault-scenario test (tests/reliability/test_reliability_*.py plus the mapped earlier tests) run once with pytest;"
        " the paper exchange on loopback through the real hyperliquid SDK, SQLite on temporary files.", "",
        *figures, "",
        "| # | scenario | status | tests passed | not shown by the tests |", "|---|---|---|---|---|", *rows, "",
    ])



def replace_section(results: str, text: str) -> str:
    """bench/RESULTS.md with its scorecard section (up to the next `## ` heading) replaced by `text`."""
    title = text.splitlines()[0]
    start = results.find(title)
    if start < 0:
        return results.rstrip("\n") + "\n\n" + text
    end = results.find("\n## ", start + len(title))
    return results[:start] + text.rstrip("\n") + "\n" + (results[end:] if end >= 0 else "")


if __name__ == "__main__":
    text = run()
    RESULTS.write_text(replace_section(RESULTS.read_text(encoding="utf-8"), text), encoding="utf-8")
    sys.stdout.write(text)
