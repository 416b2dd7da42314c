"""Scenarios 29-31 of RELIABILITY.md: the paper server under hostile wire input, bad scenario files
and flags, and idle connections. Everything over real loopback sockets; the SDK for the normal path."""
from __future__ import annotations

import http.client
import json
import random
import socket
import subprocess
import sys
import threading
import time

import eth_account
import pytest
from hyperliquid.info import Info
from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action

from core.errors import BadInputError
from core.exchange.paper import ManualClock, PaperExchange, PaperSettings
from core.exchange.paper.scenario import load_scenario

TIMEOUT_S = 5.0
IDLE_TIMEOUT_S = 0.5
FUZZ_SEED = 29
FUZZ_CASES = 400


@pytest.fixture
def paper_settings() -> PaperSettings:
    return PaperSettings(history_minutes=600, idle_timeout_s=IDLE_TIMEOUT_S)


def _post(paper: PaperExchange, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    host, port = paper.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT_S)
    try:
        conn.putrequest("POST", path)
        for key, value in {"Content-Type": "application/json", "Content-Length": str(len(body)),
                           **(headers or {})}.items():
            conn.putheader(key, value)
        conn.endheaders(body)
        reply = conn.getresponse()
        return reply.status, reply.read().decode()
    finally:
        conn.close()


def _signed(wallet, action: dict) -> bytes:
    nonce = get_timestamp_ms()
    signature = sign_l1_action(wallet, action, None, nonce, None, False)
    return json.dumps({"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None}).encode()


def _order_action(price: str, size: str = "0.01") -> dict:
    return {"type": "order", "grouping": "na",
            "orders": [{"a": 0, "b": True, "p": price, "s": size, "r": False, "t": {"limit": {"tif": "Gtc"}}}]}


WRONG_TYPES = [
    ("info", {"type": "clearinghouseState", "user": ["0x" + "1" * 40]}),
    ("info", {"type": ["allMids"]}),
    ("info", {"type": "l2Book", "coin": ["BTC"]}),
    ("info", {"type": "candleSnapshot", "req": {"coin": ["BTC"], "interval": "1h", "startTime": 0, "endTime": 1}}),
    ("info", {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": ["1h"], "startTime": 0, "endTime": 1}}),
    ("info", {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1h", "startTime": 0, "endTime": 10**30}}),
    ("info", {"type": "orderStatus", "user": "0x" + "1" * 40, "oid": {"o": 1}}),
    ("info", {"type": "fundingHistory", "coin": "BTC", "startTime": "yesterday"}),
    ("exchange", {"action": {"type": "cancel", "cancels": [{"a": 0, "o": [1]}]}, "nonce": 1,
                  "signature": {"r": "0x1", "s": "0x1", "v": 27}}),
    ("exchange", {"action": {"type": "order", "orders": [{"a": 0, "b": True, "p": ["1"], "s": "1", "r": False,
                                                          "t": {"limit": {"tif": "Gtc"}}}]},
                  "nonce": 1, "signature": {"r": "0x1", "s": "0x1", "v": 27}}),
    ("exchange", {"action": {"type": "cancelByCloid", "cancels": [{"asset": 0, "cloid": {}}]}, "nonce": 1,
                  "signature": {"r": "0x1", "s": "0x1", "v": 27}}),
    ("exchange", {"action": {"type": ["order"]}, "nonce": 1, "signature": {"r": "0x1", "s": "0x1", "v": 27}}),
    ("exchange", {"action": {"type": "noop"}, "nonce": "1", "signature": ["r", "s", "v"]}),
]


@pytest.mark.parametrize("endpoint,body", WRONG_TYPES, ids=[f"{e}-{i}" for i, (e, _) in enumerate(WRONG_TYPES)])
def test_s29_a_list_where_a_string_belongs_is_the_venues_422(paper, endpoint, body):
    status, text = _post(paper, f"/{endpoint}", json.dumps(body).encode())
    assert status == 422, text
    assert text.startswith("Failed to deserialize the JSON body into the target type")


@pytest.mark.parametrize("depth", [129, 5_000, 200_000])
def test_s29_deep_nesting_is_refused_not_a_crash(paper, depth):
    for body in ("[" * depth + "]" * depth, '{"type": ' + "[" * depth + "]" * depth + "}"):
        status, text = _post(paper, "/info", body.encode())
        assert status == 422 and "recursion limit exceeded" in text


@pytest.mark.parametrize("length,status", [("abc", 400), ("-1", 400), ("1e3", 400), (str(10**12), 413)])
def test_s29_a_bad_or_huge_content_length_is_answered(paper, length, status):
    assert _post(paper, "/info", b'{"type":"allMids"}', {"Content-Length": length})[0] == status
    assert Info(paper.base_url, skip_ws=True, timeout=TIMEOUT_S).all_mids()  # the server still serves


def test_s29_a_missing_content_length_is_an_empty_body(paper):
    host, port = paper.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT_S) as sock:
        sock.sendall(b"POST /info HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n")
        head = sock.recv(4096).decode()
    assert head.startswith("HTTP/1.1 422")


def test_s29_a_body_shorter_than_its_content_length_gets_408_after_the_idle_timeout(paper):
    host, port = paper.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT_S * 4) as sock:
        sock.sendall(b"POST /info HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"type\":")
        head = sock.recv(4096).decode()
    assert head.startswith("HTTP/1.1 408")


@pytest.mark.parametrize("price", ["1e400", "1E5", "NaN", "Infinity", "-65000", "6_5000", "1" * 40])
def test_s29_a_signed_order_at_a_non_plain_price_is_refused_and_never_fills(paper, price):
    wallet = eth_account.Account.create()
    paper.open_account(wallet.address, 100_000.0)
    status, text = _post(paper, "/exchange", _signed(wallet, _order_action(price)))
    assert status == 200
    reply = json.loads(text)
    assert reply["status"] == "ok"
    assert reply["response"]["data"]["statuses"] == [{"error": "Order has invalid price or size. asset=0"}]
    assert paper.ledger.accounts[wallet.address.lower()].fills == []


def test_s29_json_numbers_out_of_range_and_nan_constants_are_422(paper):
    for body in (b'{"type":"allMids","x":1e400}', b'{"type":"allMids","x":NaN}', b'{"type":"allMids","x":-Infinity}'):
        assert _post(paper, "/info", body)[0] == 422


def _mutants(rng: random.Random, wallet, paper: PaperExchange):
    """Valid bodies with one field replaced by a value of another type."""
    address = wallet.address
    valid = [
        ("info", {"type": "clearinghouseState", "user": address}),
        ("info", {"type": "l2Book", "coin": "ETH"}),
        ("info", {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1h", "startTime": 0,
                                                    "endTime": paper.market.now_ms}}),
        ("info", {"type": "orderStatus", "user": address, "oid": 1}),
        ("info", {"type": "userFunding", "user": address, "startTime": 0}),
        ("info", {"type": "fundingHistory", "coin": "BTC", "startTime": 0}),
        ("info", {"type": "metaAndAssetCtxs"}),
        ("exchange", {"action": _order_action("60000"), "nonce": 1, "signature": {"r": "0x1", "s": "0x2", "v": 27}}),
        ("exchange", {"action": {"type": "cancel", "cancels": [{"a": 0, "o": 5}]}, "nonce": 1,
                      "signature": {"r": "0x1", "s": "0x2", "v": 27}}),
        ("exchange", {"action": {"type": "scheduleCancel", "time": 1}, "nonce": 1,
                      "signature": {"r": "0x1", "s": "0x2", "v": 27}}),
    ]
    junk = [None, True, [], {}, [["x"]], "x", "", -1, 2**70, 1.5, "0x" + "f" * 40, {"a": [1]}]
    for _ in range(FUZZ_CASES):
        endpoint, body = rng.choice(valid)
        body = json.loads(json.dumps(body))
        target = body
        while True:  # walk down to a random container, then replace one of its items
            keys = list(target) if isinstance(target, dict) else list(range(len(target)))
            key = rng.choice(keys)
            if isinstance(target[key], (dict, list)) and target[key] and rng.random() < 0.6:
                target = target[key]
                continue
            target[key] = rng.choice(junk)
            break
        yield endpoint, body


def test_s29_fuzzed_wire_types_always_get_an_answer_never_a_crash(paper, record_property):
    wallet = eth_account.Account.create()
    paper.open_account(wallet.address, 10_000.0)
    rng = random.Random(FUZZ_SEED)
    statuses: dict[int, int] = {}
    for endpoint, body in _mutants(rng, wallet, paper):
        status, text = _post(paper, f"/{endpoint}", json.dumps(body).encode())
        statuses[status] = statuses.get(status, 0) + 1
        assert status in (200, 422), (endpoint, body, status, text)
    record_property("fuzz_wire_cases", FUZZ_CASES)
    assert statuses.get(422, 0) > 0 and statuses.get(200, 0) > 0


BAD_SCENARIOS = [
    ({"kind": "latency", "latency_ms": "slow"}, "latency_ms"),
    ({"kind": "http_5xx", "status": "bad"}, "status"),
    ({"kind": "http_429", "retry_after_s": float("nan")}, "retry_after_s"),
    ({"kind": "selloff", "pct": 10, "betas": {"BTC": float("nan")}}, "betas"),
    ({"kind": "selloff", "pct": 10, "betas": {"BTC": "high"}}, "betas"),
    ({"kind": "crash", "pct": float("inf")}, "pct"),
]
BAD_DEMOS = [
    ({"cash_usd": float("nan"), "positions": []}, "cash_usd"),
    ({"cash_usd": "lots", "positions": []}, "cash_usd"),
    ({"cash_usd": 1000, "positions": [{"coin": "BTC", "side": "long", "notional_usd": -5000}]}, "notional_usd"),
    ({"cash_usd": 1000, "positions": [{"coin": "BTC", "side": "sideways", "notional_usd": 5000}]}, "side"),
    ({"cash_usd": 1000, "positions": [{"coin": "BTC", "side": "long", "notional_usd": 5000, "leverage": 0}]},
     "leverage"),
    ({"cash_usd": 1000, "positions": [{"coin": 7, "side": "long", "notional_usd": 5000}]}, "coin"),
]


def _write(tmp_path, scenario: dict) -> str:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")  # json writes NaN/Infinity as Python reads them
    return str(path)


@pytest.mark.parametrize("event,field", BAD_SCENARIOS)
def test_s30_bad_scenario_events_are_refused_at_load_naming_the_field(tmp_path, event, field):
    with pytest.raises(BadInputError, match=field) as err:
        load_scenario(_write(tmp_path, {"name": "bad", "events": [event]}))
    assert "\n" not in str(err.value) and "events[0]" in str(err.value)


@pytest.mark.parametrize("demo,field", BAD_DEMOS)
def test_s30_bad_demo_accounts_are_refused_at_load_naming_the_field(tmp_path, demo, field):
    with pytest.raises(BadInputError, match=field) as err:
        load_scenario(_write(tmp_path, {"name": "bad", "demo_account": demo}))
    assert "\n" not in str(err.value) and "demo_account" in str(err.value)


def test_s30_a_demo_coin_the_exchange_does_not_trade_is_refused_at_start(tmp_path):
    path = _write(tmp_path, {"name": "bad", "demo_account": {"cash_usd": 1000, "positions": [
        {"coin": "DOGE", "side": "long", "notional_usd": 5000}]}})
    with pytest.raises(BadInputError, match="DOGE"):
        PaperExchange(PaperSettings(scenario=path, history_minutes=60), clock=ManualClock())


@pytest.mark.parametrize("flags", [["--speed", "inf"], ["--speed", "1e300"], ["--speed", "nan"], ["--seed", "-1"],
                                   ["--scenario", "BAD"]])
def test_s30_paper_exchange_flags_out_of_range_exit_2_in_one_line(tmp_path, flags):
    if flags[-1] == "BAD":
        flags = ["--scenario", _write(tmp_path, {"name": "bad", "events": [{"kind": "latency", "latency_ms": "x"}]})]
    proc = subprocess.run([sys.executable, "-m", "console.cli", "paper-exchange", *flags],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_s31_idle_connections_time_out_and_never_starve_normal_requests(paper):
    host, port = paper.base_url.removeprefix("http://").split(":")
    threads_before = threading.active_count()
    idle = [socket.create_connection((host, int(port)), timeout=TIMEOUT_S * 4) for _ in range(250)]
    try:
        client = Info(paper.base_url, skip_ws=True, timeout=TIMEOUT_S)
        for _ in range(5):
            assert set(client.all_mids()) == set(paper.mids())
        # Each idle socket is closed by the server (EOF), not left open until our own timeout.
        assert all(sock.recv(1) == b"" for sock in idle)
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + TIMEOUT_S * 4  # handler threads end right after their socket closes
    while threading.active_count() > threads_before + 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= threads_before + 2
    assert Info(paper.base_url, skip_ws=True, timeout=TIMEOUT_S).all_mids()
