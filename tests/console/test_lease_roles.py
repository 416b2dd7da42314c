"""Who acts for an account (SPEC: one acting monitor per account and database). A monitor without a
signing key must never hold the account's lease where another monitor could act: it would refuse
the one that can rest the stops and send approved exits, and could send nothing itself."""
from __future__ import annotations

import eth_account
import pytest

from console.services.monitor_runner import LeaseMode, lease_mode, open_monitor
from console.services.opening import paper_gateway
from tests.support.paper import start_paper


@pytest.mark.parametrize("read_only, console, own_paper, expected", [
    (True, True, False, LeaseMode.WATCH),  # `console --read-only` on testnet or mainnet
    (True, False, False, LeaseMode.WATCH),  # `monitor --headless --read-only`
    (True, True, True, LeaseMode.TAKE_OR_WATCH),  # the console's own paper demo: no one else can act there
    (False, True, False, LeaseMode.TAKE_OR_WATCH),  # a signing console acts, or watches the one acting
    (False, False, False, LeaseMode.TAKE),  # a signing headless monitor acts, or refuses in one line
])
def test_lease_mode_by_key_and_surface(read_only, console, own_paper, expected):
    assert lease_mode(read_only, console=console, own_paper=own_paper) == expected


def test_a_keyless_console_started_first_leaves_the_account_to_the_signing_monitor(monitor_repo):
    paper = start_paper()
    agent = eth_account.Account.create()
    paper.approve_agent(paper.demo_address, agent.address)
    watcher = open_monitor(paper_gateway(paper.base_url, None, paper.demo_address), monitor_repo,
                           paper.demo_address, 1.0, lease_mode(True, console=True))
    actor = open_monitor(paper_gateway(paper.base_url, agent.key.hex(), paper.demo_address), monitor_repo,
                         paper.demo_address, 1.0, lease_mode(False, console=False),  # MonitorRunning before
                         protect_on_by=("operator", "standing exits on"))
    try:
        assert watcher.lease is None and actor.lease is not None
        assert actor.run_once().protected  # the signing monitor rests the genome's stops
    finally:
        actor.stop()
        watcher.stop()
