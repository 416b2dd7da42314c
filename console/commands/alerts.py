"""`evorisk alerts [--json]` lists recent alert events and their deliveries; `evorisk alerts test`
sends a test alert to every configured channel and says what became of it, or refuses (exit 2,
nothing sent) when a configured URL is not one apprise knows: a test that skipped it would pass.

Channels come from the settings file and EVORISK_ALERT_URLS (core/operator_settings.py); only
redacted URLs are ever printed.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone

from console import argtypes as at
from console.exit_codes import EXIT_OK, EXIT_UNREACHABLE  # 3: a channel could not be reached, as for the exchange
from console.views.listing import write_listing
from core.alerts.detect import test_alert
from core.alerts.dispatcher import AlertDispatcher, DispatchSettings
from core.alerts.channels import url_channels
from core.alerts.factory import build_channels
from core.errors import BadInputError
from core.operator_settings import ALERT_URLS_ENV, load_settings

TEST_RETRIES_S = (1.0,)  # one retry: a test should answer within seconds, not the monitor's full back-off
TEST_WAIT_S = 30.0  # longest `alerts test` waits for every channel's verdict


def _now_ms() -> int:
    return int(time.time() * 1000)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _repo(args: argparse.Namespace):
    from console.services.opening import open_args_store  # heavy: the store
    from storage.alert_repo import AlertRepo

    return AlertRepo(open_args_store(args))


def delivery_text(d: dict) -> str:
    tries = f" after {d['attempts']} attempts" if d["attempts"] > 1 else ""
    error = f": {d['error']}" if d.get("error") and d["status"] != "delivered" else ""
    return f"{d['channel']} {d['target']} {d['status']}{tries}{error}"


def cmd_alerts(args: argparse.Namespace) -> int:
    if args.action == "test":
        return cmd_alerts_test(args)
    write_listing(_repo(args).recent(args.limit), args.json, _event_lines, "no alerts yet")
    return EXIT_OK


def _event_lines(e: dict) -> list[str]:
    repeats = f" (repeated {e['repeats']}x, not re-sent)" if e["repeats"] else ""
    lines = [f"#{e['id']} {_when(e['time_ms'])} UTC [{e['severity']}] {e['kind']}: {e['title']}{repeats}"]
    if e["body"]:
        lines.append(f"    {e['body']}")
    lines += [f"    -> {delivery_text(d)}" for d in e["deliveries"]
              or [{"channel": "-", "target": "no channel", "status": "recorded only", "attempts": 0}]]
    return lines


def cmd_alerts_test(args: argparse.Namespace) -> int:
    settings = load_settings()
    repo = _repo(args)

    def on_console(alert) -> None:
        sys.stdout.write(f"\a[console] {alert.text}\n")  # the terminal bell, as the console rings it

    _refuse_unusable_urls(settings.alerts.urls)  # a test that skips a channel would pass without it
    channels, _ = build_channels(settings.alerts, on_console)
    dispatcher = AlertDispatcher(channels, repo, _now_ms, DispatchSettings(TEST_RETRIES_S, 0)).start()
    alert = test_alert(_now_ms())
    dispatcher.raise_alert(alert)
    finished = dispatcher.wait_idle(TEST_WAIT_S)
    dispatcher.stop()
    sys.stdout.write(f"test alert sent to {len(channels)} channel(s)"
                     + ("" if settings.alerts.urls else " (no notification URL configured: set EVORISK_ALERT_URLS"
                        " or [alerts] urls in the settings file)") + "\n")
    event = repo.recent(1)[0] if repo.recent(1) else None
    failed = not finished
    for d in (event or {}).get("deliveries", []):
        sys.stdout.write(f"  {delivery_text(d)}\n")
        failed = failed or d["status"] != "delivered"
    if not finished:
        sys.stdout.write(f"  some channels had not answered after {TEST_WAIT_S:.0f} s\n")
    return EXIT_UNREACHABLE if failed else EXIT_OK


def _refuse_unusable_urls(urls: tuple[str, ...]) -> None:
    """BadInputError naming every URL apprise refuses, by where it was configured and its
    redacted form (core/alerts/redact.py), before anything is sent."""
    from_env = [u.strip() for u in os.environ.get(ALERT_URLS_ENV, "").split(",")]  # entry N as written
    bad = []
    for url in urls:
        _, problems = url_channels([url])
        if problems:
            where = (f"{ALERT_URLS_ENV} entry {from_env.index(url) + 1}" if url in from_env
                     else "[alerts] urls in the settings file")
            bad.append(f"{where}: {problems[0]}")
    if bad:
        raise BadInputError("; ".join(bad) + "; fix or remove it, nothing was sent")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("alerts", parents=[common], help="recent alerts and their deliveries; `alerts test`")
    p.add_argument("action", nargs="?", choices=("test",),
                   help="test: send a test alert to every channel (exit 3 if one could not be reached)")
    p.add_argument("--limit", type=at.count, default=30, help="how many recent alerts (default 30)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_alerts)
