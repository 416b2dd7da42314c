"""Issue 20 part 3: every command and flag refuses bad values in exactly one stderr line, exit 2,
no traceback, before any work starts (RELIABILITY section 4, "bad-input sweep").

Each case runs the real `evorisk` entry point, console.cli.main, in-process with captured
output; a handful run as a subprocess of the installed console script too (a FIFO must never
hang it). Every case records its command, so the scorecard can count cases per command.
"""
from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from console.cli import build_parser, main
from tests.support.hostile_files import ADDRESS, HostileFiles, build

URL = "http://127.0.0.1:9"  # nothing listens there: a case that got past validation would show exit 3
KEY63 = "a" * 63
NOT_HEX_KEY = "z" * 64
MON = ["monitor", "--headless", "--once", "--base-url", URL]
SIZE = ["size", "BTC", "1", "--base-url", URL]

# (command, argv after `evorisk`, extra environment); every argv gets `--db {good_db}` unless it has --db.
CASES: list[tuple[str, list[str], dict[str, str]]] = [
    # --db itself, for a reading and a writing command
    *[(cmd, [*argv, "--db", db], {}) for cmd, argv in (("actions", ["actions"]), ("reject", ["reject", "1"]))
      for db in ("{random_db}", "{truncated_db}", "{db_dir}", "{fifo}", "{dev_zero}", "{newer_db}",
                 "{a_file}/x.db", "{immutable_db}")],
    ("runs", ["--db", "{newer_db}", "runs"], {}),  # the global flag before the subcommand
    ("data list", ["data", "list", "--db", "{random_db}"], {}),
    # console
    ("console", ["console", "--network", "bogus"], {}),
    ("console", ["console", "--network", "mainnet"], {}),
    ("console", ["console", "--network", "mainnet", "--i-understand-mainnet"], {}),  # no terminal here
    # data check
    *[("data check", ["data", "check", p], {}) for p in (
        "{empty_dir}", "{fifo}", "{dev_zero}", "{after_2262_csv}", "{before_1678_csv}", "{long_field_csv}",
        "{binary_csv}", "{root}/missing.csv", "{db_dir}")],
    # data fetch
    *[("data fetch", ["data", "fetch", *a], {}) for a in (
        ["--coins", "", "--base-url", URL], ["--coins", ",,", "--base-url", URL],
        ["--coins", "BTC", "--timeout", "0", "--base-url", URL], ["--coins", "BTC", "--timeout", "nan", "--base-url", URL],
        ["--coins", "BTC", "--timeout", "inf", "--base-url", URL], ["--coins", "BTC", "--interval", "7m", "--base-url", URL],
        ["--coins", "BTC", "--network", "bogus"], ["--coins", "BTC", "--since", "garbage", "--base-url", URL])],
    # genome show
    *[("genome show", ["genome", "show", p], {}) for p in (
        "{huge_int_json}", "{big_int_json}", "{deep_json}", "{nan_json}", "{not_json_json}", "{empty_dir}",
        "{fifo}", "{dev_zero}", "{root}/missing.json")],
    # backtest
    *[("backtest", ["backtest", *a], {}) for a in (
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--fee", "nan"],
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--fee", "-0.1"],
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--slippage", "inf"],
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--sides", "sideways"],
        ["--data", "{good_csv}", "--genome", "{fifo}"],
        ["--data", "{good_csv}", "--genome", "{deep_json}"],
        ["--data", "{fifo}", "--genome", "{genome_json}"],
        ["--data", "{empty_dir}", "--genome", "{genome_json}"],
        ["--data", "{after_2262_csv}", "--genome", "{genome_json}"],
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--start", "garbage"],
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--end", "3000-01-01"])],
    # evolve / resume
    *[("evolve", ["evolve", "--data", "{csv_dir}", *a], {}) for a in (
        ["--pop", "1"], ["--pop", "100000000"], ["--pop", "nan"], ["--pop", "-5"], ["--gens", "-1"],
        ["--seed", "-1"], ["--seed", str(2**64)], ["--seed", "1.5"], ["--split", "2020-01-02", "--fold", "1/3"])],
    *[("evolve", ["evolve", "--data", "{csv_dir}", *a], {}) for a in (
        ["--split", "garbage"], ["--fold", "5/3"], ["--fold", "x"], ["--cluster", "bogus"])],
    ("evolve", ["evolve", "--data", "{dev_zero}"], {}),
    ("evolve", ["evolve", "--data", "{empty_dir}"], {}),
    *[("resume", ["resume", r], {}) for r in ("0", "-1", str(2**63), "abc")],
    # report / export
    *[("report", ["report", *a], {}) for a in (
        ["0"], [str(2**70)], ["1", "--random-genomes", "0"], ["1", "--html", "{good_db}"],
        ["1", "--html", "{link_db}"], ["1", "--html", "{hard_db}"], ["1", "--html", "{good_db}-wal"],
        ["1", "--html", "{db_dir}"])],
    *[("export", ["export", *a], {}) for a in (
        ["0", "{root}/out.json"], ["1", "{good_db}"], ["1", "{link_db}"], ["1", "{hard_db}"], ["1", "{db_dir}"])],
    # study
    *[("study", ["study", "--data", "{csv_dir}", *a], {}) for a in (
        ["--windows", "0"], ["--window-bars", "-1"], ["--seed", "-1"], ["--fee", "1.5"], ["--slippage", "nan"],
        ["--assets", ",,"], ["--html", "{good_db}"], ["--html", "{link_db}"], ["--html", "{csv_dir}/BTC.csv"])],
    ("study", ["study", "--data", "{empty_dir}"], {}),
    ("study", ["study", "--data", "{csv_dir}", "--start", "garbage"], {}),
    ("study", ["study", "--data", "{csv_dir}", "--assets", "NOPE"], {}),
    # paper-exchange (flags only; scenario files are validated by the paper-exchange package)
    *[("paper-exchange", ["paper-exchange", *a], {}) for a in (
        ["--speed", "inf"], ["--speed", "0"], ["--speed", "-1"], ["--speed", "1e300"], ["--speed", "nan"],
        ["--seed", "-1"], ["--port", "70000"], ["--port", "-1"], ["--demo-address", "0x1"],
        ["--demo-address", "0x" + "g" * 40], ["--host", "8.8.8.8"], ["--scenario", "no-such-scenario"])],
    ("paper-exchange", ["paper-exchange"], {"EVORISK_PRIVATE_KEY": KEY63}),
    ("paper-exchange", ["paper-exchange"], {"EVORISK_PRIVATE_KEY": "0x" + KEY63}),
    ("paper-exchange", ["paper-exchange"], {"EVORISK_PRIVATE_KEY": NOT_HEX_KEY}),
    # monitor
    *[("monitor", [*MON, "--address", ADDRESS, *a], {}) for a in (
        ["--interval", "nan"], ["--interval", "inf"], ["--interval", "0"], ["--interval", "-1"],
        ["--interval", "1e300"], ["--timeout", "0"], ["--timeout", "nan"], ["--network", "mainnet"],
        ["--network", "mainnet", "--i-understand-mainnet"],  # no terminal here
        ["--genome", "{fifo}"], ["--genome", "{huge_int_json}"])],
    *[("monitor", [*MON, "--address", a], {}) for a in ("0x1", "0x" + "z" * 40, "1" * 42, "0x" + "1" * 41)],
    ("monitor", ["monitor", "--base-url", URL, "--address", ADDRESS], {}),  # --headless missing
    ("monitor", [*MON, "--address", ADDRESS], {"EVORISK_PRIVATE_KEY": KEY63}),
    # actions / approve / reject / reset-breaker
    *[("actions", ["actions", "--limit", v], {}) for v in ("0", "-3", "nan")],
    *[("approve", ["approve", *a], {}) for a in (
        ["-1"], ["abc"], [str(2**64)], ["99999"], ["1", "--address", "0x1", "--base-url", URL],
        ["1", "--timeout", "0", "--address", ADDRESS, "--base-url", URL])],
    *[("reject", ["reject", v], {}) for v in ("0", "x")],
    ("reset-breaker", ["reset-breaker", "--db", "{truncated_db}"], {}),
    # replay
    *[("replay", ["replay", *a], {}) for a in (
        ["--data", "{good_csv}", "--genome", "{dev_zero}"], ["--data", "{good_csv}", "--genome", "{deep_json}"],
        ["--data", "{fifo}", "--genome", "{genome_json}"],
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--start", "garbage"],
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--end", "2300-01-01"],
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--fee", "nan"],
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--slippage", "-1"],
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--html", "{good_db}"],
        ["--data", "{good_csv}", "--genome", "{genome_json}", "--html", "{good_csv}"])],
    # propose-exit
    *[("propose-exit", ["propose-exit", *a], {}) for a in (
        ["--coin", "BTC;DROP"], ["--coin", "x" * 40], ["--db", "{random_db}"], ["--db", "{db_dir}"])],
    # alerts
    *[("alerts", a, {}) for a in (
        ["alerts", "--limit", "0"], ["alerts", "--limit", "-1"], ["alerts", "--limit", "nan"],
        ["alerts", "bogus"], ["alerts", "--db", "{random_db}"], ["alerts", "test", "--db", "{db_dir}"])],
    *[("alerts", ["alerts", "test"], {"EVORISK_ALERT_URLS": urls}) for urls in (
        "nonsense-scheme://T0KEN", "json://127.0.0.1:9/ok,tgram://", "http://[::1", "json://127.0.0.1:9/ok,,T0KEN")],
    # promote / promotions / restore-previous
    *[("promote", ["promote", *a], {}) for a in (
        ["--genome-id", "0"], ["--file", "{fifo}"], ["--file", "{deep_json}"], ["--file", "{big_int_json}"],
        ["--genome-id", "1", "--file", "{genome_json}"], [], ["--file", "{genome_json}", "--run", "99"])],
    ("promotions", ["promotions", "--limit", "-5"], {}),
    ("restore-previous", ["restore-previous", "--db", "{db_dir}"], {}),
    # size
    *[("size", a, {}) for a in (
        ["size", "BTC", "nan", "--address", ADDRESS, "--base-url", URL],
        ["size", "BTC", "-1", "--address", ADDRESS, "--base-url", URL],
        ["size", "BTC", "inf", "--address", ADDRESS, "--base-url", URL],
        [*SIZE, "--address", "0x1"], [*SIZE, "--address", ADDRESS, "--timeout", "0"],
        [*SIZE, "--address", ADDRESS, "--genome", "{fifo}"], [*SIZE, "--address", ADDRESS, "--side", "up"])],
]
IMMUTABLE_CASES = {i for i, (_, argv, _) in enumerate(CASES) if "{immutable_db}" in argv}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> HostileFiles:
    files = build(tmp_path_factory.mktemp("hostile"))
    yield files
    files.cleanup()


def _argv(files: HostileFiles, argv: list[str]) -> list[str]:
    out = [files.path(a) for a in argv]
    return out if "--db" in out else [*out, "--db", files.path("{good_db}")]


def case_counts() -> Counter:
    return Counter(cmd for cmd, _, _ in CASES)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{c}:{' '.join(a)[:60]}" for c, a, _ in CASES])
def test_bad_value_is_one_line_exit_2_no_traceback(index, hostile, capsys, monkeypatch, record_property):
    command, argv, env = CASES[index]
    if index in IMMUTABLE_CASES and not hostile.immutable_ok:
        pytest.skip("chattr +i is not available here")
    monkeypatch.delenv("EVORISK_PRIVATE_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    record_property("sweep_command", command)
    good_db = Path(hostile.path("{good_db}"))
    before = good_db.read_bytes()[:100]  # the header: an output written over it would change it
    code = main(_argv(hostile, argv))
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, f"exit {code}: {err}"
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {err[:2000]}"
    assert "Traceback" not in err and "internal error" not in err
    assert good_db.read_bytes()[:100] == before


def subcommands(argv: list[str]) -> list[str]:
    """The subcommands `evorisk ARGV --help` offers, read from its usage line (argparse writes a
    subcommand group as `{a,b,c} ...`); none for a leaf command."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        build_parser().parse_args([*argv, "--help"])
    found = re.search(r"\{([\w,-]+)\}\s+\.\.\.", out.getvalue())
    return found.group(1).split(",") if found else []


def test_every_command_is_swept():
    """The sweep names every command and subcommand the help offers a user."""
    offered = set()
    for command in subcommands([]):
        offered |= {f"{command} {sub}" for sub in subcommands([command])} or {command}
    assert {"console", "data check", "genome show", "size"} <= offered  # the usage line was read
    assert offered <= set(case_counts()), f"not swept: {sorted(offered - set(case_counts()))}"


@pytest.mark.parametrize("argv", [
    ["data", "check", "{fifo}"], ["genome", "show", "{fifo}"], ["--db", "{fifo}", "actions"],
    ["monitor", "--headless", "--once", "--base-url", URL, "--address", ADDRESS, "--interval", "nan"],
    ["--db", "{random_db}", "runs"], ["evolve", "--data", "{csv_dir}", "--pop", "100000000"],
])
def test_the_installed_console_script_refuses_in_one_line_and_never_hangs(argv, hostile, record_property):
    script = Path(sys.executable).with_name("evorisk")
    record_property("sweep_command", "subprocess")
    proc = subprocess.run([str(script), *_argv(hostile, argv)], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
