"""AlertDispatcher: alerts leave the monitor's loop through a queue and are delivered by threads.

`raise_alert` only puts the alert on an in-memory queue (never blocks, never touches SQLite or
the network), so a poll or an approval is never delayed by a slow channel. An intake thread
records the event and hands it to one worker thread per channel; each worker retries its
channel with exponential back-off, so a dead notification URL delays only itself. An alert
whose de-dup key was delivered within the de-dup window is the same state flapping: it is
counted on the first event's row, not delivered again.
"""
from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Callable, Sequence

from core.alerts.channels import Channel, ChannelError
from core.alerts.model import DELIVERED, FAILED, GAVE_UP, Alert, AlertSink

log = logging.getLogger("evorisk.alerts")

RETRY_DELAYS_S = (2.0, 4.0, 8.0, 16.0)  # waits before attempts 2..5; then the delivery gives up
DEDUP_WINDOW_MS = 5 * 60_000  # a state that comes back within 5 minutes is flapping
INTAKE_QUEUE_MAX = 1000  # beyond this, alerts are dropped (and logged) rather than blocking the monitor
STOP_JOIN_S = 2.0


@dataclass(frozen=True)
class DispatchSettings:
    retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S
    dedup_window_ms: int = DEDUP_WINDOW_MS


_STOP = object()


class _ChannelWorker:
    """One channel, one thread, one queue: attempts, back-off waits and delivery rows."""

    def __init__(self, channel: Channel, sink: AlertSink, settings: DispatchSettings, now_ms: Callable[[], int],
                 stopping: threading.Event):
        self.channel, self.sink, self.settings, self.now_ms = channel, sink, settings, now_ms
        self.stopping = stopping
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name=f"alerts-{channel.name}", daemon=True)

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is _STOP:
                    return
                self._deliver(*item)
            finally:
                self.queue.task_done()

    def _deliver(self, event_id: int, alert: Alert) -> None:
        delays = self.settings.retry_delays_s
        for attempt in range(1, len(delays) + 2):
            try:
                self.channel.send(alert)
            except ChannelError as exc:
                last = attempt == len(delays) + 1
                self._record(event_id, attempt, GAVE_UP if last else FAILED, str(exc))
                log.warning("alert %d via %s failed (attempt %d): %s", event_id, self.channel.target, attempt, exc)
                if last or self.stopping.wait(delays[attempt - 1]):
                    return
            else:
                self._record(event_id, attempt, DELIVERED, None)
                return

    def _record(self, event_id: int, attempt: int, status: str, error: str | None) -> None:
        try:
            self.sink.record_delivery(event_id, self.channel.name, self.channel.target, attempt, status, error,
                                      self.now_ms())
        except Exception:  # boundary: a full or busy database must not kill the channel's thread
            log.exception("could not record the delivery of alert %d", event_id)


class AlertDispatcher:
    def __init__(self, channels: Sequence[Channel], sink: AlertSink, now_ms: Callable[[], int],
                 settings: DispatchSettings = DispatchSettings()):
        self.sink, self.now_ms, self.settings = sink, now_ms, settings
        self._stopping = threading.Event()
        self._workers = [_ChannelWorker(c, sink, settings, now_ms, self._stopping) for c in channels]
        self._intake: queue.Queue = queue.Queue(maxsize=INTAKE_QUEUE_MAX)
        self._last_by_key: dict[str, tuple[int, int]] = {}  # dedup_key -> (event id, time_ms)
        self._thread = threading.Thread(target=self._run, name="alerts-intake", daemon=True)
        self.dropped = 0

    @property
    def channels(self) -> list[Channel]:
        return [w.channel for w in self._workers]

    def add_channel(self, channel: Channel) -> None:
        """A channel that joins late (the console registers its callback once the app runs)."""
        worker = _ChannelWorker(channel, self.sink, self.settings, self.now_ms, self._stopping)
        self._workers.append(worker)
        if self._thread.is_alive():
            worker.thread.start()

    def start(self) -> "AlertDispatcher":
        for w in self._workers:
            w.thread.start()
        self._thread.start()
        return self

    def raise_alert(self, alert: Alert) -> bool:
        """Queue an alert; never blocks. False when the queue is full (the alert is dropped)."""
        try:
            self._intake.put_nowait(alert)
            return True
        except queue.Full:
            self.dropped += 1
            log.error("alert queue full, dropped: %s", alert.title)
            return False

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until every queued alert has been handled by every channel (CLI and tests)."""
        done = threading.Event()

        def join_all() -> None:
            self._intake.join()
            for w in self._workers:
                w.queue.join()
            done.set()

        threading.Thread(target=join_all, daemon=True).start()
        return done.wait(timeout_s)

    def stop(self) -> None:
        """Stop waiting between retries and end the threads (undelivered retries are dropped)."""
        self._stopping.set()
        self._intake.put(_STOP)
        for w in self._workers:
            w.queue.put(_STOP)
        self._thread.join(STOP_JOIN_S)

    def _run(self) -> None:
        while True:
            alert = self._intake.get()
            try:
                if alert is _STOP:
                    return
                self._accept(alert)
            except Exception:  # boundary: one broken alert or a database error must not end delivery
                log.exception("alert could not be handled")
            finally:
                self._intake.task_done()

    def _accept(self, alert: Alert) -> None:
        previous = self._last_by_key.get(alert.dedup_key)
        if previous is not None and alert.time_ms - previous[1] < self.settings.dedup_window_ms:
            self.sink.record_repeat(previous[0], alert.time_ms)
            log.info("alert repeated within the de-dup window, not sent again: %s", alert.title)
            return
        event_id = self.sink.record_alert(alert)
        window = self.settings.dedup_window_ms
        self._last_by_key = {k: v for k, v in self._last_by_key.items() if alert.time_ms - v[1] < window}
        self._last_by_key[alert.dedup_key] = (event_id, alert.time_ms)
        log.info("alert %d [%s] %s", event_id, alert.severity.value, alert.text)
        for w in self._workers:
            w.queue.put((event_id, alert))
