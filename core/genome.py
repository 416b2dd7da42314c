"""The 22-gene risk genome (SPEC section 2): one declarative layout, decoding, validation, JSON I/O.

Every consumer (kernel, policy, console, CLI) reads gene positions and decoding from GENE_SPECS,
so the table exists exactly once.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.errors import BadInputError, GenomeError
from core.files import MAX_GENOME_FILE_BYTES, read_regular_bytes, write_text_atomic

N_GENES = 22


class Decoding(Enum):
    LINEAR = "linear"  # low + (high - low) * g
    FLOOR = "floor"  # low + floor((high - low) * g), so g=1 gives high
    FLAG = "flag"  # g > 0.5
    WEIGHT = "weight"  # g, normalised with its siblings to sum 1


@dataclass(frozen=True)
class GeneSpec:
    index: int
    name: str
    low: float
    high: float
    unit: str
    decoding: Decoding
    meaning: str

    def decode(self, g: float) -> float | int | bool:
        if self.decoding is Decoding.LINEAR:
            return self.low + (self.high - self.low) * g
        if self.decoding is Decoding.FLOOR:
            return int(self.low + math.floor((self.high - self.low) * g))
        if self.decoding is Decoding.FLAG:
            return g > 0.5
        return g


_L, _F, _B, _W = Decoding.LINEAR, Decoding.FLOOR, Decoding.FLAG, Decoding.WEIGHT

GENE_SPECS: tuple[GeneSpec, ...] = (
    GeneSpec(0, "stop_loss_pct", 0.02, 0.20, "fraction", _L, "base stop distance from entry"),
    GeneSpec(1, "stop_atr_mult", 0.5, 2.5, "x ATR%", _L, "stop is at least this many ATR%"),
    GeneSpec(2, "trail_pct", 0.02, 0.15, "fraction", _L, "trailing distance from best price"),
    GeneSpec(3, "trail_activation_pct", 0.05, 0.15, "fraction", _L, "favourable move that arms the trail"),
    GeneSpec(4, "trail_only_profit", 0, 1, "flag", _B, "trail never below break-even"),
    GeneSpec(5, "take_profit_pct", 0.05, 0.45, "fraction", _L, "final take-profit distance"),
    GeneSpec(6, "tp_scaling", 0, 1, "flag", _B, "scale out in equal parts"),
    GeneSpec(7, "tp_levels", 1, 4, "levels", _F, "number of scale-out levels"),
    GeneSpec(8, "vol_mult", 0.5, 2.0, "x", _L, "volatility scaling of stop/trail/TP"),
    GeneSpec(9, "vol_lookback", 10, 30, "days", _F, "days for volatility and ATR (converted to the data's bars)"),
    GeneSpec(10, "high_vol_ratio", 1.5, 2.0, "x avg vol", _L, "high-volatility state threshold"),
    GeneSpec(11, "max_hold_days", 10, 60, "days", _F, "hard time exit (converted to the data's bars)"),
    GeneSpec(12, "time_decay", 0.5, 1.0, "x", _L, "stop distance factor at max hold"),
    GeneSpec(13, "max_drawdown_pct", 0.05, 0.15, "fraction", _L, "portfolio breaker drawdown"),
    GeneSpec(14, "correlation_limit", 0.40, 0.70, "rho", _L, "weighted avg correlation allowed"),
    GeneSpec(15, "concentration_limit", 0.05, 0.20, "fraction", _L, "max equity fraction per position"),
    GeneSpec(16, "momentum_adj", 0.0, 0.5, "x", _L, "trail widening with / tightening against trend"),
    GeneSpec(17, "news_vol_mult", 1.0, 3.0, "x", _L, "stop widening in high volatility"),
    GeneSpec(18, "regime_sensitivity", 0.0, 1.0, "x", _L, "blend of the regime table"),
    GeneSpec(19, "w_sl", 0.0, 1.0, "weight", _W, "exit-vote weight of the stop"),
    GeneSpec(20, "w_trail", 0.0, 1.0, "weight", _W, "exit-vote weight of the trailing stop"),
    GeneSpec(21, "w_tp", 0.0, 1.0, "weight", _W, "exit-vote weight of the take-profit"),
)
GENE_INDEX: dict[str, int] = {spec.name: spec.index for spec in GENE_SPECS}
assert len(GENE_SPECS) == N_GENES and all(s.index == i for i, s in enumerate(GENE_SPECS))


@dataclass(frozen=True)
class RiskParams:
    """Decoded genome; units are in the names (fractions of price unless stated)."""

    stop_loss_pct: float
    stop_atr_mult: float
    trail_pct: float
    trail_activation_pct: float
    trail_only_profit: bool
    take_profit_pct: float
    tp_scaling: bool
    tp_levels: int
    vol_mult: float
    vol_lookback: int
    high_vol_ratio: float
    max_hold_days: int
    time_decay: float
    max_drawdown_pct: float
    correlation_limit: float
    concentration_limit: float
    momentum_adj: float
    news_vol_mult: float
    regime_sensitivity: float
    w_sl: float
    w_trail: float
    w_tp: float


def validate_genes(genes: Any) -> np.ndarray:
    """Return genes as a float64 array of 22 values in [0, 1] or raise GenomeError naming the gene."""
    if isinstance(genes, (str, bytes)) or not isinstance(genes, (Sequence, np.ndarray)):
        raise GenomeError(f"genes must be a list of {N_GENES} numbers, got {type(genes).__name__}")
    if len(genes) != N_GENES:
        raise GenomeError(f"genes must have {N_GENES} values, got {len(genes)}")
    out = np.empty(N_GENES, dtype=np.float64)
    for spec, value in zip(GENE_SPECS, genes):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise GenomeError(f"gene {spec.index} ({spec.name}) is not a number: {value!r}")
        try:
            g = float(value)
        except OverflowError:  # an integer with hundreds of digits
            raise GenomeError(f"gene {spec.index} ({spec.name}) is far outside [0, 1]: a {len(str(value))}-digit "
                              "integer") from None
        if not math.isfinite(g):
            raise GenomeError(f"gene {spec.index} ({spec.name}) is not finite: {value!r}")
        if not 0.0 <= g <= 1.0:
            raise GenomeError(f"gene {spec.index} ({spec.name}) is {g}, outside [0, 1]")
        out[spec.index] = g
    return out


def decode(genes: Any) -> RiskParams:
    """Decode a validated gene vector into RiskParams (weights normalised, equal when all zero)."""
    g = validate_genes(genes)
    values = {spec.name: spec.decode(float(g[spec.index])) for spec in GENE_SPECS}
    w = np.array([values["w_sl"], values["w_trail"], values["w_tp"]], dtype=np.float64)
    total = float(w.sum())
    w = np.full(3, 1.0 / 3.0) if total <= 0.0 else w / total
    values["w_sl"], values["w_trail"], values["w_tp"] = (float(x) for x in w)
    return RiskParams(**values)


def decoded_rows(params: RiskParams) -> list[tuple[int, str, str, str]]:
    """(index, name, value text, unit) rows for tables."""
    rows = []
    for spec in GENE_SPECS:
        v = getattr(params, spec.name)
        if isinstance(v, bool):
            text = "yes" if v else "no"
        elif isinstance(v, int):
            text = str(v)
        elif spec.unit == "fraction":
            text = f"{v * 100:.2f}%"
        else:
            text = f"{v:.4f}"
        rows.append((spec.index, spec.name, text, spec.unit))
    return rows


def params_dict(params: RiskParams) -> dict[str, Any]:
    return {f.name: getattr(params, f.name) for f in fields(params)}


def load_genome_file(path: str | Path) -> list[tuple[np.ndarray, dict[str, Any]]]:
    """Load one genome `{"genes": [...]}` or a JSON list of them; returns (genes, metadata) pairs."""
    p = Path(path)
    try:
        data = read_regular_bytes(p, MAX_GENOME_FILE_BYTES)  # a FIFO, a device or a directory: refused
    except BadInputError as exc:
        raise GenomeError(str(exc)) from None
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GenomeError(f"{p}: not valid JSON ({exc})") from None
    except ValueError as exc:  # an integer literal of thousands of digits
        raise GenomeError(f"{p}: a number in the file is too large ({str(exc).split(':')[0]})") from None
    except RecursionError:
        raise GenomeError(f"{p}: JSON nested too deeply to be a genome file") from None
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise GenomeError(f"{p}: empty genome list")
    out = []
    for i, item in enumerate(items):
        where = f"{p}" if not isinstance(raw, list) else f"{p}[{i}]"
        if not isinstance(item, dict) or "genes" not in item:
            raise GenomeError(f'{where}: expected an object {{"genes": [{N_GENES} floats]}}')
        try:
            genes = validate_genes(item["genes"])
        except GenomeError as exc:
            raise GenomeError(f"{where}: {exc}") from None
        meta = {k: v for k, v in item.items() if k != "genes"}
        out.append((genes, meta))
    return out


def genome_to_json(genes: np.ndarray, **metadata: Any) -> str:
    g = validate_genes(genes)
    return json.dumps({"genes": [float(x) for x in g], **metadata}, indent=2)


def save_genome_file(path: str | Path, genes: np.ndarray, **metadata: Any) -> None:
    write_text_atomic(path, genome_to_json(genes, **metadata) + "\n", "genome file")


def default_genes() -> np.ndarray:
    """A middle-of-the-road genome used by `make run` before any evolution has been promoted."""
    return np.full(N_GENES, 0.5)
