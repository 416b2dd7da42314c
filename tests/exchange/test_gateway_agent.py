"""The gateway with an agent wallet (issue 17 part 5): the key belongs to an approved agent, reads
and positions are the master's, and orders signed by the agent act for the master account."""
from __future__ import annotations

import eth_account
import pytest
from hyperliquid.exchange import Exchange

from core.exchange.errors import OrderRejected
from core.exchange.gateway import HyperliquidGateway
from core.exchange.models import OrderRequest

TIMEOUT_S = 5.0


def test_an_agent_key_trades_for_the_master_and_reads_the_masters_account(paper):
    master = eth_account.Account.create()
    paper.open_account(master.address, 50_000.0)
    reply, agent_key = Exchange(master, paper.base_url, timeout=TIMEOUT_S).approve_agent("evorisk")
    assert reply["status"] == "ok"
    gateway = HyperliquidGateway("paper", base_url=paper.base_url, private_key=agent_key,
                                 account_address=master.address, timeout_s=TIMEOUT_S)
    agent_address = eth_account.Account.from_key(agent_key).address
    assert gateway.signer_address == agent_address and gateway.account_address == master.address
    mid = paper.mids()["ETH"]
    [result] = gateway.place_orders([OrderRequest("ETH", True, 1.0, mid * 1.01, tif="Ioc")])
    assert result.filled_size == pytest.approx(1.0)
    state = gateway.account_state(gateway.account_address)
    assert [(p.coin, p.size) for p in state.positions] == [("ETH", 1.0)]
    assert gateway.account_state(agent_address).positions == ()  # the agent itself holds nothing
    assert paper.desk.signers_seen[-1] == agent_address.lower()  # signed by the agent, booked for the master


def test_a_revoked_agent_is_refused_like_an_unknown_wallet(paper):
    master = eth_account.Account.create()
    paper.open_account(master.address, 50_000.0)
    owner = Exchange(master, paper.base_url, timeout=TIMEOUT_S)
    _, old_key = owner.approve_agent("evorisk")
    owner.approve_agent("evorisk")  # the same name: the old agent is replaced
    gateway = HyperliquidGateway("paper", base_url=paper.base_url, private_key=old_key,
                                 account_address=master.address, timeout_s=TIMEOUT_S)
    with pytest.raises(OrderRejected, match="does not exist"):
        gateway.place_orders([OrderRequest("ETH", True, 1.0, paper.mids()["ETH"] * 1.01, tif="Ioc")])
    assert gateway.account_state(master.address).positions == ()
