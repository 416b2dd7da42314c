"""Every /info type SDK 0.24 exposes, against the venue's recorded shapes (hl-shapes/, one file per type):
answered key by key and type by type, or refused with the venue's own error. Numbers as the venue writes them."""
from __future__ import annotations

import inspect
import json
import re

import eth_account
import hyperliquid.info
import pytest
import requests
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.types import Cloid

from core.exchange.paper import PaperExchange, PaperSettings
from core.exchange.paper.info import NOT_SERVED
from tests.support.hl_shapes import NUMSTR, load_reference, mismatches, reference_types, venue_tick_ok
from tests.support.paper import module_paper

TIMEOUT_S = 5.0
CLOID = Cloid.from_int(20240521)
SDK_TYPES = sorted(set(re.findall(r'"type": "(\w+)"', inspect.getsource(hyperliquid.info))))
MAIN_DEX_FIRST = {"perpDexs"}
REFUSAL = "Failed to deserialize the JSON body into the target type: unknown variant"


@pytest.fixture(scope="module")
def venue():
    """A paper exchange with one account that has traded: positions, fills, resting and trigger orders
    (one with a cloid), a rejected IOC, two hours of funding and a named agent."""
    # A generous weight budget: the clock stands still, so the minute of the rate limit never passes.
    with module_paper(PaperSettings(history_minutes=3 * 1440, weight_budget_per_minute=10**6)) as paper:
        wallet = eth_account.Account.create()
        paper.open_account(wallet.address, 100_000.0)
        ex = Exchange(wallet, paper.base_url, timeout=TIMEOUT_S)
        ex.market_open("BTC", True, 0.2)
        ex.market_open("ETH", False, 2.0)
        mid = paper.mids()["SOL"]
        ex.order("SOL", True, 1.0, round(mid * 0.9, 2), {"limit": {"tif": "Gtc"}}, cloid=CLOID)
        ex.order("BTC", False, 0.2, round(paper.mids()["BTC"] * 0.8), {"trigger": {"triggerPx": round(
            paper.mids()["BTC"] * 0.8), "isMarket": True, "tpsl": "sl"}}, reduce_only=True)
        ex.order("ETH", True, 1.0, round(paper.mids()["ETH"] * 0.5, 1), {"limit": {"tif": "Ioc"}})
        assert ex.approve_agent("desk")[0]["status"] == "ok"
        paper.fast_forward(125)
        oid = paper.ledger.find(wallet.address.lower(), CLOID.to_raw()).oid
        yield paper, wallet.address, oid


def _body(template: dict, paper: PaperExchange, address: str, oid: int) -> dict:
    now = paper.market.now_ms
    values = {"$ADDRESS": address, "$COIN": "BTC", "$START": now - 7 * 86_400_000, "$END": now, "$OID": oid,
              "$CLOID": CLOID.to_raw()}
    body = json.loads(json.dumps(template))
    for key, value in list(body.items()):
        if isinstance(value, str) and value in values:
            body[key] = values[value]
        elif isinstance(value, dict):
            body[key] = {k: values.get(v, v) if isinstance(v, str) else v for k, v in value.items()}
    if body.get("type") == "candleSnapshot":
        body["req"].update(coin="BTC", interval="1h", startTime=now - 86_400_000, endTime=now)
    return body


def _post(paper: PaperExchange, body: dict) -> requests.Response:
    return requests.post(f"{paper.base_url}/info", json=body, timeout=TIMEOUT_S)


@pytest.mark.parametrize("name", reference_types())
def test_every_reference_type_is_answered_in_the_venues_shape(hl_shapes_dir, venue, name):
    paper, address, oid = venue
    ref = load_reference(name)
    for request in ref["requests"]:
        reply = _post(paper, _body(request["body"], paper, address, oid))
        assert reply.status_code == 200, (request, reply.text)
        data = reply.json()
        if name in MAIN_DEX_FIRST:  # the reference's note: element 0 is null, the main dex
            assert data[0] is None
            data = data[1:]
        assert mismatches(data, ref["shape"]) == [], request["body"]


def test_every_sdk_info_type_is_answered_or_refused_with_the_venues_error(venue):
    paper, address, oid = venue
    assert len(SDK_TYPES) >= 35  # the SDK's own list, read from its source
    table = []
    for kind in SDK_TYPES:
        body = {"type": kind, "user": address, "coin": "BTC", "startTime": 0, "oid": oid,
                "req": {"coin": "BTC", "interval": "1h", "startTime": 0, "endTime": paper.market.now_ms}}
        reply = _post(paper, body)
        if kind in NOT_SERVED:
            assert reply.status_code == 422 and reply.text.startswith(REFUSAL), kind
            table.append((kind, "refused"))
        else:
            assert reply.status_code == 200, (kind, reply.text)
            table.append((kind, "answered"))
    answered = sum(status == "answered" for _, status in table)
    print("\n" + "\n".join(f"| {kind} | {status} |" for kind, status in table))
    print(f"answered {answered}, refused {len(table) - answered}, of {len(table)} SDK /info types")


def _strings(value, path="$"):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def test_numbers_are_never_zero_padded_and_always_carry_a_point(venue):
    paper, address, oid = venue
    client = Info(paper.base_url, skip_ws=True, timeout=TIMEOUT_S)
    replies = [client.user_state(address), client.all_mids(), client.user_fills(address),
               client.meta_and_asset_ctxs(), client.l2_snapshot("ETH"), client.frontend_open_orders(address),
               client.candles_snapshot("SOL", "1h", 0, paper.market.now_ms)]
    numbers = [(p, s) for reply in replies for p, s in _strings(reply) if NUMSTR.match(s)]
    assert len(numbers) > 500
    assert [p for p, s in numbers if "." not in s] == []
    assert [p for p, s in numbers if re.search(r"\.\d*[1-9]?0+$", s) and not s.endswith(".0")] == []


def test_every_book_mid_and_fill_price_passes_the_venues_own_tick_check(venue):
    paper, address, _ = venue
    client = Info(paper.base_url, skip_ws=True, timeout=TIMEOUT_S)
    decimals = {u["name"]: u["szDecimals"] for u in client.meta()["universe"]}
    prices = [(c, lvl["px"]) for c in decimals for side in client.l2_snapshot(c)["levels"] for lvl in side]
    prices += list(client.all_mids().items())
    prices += [(f["coin"], f["px"]) for f in client.user_fills(address)]
    prices += [(c["s"], c[k]) for c in client.candles_snapshot("XRP", "5m", 0, paper.market.now_ms) for k in "ohlc"]
    assert len(prices) > 100
    assert [(c, p) for c, p in prices if not venue_tick_ok(p, decimals[c])] == []
