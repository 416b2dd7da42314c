"""Start, resume and finish persisted evolution runs: the only place that decides whether a run
may continue. Starting and resuming share one path (`execute_run`), so "resume" is just
"continue from the newest checkpoint, or from scratch when there is none".

Storage is reached through the RunRepository protocol (storage/evolution_repo.py implements it),
keeping core free of SQL.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

from core.errors import BadInputError
from core.evolution.checkpoint import (CHECKPOINT_VERSION, CheckpointError, EvolutionState, decode_checkpoint,
                                       encode_checkpoint)
from core.evolution.config import EvolutionConfig
from core.evolution.hall_of_fame import Champion
from core.evolution.loop import Evaluator, GenerationReport, GenerationStats, evolve
from core.evolution.walkforward import Split
from core.vocabulary import RunStatus

log = logging.getLogger(__name__)


class _Worker(Protocol):
    pid: int
    host: str


class _Checkpoint(Protocol):
    generation: int
    state_json: str
    sha256: str


class RunRepository(Protocol):
    def create_run(self, config: dict[str, Any], data_fingerprint: str, data_desc: str) -> int: ...
    def get_run(self, run_id: int) -> dict[str, Any] | None: ...
    def record_generation(self, run_id: int, stats: GenerationStats, state_json: str, sha256: str,
                          version: int, trials: int | None = None) -> None: ...
    def latest_checkpoint(self, run_id: int) -> _Checkpoint | None: ...
    def checkpoint_generations(self, run_id: int) -> list[int]: ...
    def checkpoint_at(self, run_id: int, generation: int) -> _Checkpoint | None: ...
    def quarantine_checkpoints(self, run_id: int, after_generation: int, reason: str) -> int: ...
    def hall_of_fame(self, run_id: int) -> list[Champion]: ...
    def generations(self, run_id: int) -> list[dict[str, Any]]: ...
    def claim_run(self, run_id: int, pid: int, host: str,
                  holder_alive: Callable[[Any], bool]) -> _Worker | None: ...
    def release_run(self, run_id: int, status: RunStatus) -> None: ...
    def finish_run(self, run_id: int, champions: Sequence[Champion]) -> None: ...


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: RunStatus  # FINISHED or CANCELLED
    generation: int  # last completed generation
    config: EvolutionConfig
    hall_of_fame: list[Champion]
    discarded_generations: tuple[int, ...] = ()  # corrupt newest checkpoints set aside on resume


def create_run(repo: RunRepository, config: EvolutionConfig, data_fingerprint: str, description: str = "",
               data_paths: Sequence[str] = (), split: Split | None = None) -> int:
    """Register a run (status running, no generation yet) and return its id. `split` records which
    windows the run trains on, so `report` can test on the others."""
    doc: dict[str, Any] = {"evolution": config.to_dict(), "data_paths": [str(p) for p in data_paths]}
    if split is not None:
        doc["validation"] = split.to_dict()
    return repo.create_run(doc, data_fingerprint, description)


def run_split(repo: RunRepository, run_id: int) -> Split | None:
    """The run's walk-forward split, or None for a run that trained on every window."""
    doc = _run_doc(_require_run(repo, run_id), run_id)
    return None if doc.get("validation") is None else Split.from_dict(doc["validation"])


def run_data_paths(repo: RunRepository, run_id: int) -> list[str]:
    """The data files a run was started on (so `resume` can rebuild the same evaluator)."""
    return list(_run_doc(_require_run(repo, run_id), run_id).get("data_paths", []))


def stored_config(repo: RunRepository, run_id: int) -> EvolutionConfig:
    return _stored_config(_require_run(repo, run_id), run_id)


def check_resumable(repo: RunRepository, run_id: int, data_fingerprint: str,
                    config: EvolutionConfig | None = None, fallback: bool = False) -> EvolutionState:
    """The state to continue from, or BadInputError with one line saying why the run cannot go on.

    A corrupt newest checkpoint is refused; with `fallback` the newest VALID one is used instead
    (RELIABILITY scenario 10, "keep the previous one"), which loses nothing: a resume is
    bit-identical, so the discarded generations are recomputed exactly.
    """
    return _resumable(repo, run_id, data_fingerprint, config, fallback)[0]


def _resumable(repo: RunRepository, run_id: int, data_fingerprint: str, config: EvolutionConfig | None,
               fallback: bool) -> tuple[EvolutionState, list[int]]:
    """(state, generations newer than it whose checkpoints are corrupt)."""
    run = _require_run(repo, run_id)
    cfg = _stored_config(run, run_id)
    if config is not None and config != cfg:
        raise BadInputError(f"run {run_id}: refusing to resume with a different config ("
                            + "; ".join(config.differences(cfg)) + ")")
    if data_fingerprint != run["data_fingerprint"]:
        raise BadInputError(f"run {run_id}: refusing to resume: the data or backtest settings changed "
                            f"(fingerprint {data_fingerprint[:12]} != {run['data_fingerprint'][:12]})")
    if run["status"] == RunStatus.FINISHED:
        raise BadInputError(f"run {run_id} is already finished")
    row = repo.latest_checkpoint(run_id)
    if row is None:
        return EvolutionState.fresh(cfg, data_fingerprint), []
    try:
        return _decode_row(row, run_id, cfg, data_fingerprint), []
    except CheckpointError as newest_error:
        if not fallback:
            raise
        state, corrupt = newest_valid_state(repo, run_id, cfg, data_fingerprint, newest_error)
        return state, corrupt


def newest_valid_state(repo: RunRepository, run_id: int, cfg: EvolutionConfig, data_fingerprint: str,
                       newest_error: CheckpointError | None = None) -> tuple[EvolutionState, list[int]]:
    """The newest checkpoint that decodes, and the newer generations that do not (each logged as a
    warning). CheckpointError when none is valid: there is nothing to keep."""
    corrupt: list[int] = []
    first_error = newest_error
    for generation in sorted(repo.checkpoint_generations(run_id), reverse=True):
        row = repo.checkpoint_at(run_id, generation)
        if row is None:
            continue
        try:
            state = _decode_row(row, run_id, cfg, data_fingerprint)
        except CheckpointError as exc:
            log.warning("%s", exc)
            first_error = first_error or exc
            corrupt.append(generation)
            continue
        if corrupt:
            log.warning("run %d: continuing from generation %d, the newest valid checkpoint (corrupt: %s)",
                        run_id, state.generation, ", ".join(map(str, sorted(corrupt))))
        return state, sorted(corrupt)
    if first_error is None:
        raise CheckpointError(f"run {run_id}: no checkpoint")
    raise CheckpointError(f"{first_error}; no earlier valid checkpoint to fall back to")


def _decode_row(row: _Checkpoint, run_id: int, cfg: EvolutionConfig, data_fingerprint: str) -> EvolutionState:
    where = f"run {run_id} generation {row.generation}"
    state = decode_checkpoint(row.state_json, row.sha256, where)
    if state.config != cfg or state.data_fingerprint != data_fingerprint or state.generation != row.generation:
        raise CheckpointError(f"{where}: refusing a corrupt checkpoint: it does not match its run")
    return state


def execute_run(repo: RunRepository, run_id: int, evaluate: Evaluator, data_fingerprint: str, *,
                config: EvolutionConfig | None = None,
                on_progress: Callable[[GenerationReport], None] | None = None,
                should_stop: Callable[[], bool] | threading.Event | None = None, force: bool = False,
                fallback: bool = False, choose: Callable[[EvolutionState], list[Champion]] | None = None
                ) -> RunOutcome:
    """Advance a run from its newest checkpoint to the end or to a cancel request.

    Status afterwards: finished, cancelled (cancel request or Ctrl-C) or failed (any error); the
    last two stay resumable. `force` takes a run over from a process that still looks alive.
    `fallback` continues from the newest valid checkpoint when newer ones are corrupt; those are
    moved to the quarantine table (kept for inspection), then recomputed. `choose` turns the
    final state into the saved champions, best first (validation-based selection); without it
    the hall of fame is saved as is.
    """
    state, corrupt = _resumable(repo, run_id, data_fingerprint, config, fallback)
    holder = repo.claim_run(run_id, os.getpid(), socket.gethostname(),
                            (lambda w: False) if force else _holder_alive)
    if holder is not None:
        raise BadInputError(f"run {run_id} is being advanced by pid {holder.pid} on {holder.host} "
                            "(use --force if that process is gone)")
    if corrupt:
        repo.quarantine_checkpoints(run_id, state.generation, "corrupt; resumed from generation "
                                    f"{state.generation}")
    if state.generation < 0:
        log.info("run %d: starting", run_id)
    else:
        log.info("run %d: continuing after generation %d", run_id, state.generation)

    def commit(st: EvolutionState, stats: GenerationStats) -> None:
        text, digest = encode_checkpoint(st)
        repo.record_generation(run_id, stats, text, digest, CHECKPOINT_VERSION, trials=st.distinct_evaluated)

    try:
        completed = evolve(state, evaluate, commit, run_id=run_id, on_progress=on_progress,
                           should_stop=should_stop)
    except KeyboardInterrupt:
        _release_quietly(repo, run_id, RunStatus.CANCELLED)
        raise
    except Exception:  # boundary: record the failure on the run, then let the caller report it
        _release_quietly(repo, run_id, RunStatus.FAILED)
        raise
    if completed:
        champions = choose(state) if choose is not None else state.hall_of_fame
        repo.finish_run(run_id, champions)
        status = RunStatus.FINISHED
    else:
        repo.release_run(run_id, RunStatus.CANCELLED)
        status = RunStatus.CANCELLED
    log.info("run %d: %s at generation %d", run_id, status, state.generation)
    saved = champions if completed else state.hall_of_fame
    return RunOutcome(run_id, status, state.generation, state.config, list(saved), tuple(corrupt))


def best_champion(repo: RunRepository, run_id: int) -> tuple[Champion, str]:
    """(best genome, where it came from): the saved hall of fame of a finished run, else the newest
    valid checkpoint's. BadInputError when no generation completed; CheckpointError when every
    checkpoint is corrupt."""
    run = _require_run(repo, run_id)
    saved = repo.hall_of_fame(run_id)
    if saved:
        return saved[0], f"hall of fame of {run['status']} run {run_id}"
    if not repo.checkpoint_generations(run_id):
        raise BadInputError(f"run {run_id} has no completed generation yet")
    state, corrupt = newest_valid_state(repo, run_id, _stored_config(run, run_id), run["data_fingerprint"])
    if not state.hall_of_fame:
        raise BadInputError(f"run {run_id} has no completed generation yet")
    note = f" (corrupt newer checkpoints skipped: {', '.join(map(str, corrupt))})" if corrupt else ""
    return state.hall_of_fame[0], f"checkpoint of generation {state.generation} of {run['status']} run {run_id}{note}"


def final_state_digest(repo: RunRepository, run_id: int) -> str:
    """sha256 over the newest checkpoint (population, fitness, hall of fame, RNG states) and every
    generation's deterministic statistics: equal digests mean bit-identical runs."""
    row = repo.latest_checkpoint(run_id)
    keys = ("generation", "best", "mean", "std", "min", "evaluations")
    stats = [{k: r[k] for k in keys} for r in repo.generations(run_id)]
    h = hashlib.sha256((row.sha256 if row else "").encode())
    h.update(json.dumps(stats, sort_keys=True).encode())
    return h.hexdigest()


def _holder_alive(worker: _Worker) -> bool:
    if worker.host != socket.gethostname():
        return True  # cannot see another machine's processes: assume it is still working
    try:
        os.kill(worker.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _release_quietly(repo: RunRepository, run_id: int, status: RunStatus) -> None:
    try:
        repo.release_run(run_id, status)
    except Exception:  # the original error matters more; a busy DB leaves status 'running'
        log.exception("run %d: could not record status %s", run_id, status)


def _require_run(repo: RunRepository, run_id: int) -> dict[str, Any]:
    run = repo.get_run(run_id)
    if run is None or run.get("kind", "evolution") != "evolution":
        raise BadInputError(f"no evolution run {run_id}")
    return run


def _run_doc(run: dict[str, Any], run_id: int) -> dict[str, Any]:
    try:
        doc = json.loads(run["config_json"])
    except json.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("evolution"), dict):
        raise BadInputError(f"run {run_id} has an unreadable config")
    return doc


def _stored_config(run: dict[str, Any], run_id: int) -> EvolutionConfig:
    return EvolutionConfig.from_dict(_run_doc(run, run_id)["evolution"])


def displayed_status(status: str, worker: _Worker | None) -> str:
    """INTERRUPTED for a run marked RUNNING whose process is gone (killed): it can be resumed."""
    if status == RunStatus.RUNNING and (worker is None or not _holder_alive(worker)):
        return RunStatus.INTERRUPTED
    return status
