"""Scenario files: JSON scripts of market events and HTTP faults at simulated minutes.

Times (`at_min`, `for_min`, `over_min`, `repeat_every_min`) are simulated minutes since the
scenario was switched on. A file looks like:

    {"name": "crash", "description": "...", "drift_pct_per_day": 0.0,
     "events": [{"kind": "crash", "at_min": 1, "over_min": 10, "pct": 20}]}

Price events: crash (down `pct` % over `over_min`, optional `coins`), selloff (like crash for
every coin, scaled per coin by `betas`), gap (instant signed `pct` jump), stale (prices freeze
for `for_min`). Fault events, optionally `repeat_every_min`, `probability`, and
`endpoint` (info | exchange | any): http_429 (`body`: text | null | {}), http_5xx (`status`),
malformed (`mode`: truncated | html | garbage), latency (`latency_ms`), drop (the request is
processed, then the connection closes without a reply), order_error (every order of an action
gets the per-order error `message`, nothing is booked) and action_error (the whole action is
refused with `message`, as `{"status":"err"}`).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import BadInputError
from core.exchange.paper.demo_spec import number_field, parse_demo_account

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
PRICE_KINDS = ("crash", "selloff", "gap", "stale")
FAULT_KINDS = ("http_429", "http_5xx", "malformed", "latency", "drop", "order_error", "action_error")
MALFORMED_MODES = ("truncated", "html", "garbage")
ENDPOINTS = ("info", "exchange", "any")
MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class ScenarioEvent:
    kind: str
    at_min: float = 0.0
    for_min: float = math.inf
    over_min: float = 1.0
    pct: float = 0.0
    coins: tuple[str, ...] | None = None
    betas: dict[str, float] = field(default_factory=dict)
    repeat_every_min: float | None = None
    probability: float = 1.0
    endpoint: str = "any"
    params: dict[str, Any] = field(default_factory=dict)

    def applies_to(self, coin: str) -> bool:
        return self.coins is None or coin in self.coins

    def active_at(self, minute: float) -> bool:
        """Window test for stale and fault events, with optional repetition."""
        if minute < self.at_min:
            return False
        since = minute - self.at_min
        if self.repeat_every_min:
            since %= self.repeat_every_min
        return since < self.for_min

    def log_move(self, coin: str, minute: float) -> float:
        """Log price multiplier this event has contributed by `minute` (0 for non-price kinds)."""
        if minute < self.at_min or not self.applies_to(coin):
            return 0.0
        if self.kind == "gap":
            return math.log1p(self.pct / 100.0)
        if self.kind in ("crash", "selloff"):
            pct = self.pct * self.betas.get(coin, 1.0) if self.kind == "selloff" else self.pct
            progress = min(1.0, (minute - self.at_min) / self.over_min)
            return progress * math.log1p(-min(pct, 99.0) / 100.0)
        return 0.0


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str = ""
    drift_pct_per_day: float = 0.0
    events: tuple[ScenarioEvent, ...] = ()
    demo_account: dict[str, Any] | None = None

    def log_multiplier(self, coin: str, minute: float) -> float:
        drift = math.log1p(self.drift_pct_per_day / 100.0) * minute / MINUTES_PER_DAY
        return drift + sum(e.log_move(coin, minute) for e in self.events)

    def frozen_since(self, minute: float) -> float | None:
        """Start minute of the stale window covering `minute`, if any."""
        for e in self.events:
            if e.kind == "stale" and e.active_at(minute):
                return e.at_min
        return None

    def faults_at(self, minute: float, endpoint: str) -> list[ScenarioEvent]:
        return [e for e in self.events if e.kind in FAULT_KINDS and e.endpoint in ("any", endpoint)
                and e.active_at(minute)]


def _num(raw: dict, key: str, where: str, default: float, low: float = -math.inf, high: float = math.inf) -> float:
    return number_field(raw, key, where, default, low, high)


HTTP_429_BODIES = ("text", "null", "{}")
MAX_LATENCY_MS = 600_000.0  # ten minutes: longer is no longer latency but an outage
MAX_RETRY_AFTER_S = 3600.0
MAX_MESSAGE_CHARS = 500
MAX_BETA = 10.0


def _params(raw: dict, kind: str, where: str) -> dict[str, Any]:
    """The fault parameters of an event, each checked so a bad one fails here and not per request."""
    params: dict[str, Any] = {}
    if kind == "http_429":
        if raw.get("body", "text") not in HTTP_429_BODIES:
            raise BadInputError(f"{where}: body must be one of {HTTP_429_BODIES}, got {raw.get('body')!r}")
        params["body"] = raw.get("body", "text")
        params["retry_after_s"] = _num(raw, "retry_after_s", where, 1.0, 0.0, MAX_RETRY_AFTER_S)
    elif kind == "http_5xx":
        status = raw.get("status", 502)
        if isinstance(status, bool) or not isinstance(status, int) or not 500 <= status <= 599:
            raise BadInputError(f"{where}: status must be an integer in [500, 599], got {status!r}")
        params["status"] = status
    elif kind == "malformed":
        if raw.get("mode", "truncated") not in MALFORMED_MODES:
            raise BadInputError(f"{where}: mode must be one of {MALFORMED_MODES}")
        params["mode"] = raw.get("mode", "truncated")
    elif kind == "latency":
        params["latency_ms"] = _num(raw, "latency_ms", where, 1000.0, 0.0, MAX_LATENCY_MS)
    elif kind in ("order_error", "action_error") and "message" in raw:
        message = raw["message"]
        if not isinstance(message, str) or not 0 < len(message) <= MAX_MESSAGE_CHARS:
            raise BadInputError(f"{where}: message must be a text of 1-{MAX_MESSAGE_CHARS} characters")
        params["message"] = message
    return params


def _betas(raw: dict, where: str) -> dict[str, float]:
    betas = raw.get("betas", {})
    if not isinstance(betas, dict):
        raise BadInputError(f"{where}: betas must be an object of coin -> number")
    return {str(coin): _num(betas, coin, f"{where}: betas", 1.0, -MAX_BETA, MAX_BETA) for coin in betas}


def parse_event(raw: Any, where: str) -> ScenarioEvent:
    if not isinstance(raw, dict) or raw.get("kind") not in PRICE_KINDS + FAULT_KINDS:
        raise BadInputError(f"{where}: kind must be one of {', '.join(PRICE_KINDS + FAULT_KINDS)}")
    kind = raw["kind"]
    endpoint = raw.get("endpoint", "any")
    if endpoint not in ENDPOINTS:
        raise BadInputError(f"{where}: endpoint must be one of {ENDPOINTS}")
    coins = raw.get("coins")
    if coins is not None and not (isinstance(coins, list) and all(isinstance(c, str) for c in coins)):
        raise BadInputError(f"{where}: coins must be a list of names")
    pct_bounds = (-99.0, 1000.0) if kind == "gap" else (0.0, 99.0)
    params = _params(raw, kind, where)
    every = raw.get("repeat_every_min")
    return ScenarioEvent(
        kind=kind, at_min=_num(raw, "at_min", where, 0.0, 0.0), endpoint=endpoint,
        for_min=_num(raw, "for_min", where, math.inf, 0.0), over_min=_num(raw, "over_min", where, 1.0, 1e-6),
        pct=_num(raw, "pct", where, 0.0, *pct_bounds), coins=tuple(coins) if coins else None,
        betas=_betas(raw, where),
        repeat_every_min=None if every is None else _num(raw, "repeat_every_min", where, 1.0, 1e-6),
        probability=_num(raw, "probability", where, 1.0, 0.0, 1.0), params=params)


def parse_scenario(raw: Any, source: str) -> Scenario:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise BadInputError(f"{source}: a scenario is a JSON object with a name")
    events = raw.get("events", [])
    if not isinstance(events, list):
        raise BadInputError(f"{source}: events must be a list")
    return Scenario(name=raw["name"], description=str(raw.get("description", "")),
                    drift_pct_per_day=_num(raw, "drift_pct_per_day", source, 0.0, -50.0, 50.0),
                    events=tuple(parse_event(e, f"{source}: events[{i}]") for i, e in enumerate(events)),
                    demo_account=parse_demo_account(raw.get("demo_account"), f"{source}: demo_account"))


def available_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.json"))


def load_scenario(name_or_path: str) -> Scenario:
    """A shipped scenario by name (`crash`) or any JSON file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.json"
    if not path.is_file():
        raise BadInputError(f"unknown scenario {name_or_path!r}; shipped: {', '.join(available_scenarios())}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(f"{path}: not a readable JSON scenario ({exc})") from None
    return parse_scenario(raw, str(path))
