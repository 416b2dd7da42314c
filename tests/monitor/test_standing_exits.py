"""Standing exits (SPEC 5) through the real SDK against the paper exchange: reduce-only trigger
orders rest at the genome's exit schedule in every state but STALE, close positions on their
own, survive a kill and restart without a duplicate or a loss, and follow the operator's switch."""
from __future__ import annotations

from dataclasses import replace

import pytest

from core.exchange.gateway import HyperliquidGateway
from core.exchange.models import OrderRequest
from core.monitor.service import MonitorService, MonitorSettings
from core.monitor.state import MonitorState
from core.monitor.standing import PROTECTION_KEY, parse_cloid, protection_record
from tests.support.monitor_rig import INTERVAL_S, make_rig, test_genes

SMALL_BOOK = {"cash_usd": 100_000.0, "positions": [{"coin": "BTC", "side": "long", "notional_usd": 5_000.0},
                                                    {"coin": "ETH", "side": "short", "notional_usd": 5_000.0}]}
DROP = {"name": "drop", "events": [{"kind": "crash", "at_min": 3, "over_min": 30, "pct": 25}],
        "demo_account": SMALL_BOOK}
CALM_SMALL = {"name": "calm-small", "events": [], "demo_account": SMALL_BOOK}
PROMOTED = "promotion #1 tested"


def genes(**changes):
    g = test_genes()
    g[13] = 1.0  # a 15 % breaker: small positions keep it NORMAL through the drop
    g[0], g[1] = 0.0, 0.0  # a 2 % stop, hardly widened by ATR
    for index, value in changes.items():
        g[int(index[1:])] = value
    return g


@pytest.fixture
def drop(tmp_path):
    return make_rig(tmp_path, DROP)  # stopped by tests/conftest.py


@pytest.fixture
def calm(tmp_path):
    return make_rig(tmp_path, CALM_SMALL)  # stopped by tests/conftest.py


def ours(rig, service):
    """Our standing orders resting on the exchange, as (coin, role) -> list of open orders."""
    salt = rig.repo.cloid_salt()
    out: dict = {}
    for o in rig.gateway.open_orders(rig.paper.demo_address):
        parsed = parse_cloid(salt, o.coin, (o.cloid or "").lower())
        if parsed is not None:
            out.setdefault((o.coin, parsed[0]), []).append(o)
    return out


def test_promoted_genome_rests_its_schedule_in_normal(calm):
    service = calm.service(genes(g6=1.0, g7=0.5), label=PROMOTED)  # two scale-out levels
    snap = service.run_cycle()
    assert snap.breaker_state == "NORMAL" and snap.protected
    resting = ours(calm, service)
    assert sorted(resting) == [("BTC", 0), ("BTC", 1), ("BTC", 2), ("ETH", 0), ("ETH", 1), ("ETH", 2)]
    assert all(len(v) == 1 for v in resting.values())
    rows = {p.coin: p for p in snap.positions}
    booked = {o.cloid.lower(): o for o in calm.paper.ledger.orders.values() if o.cloid}
    for (coin, role), (order,) in resting.items():
        paper_order = booked[order.cloid.lower()]
        assert paper_order.reduce_only and paper_order.trigger["isMarket"]
        assert paper_order.is_buy == (rows[coin].size < 0)
        if role == 0:
            assert paper_order.trigger["tpsl"] == "sl"
            assert paper_order.trigger["triggerPx"] == pytest.approx(rows[coin].exit_px, rel=1e-4)
            assert order.size == pytest.approx(abs(rows[coin].size))
        else:
            assert paper_order.trigger["tpsl"] == "tp"
            assert order.size == pytest.approx(abs(rows[coin].size) / 2, rel=1e-3)


def test_demo_position_crossing_its_stop_in_normal_is_closed_by_its_resting_order(drop):
    service = drop.service(genes(), label=PROMOTED)
    first = service.run_cycle()
    btc = next(p for p in first.positions if p.coin == "BTC")
    stop_cloid = ours(drop, service)[("BTC", 0)][0].cloid.lower()
    states = []
    for _ in range(30):
        drop.step()
        snap = service.run_cycle()
        states.append(snap.breaker_state)
        if all(p.coin != "BTC" for p in snap.positions):
            break
    assert set(states) == {"NORMAL"}
    assert all(p.coin != "BTC" for p in snap.positions), "the stop never closed BTC"
    fills = [f for f in drop.paper.ledger.accounts[drop.paper.demo_address].fills if f["coin"] == "BTC"]
    stop_order = next(o for o in drop.paper.ledger.orders.values() if (o.cloid or "").lower() == stop_cloid)
    assert stop_order.status == "filled" and fills[-1]["oid"] == stop_order.oid
    assert float(fills[-1]["px"]) < btc.exit_px  # a stop-market sells at or below its trigger
    assert drop.repo.list_actions() == []  # no operator action was needed


class KilledAt(Exception):
    """Stands for the process dying at that point."""


class DyingGateway(HyperliquidGateway):
    """The real SDK gateway, dying once right before or right after the POST of an order batch."""

    die: str | None = None

    def place_orders(self, orders, grouping="na"):
        if self.die == "before":
            self.die = None
            raise KilledAt("before the POST")
        result = super().place_orders(orders, grouping)
        if self.die == "after":
            self.die = None
            raise KilledAt("after the POST, before the state is saved")
        return result


@pytest.mark.parametrize("die", ["before", "after", "after-state-lost"])
def test_kill_and_restart_leaves_no_duplicate_and_loses_nothing(calm, die):
    gw = DyingGateway("paper", base_url=calm.paper.base_url, private_key=calm.agent_key,
                      account_address=calm.paper.demo_address, timeout_s=2.0, now_ms=calm.clock.now_ms)
    g = genes(g6=1.0, g7=0.5)
    params = calm.service(g).genome()[0]
    first = MonitorService(gw, calm.repo, MonitorSettings(calm.paper.demo_address, INTERVAL_S),
                           lambda: (params, PROMOTED), calm.clock.now_ms)
    gw.die = die.split("-")[0]
    with pytest.raises(KilledAt):
        first.run_cycle()
    if die == "after-state-lost":  # even without the saved intents, the cloids on the exchange are found
        state = MonitorState.from_json(calm.repo.get_monitor_state())
        calm.repo.save_monitor_state(replace(state, standing={}, standing_seq={}).to_json(), 0)
    calm.step()
    restarted = calm.service(g, label=PROMOTED)  # a new process on the same database
    for _ in range(3):
        restarted.run_cycle()
        calm.step()
    resting = ours(calm, restarted)
    assert sorted(resting) == [("BTC", 0), ("BTC", 1), ("BTC", 2), ("ETH", 0), ("ETH", 1), ("ETH", 2)]
    assert all(len(v) == 1 for v in resting.values()), "a duplicate standing order"
    cloids = calm.order_cloids()
    assert len(cloids) == len(set(cloids))
    assert len(cloids) == 6  # nothing was placed twice and nothing was replaced needlessly


def test_orders_are_cancelled_when_the_position_closes_or_the_genome_changes(calm):
    service = calm.service(genes(), label=PROMOTED)
    service.run_cycle()
    before = {k: v[0].cloid for k, v in ours(calm, service).items()}
    other = calm.service(genes(g0=0.5), label="promotion #2 wider stops")
    other.run_cycle()
    after = ours(calm, other)
    assert after[("BTC", 0)][0].cloid != before[("BTC", 0)] and len(after[("BTC", 0)]) == 1
    eth = next(p for p in calm.gateway.account_state(calm.paper.demo_address).positions if p.coin == "ETH")
    mid = calm.gateway.mids()["ETH"]
    calm.gateway.place_orders([OrderRequest("ETH", True, abs(eth.size), mid * 1.05, True, None, "Ioc")])
    other.run_cycle()
    assert {coin for coin, _ in ours(calm, other)} == {"BTC"}


def test_default_genome_rests_nothing_until_protection_is_switched_on(calm):
    service = calm.service(genes(), label="default")
    snap = service.run_cycle()
    assert not snap.protected and "unprotected" in snap.protection and ours(calm, service) == {}
    calm.repo.set_value(PROTECTION_KEY, protection_record(True, "alice", calm.clock.now_ms(), "console"), 0)
    snap = service.run_cycle()
    assert snap.protected and "alice" in snap.protection and len(ours(calm, service)) == 4
    calm.repo.set_value(PROTECTION_KEY, protection_record(False, "alice", calm.clock.now_ms(), "console"), 0)
    snap = service.run_cycle()
    assert not snap.protected and ours(calm, service) == {}


def test_protect_off_leaves_a_promoted_genome_unprotected(calm):
    params = calm.service(genes()).genome()[0]
    service = MonitorService(calm.gateway, calm.repo, MonitorSettings(calm.paper.demo_address, INTERVAL_S,
                                                                      protect_off=True),
                             lambda: (params, PROMOTED), calm.clock.now_ms)
    snap = service.run_cycle()
    assert not snap.protected and "--protect off" in snap.protection and ours(calm, service) == {}


def test_promote_says_it_approves_the_standing_exits_and_records_it(tmp_path, tmp_db, monitor_repo, capsys):
    from console.cli import main
    from core.genome import save_genome_file

    path = tmp_path / "g.json"
    save_genome_file(path, genes())
    assert main(["promote", "--file", str(path), "--by", "alice", "--db", str(tmp_db)]) == 0
    out = capsys.readouterr().out
    assert "approves its standing exits (recorded)" in out and "stop-market" in out
    record = monitor_repo.get_value(PROTECTION_KEY)
    assert record["on"] and record["by"] == "alice" and "promotion #1" in record["why"]


def test_headless_monitor_protect_on_rests_orders_and_off_says_unprotected(calm, tmp_path, capsys, monkeypatch):
    import json

    from console.cli import main

    monkeypatch.setenv("EVORISK_PRIVATE_KEY", calm.agent_key)
    base = ["monitor", "--headless", "--once", "--json", "--base-url", calm.paper.base_url,
            "--address", calm.paper.demo_address, "--db", str(tmp_path / "cli.db")]
    assert main([*base, "--protect", "off"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["protected"] is False and "unprotected" in line["protection"] and line["standing_orders"] == []
    assert main([*base, "--protect", "on"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["protected"] is True
    assert sorted((o["coin"], o["kind"]) for o in line["standing_orders"]) == [
        ("BTC", "stop"), ("BTC", "tp1"), ("ETH", "stop"), ("ETH", "tp1")]


def test_a_filled_take_profit_level_counts_and_the_rest_rests_on_the_smaller_size(drop):
    service = drop.service(genes(g6=1.0, g7=0.5, g3=1.0), label=PROMOTED)  # two levels; trail arms late
    service.run_cycle()
    for _ in range(30):
        drop.step()
        snap = service.run_cycle()
        track = service.state.tracks.get("ETH")
        if track is not None and track.tp_done >= 1:
            break
    assert track is not None and track.tp_done == 1, "the first scale-out never filled"
    snap = service.run_cycle()  # re-planned on the new size
    eth = next(p for p in snap.positions if p.coin == "ETH")
    resting = ours(drop, service)
    assert ("ETH", 1) not in resting and len(resting[("ETH", 2)]) == 1
    assert resting[("ETH", 0)][0].size == pytest.approx(abs(eth.size))
    assert resting[("ETH", 2)][0].size == pytest.approx(abs(eth.size))  # the last level takes the rest


def test_an_outage_leaves_the_orders_resting_and_recovery_places_no_duplicate(calm):
    service = calm.service(genes(), label=PROMOTED)
    service.run_cycle()
    before = {k: [o.cloid for o in v] for k, v in ours(calm, service).items()}
    calm.paper.inject_fault("http_5xx", count=6)
    first = None
    for _ in range(4):  # SPEC 5: a failed poll is a warning; STALE after 3 intervals without a good one
        calm.clock.advance(service.settings.poll_interval_s)
        calm.step()
        snap = service.run_cycle()
        first = first or snap
    assert first.breaker_state == "NORMAL" and first.poll_warning
    assert snap.breaker_state == "STALE"
    for _ in range(6):  # the back-off ends, polls succeed again
        calm.clock.advance(600.0)
        calm.step()
        snap = service.run_cycle()
    assert snap.breaker_state == "NORMAL"
    after = {k: [o.cloid for o in v] for k, v in ours(calm, service).items()}
    assert after == before  # nothing lost, nothing doubled, nothing replaced
    cloids = calm.order_cloids()
    assert len(cloids) == len(set(cloids)) == 4


def test_banner_says_plainly_when_positions_are_unprotected():
    from dataclasses import replace

    from console.widgets.breaker_banner import protection_text
    from tests.support.risk_snapshots import snapshot

    snap = snapshot()
    assert protection_text(replace(snap, protected=True)) == ""
    text = protection_text(replace(snap, protected=False, protection="standing exits OFF (--protect off): x"))
    assert "POSITIONS UNPROTECTED" in text and "--protect off" in text


TINY_XRP = {"name": "drop-tiny-xrp", "events": [{"kind": "crash", "at_min": 3, "over_min": 30, "pct": 25}],
            "demo_account": {"cash_usd": 100_000.0,
                             "positions": [{"coin": "XRP", "side": "short", "notional_usd": 1.2}]}}


def test_a_take_profit_too_small_to_rest_becomes_a_pending_action_once_reached(tmp_path):
    rig = make_rig(tmp_path, TINY_XRP)
    service = rig.service(genes(g6=1.0, g7=1.0), label=PROMOTED)  # four scale-out levels
    snap = service.run_cycle()
    size = rig.position_sizes()["XRP"]
    assert size in (-1.0, -2.0, -3.0)  # XRP trades in whole units: each of four levels is under one
    assert sorted(ours(rig, service)) == [("XRP", 0)], "only the stop can rest"
    assert any("take-profit level 1" in n for n in snap.standing_notes)
    assert not rig.repo.actions_with_status(("pending",)), "nothing to do before a level is reached"
    for _ in range(40):
        rig.step()
        service.run_cycle()
        pending = rig.repo.actions_with_status(("pending",))
        if pending:
            break
    (action,) = pending
    assert action.kind == "take_profit" and "XRP" in action.reason
    (leg,) = action.legs
    assert (leg.coin, leg.side, leg.size) == ("XRP", "buy", 1.0)  # one lot, the smallest exit there is
    taken = service.state.tracks["XRP"].tp_done
    assert taken >= 1
    service.run_cycle()
    assert len([a for a in rig.repo.actions_with_status(("pending",)) if a.kind == "take_profit"]) <= 1, \
        "a level is proposed once"
    rig.repo.approve_action(action.id, "operator", rig.clock.now_ms())
    service.run_cycle()
    assert rig.position_sizes().get("XRP", 0.0) == pytest.approx(size + 1.0), "the approved close was sent"


def test_small_take_profits_reached_together_close_their_sum_to_the_nearest_lot_and_only_once():
    from core.exchange.models import Position
    from core.monitor.levels import ExitSchedule, TakeProfitLevel
    from core.monitor.proposals import small_take_profit_actions
    from core.monitor.state import Track

    long_3 = Position("XRP", 3.0, 1.00, 1.10, 0.3, 3.3, 0.2, 20.0, None)
    levels = tuple(TakeProfitLevel(k, 1.0 + 0.05 * k, 0.75) for k in range(1, 5))
    sched = ExitSchedule(0.9, "stop", levels, False, 0.1, 0.05, 0.2, 0.9, None)
    track = Track("long", 0, 1.12)  # the best price since entry passed levels 1 and 2 (1.05, 1.10), not 3
    acts, tracks = small_take_profit_actions([long_3], {"XRP": sched}, {"XRP": track}, {"XRP": 1.08}, {"XRP": 0})
    (action,) = acts
    assert action.kind == "take_profit" and "levels 1, 2" in action.reason
    (leg,) = action.legs
    assert (leg.side, leg.size, leg.reduce_only) == ("sell", 2.0, True)  # 1.5 units -> 2 lots of 1
    assert tracks["XRP"].tp_done == 2
    # the next cycle's schedule starts after level 2: nothing is proposed again for 1 and 2
    later = ExitSchedule(0.9, "stop", levels[2:], False, 0.1, 0.05, 0.2, 0.9, None)
    again, _ = small_take_profit_actions([long_3], {"XRP": later}, tracks, {"XRP": 1.08}, {"XRP": 0})
    assert again == []
    # a level that can rest (one lot or more) is left to its standing order
    big = ExitSchedule(0.9, "stop", (TakeProfitLevel(1, 1.05, 1.5),), False, 0.1, 0.05, 0.2, 0.9, None)
    assert small_take_profit_actions([long_3], {"XRP": big}, {"XRP": track}, {"XRP": 1.08}, {"XRP": 0})[0] == []


def test_a_take_profit_that_closes_the_position_takes_its_stop_away_in_the_same_cycle(drop):
    # one level (no scale-out), 5 % away: the 25 % drop takes the whole ETH short off by its take-profit
    service = drop.service(genes(g5=0.0, g6=0.0), label=PROMOTED)
    service.run_cycle()
    assert ("ETH", 0) in ours(drop, service) and ("ETH", 1) in ours(drop, service)
    for _ in range(30):
        drop.step()
        if "ETH" not in drop.position_sizes():
            break
    assert "ETH" not in drop.position_sizes(), "the take-profit never closed ETH"
    service.run_cycle()  # the first cycle that sees ETH flat
    assert not [key for key in ours(drop, service) if key[0] == "ETH"], \
        "a stale reduce-only stop would act on the next ETH position"
