"""Promotions: the only way a genome becomes the monitor's active genome, from the CLI
(`evorisk promote`, `restore-previous`) and the console's Runs tab alike.

Each promotion records who, when, from which run and the genome's out-of-sample metrics, and it
approves its standing exits (recorded as the operator's switch, like any other).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from core.errors import BadInputError
from core.genome import RiskParams, decode, default_genes, load_genome_file, validate_genes
from core.market.interval import promotion_note
from core.monitor.genome_source import promotion_label
from core.monitor.standing import PROTECTION_KEY, protection_record
from core.monitor.standing_preview import orders_to_rest, rule_summary
from storage import Store
from storage.monitor_repo import MonitorRepo
from storage.run_repo import RunRepo

log = logging.getLogger("evorisk.console.live")


def wall_ms() -> int:
    return int(time.time() * 1000)


def active_genome(store: Store) -> tuple[list[float], str]:
    """Genes and label of the genome the monitor runs now (newest promotion, else the default)."""
    row = MonitorRepo(store).active_promotion()
    if row is None:
        return [float(g) for g in default_genes()], "default"
    return list(row["genes"]), promotion_label(row)


def record_protection(repo: MonitorRepo, on: bool, operator: str, why: str) -> None:
    """The operator's switch of standing exits (a promotion is an approval too), as a recorded row."""
    repo.set_value(PROTECTION_KEY, protection_record(on, operator, wall_ms(), why), wall_ms())
    log.warning("standing exits switched %s by %s: %s", "on" if on else "OFF", operator, why)


def promote_genes(store: Store, genes: list[float], run_id: int | None, operator: str,
                  metrics: dict[str, Any]) -> int:
    """Write the promotion record (the console's path); the monitor picks it up at its next cycle."""
    label = f"run {run_id} best" if run_id is not None else "manual"
    repo = MonitorRepo(store)
    pid = repo.promote(genes, label, operator, wall_ms(), run_id=run_id, oos_metrics=metrics)
    record_protection(repo, True, operator, f"promotion #{pid} approved its standing exits")
    return pid


@dataclass(frozen=True)
class Promoted:
    """What `evorisk promote` tells the operator after the record is written."""

    promotion_id: int
    label: str
    interval_note: str  # what the genome was evolved on, and whether that converts to the monitor
    rule_summary: str
    orders_to_rest: list[str]  # the standing orders the open positions will get


def promote_genome(repo: MonitorRepo, by: str, genome_id: int | None = None, file: str | None = None,
                   run_id: int | None = None) -> Promoted:
    """Promote a stored genome (`genome_id`) or the first genome of a file."""
    if run_id is not None and RunRepo(repo.store).get_run(run_id) is None:  # before anything is stored
        raise BadInputError(f"--run {run_id}: no such run in {repo.store.path} (`evorisk runs` lists them)")
    if genome_id is not None:
        row = RunRepo(repo.store).get_genome(genome_id)
        if row is None:
            raise BadInputError(f"no genome with id {genome_id}")
        genes = [float(g) for g in validate_genes(row["genes"])]
        label = row["label"] or f"genome {genome_id}"
        run_id, metrics = run_id or row["run_id"], row["metrics"]
        run = RunRepo(repo.store).get_run(row["run_id"]) if row["run_id"] is not None else None
        evolved_on = run.get("bar_interval") if run else None
    else:
        g, meta = load_genome_file(file)[0]
        genes, label = [float(x) for x in g], str(meta.get("label", file))
        metrics = meta.get("oos_metrics", meta.get("metrics", {}))
        evolved_on = meta.get("bar_interval")
    interval_line = promotion_note(evolved_on, label)  # before anything is stored
    pid = repo.promote(genes, label, by, wall_ms(), genome_id=genome_id, run_id=run_id,
                       oos_metrics=metrics if isinstance(metrics, dict) else {})
    record_protection(repo, True, by, f"promotion #{pid} approved its standing exits")
    params: RiskParams = decode(genes)
    last = repo.latest_good_snapshot() or {}
    return Promoted(pid, label, interval_line, rule_summary(params),
                    list(orders_to_rest(params, last.get("positions", ()))))


def restore_previous(repo: MonitorRepo, by: str) -> tuple[int, dict[str, Any]]:
    """Append a copy of the previous promotion (history is kept); returns (new id, the restored row)."""
    rows = repo.promotions(2)
    if len(rows) < 2:
        raise BadInputError("there is no previous promotion to restore")
    prev = rows[1]
    pid = repo.promote(prev["genes"], prev["label"], by, wall_ms(), genome_id=prev["genome_id"],
                       run_id=prev["run_id"], oos_metrics=prev["oos_metrics"], restored_from=prev["id"])
    return pid, prev
