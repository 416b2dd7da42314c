"""Exact orders of breaker actions, their deterministic client order ids and intent hash.

An action's orders are fixed when it is proposed and shown to the operator; the approval is
bound to them by a sha256 "intent hash", and every order sent carries a cloid derived from
(database salt, action id, leg, attempt), so a retry or a restart can look the order up by
cloid instead of sending it again.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from core.exchange.ticks import round_price
from core.exchange.models import OrderRequest, Trigger

# IOC closes: limit = mark -/+ this slippage, widening on each retry of the remainder.
SLIPPAGE_BY_ATTEMPT = (0.02, 0.04, 0.08)
MAX_ATTEMPTS = len(SLIPPAGE_BY_ATTEMPT)
# Worst fill price of a triggered stop: Hyperliquid's UI default for TP/SL market orders.
STOP_MARKET_SLIPPAGE = 0.10
MAX_SIZE_DECIMALS = 8


@dataclass(frozen=True)
class OrderLeg:
    """One order of an action; `trigger_px` set means an exchange-side stop (tpsl "sl")."""

    leg: int
    coin: str
    side: str  # "buy" | "sell"
    size: float
    limit_px: float
    reduce_only: bool = True
    tif: str = "Ioc"
    trigger_px: float | None = None
    cloid: str | None = None

    @property
    def is_buy(self) -> bool:
        return self.side == "buy"

    def to_request(self, cloid: str, size: float | None = None, limit_px: float | None = None) -> OrderRequest:
        trigger = None if self.trigger_px is None else Trigger(self.trigger_px, "sl")
        return OrderRequest(self.coin, self.is_buy, self.size if size is None else size,
                            self.limit_px if limit_px is None else limit_px, self.reduce_only, cloid,
                            "Gtc" if trigger else self.tif, trigger)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CancelLeg:
    coin: str
    cloid: str


@dataclass(frozen=True)
class ProposedAction:
    """An action before it has a row."""

    kind: str  # a core.vocabulary.ActionKind
    reason: str
    legs: tuple[OrderLeg, ...]
    cancels: tuple[CancelLeg, ...] = ()
    auto_approved_by: str | None = None  # None: waits for an operator


def size_decimals(size: float) -> int:
    """Decimals of a venue size as printed (the venue sends sizes already at szDecimals)."""
    text = repr(abs(float(size)))
    if "e" in text or "." not in text:
        return 0 if "e" not in text else MAX_SIZE_DECIMALS
    return min(MAX_SIZE_DECIMALS, len(text.split(".")[1].rstrip("0")))


def floor_size(size: float, decimals: int) -> float:
    """Round a size down to `decimals`, so a fraction of a position never exceeds it."""
    scale = 10 ** decimals
    return math.floor(size * scale + 1e-9) / scale


def aggressive_px(mark_px: float, is_buy: bool, slippage: float, decimals: int) -> float:
    """IOC limit that crosses the book: above the mark for a buy, below for a sell."""
    return round_price(mark_px * (1.0 + slippage if is_buy else 1.0 - slippage), decimals)


def derive_cloid(salt: str, action_id: int, leg: int, attempt: int) -> str:
    """0x + 32 hex from sha256: the same (action, leg, attempt) always gives the same id."""
    digest = hashlib.sha256(f"evorisk:{salt}:{action_id}:{leg}:{attempt}".encode()).hexdigest()
    return "0x" + digest[:32]


def with_cloids(salt: str, action_id: int, legs: tuple[OrderLeg, ...]) -> tuple[OrderLeg, ...]:
    """The legs as listed to the operator: each with its first-attempt cloid."""
    out = []
    for leg in legs:
        out.append(OrderLeg(**{**asdict(leg), "cloid": derive_cloid(salt, action_id, leg.leg, 0)}))
    return tuple(out)


def intent_hash(action_id: int, kind: str, orders: list[dict[str, Any]], cancels: list[dict[str, Any]]) -> str:
    """sha256 of the canonical JSON of what an approval allows; any change breaks it."""
    body = json.dumps({"id": action_id, "kind": kind, "orders": orders, "cancels": cancels}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def legs_to_json(legs: tuple[OrderLeg, ...]) -> list[dict[str, Any]]:
    return [asdict(leg) for leg in legs]


def legs_from_json(rows: list[dict[str, Any]]) -> tuple[OrderLeg, ...]:
    return tuple(OrderLeg(**row) for row in rows)


def cancels_to_json(cancels: tuple[CancelLeg, ...]) -> list[dict[str, Any]]:
    return [asdict(c) for c in cancels]


def cancels_from_json(rows: list[dict[str, Any]]) -> tuple[CancelLeg, ...]:
    return tuple(CancelLeg(**row) for row in rows)
