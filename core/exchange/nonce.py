"""Monotonic per-signer nonces.

Hyperliquid stores the highest nonces per signer and rejects any nonce seen before. The SDK
uses the raw millisecond clock, so two actions signed in the same millisecond (a close and a
cancel fired together) would collide and the second would be rejected. `max(now, last + 1)`
keeps nonces unique and still inside the venue's (T - 2 d, T + 1 d) window.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

NowMs = Callable[[], int]


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class NonceSource:
    """Thread-safe `max(now, last + 1)` counter for one signer."""

    def __init__(self, now_ms: NowMs = wall_clock_ms):
        self._now_ms = now_ms
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self._last = max(int(self._now_ms()), self._last + 1)
            return self._last


_SOURCES: dict[str, NonceSource] = {}
_SOURCES_LOCK = threading.Lock()


def nonce_source_for(signer_address: str, now_ms: NowMs = wall_clock_ms) -> NonceSource:
    """One shared source per signer in this process, so two gateways on one key never collide.

    A custom clock (tests) gets its own source: sharing it would mix two time lines.
    """
    if now_ms is not wall_clock_ms:
        return NonceSource(now_ms)
    with _SOURCES_LOCK:
        return _SOURCES.setdefault(signer_address.lower(), NonceSource(now_ms))
