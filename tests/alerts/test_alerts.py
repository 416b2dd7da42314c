"""Alerts reach a real HTTP receiver on loopback through apprise, once per state, retried on
500, recorded in SQLite, never with a URL's secrets, and never holding up the monitor."""
from __future__ import annotations

import logging
import sqlite3

import pytest

from core.alerts.dispatcher import AlertDispatcher, DispatchSettings
from core.alerts.factory import build_channels, build_dispatcher
from core.alerts.model import Alert, AlertKind, Severity
from core.alerts.channels import AppriseChannel
from core.alerts.redact import redact_url, scrub
from core.monitor.service import MonitorService, MonitorSettings
from core.operator_settings import AlertSettings
from core.genome import decode
from storage.alert_repo import AlertRepo
from storage.logsetup import configure_logging
from tests.support.alert_receiver import DeadReceiver, Receiver, refused_port
from tests.support.monitor_rig import INTERVAL_S, SLOW_CRASH, make_rig, test_genes

FAST = DispatchSettings(retry_delays_s=(0.01, 0.02, 0.04), dedup_window_ms=5 * 60_000)
WAIT_S = 20.0
SECRET_USER, SECRET_PASS, SECRET_TOKEN = "opsbot", "hunter2pass", "T0KEN-abc123secret"


def alert(key: str, t_ms: int, title: str = "breaker NORMAL -> TIGHTENED") -> Alert:
    return Alert(AlertKind.BREAKER, Severity.WARNING, title, "drawdown 2.60% is 0.52 x max", key, t_ms)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def crash(tmp_path):
    return make_rig(tmp_path, SLOW_CRASH)  # stopped by tests/conftest.py


def dispatcher_to(url: str, repo: AlertRepo, clock, settings: DispatchSettings = FAST) -> AlertDispatcher:
    return AlertDispatcher([AppriseChannel(url)], repo, clock, settings).start()


def monitored(rig, alerts) -> MonitorService:
    params = decode(test_genes())
    return MonitorService(rig.gateway, rig.repo, MonitorSettings(rig.paper.demo_address, INTERVAL_S),
                          lambda: (params, "test"), rig.clock.now_ms, alerts=alerts)


def test_each_breaker_transition_is_delivered_once_and_recorded(crash, receiver):
    repo = AlertRepo(crash.repo.store)
    alerts = dispatcher_to(receiver.url(), repo, crash.clock.now_ms)
    service = monitored(crash, alerts)
    states = []
    for _ in range(40):
        crash.step()
        states.append(service.run_cycle().breaker_state)
        if states[-1] == "REDUCING":
            break
    for _ in range(3):  # cycles without a transition deliver no breaker alert
        crash.step()
        service.run_cycle()
    assert alerts.wait_idle(WAIT_S)
    alerts.stop()
    transitions = [f"evorisk: breaker {e['from_state']} -> {e['to_state']}" for e in crash.repo.breaker_events()]
    breaker_titles = [t for t in receiver.titles() if "breaker" in t]
    assert breaker_titles == transitions and len(transitions) >= 2
    assert transitions[:2] == ["evorisk: breaker NORMAL -> TIGHTENED", "evorisk: breaker TIGHTENED -> REDUCING"]
    assert any("needs approval" in t for t in receiver.titles())  # the halving waits for the operator
    events = repo.recent()
    kinds = [e["kind"] for e in events]
    assert kinds.count("breaker") == len(transitions) and "pending_action" in kinds
    assert all(d["status"] == "delivered" and d["attempts"] == 1 for e in events for d in e["deliveries"])


def deliver_once(receiver: Receiver, repo: AlertRepo, raised: Alert) -> None:
    """Raise one alert towards `receiver` and wait until its deliveries, retries included, are
    settled; the receiver is closed afterwards."""
    try:
        alerts = dispatcher_to(receiver.url(), repo, lambda: raised.time_ms)
        alerts.raise_alert(raised)
        assert alerts.wait_idle(WAIT_S)
        alerts.stop()
    finally:
        receiver.close()


def test_a_receiver_answering_500_is_retried_with_back_off_and_every_attempt_recorded(alert_repo):
    failing = Receiver(codes=[500, 500])
    deliver_once(failing, alert_repo, alert("breaker:TIGHTENED", 1_000))
    assert len(failing.posts) == 3  # two 500s, then delivered
    (event,) = alert_repo.recent()
    attempts = [(d["attempt"], d["status"]) for d in alert_repo.deliveries(event["id"])]
    assert attempts == [(1, "failed"), (2, "failed"), (3, "delivered")]
    assert "500" in alert_repo.deliveries(event["id"])[0]["error"]


def test_a_receiver_that_never_recovers_is_given_up_after_the_last_retry(alert_repo):
    failing = Receiver(codes=[500] * 10)
    deliver_once(failing, alert_repo, alert("k", 0))
    statuses = [d["status"] for d in alert_repo.deliveries(alert_repo.recent()[0]["id"])]
    assert statuses == ["failed", "failed", "failed", "gave_up"] and len(failing.posts) == 4


def test_a_flapping_state_is_delivered_once_within_the_dedup_window(alert_repo, receiver):
    alerts = dispatcher_to(receiver.url(), alert_repo, lambda: 0)
    for t_ms in (0, 30_000, 60_000, 90_000):  # TIGHTENED, NORMAL, TIGHTENED, ... every 30 s
        alerts.raise_alert(alert("breaker:TIGHTENED", t_ms))
    alerts.raise_alert(alert("breaker:TIGHTENED", FAST.dedup_window_ms + 1, "breaker back"))  # a new episode
    assert alerts.wait_idle(WAIT_S)
    alerts.stop()
    assert receiver.titles() == ["evorisk: breaker NORMAL -> TIGHTENED", "evorisk: breaker back"]
    first = alert_repo.recent()[-1]
    assert first["repeats"] == 3 and first["last_repeat_ms"] == 90_000


def test_a_dead_receiver_never_stops_the_monitor_cycling(crash):
    """The receiver accepts and never answers: every cycle still completes and is recorded while
    the first delivery is still hanging on its own thread."""
    dead = DeadReceiver()
    try:
        repo = AlertRepo(crash.repo.store)
        alerts = dispatcher_to(dead.url(read_timeout_s=30), repo, crash.clock.now_ms,
                               DispatchSettings(retry_delays_s=(30.0,), dedup_window_ms=0))
        service = monitored(crash, alerts)
        seen = []
        for i in range(12):
            crash.step()
            snap = service.run_cycle()
            alerts.raise_alert(alert(f"bench:{i}", snap.time_ms))  # one more alert every cycle
            seen.append(snap.time_ms)
        assert len(set(seen)) == 12
        assert len(crash.repo.latest_snapshots(20)) >= 12
        assert dead.held, "the dead receiver got the connection"
        events = repo.recent(50)
        assert not any(d["status"] == "delivered" for e in events for d in e["deliveries"])
        alerts.stop()
    finally:
        dead.close()


def test_url_secrets_never_reach_logs_sqlite_or_the_alerts_listing(tmp_path, tmp_db, store, alert_repo, capsys):
    from console.cli import main

    failing = Receiver(codes=[500] * 10)
    url = failing.url(path=f"hooks/{SECRET_TOKEN}", credentials=f"{SECRET_USER}:{SECRET_PASS}@")
    configure_logging(tmp_path / "secrets.log", store, logging.DEBUG)  # even --verbose must not leak
    try:
        channels, _ = build_channels(AlertSettings(urls=(url,), desktop=False))
        alerts = AlertDispatcher(channels, alert_repo, lambda: 0, FAST).start()
        alerts.raise_alert(alert("k", 0))
        assert alerts.wait_idle(WAIT_S)
        alerts.stop()
    finally:
        failing.close()
        configure_logging(None, None)
    assert failing.posts and failing.posts[0][0] == f"/hooks/{SECRET_TOKEN}"  # the URL was really used
    assert main(["alerts", "--db", str(tmp_db)]) == 0
    assert main(["alerts", "--json", "--db", str(tmp_db)]) == 0
    listing = capsys.readouterr().out
    assert "127.0.0.1" in listing and "gave_up" in listing
    conn = sqlite3.connect(tmp_db)
    dump = "\n".join(conn.iterdump())
    log_text = (tmp_path / "secrets.log").read_text()
    assert "Failed to send" in dump + log_text or "500" in dump
    for secret in (SECRET_USER, SECRET_PASS, SECRET_TOKEN):
        assert secret not in dump and secret not in log_text and secret not in listing


def test_redaction_hides_tokens_that_live_in_the_host_or_path():
    tg = "tgram://123456789:AAHsecretBotToken/987654"
    assert "AAHsecretBotToken" not in redact_url(tg) and redact_url(tg).startswith("tgram://***")
    hook = "json://user:pw123@example.org:8443/path/tok123?key=value999"
    shown = redact_url(hook)
    assert shown.startswith("json://example.org:8443/***") and "pw123" not in shown and "tok123" not in shown
    assert scrub(f"error posting to {tg}: 401", [tg]) == "error posting to ***: 401"
    assert "value999" not in scrub("query key=value999 refused", [hook])
    assert redact_url(tg) != redact_url("tgram://other:token/1")  # fingerprints tell URLs apart


def test_alerts_test_command_reaches_every_channel_and_shows_only_redacted_urls(tmp_path, monkeypatch, capsys):
    from console.cli import main

    receiver = Receiver()
    try:
        url = receiver.url(path=f"hooks/{SECRET_TOKEN}", credentials=f"{SECRET_USER}:{SECRET_PASS}@")
        settings = tmp_path / "settings.toml"
        settings.write_text("[alerts]\ndesktop = false\n")
        monkeypatch.setenv("EVORISK_SETTINGS", str(settings))
        monkeypatch.setenv("EVORISK_ALERT_URLS", url)
        assert main(["alerts", "test", "--db", str(tmp_path / "t.db")]) == 0
        out, err = capsys.readouterr()
        monkeypatch.setenv("EVORISK_ALERT_URLS", f"{url},nonsense-scheme://{SECRET_TOKEN}")
        assert main(["alerts", "test", "--db", str(tmp_path / "t.db")]) == 2  # refused: nothing sent
        bad_out, bad_err = capsys.readouterr()
    finally:
        receiver.close()
    assert receiver.titles() == ["evorisk: test alert"]  # only the first run's
    assert "url json://127.0.0.1:" in out and "delivered" in out and "console console delivered" in out
    assert bad_err.count("\n") == 1 and "EVORISK_ALERT_URLS entry 2" in bad_err and "nonsense-scheme://***" in bad_err
    for secret in (SECRET_USER, SECRET_PASS, SECRET_TOKEN):
        assert secret not in out + err + bad_out + bad_err


def test_a_broken_settings_file_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    from console.cli import main

    bad = tmp_path / "settings.toml"
    bad.write_text("[alerts\nurls = 3")
    monkeypatch.setenv("EVORISK_SETTINGS", str(bad))
    assert main(["alerts", "test", "--db", str(tmp_path / "t.db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not valid TOML" in err


def test_alerts_test_exits_3_when_a_channel_cannot_be_reached(tmp_path, monkeypatch, capsys):
    from console.cli import main

    settings = tmp_path / "settings.toml"
    settings.write_text("[alerts]\ndesktop = false\nretry_delays_s = [0]\n")
    monkeypatch.setenv("EVORISK_SETTINGS", str(settings))
    monkeypatch.setenv("EVORISK_ALERT_URLS", f"json://127.0.0.1:{refused_port()}/hook")
    assert main(["alerts", "test", "--db", str(tmp_path / "t.db")]) == 3
    assert "gave_up after 2 attempts" in capsys.readouterr().out


def test_an_order_the_venue_rejects_is_one_alert_from_the_monitor_and_from_evorisk_approve(tmp_path, receiver,
                                                                                            monkeypatch, capsys):
    from console.cli import main
    from tests.support.reliability_rig import propose_exit, rig

    r = rig(tmp_path)
    message = "Insufficient margin to place order. asset=1"
    repo = AlertRepo(r.repo.store)
    alerts = dispatcher_to(receiver.url(), repo, r.clock.now_ms)
    params = decode(test_genes())
    service = MonitorService(r.gateway, r.repo, MonitorSettings(r.paper.demo_address, INTERVAL_S),
                             lambda: (params, "t"), r.clock.now_ms, alerts=alerts)
    r.paper.inject_fault("order_error", endpoint="exchange", count=3, message=message)
    action_id = propose_exit(r, coins=("ETH",))
    r.repo.approve_action(action_id, "alice", r.clock.now_ms())
    service.run_cycle()  # the monitor sends the approved exit; the venue refuses it
    assert alerts.wait_idle(WAIT_S)
    alerts.stop()
    failures = [e for e in repo.recent() if e["kind"] == "order_failure"]
    assert len(failures) == 1 and message in failures[0]["body"] and "ETH" in failures[0]["title"]
    assert sum("order rejected: ETH" in t for t in receiver.titles()) == 1

    # the same refusal when the operator approves and sends from the command line
    r.paper.inject_fault("order_error", endpoint="exchange", count=3, message=message)
    second = propose_exit(r, coins=("ETH",))
    monkeypatch.setenv("EVORISK_ALERT_URLS", receiver.url())
    monkeypatch.setenv("EVORISK_SETTINGS", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("[alerts]\ndesktop = false\n")
    monkeypatch.setenv("EVORISK_PRIVATE_KEY", r.agent_key)
    assert main(["approve", str(second), "--db", str(r.db_path), "--base-url", r.paper.base_url,
                 "--address", r.paper.demo_address]) == 0
    assert "rejected" in capsys.readouterr().out
    assert sum("order rejected: ETH" in t for t in receiver.titles()) == 2


def test_desktop_notice_goes_through_notify_send_when_the_machine_has_one(tmp_path, alert_repo, monkeypatch):
    """A stand-in notify-send on PATH (a real executable that records its arguments)."""
    record = tmp_path / "notices.txt"
    tool = tmp_path / "bin" / "notify-send"
    tool.parent.mkdir()
    tool.write_text(f"#!/bin/sh\nprintf '%s|' \"$@\" >> {record}\necho >> {record}\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tool.parent}:/usr/bin:/bin")
    channels, _ = build_channels(AlertSettings(desktop=True))
    assert [c.name for c in channels] == ["desktop"]
    alerts = AlertDispatcher(channels, alert_repo, lambda: 0, FAST).start()
    alerts.raise_alert(Alert(AlertKind.BREAKER, Severity.CRITICAL, "breaker REDUCING -> EMERGENCY", "close all",
                             "breaker:EMERGENCY", 0))
    assert alerts.wait_idle(WAIT_S)
    alerts.stop()
    line = record.read_text()
    assert "--urgency=critical" in line and "evorisk: breaker REDUCING -> EMERGENCY" in line
    assert alert_repo.recent()[0]["deliveries"][0]["status"] == "delivered"
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert build_channels(AlertSettings(desktop=True))[0] == []  # no notify-send: skipped silently


@pytest.mark.parametrize("watcher, pages", [(False, 1), (True, 0)])
def test_a_read_only_watcher_keeps_its_alerts_on_this_machine_and_leaves_the_url_channels_to_the_acting_monitor(
        alert_repo, receiver, watcher, pages):
    """Two processes on one account (a monitor and a read-only console) must not page the operator
    twice: the watcher shows the alert in its own console and sends nothing to the URL channels."""
    shown: list[Alert] = []
    settings = AlertSettings(urls=(receiver.url(),), desktop=False)
    alerts = build_dispatcher(settings, alert_repo, lambda: 0, shown.append, watcher=watcher)
    alerts.raise_alert(alert("breaker:1", 0))
    assert alerts.wait_idle(WAIT_S)
    assert [a.title for a in shown] == ["breaker NORMAL -> TIGHTENED"]
    assert len(receiver.titles()) == pages
