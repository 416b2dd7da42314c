"""CSV validation (SPEC section 3): each malformed kind exits 2 with `PATH:ROW: what`, no traceback."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from console.cli import main
from core.errors import DataValidationError
from core.market.loader import load_csv

HEADER = "date,open,high,low,close,volume\n"
GOOD_ROWS = [
    "2021-01-01,10,11,9,10.5,100\n",
    "2021-01-02,10.5,12,10,11,100\n",
    "2021-01-03,11,11.5,10.2,10.4,100\n",
]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return p


MALFORMED = {
    "missing_column": ("date,open,high,low,close\n2021-01-01,1,2,0.5,1.5\n", 1, "missing column"),
    "non_numeric": (HEADER + GOOD_ROWS[0] + "2021-01-02,abc,12,10,11,100\n", 3, "not a number"),
    "nan": (HEADER + GOOD_ROWS[0] + "2021-01-02,10,nan,10,11,100\n", 3, "not finite"),
    "zero_price": (HEADER + GOOD_ROWS[0] + "2021-01-02,0,12,10,11,100\n", 3, "not a positive price"),
    "negative_price": (HEADER + "2021-01-01,-1,11,9,10,100\n", 2, "not a positive price"),
    "high_below_low": (HEADER + "2021-01-01,10,9,11,10,100\n", 2, "high 9.0 < low 11.0"),
    "high_below_body": (HEADER + "2021-01-01,10,10.2,9,10.5,100\n", 2, "below max(open, close)"),
    "duplicate_date": (HEADER + GOOD_ROWS[0] + GOOD_ROWS[0], 3, "duplicate date"),
    "unsorted": (HEADER + GOOD_ROWS[1] + GOOD_ROWS[0], 3, "unsorted"),
    "empty": ("", 1, "empty file"),
    "header_only": (HEADER, 2, "no data rows"),
    "wrong_header": ("time,o,h,l,c,v\n2021-01-01,1,2,0.5,1.5,1\n", 1, "wrong header"),
    "bad_date": (HEADER + "01/02/2021,10,11,9,10,1\n", 2, "not an ISO date"),
    "short_row": (HEADER + "2021-01-01,10,11,9\n", 2, "expected 6 fields"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_file_exits_2_with_path_row_message(tmp_path, capsys, kind):
    content, row, fragment = MALFORMED[kind]
    path = write(tmp_path, f"{kind}.csv", content)
    assert main(["data", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "a problem line is expected"
    assert err[0].startswith(f"{path}:{row}: "), err[0]
    assert fragment in err[0]
    assert "Traceback" not in "\n".join(err)


def test_binary_junk_is_rejected_without_traceback(tmp_path):
    junk = write(tmp_path, "junk.csv", bytes(range(256)) * 4)
    proc = subprocess.run([sys.executable, "-m", "console.cli", "data", "check", str(junk)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert re.match(rf"^{re.escape(str(junk))}:\d+: ", proc.stderr)
    assert "Traceback" not in proc.stderr


def test_non_utf8_text_names_the_line(tmp_path):
    p = write(tmp_path, "latin.csv", (HEADER + GOOD_ROWS[0]).encode() + b"2021-01-02,1\xe9,2,0.5,1,1\n")
    with pytest.raises(DataValidationError) as exc:
        load_csv(p)
    assert exc.value.problems[0].startswith(f"{p}:3: not UTF-8")


def test_every_problem_in_a_file_is_listed(tmp_path, capsys):
    p = write(tmp_path, "many.csv", HEADER + "2021-01-01,0,1,1,1,1\n2021-01-02,1,x,1,1,1\n2021-01-02,1,1,1,1,1\n")
    assert main(["data", "check", str(p)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert [ln.split(":")[1] for ln in lines] == ["2", "3"]


def test_good_and_bad_files_together_still_exit_2(tmp_path, daily_dir, capsys):
    bad = write(tmp_path, "bad.csv", HEADER + "2021-01-01,10,9,11,10,100\n")
    assert main(["data", "check", str(daily_dir / "BTC.csv"), str(bad)]) == 2
    out = capsys.readouterr()
    assert "BTC" in out.out and str(bad) in out.err


def test_shared_daily_data_passes_with_summary(daily_dir, capsys):
    assert main(["data", "check", *map(str, sorted(daily_dir.glob("*.csv")))]) == 0
    out = capsys.readouterr().out
    for coin in ("BTC", "ETH", "XRP", "BCH", "LTC", "BNB", "EOS", "XLM", "XMR", "ADA"):
        assert coin in out
    assert "2707" in out and "2014-09-17" in out and "2022-02-13" in out


def test_hourly_data_reports_its_gaps(hourly_dir):
    s = load_csv(hourly_dir / "BTC.csv")
    assert len(s) == 45013
    assert s.gap_bars() == 127  # SOURCE.md: 127 missing hours in 27 runs
    assert s.periods_per_year == pytest.approx(8760)


def test_fingerprint_depends_on_values_not_formatting(tmp_path):
    a = write(tmp_path, "a.csv", HEADER + "".join(GOOD_ROWS))
    b = write(tmp_path, "b.csv", HEADER + "".join(r.replace(",10,", ",10.000,") for r in GOOD_ROWS))
    c = write(tmp_path, "c.csv", HEADER + "".join(GOOD_ROWS).replace("10.4", "10.41"))
    fa, fb, fc = (load_csv(p, name="X").fingerprint() for p in (a, b, c))
    assert fa == fb != fc


def test_loaded_arrays_match_file(daily_dir):
    s = load_csv(daily_dir / "BTC.csv")
    assert s.close[0] == pytest.approx(457.3340148925781)
    assert np.all(np.diff(s.time_ns) > 0)
    i = int(np.searchsorted(s.time_ns, np.datetime64("2018-01-01", "ns").astype(np.int64)))
    assert s.close[i] == pytest.approx(13657.2001953125)
