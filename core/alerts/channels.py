"""The ways an alert leaves the process: the console, a desktop notice, notification URLs.

Each channel's `send` either returns (delivered) or raises ChannelError with a text that holds
no secret; the dispatcher retries it with back-off on its own thread.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
from typing import Callable, Protocol

from core.alerts.model import Alert, Severity
from core.alerts.redact import redact_url, scrub

log = logging.getLogger("evorisk.alerts")

DESKTOP_TIMEOUT_S = 5.0  # notify-send returns at once; a hung session bus must not hold the channel
# apprise's own per-URL socket timeouts (seconds), unless the URL sets cto= / rto= itself
URL_CONNECT_TIMEOUT_S = 4.0
URL_READ_TIMEOUT_S = 4.0
NOTIFY_SEND_URGENCY = {Severity.INFO: "low", Severity.WARNING: "normal", Severity.CRITICAL: "critical"}


class ChannelError(Exception):
    """One delivery attempt failed; the message is safe to log and store."""


class Channel(Protocol):
    name: str  # "console" | "desktop" | "url"
    target: str  # redacted: what the operator may see of where it goes

    def send(self, alert: Alert) -> None: ...


class ConsoleChannel:
    """Hands the alert to a callback the console registers (it posts a Textual message; the
    handler shows a toast and rings the bell). The callback must not block."""

    name = "console"
    target = "console"

    def __init__(self, callback: Callable[[Alert], None]):
        self.callback = callback

    def send(self, alert: Alert) -> None:
        try:
            self.callback(alert)
        except RuntimeError as exc:  # the app is gone (closing): not worth a retry storm
            raise ChannelError(f"console unavailable: {exc}") from None


class DesktopChannel:
    """`notify-send` where the machine has one (Linux desktops); `available()` says whether."""

    name = "desktop"
    target = "notify-send"

    def __init__(self, executable: str):
        self.executable = executable

    @classmethod
    def available(cls) -> "DesktopChannel | None":
        path = shutil.which("notify-send")
        return cls(path) if path else None

    def send(self, alert: Alert) -> None:
        cmd = [self.executable, "--app-name=evorisk", f"--urgency={NOTIFY_SEND_URGENCY[alert.severity]}",
               f"evorisk: {alert.title}", alert.body]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=DESKTOP_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ChannelError(f"notify-send failed: {type(exc).__name__}") from None
        if done.returncode != 0:
            raise ChannelError(f"notify-send exited {done.returncode}: {done.stderr.strip()[:200]}")


def _quiet_apprise() -> None:
    """apprise logs request URLs (with their tokens) at DEBUG and failures at WARNING: keep its
    records out of our file and app_log handlers; the channel captures and scrubs them itself."""
    logging.getLogger("apprise").propagate = False


class AppriseChannel:
    """One notification URL through apprise (Telegram, Slack, Discord, ntfy, e-mail, webhooks).

    apprise's logger is shared by every channel thread, so a captured failure text is scrubbed
    of the secrets of every URL this process knows, not only its own."""

    name = "url"
    _known_urls: list[str] = []

    def __init__(self, url: str):
        import apprise  # function-level: only the processes that send alerts pay for the import

        _quiet_apprise()
        self._url = url.strip()
        self.target = redact_url(self._url)
        AppriseChannel._known_urls.append(self._url)
        self._apprise = apprise.Apprise()
        if not self._apprise.add(_with_timeouts(self._url)):
            raise ValueError(f"not a notification URL apprise knows: {self.target}")

    def __repr__(self) -> str:
        return f"AppriseChannel({self.target})"

    def send(self, alert: Alert) -> None:
        import apprise

        kind = {Severity.INFO: apprise.NotifyType.INFO, Severity.WARNING: apprise.NotifyType.WARNING,
                Severity.CRITICAL: apprise.NotifyType.FAILURE}[alert.severity]
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            ok = self._apprise.notify(title=f"evorisk: {alert.title}", body=alert.body or alert.title,
                                      notify_type=kind)
            detail = captured.getvalue() if hasattr(captured, "getvalue") else ""
        if not ok:
            text = " ".join(detail.split())[-300:] or "apprise reported failure"
            raise ChannelError(scrub(text, AppriseChannel._known_urls))


def _with_timeouts(url: str) -> str:
    """Bound apprise's sockets so a dead receiver fails an attempt instead of hanging the channel."""
    if "cto=" in url or "rto=" in url:
        return url
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}cto={URL_CONNECT_TIMEOUT_S:g}&rto={URL_READ_TIMEOUT_S:g}"


def url_channels(urls: list[str]) -> tuple[list[AppriseChannel], list[str]]:
    """Channels for the URLs apprise accepts, and one redacted line for each it refuses."""
    channels, problems = [], []
    for url in urls:
        try:
            channels.append(AppriseChannel(url))
        except ValueError as exc:
            problems.append(str(exc))
    return channels, problems
