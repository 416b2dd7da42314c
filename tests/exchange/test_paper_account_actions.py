"""Account actions on the paper exchange through the real SDK: agents, leverage, isolated margin, modify, noop."""
from __future__ import annotations

import eth_account
import pytest

from tests.support.paper import funded_wallet, sdk_exchange, sdk_info


@pytest.fixture
def master(paper):
    return funded_wallet(paper)


_exchange, _info = sdk_exchange, sdk_info


def _position(state: dict, coin: str) -> dict:
    return next(p["position"] for p in state["assetPositions"] if p["position"]["coin"] == coin)


def test_an_approved_agent_trades_for_the_master_and_reads_need_the_master_address(paper, master):
    reply, agent_key = _exchange(paper, master).approve_agent("desk")
    assert reply == {"status": "ok", "response": {"type": "default"}}
    agent = eth_account.Account.from_key(agent_key)
    as_agent = _exchange(paper, agent, account_address=master.address)
    assert "filled" in as_agent.market_open("ETH", True, 1.0)["response"]["data"]["statuses"][0]
    info = _info(paper)
    assert float(_position(info.user_state(master.address), "ETH")["szi"]) == 1.0
    assert info.user_state(agent.address)["assetPositions"] == []  # the venue's common pitfall
    agents = info.post("/info", {"type": "extraAgents", "user": master.address})
    assert [(a["name"], a["address"]) for a in agents] == [("desk", agent.address.lower())]
    assert info.post("/info", {"type": "userRole", "user": agent.address}) == {
        "role": "agent", "data": {"user": master.address.lower()}}
    # An agent cannot approve agents of its own: user-signed actions need the account's key.
    refused, _ = _exchange(paper, agent).approve_agent("sub")
    assert refused["status"] == "err" and "does not exist" in refused["response"]


def test_a_new_agent_of_the_same_name_replaces_the_old_one(paper, master):
    _, first_key = _exchange(paper, master).approve_agent()
    _, second_key = _exchange(paper, master).approve_agent()
    old = _exchange(paper, eth_account.Account.from_key(first_key), account_address=master.address)
    new = _exchange(paper, eth_account.Account.from_key(second_key), account_address=master.address)
    assert old.market_open("ETH", True, 1.0)["status"] == "err"
    assert new.market_open("ETH", True, 1.0)["status"] == "ok"


def test_update_leverage_sets_the_position_leverage_within_the_assets_maximum(paper, master):
    ex = _exchange(paper, master)
    ex.market_open("ETH", True, 2.0)
    assert ex.update_leverage(20, "ETH")["status"] == "ok"
    pos = _position(_info(paper).user_state(master.address), "ETH")
    assert pos["leverage"] == {"type": "cross", "value": 20}
    assert float(pos["marginUsed"]) == pytest.approx(float(pos["positionValue"]) / 20, rel=1e-6)
    too_high = ex.update_leverage(26, "ETH")  # ETH's maxLeverage is 25
    assert too_high["status"] == "err" and "Invalid leverage" in too_high["response"]
    assert ex.update_leverage(5, "ETH", is_cross=False) == {
        "status": "err", "response": "Cannot switch leverage type with open position."}


def test_isolated_position_has_its_own_margin_that_update_isolated_margin_moves(paper, master):
    ex = _exchange(paper, master)
    assert ex.update_leverage(10, "BTC", is_cross=False)["status"] == "ok"
    ex.market_open("BTC", True, 0.5)
    info = _info(paper)
    before = info.user_state(master.address)
    pos = _position(before, "BTC")
    assert pos["leverage"]["type"] == "isolated" and pos["leverage"]["value"] == 10
    raw_before, liq_before = float(pos["leverage"]["rawUsd"]), float(pos["liquidationPx"])
    # Opening moved a tenth of the notional out of the cross account into the position, which then
    # paid the taker fee and the spread (under 0.1 % of the notional here).
    notional = float(pos["positionValue"])
    assert float(pos["marginUsed"]) == pytest.approx(notional / 10 - notional * 0.0005, abs=notional * 0.0005)
    assert ex.update_isolated_margin(1000.0, "BTC")["status"] == "ok"
    after = info.user_state(master.address)
    pos = _position(after, "BTC")
    assert float(pos["leverage"]["rawUsd"]) == pytest.approx(raw_before + 1000.0, abs=1e-6)
    assert float(pos["liquidationPx"]) < liq_before  # more margin: liquidation further away
    assert float(after["marginSummary"]["accountValue"]) == pytest.approx(
        float(before["marginSummary"]["accountValue"]), abs=1e-6)  # moved, not created
    assert ex.update_isolated_margin(-5000.0, "BTC")["status"] == "err"  # below its initial margin
    ex.market_close("BTC")
    final = info.user_state(master.address)
    assert final["assetPositions"] == []
    assert float(final["crossMarginSummary"]["accountValue"]) == pytest.approx(
        float(final["marginSummary"]["accountValue"]), abs=1e-6)  # all margin came back to cross


def test_modify_replaces_a_resting_order_with_a_new_one(paper, master):
    ex = _exchange(paper, master)
    px = round(paper.mids()["SOL"] * 0.9, 2)
    oid = ex.order("SOL", True, 1.0, px, {"limit": {"tif": "Gtc"}})["response"]["data"]["statuses"][0]["resting"]["oid"]
    reply = ex.modify_order(oid, "SOL", True, 2.0, round(px * 0.99, 2), {"limit": {"tif": "Gtc"}})
    assert reply["status"] == "ok"
    new_oid = reply["response"]["data"]["statuses"][0]["resting"]["oid"]
    info = _info(paper)
    assert info.query_order_by_oid(master.address, oid)["order"]["status"] == "canceled"
    open_orders = info.open_orders(master.address)
    assert [(o["oid"], o["sz"], float(o["limitPx"])) for o in open_orders] == [(new_oid, "2.0", round(px * 0.99, 2))]
    again = ex.modify_order(oid, "SOL", True, 1.0, px, {"limit": {"tif": "Gtc"}})
    assert again["response"]["data"]["statuses"] == [{"error": "Cannot modify canceled or filled order"}]


def test_noop_is_accepted_and_uses_up_its_nonce(paper, master):
    ex = _exchange(paper, master)
    nonce = paper.clock.now_ms()
    first = ex.noop(nonce)
    assert first == {"status": "ok", "response": {"type": "default"}}
    assert ex.noop(nonce)["status"] == "err"  # the same nonce twice
