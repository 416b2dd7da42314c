"""Issue 17 part 5: with an agent wallet the console shows the account it watches and the agent
that signs for it (reads must use the master address)."""
from __future__ import annotations

from console.widgets.badge import NetworkBadge


def test_agent_and_master_are_both_named():
    badge = NetworkBadge("testnet")
    badge.show_wallet("0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222")
    assert str(badge.render()) == "TESTNET 0x1111…1111 via agent 0x2222…2222"


def test_a_key_of_the_account_itself_names_only_the_account():
    badge = NetworkBadge("paper")
    badge.show_wallet("0xAbCd000000000000000000000000000000001234", "0xabcd000000000000000000000000000000001234")
    assert str(badge.render()) == "PAPER 0xAbCd…1234"


def test_without_a_key_the_badge_says_watch_only():
    badge = NetworkBadge("mainnet")
    badge.show_wallet("0x1111111111111111111111111111111111111111", None)
    assert str(badge.render()) == "MAINNET 0x1111…1111 (watch only)"
