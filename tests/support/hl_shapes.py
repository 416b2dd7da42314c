"""Compare a reply with a reference shape from ../shared/reference/hl-shapes/ (one JSON file per
/info request type); a test that reads one asks for the `hl_shapes_dir` fixture, which skips it
when the reference is not beside the checkout.

A shape is a leaf type name ("str", "int", "bool", "numstr", "null", or alternatives joined by
"|") or a node: {"type": "object", "keys": {...}, "optional": [...]}, {"type": "array",
"items": shape | null, "nullable": bool}, {"type": "tuple", "items": [shapes]} or
{"type": "map", "values": shape}. `mismatches` lists every difference as "path: what".
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from tests.support.paths import HL_SHAPES

NUMSTR = re.compile(r"^-?\d+(\.\d+)?$")


def reference_types() -> list[str]:
    """The request types with a recorded shape (none when the reference is absent)."""
    return sorted(p.stem for p in HL_SHAPES.glob("*.json") if not p.stem.startswith("_"))


def load_reference(request_type: str) -> dict:
    return json.loads((HL_SHAPES / f"{request_type}.json").read_text(encoding="utf-8"))


def _leaf_ok(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if name == "str":
        return isinstance(value, str)
    if name == "numstr":
        return isinstance(value, str) and bool(NUMSTR.match(value))
    if name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "bool":
        return isinstance(value, bool)
    raise ValueError(f"unknown leaf type {name!r} in a reference shape")


def mismatches(value: Any, shape: Any, path: str = "$") -> list[str]:
    if shape is None:  # the reference saw only empty arrays here: anything goes
        return []
    if isinstance(shape, str):
        if any(_leaf_ok(value, alt) for alt in shape.split("|")):
            return []
        return [f"{path}: expected {shape}, got {type(value).__name__} {str(value)[:40]!r}"]
    kind = shape["type"]
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        out = []
        optional = set(shape.get("optional", []))
        for key, sub in shape["keys"].items():
            if key not in value:
                if key not in optional:
                    out.append(f"{path}.{key}: missing")
                continue
            out += mismatches(value[key], sub, f"{path}.{key}")
        out += [f"{path}.{key}: not in the reference" for key in value if key not in shape["keys"]]
        return out
    if kind == "array":
        if value is None and shape.get("nullable"):
            return []
        if not isinstance(value, list):
            return [f"{path}: expected an array, got {type(value).__name__}"]
        return [m for i, item in enumerate(value) for m in mismatches(item, shape["items"], f"{path}[{i}]")]
    if kind == "tuple":
        if not isinstance(value, list) or len(value) != len(shape["items"]):
            return [f"{path}: expected a list of {len(shape['items'])}"]
        return [m for i, (item, sub) in enumerate(zip(value, shape["items"])) for m in mismatches(item, sub, f"{path}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        return [m for key, item in value.items() for m in mismatches(item, shape["values"], f"{path}.{key}")]
    raise ValueError(f"unknown node type {kind!r} in a reference shape")


PERP_MAX_DECIMALS = 6  # HYPERLIQUID.md, rounding rules: perps allow 6 - szDecimals decimals
PRICE_SIG_FIGS = 5


def venue_tick_ok(text: str, sz_decimals: int) -> bool:
    """The venue's price rule, written here from HYPERLIQUID.md rather than taken from the paper
    exchange: an integer always passes, otherwise at most 5 significant figures and at most
    6 - szDecimals decimals."""
    value = Decimal(text).normalize()
    if value == value.to_integral_value():
        return True
    decimals = max(0, -int(value.as_tuple().exponent))
    return len(value.as_tuple().digits) <= PRICE_SIG_FIGS and decimals <= PERP_MAX_DECIMALS - sz_decimals
