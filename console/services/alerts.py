"""`evorisk alerts` and `alerts test`: the recorded alert events with their deliveries, and one
test alert through every configured channel with what became of it.

A test refuses (BadInputError, nothing sent) when a configured URL is not one apprise knows: a
test that skipped that channel would pass without it. Only redacted URLs are ever named.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console.services.promotions import wall_ms
from core.alerts.channels import url_channels
from core.alerts.detect import test_alert
from core.alerts.dispatcher import AlertDispatcher, DispatchSettings
from core.alerts.factory import build_channels
from core.alerts.model import Alert
from core.errors import BadInputError
from core.operator_settings import ALERT_URLS_ENV, load_settings
from storage import Store
from storage.alert_repo import AlertRepo

TEST_RETRIES_S = (1.0,)  # one retry: a test should answer within seconds, not the monitor's full back-off
TEST_WAIT_S = 30.0  # longest `alerts test` waits for every channel's verdict


def recent_alerts(store: Store, limit: int) -> list[dict[str, Any]]:
    """Newest first, each with its deliveries (channel, redacted target, status, attempts, error)."""
    return AlertRepo(store).recent(limit)


@dataclass(frozen=True)
class AlertTest:
    channels: int
    urls_configured: bool
    answered: bool  # every channel gave its verdict within TEST_WAIT_S
    deliveries: list[dict[str, Any]]

    @property
    def failed(self) -> bool:
        """A channel did not answer in time or did not deliver."""
        return not self.answered or any(d["status"] != "delivered" for d in self.deliveries)


def send_test_alert(store: Store, on_console: Callable[[Alert], None]) -> AlertTest:
    """The test alert through the console channel (`on_console`) and every URL channel, recorded."""
    settings = load_settings()
    refuse_unusable_urls(settings.alerts.urls)
    repo = AlertRepo(store)
    channels, _ = build_channels(settings.alerts, on_console)
    dispatcher = AlertDispatcher(channels, repo, wall_ms, DispatchSettings(TEST_RETRIES_S, 0)).start()
    dispatcher.raise_alert(test_alert(wall_ms()))
    answered = dispatcher.wait_idle(TEST_WAIT_S)
    dispatcher.stop()
    events = repo.recent(1)
    return AlertTest(len(channels), bool(settings.alerts.urls), answered,
                     list(events[0].get("deliveries", [])) if events else [])


def refuse_unusable_urls(urls: tuple[str, ...]) -> None:
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
