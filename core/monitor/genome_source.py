"""Which genome the monitor runs: a file given on the command line, else the newest promotion,
else `default_genes()` labelled "default". Read at every cycle, so a promotion takes effect at the
next poll without a restart.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from core.genome import RiskParams, decode, default_genes, load_genome_file


class PromotionReader(Protocol):
    def active_promotion(self) -> dict[str, Any] | None: ...


def promotion_label(row: dict[str, Any]) -> str:
    return f"promotion #{row['id']}" + (f" {row['label']}" if row.get("label") else "")


class GenomeSource:
    """Callable returning (params, label) for this cycle."""

    def __init__(self, promotions: PromotionReader, genome_file: str | Path | None = None):
        self.promotions = promotions
        self._fixed: tuple[RiskParams, str] | None = None
        if genome_file is not None:
            genes, meta = load_genome_file(genome_file)[0]
            self._fixed = (decode(genes), f"file {Path(genome_file).name}" + (f" {meta['label']}" if "label" in meta else ""))

    def __call__(self) -> tuple[RiskParams, str]:
        if self._fixed is not None:
            return self._fixed
        row = self.promotions.active_promotion()
        if row is None:
            return decode(default_genes()), "default"
        return decode(row["genes"]), promotion_label(row)
