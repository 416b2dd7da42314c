"""`evorisk alerts [--json]` lists recent alert events and their deliveries; `evorisk alerts test`
sends a test alert to every configured channel and says what became of it, or refuses (exit 2,
nothing sent) when a configured URL is not one apprise knows: a test that skipped it would pass.

Channels come from the settings file and EVORISK_ALERT_URLS (core/operator_settings.py); the
sending is console/services/alerts.py. Only redacted URLs are ever printed.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from console.cli_options import add_listing_options
from console.exit_codes import EXIT_OK, EXIT_UNREACHABLE  # 3: a channel could not be reached, as for the exchange
from console.views.listing import write_listing

def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _store(args: argparse.Namespace):
    from console.services.opening import open_args_store  # heavy: the store

    return open_args_store(args)


def delivery_text(d: dict) -> str:
    tries = f" after {d['attempts']} attempts" if d["attempts"] > 1 else ""
    error = f": {d['error']}" if d.get("error") and d["status"] != "delivered" else ""
    return f"{d['channel']} {d['target']} {d['status']}{tries}{error}"


def cmd_alerts(args: argparse.Namespace) -> int:
    if args.action == "test":
        return cmd_alerts_test(args)
    from console.services.alerts import recent_alerts  # heavy: the store

    write_listing(recent_alerts(_store(args), args.limit), args.json, _event_lines, "no alerts yet")
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
    from console.services.alerts import TEST_WAIT_S, send_test_alert  # heavy: the store

    def on_console(alert) -> None:
        sys.stdout.write(f"\a[console] {alert.text}\n")  # the terminal bell, as the console rings it

    done = send_test_alert(_store(args), on_console)
    sys.stdout.write(f"test alert sent to {done.channels} channel(s)"
                     + ("" if done.urls_configured else " (no notification URL configured: set EVORISK_ALERT_URLS"
                        " or [alerts] urls in the settings file)") + "\n")
    for d in done.deliveries:
        sys.stdout.write(f"  {delivery_text(d)}\n")
    if not done.answered:
        sys.stdout.write(f"  some channels had not answered after {TEST_WAIT_S:.0f} s\n")
    return EXIT_UNREACHABLE if done.failed else EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("alerts", parents=[common], help="recent alerts and their deliveries; `alerts test`")
    p.add_argument("action", nargs="?", choices=("test",),
                   help="test: send a test alert to every channel (exit 3 if one could not be reached)")
    add_listing_options(p, 30, "alerts")
    p.set_defaults(func=cmd_alerts)
