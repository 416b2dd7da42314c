"""HTTP faults: which request gets a 429, a 5xx, a broken body or extra latency.

Faults come from the running scenario (time windows, optional probability drawn from a seeded
generator) or are injected in-process for the next N requests (tests, console key presses).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from core.exchange.paper.scenario import FAULT_KINDS, MALFORMED_MODES, ScenarioEvent

HTML_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>upstream maintenance</body></html>"


@dataclass
class Fault:
    kind: str
    endpoint: str = "any"
    params: dict = field(default_factory=dict)
    remaining: int = 1


@dataclass(frozen=True)
class Draw:
    """What to do to one request: sleep first, then maybe replace or break the reply."""

    latency_ms: float = 0.0
    fault: Fault | None = None


class FaultPlan:
    def __init__(self, seed: int):
        self._rng = random.Random(seed)
        self._injected: list[Fault] = []

    def inject(self, kind: str, *, count: int = 1, endpoint: str = "any", **params: object) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {FAULT_KINDS}")
        if kind == "malformed" and params.get("mode", "truncated") not in MALFORMED_MODES:
            raise ValueError(f"malformed mode must be one of {MALFORMED_MODES}")
        self._injected.append(Fault(kind, endpoint, dict(params), count))

    def clear(self) -> None:
        self._injected.clear()

    def draw(self, endpoint: str, scheduled: list[ScenarioEvent]) -> Draw:
        latency_ms, chosen = 0.0, None
        for fault in list(self._injected):
            if fault.endpoint not in ("any", endpoint):
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._injected.remove(fault)
            if fault.kind == "latency":
                latency_ms += float(fault.params.get("latency_ms", 1000))
            elif chosen is None:
                chosen = fault
        for event in scheduled:
            if self._rng.random() >= event.probability:
                continue
            if event.kind == "latency":
                latency_ms += float(event.params.get("latency_ms", 1000))
            elif chosen is None:
                chosen = Fault(event.kind, event.endpoint, dict(event.params))
        return Draw(latency_ms, chosen)


def broken_body(reply_text: str, mode: str) -> str:
    """A 200 body that is not the JSON the client expects."""
    if mode == "truncated":
        return reply_text[: max(1, len(reply_text) // 2)]
    if mode == "html":
        return HTML_PAGE
    return "}{ not json"


def rate_limit_body(variant: str) -> str:
    """429 bodies seen in the wild: plain text (default), JSON null, or an object without `code`."""
    return {"null": "null", "{}": "{}"}.get(variant, "Too many requests, slow down.")
