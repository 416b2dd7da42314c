"""RELIABILITY section 2, scenario 16: a canary private key, used for real through the gateway, the
monitor and the CLI, never shows up in logs (everything at DEBUG, the SDK's signed payloads
included), the SQLite files, stderr, exceptions' str/repr, or a console screenshot."""
from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.exchange.errors import ExchangeError, GatewayConfigError
from core.exchange.gateway import HyperliquidGateway
from core.exchange.models import OrderRequest
from core.monitor.executor import Executor
from tests.support.console_rig import wait_for
from tests.support.reliability_rig import propose_exit, rig

ROOT = Path(__file__).resolve().parents[2]
CANARY_HEX = "c0ffee" * 10 + "c0fe"  # a valid secp256k1 key that no real wallet uses
CANARY = "0x" + CANARY_HEX
# A partial echo of a key leaks it too: any 16-hex-digit piece of it counts as a hit.
PIECE = 16


def pieces(secret_hex: str) -> list[str]:
    return [secret_hex[i:i + PIECE] for i in range(0, len(secret_hex) - PIECE + 1, PIECE // 2)]


def hits(secret_hex: str, text: str | bytes) -> int:
    """How many pieces of the secret occur in `text` (hex in either case, or the raw key bytes)."""
    if isinstance(text, bytes):
        raw = bytes.fromhex(secret_hex)
        return sum(raw[i:i + PIECE // 2] in text for i in range(0, len(raw) - PIECE // 2 + 1, 4)) + hits(
            secret_hex, text.decode("latin-1"))
    lowered = text.lower()
    return sum(p in lowered for p in pieces(secret_hex))


def sqlite_evidence(db: Path) -> list[str | bytes]:
    """The SQL dump of a database plus the raw bytes of its file, WAL and shared-memory index."""
    conn = sqlite3.connect(db)
    dump = "\n".join(conn.iterdump())
    conn.close()
    files = [Path(f"{db}{suffix}") for suffix in ("", "-wal", "-shm")]
    return [dump, *(f.read_bytes() for f in files if f.exists())]


def run_cli(args: list[str], rig_, db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "EVORISK_PRIVATE_KEY": CANARY, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "console.cli", *args, "--base-url", rig_.paper.base_url,
                           "--address", rig_.paper.demo_address, "--db", str(db), "--verbose"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_s16_the_detector_finds_the_canary_in_any_form():
    assert hits(CANARY_HEX, f"key={CANARY.upper()}") and hits(CANARY_HEX, b"x" + bytes.fromhex(CANARY_HEX))
    assert hits(CANARY_HEX, "partial " + CANARY_HEX[8:8 + PIECE]) and not hits(CANARY_HEX, "c0ffee")


def test_s16_the_canary_key_never_leaks_from_gateway_monitor_or_cli(tmp_path, caplog, capfd, record_property):
    for name in (None, "hyperliquid", "urllib3", "evorisk"):
        caplog.set_level(logging.DEBUG, logger=name)
    r = rig(tmp_path, key=CANARY, timeout_s=0.5)
    evidence: list[str | bytes] = []
    # the monitor proposes nothing on a calm book, so an approved exit makes the key sign for real
    service = r.service()
    service.run_cycle()
    action_id = propose_exit(r, coins=("ETH",))
    r.repo.approve_action(action_id, "alice", r.clock.now_ms())
    service.run_cycle()
    assert r.repo.get_action(action_id).status == "done" and r.paper.desk.signers_seen  # it did sign
    # errors on the signing path, their str and repr
    gw = r.gateway
    mid = gw.mids()["BTC"]
    for fault, params in (("action_error", {"message": "L1 error: nope"}), ("latency", {"latency_ms": 900}),
                          ("malformed", {"mode": "garbage"}), ("http_5xx", {}), ("drop", {})):
        r.paper.inject_fault(fault, endpoint="exchange", **params)
        with pytest.raises(ExchangeError) as caught:
            gw.place_orders([OrderRequest("BTC", True, 0.01, mid * 1.01, tif="Ioc")])
        evidence += [str(caught.value), repr(caught.value)]
    for bad in (CANARY[:-1] + "z", CANARY[:-2], CANARY + "00"):
        with pytest.raises(GatewayConfigError) as caught:
            HyperliquidGateway("paper", base_url=r.paper.base_url, private_key=bad)
        evidence += [str(caught.value), repr(caught.value), repr(caught.value.__cause__), repr(caught.value.__context__)]
    evidence += [repr(gw), str(vars(gw)), repr(service), str(vars(service)), repr(Executor(gw, r.repo, "0x0"))]
    # the CLI: approve sends signed orders, the monitor polls; both at DEBUG, with a log file
    cli_db = tmp_path / "cli.db"
    cli_action = propose_exit(r, coins=("SOL",))
    r.repo.store.close()
    import shutil

    shutil.copy(r.db_path, cli_db)
    approve = run_cli(["approve", str(cli_action), "--by", "alice"], r, cli_db)
    assert approve.returncode == 0, approve.stderr
    monitor = run_cli(["monitor", "--headless", "--once", "--json"], r, cli_db)
    assert monitor.returncode == 0, monitor.stderr
    evidence += [approve.stdout, approve.stderr, monitor.stdout, monitor.stderr]
    evidence += [cli_db.with_suffix(".log").read_text()]
    evidence += sqlite_evidence(r.db_path) + sqlite_evidence(cli_db)
    evidence += [caplog.text, "\n".join(repr(rec.args) for rec in caplog.records)]
    out = capfd.readouterr()
    evidence += [out.out, out.err]
    assert "'signature'" in caplog.text  # the SDK's signed payload was logged, so DEBUG was on
    found = sum(hits(CANARY_HEX, e) for e in evidence)
    record_property("canary_places_checked", len(evidence))
    record_property("canary_hits", found)
    assert found == 0


async def test_s16_the_console_screen_never_shows_the_signing_key(tmp_path, caplog, record_property,
                                                                  monkeypatch):
    import eth_account

    from console.app import EvoriskApp

    created = []  # the paper session's agent, made by the real eth_account and seen as it is made
    make_account = eth_account.Account.create
    monkeypatch.setattr(eth_account.Account, "create",
                        lambda *a, **k: created.append(make_account(*a, **k)) or created[-1])
    caplog.set_level(logging.DEBUG)
    app = EvoriskApp(network="paper", db_path=tmp_path / "console.db")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.session is not None and app.session.service.last_snapshot is not None)
        [agent] = [a for a in created if a.address == app.session.service.gateway.signer_address]
        key_hex = agent.key.hex().removeprefix("0x")  # the secret in use: its address signs
        screens = []
        for tab in ("l", "g", "l"):
            await pilot.press(tab)
            await pilot.pause(0.2)
            screens.append(app.export_screenshot())
        await pilot.press("q")
    evidence = [*screens, caplog.text, *sqlite_evidence(tmp_path / "console.db")]
    found = sum(hits(key_hex, e) for e in evidence)
    record_property("canary_places_checked", len(evidence))
    record_property("canary_hits", found)
    assert "PAPER" in screens[0] and found == 0
