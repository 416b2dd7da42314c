"""Type checks of incoming JSON before anything uses it, worded as the venue words them.

Hyperliquid's API deserializes every body into typed structs (serde behind axum): a field of
the wrong type, an unknown request type or nesting beyond serde_json's recursion limit is an
HTTP 422 "Failed to deserialize the JSON body into the target type: ..." and never reaches the
matching engine. Values of the right type but out of range (a price off tick, a non-finite
price, an unknown coin) are the engine's business and get its own per-order or status errors.
"""
from __future__ import annotations

import json
from typing import Any

MAX_JSON_DEPTH = 128  # serde_json's default recursion limit
MAX_INT = 2**63 - 1  # the venue's integers are u64/i64; times and oids beyond are not integers to it
DESERIALIZE = "Failed to deserialize the JSON body into the target type"


class BodyError(Exception):
    """The body does not deserialize; str(exc) is the whole 422 text."""


def _depth_ok(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def parse_body(raw: bytes) -> Any:
    """The JSON value of a body, or BodyError with the venue's 422 text."""
    try:
        value = json.loads(raw or b"null", parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors too
        raise BodyError(DESERIALIZE) from None
    except RecursionError:
        raise BodyError(f"{DESERIALIZE}: recursion limit exceeded") from None
    if not _depth_ok(value):
        raise BodyError(f"{DESERIALIZE}: recursion limit exceeded")
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number out of range: {text[:20]}")  # 1e400: serde's "number out of range"
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: Python's json accepts them, serde does not


def is_int(value: Any, low: int = 0, high: int = MAX_INT) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _type_error(path: str, expected: str, value: Any) -> BodyError:
    return BodyError(f"{DESERIALIZE}: {path}: invalid type: {type(value).__name__}, expected {expected}")


def _check_optional(obj: dict, key: str, ok: bool, path: str, expected: str) -> None:
    if key in obj and obj[key] is not None and not ok:
        raise _type_error(f"{path}.{key}", expected, obj[key])


def check_order_wire(wire: Any, path: str) -> None:
    if not isinstance(wire, dict):
        raise _type_error(path, "an order", wire)
    for key, ok, expected in (("a", is_int(wire.get("a"), 0, 2**32 - 1), "u32"),
                              ("b", isinstance(wire.get("b"), bool), "a boolean"),
                              ("p", isinstance(wire.get("p"), str), "a string"),
                              ("s", isinstance(wire.get("s"), str), "a string"),
                              ("r", isinstance(wire.get("r"), bool), "a boolean"),
                              ("t", isinstance(wire.get("t"), dict), "an order type")):
        if not ok:
            raise _type_error(f"{path}.{key}", expected, wire.get(key))
    _check_optional(wire, "c", isinstance(wire.get("c"), str), path, "a string")
    kind = wire["t"]
    if isinstance(kind.get("limit"), dict):
        if not isinstance(kind["limit"].get("tif"), str):
            raise _type_error(f"{path}.t.limit.tif", "a string", kind["limit"].get("tif"))
    elif isinstance(kind.get("trigger"), dict):
        trig = kind["trigger"]
        if not (isinstance(trig.get("triggerPx"), str) and isinstance(trig.get("isMarket"), bool)
                and isinstance(trig.get("tpsl"), str)):
            raise _type_error(f"{path}.t.trigger", "triggerPx string, isMarket boolean, tpsl string", trig)
    else:
        raise _type_error(f"{path}.t", "limit or trigger", kind)


def _check_cancel(item: Any, path: str, by_cloid: bool) -> None:
    if not isinstance(item, dict):
        raise _type_error(path, "a cancel", item)
    asset_key, id_key = ("asset", "cloid") if by_cloid else ("a", "o")
    if not is_int(item.get(asset_key), 0, 2**32 - 1):
        raise _type_error(f"{path}.{asset_key}", "u32", item.get(asset_key))
    ok = isinstance(item.get(id_key), str) if by_cloid else is_int(item.get(id_key))
    if not ok:
        raise _type_error(f"{path}.{id_key}", "a string" if by_cloid else "u64", item.get(id_key))


def check_exchange_body(body: Any) -> None:
    """The signed envelope and, for the actions that carry lists, every item's field types."""
    if not isinstance(body, dict) or not isinstance(body.get("action"), dict):
        raise BodyError(f"{DESERIALIZE}: action: missing field or not an object")
    action = body["action"]
    if not isinstance(action.get("type"), str):
        raise _type_error("action.type", "a string", action.get("type"))
    if not is_int(body.get("nonce")):
        raise _type_error("nonce", "u64", body.get("nonce"))
    sig = body.get("signature")
    if not (isinstance(sig, dict) and isinstance(sig.get("r"), str) and isinstance(sig.get("s"), str)
            and is_int(sig.get("v"), 0, 255)):
        raise _type_error("signature", "{r: string, s: string, v: u8}", sig)
    _check_optional(body, "vaultAddress", isinstance(body.get("vaultAddress"), str), "$", "a string")
    _check_optional(body, "expiresAfter", is_int(body.get("expiresAfter")), "$", "u64")
    kind = action["type"]
    if kind == "order":
        wires = action.get("orders")
        if not isinstance(wires, list):
            raise _type_error("action.orders", "a sequence", wires)
        for i, wire in enumerate(wires):
            check_order_wire(wire, f"action.orders[{i}]")
        if not isinstance(action.get("grouping", "na"), str):
            raise _type_error("action.grouping", "a string", action.get("grouping"))
    elif kind in ("cancel", "cancelByCloid"):
        cancels = action.get("cancels")
        if not isinstance(cancels, list):
            raise _type_error("action.cancels", "a sequence", cancels)
        for i, item in enumerate(cancels):
            _check_cancel(item, f"action.cancels[{i}]", kind == "cancelByCloid")
    elif kind == "scheduleCancel":
        _check_optional(action, "time", is_int(action.get("time")), "action", "u64")


def check_info_body(body: Any) -> str:
    """The request type of an /info body; the type-specific fields are checked by each reader."""
    if not isinstance(body, dict):
        raise BodyError(f"{DESERIALIZE}: expected an object with a type")
    kind = body.get("type")
    if not isinstance(kind, str):
        raise _type_error("type", "a string", kind)
    for key in ("user", "coin"):
        _check_optional(body, key, isinstance(body.get(key), str), "$", "a string")
    for key in ("startTime", "endTime"):
        _check_optional(body, key, is_int(body.get(key)), "$", "u64")
    return kind
