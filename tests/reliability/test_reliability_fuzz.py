"""RELIABILITY section 2, scenarios 4, 8 and 9, fuzzed with a fixed seed: every gateway parse
function and the CSV loader either return finite, positive-priced values or raise their one
typed error. A "crash" is any other exception; a "NaN leak" is a non-finite float (or a price
<= 0) in anything they return. The counts go into the junit report for the scorecard."""
from __future__ import annotations

import copy
import dataclasses
import json
import math
import random
import re
from typing import Any, Callable

import numpy as np
import pytest

from core.errors import DataValidationError
from core.exchange import parse
from core.exchange.errors import MalformedReply, OrderRejected
from core.market.loader import load_csv

SEED = 20_240_521
CASES_PER_PARSER = 400
CSV_CASES = 600
POISON = [float("nan"), float("inf"), float("-inf"), "NaN", "nan", "Infinity", "-inf", "1e309", "-1", "0", "-0", "",
          " ", None, True, False, [], {}, "abc", "0x10", 10 ** 400, -(10 ** 400), 1e-320, "1e-320", 2 ** 63, "٣"]
POS = {"coin": "BTC", "entryPx": "26951.0", "leverage": {"type": "cross", "value": 20}, "liquidationPx": None,
       "marginUsed": "10.58", "positionValue": "211.64", "returnOnEquity": "-0.007", "szi": "-0.00785",
       "unrealizedPnl": "-0.08"}
SUMMARY = {"accountValue": "1182.31", "totalMarginUsed": "171.74", "totalNtlPos": "3434.81", "totalRawUsd": "86.54"}
ORDER = {"coin": "ETH", "side": "B", "limitPx": "1900.5", "sz": "0.5", "oid": 77, "timestamp": 1700000000000,
         "origSz": "1.0", "cloid": "0x" + "a" * 32}
SAMPLES: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "clearinghouseState": (lambda raw: parse.parse_account_state(raw, fallback_time_ms=0),
                           {"assetPositions": [{"position": POS, "type": "oneWay"}], "marginSummary": SUMMARY,
                            "crossMarginSummary": SUMMARY, "withdrawable": "1010.5", "time": 1700000000000}),
    "allMids": (parse.parse_mids, {"BTC": "30135.0", "ETH": "1903.95", "kPEPE": "0.001604"}),
    "candleSnapshot": (lambda raw: parse.parse_candles(raw, "BTC", "1h"),
                       [{"T": 1684702799999, "c": "0.001604", "h": "0.001616", "i": "1h", "l": "0.001601", "n": 709,
                         "o": "0.001601", "s": "BTC", "t": 1684699200000, "v": "520665683.0"}]),
    "order": (lambda raw: parse.parse_order_statuses(raw, 4),
              {"status": "ok", "response": {"type": "order", "data": {"statuses": [
                  {"resting": {"oid": 1}}, {"filled": {"totalSz": "3.0", "avgPx": "4.3373", "oid": 2}},
                  {"error": "Order could not immediately match against any resting orders. asset=4"},
                  "waitingForTrigger"]}}}),
    "cancel": (lambda raw: parse.parse_cancel_statuses(raw, 2),
               {"status": "ok", "response": {"type": "cancel", "data": {"statuses": [
                   "success", {"error": "Order was never placed, already canceled, or filled."}]}}}),
    "scheduleCancel": (lambda raw: parse.parse_default_ok(raw, "scheduleCancel"),
                       {"status": "ok", "response": {"type": "default"}}),
    "orderStatus": (parse.parse_order_status,
                    {"status": "order", "order": {"order": ORDER, "status": "filled", "statusTimestamp": 1700000000001}}),
    "openOrders": (parse.parse_open_orders, [ORDER, {**ORDER, "oid": 78, "side": "A"}]),
    "userFills": (parse.parse_user_fills, [{"coin": "ETH", "px": "1900.1", "sz": "0.5", "side": "A", "time": 1700000000000,
                                            "oid": 77, "cloid": "0x" + "a" * 32, "fee": "0.1", "tid": 1}]),
}


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, path + (i,))
    return out


def _mutate(rng: random.Random, doc: Any) -> Any:
    """One random structural or value mutation of a JSON document (copied)."""
    doc = copy.deepcopy(doc)
    path = rng.choice(_paths(doc))
    if not path:
        return rng.choice(POISON + [[doc], {"error": "x"}, {"status": "err", "response": "L1 error: x"}])
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key, how = path[-1], rng.randrange(5)
    if how == 0:
        parent[key] = rng.choice(POISON)
    elif how == 1 and isinstance(parent, dict):
        del parent[key]
    elif how == 1:
        parent.pop(key)
    elif how == 2:
        parent[key] = [parent[key]] if rng.random() < 0.5 else {"value": parent[key]}
    elif how == 3 and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    else:
        parent[key] = str(parent[key]) if not isinstance(parent[key], str) else parent[key][: rng.randrange(4)]
    return doc


def _as_sdk_returns(rng: random.Random, doc: Any) -> Any:
    """Sometimes send the document as damaged text: the SDK then returns `{"error": "Could not parse..."}`."""
    if rng.random() >= 0.2:
        return doc
    text = json.dumps(doc)
    text = text[: rng.randrange(len(text))] if rng.random() < 0.7 else "<html>502</html>"
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"error": f"Could not parse JSON: {text}"}


def _bad_numbers(value: Any, name: str = "") -> int:
    """Non-finite floats anywhere in a returned value, plus prices <= 0."""
    if dataclasses.is_dataclass(value):
        return sum(_bad_numbers(getattr(value, f.name), f.name) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return sum(_bad_numbers(v, str(k)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(_bad_numbers(v, name) for v in value)
    if isinstance(value, np.ndarray):
        return int((~np.isfinite(value)).sum())
    if isinstance(value, float):
        priced = name.endswith("px") or name.endswith("_px") or name in ("allMids", "px")
        return int(not math.isfinite(value) or (priced and value <= 0))
    return 0


def test_s08_fuzzed_wire_replies_never_crash_or_leak_nan(record_property):
    rng = random.Random(SEED)
    cases, crashes, leaks = 0, [], 0
    for name, (parser, sample) in SAMPLES.items():
        parser(copy.deepcopy(sample))  # the unmutated sample parses
        for _ in range(CASES_PER_PARSER):
            doc = sample
            for _ in range(rng.randint(1, 3)):
                doc = _mutate(rng, doc)
            doc = _as_sdk_returns(rng, doc)
            cases += 1
            try:
                out = parser(doc)
            except (MalformedReply, OrderRejected):
                continue
            except Exception as exc:  # noqa: BLE001 - counting crashes is the point
                crashes.append(f"{name}: {exc!r} on {doc!r:.200}")
                continue
            leaks += _bad_numbers(out, "allMids" if name == "allMids" else "")
    record_property("fuzz_json_cases", cases)
    record_property("fuzz_json_crashes", len(crashes))
    record_property("fuzz_json_nan_leaks", leaks)
    assert crashes == [] and leaks == 0


def _csv_text(rng: random.Random, rows: int) -> str:
    lines, px = ["date,open,high,low,close,volume"], 100.0
    for day in range(rows):
        o = px
        px = max(0.01, px * math.exp(rng.gauss(0, 0.03)))
        hi, lo = max(o, px) * (1 + rng.random() * 0.01), min(o, px) * (1 - rng.random() * 0.01)
        lines.append(f"2023-{1 + day // 28:02d}-{1 + day % 28:02d},{o:.4f},{hi:.4f},{lo:.4f},{px:.4f},{rng.random() * 1e6:.1f}")
    return "\n".join(lines) + "\n"


def _mutate_csv(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    how = rng.randrange(9) if len(lines) >= 3 else rng.randrange(2)  # row mutations need two rows
    i = rng.randrange(1, max(2, len(lines) - 1))
    if how == 0:
        return data[: rng.randrange(len(data))]  # truncated
    if how == 1:
        at = rng.randrange(len(data))
        return data[:at] + rng.choice([b"\xff\xfe", b"\x00", b"\xc3", b"\xe2\x82"]) + data[at:]  # bad UTF-8 / binary
    if how == 2:
        j = rng.randrange(1, len(lines) - 1)
        lines[i], lines[j] = lines[j], lines[i]  # unsorted
    elif how == 3:
        lines.insert(i, lines[i])  # duplicate date
    elif how == 4:
        cells = lines[i].split(b",")
        cells[rng.randrange(len(cells))] = rng.choice([b"nan", b"inf", b"-inf", b"-1", b"0", b"", b"1e400", b"abc",
                                                       b"1_0", b"\"1,2\"", b"2023-13-45"])
        lines[i] = b",".join(cells)
    elif how == 5:
        lines[0] = rng.choice([b"date,open,high,low,close", b"date,close,open,high,low,volume", b"", b"a;b;c",
                               b"Date,Open,High,Low,Close,Volume,Extra"])  # wrong columns
    elif how == 6:
        lines[i] += rng.choice([b",1", b",", b"\r"])  # ragged row
    elif how == 7:
        return b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")  # BOM and CRLF: still a valid file
    else:
        lines = lines[:1] + [b""] * rng.randrange(3)  # header only
    return b"\n".join(lines)


def test_s09_fuzzed_csv_files_never_crash_or_leak_nan(tmp_path, record_property):
    rng = random.Random(SEED)
    path = tmp_path / "fuzz.csv"
    located = re.compile(rf"^{re.escape(str(path))}:\d+: ")
    cases, crashes, leaks, unlocated, loaded = 0, [], 0, 0, 0
    for _ in range(CSV_CASES):
        data = _csv_text(rng, rng.randint(2, 60)).encode()
        for _ in range(rng.randint(1, 3)):
            data = _mutate_csv(rng, data)
        path.write_bytes(data)
        cases += 1
        try:
            series = load_csv(path, "FUZZ")
        except DataValidationError as exc:
            unlocated += sum(not located.match(p) for p in exc.problems)  # every problem names its line
            continue
        except Exception as exc:  # noqa: BLE001 - counting crashes is the point
            crashes.append(f"{exc!r} on {data[:120]!r}")
            continue
        loaded += 1
        leaks += _bad_numbers([series.open, series.high, series.low, series.close, series.volume])
        leaks += int((series.close <= 0).sum() + (np.diff(series.time_ns) <= 0).sum())  # positive, strictly sorted
    record_property("fuzz_csv_cases", cases)
    record_property("fuzz_csv_crashes", len(crashes))
    record_property("fuzz_csv_nan_leaks", leaks)
    assert crashes == [] and leaks == 0 and unlocated == 0
    assert 0 < loaded < cases  # both outcomes were exercised


def test_s09_a_bare_carriage_return_is_a_located_error_not_a_crash(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b"date,open,high,low,close,volume\n2023-01-01,1,2,0.5,1.5,10\r2023-01-02,1,2,0.5,1.5,10\n")
    try:
        load_csv(path)
    except DataValidationError as exc:
        assert exc.problems[0].startswith(f"{path}:2: ")
    except Exception as exc:  # noqa: BLE001 - the bug under test
        raise AssertionError(f"crash instead of a located error: {exc!r}") from None
