"""One place that turns the operator's alert settings into a running dispatcher."""
from __future__ import annotations

import logging
from typing import Callable

from core.alerts.channels import Channel, ConsoleChannel, DesktopChannel, url_channels
from core.alerts.dispatcher import AlertDispatcher, DispatchSettings
from core.alerts.model import Alert, AlertSink
from core.operator_settings import AlertSettings

log = logging.getLogger("evorisk.alerts")


def build_channels(settings: AlertSettings, console: Callable[[Alert], None] | None = None,
                   watcher: bool = False) -> tuple[list[Channel], list[str]]:
    """Console (when a callback is given), desktop (when notify-send exists), one per URL; and
    a redacted line per URL apprise refused.

    A watcher (a read-only monitor or console beside the one holding the account's lease) keeps
    only the channels on this machine: the URL channels (phone, chat, webhook) are the acting
    monitor's, so an operator is not paged twice for one event."""
    channels: list[Channel] = []
    if console is not None:
        channels.append(ConsoleChannel(console))
    if settings.desktop:
        desktop = DesktopChannel.available()
        if desktop is not None:
            channels.append(desktop)
    if watcher:
        return channels, []
    urls, problems = url_channels(list(settings.urls))
    channels.extend(urls)
    for problem in problems:
        log.error("alert channel skipped: %s", problem)
    return channels, problems


def build_dispatcher(settings: AlertSettings, sink: AlertSink, now_ms: Callable[[], int],
                     console: Callable[[Alert], None] | None = None, watcher: bool = False) -> AlertDispatcher:
    channels, _ = build_channels(settings, console, watcher)
    if watcher and settings.urls:
        log.info("alerts: watching read-only; the %d URL channel(s) are left to the monitor holding the lease",
                 len(settings.urls))
    dispatch = DispatchSettings(retry_delays_s=settings.retry_delays_s,
                                dedup_window_ms=int(settings.dedup_window_s * 1000))
    log.info("alerts: %s", ", ".join(c.target for c in channels) or "no channel (recorded only)")
    return AlertDispatcher(channels, sink, now_ms, dispatch).start()
