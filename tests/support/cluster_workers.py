"""Worker-side chunk functions for the cluster tests (no tests here). Each one scores exactly like
the real kernel and misbehaves once, at a moment a file decides, so a fault lands mid-generation
without any sleep-and-hope timing. They are pickled by reference, so workers import this module."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np

from core.evolution.cluster import fitness_of_chunk

SCHEDULER_GONE_WAIT_S = 5.0  # long enough that the chunk can never report back to a dead scheduler


def _claim(marker: Path) -> bool:
    """True for exactly one caller across all worker processes (atomic exclusive create)."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def die_once(marker: str, dataset, genes: np.ndarray) -> np.ndarray:
    """The first chunk to run SIGKILLs its own worker process, mid-task; later chunks score."""
    if _claim(Path(marker)):
        Path(marker).write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return fitness_of_chunk(dataset, genes)


def raise_once(marker: str, dataset, genes: np.ndarray) -> np.ndarray:
    """The first chunk to run fails with an OSError, as a flaky node would; retries must absorb it."""
    if _claim(Path(marker)):
        raise OSError("simulated transient failure on a worker")
    return fitness_of_chunk(dataset, genes)


def kill_scheduler_when_armed(tripwire: str, dataset, genes: np.ndarray) -> np.ndarray:
    """Once the test writes a scheduler pid into `tripwire`, the next chunk kills that scheduler and
    never returns in time: the generation in flight is lost with the scheduler."""
    try:
        pid = int(Path(tripwire).read_text())
        os.unlink(tripwire)
    except (FileNotFoundError, ValueError):
        return fitness_of_chunk(dataset, genes)
    os.kill(pid, signal.SIGKILL)
    time.sleep(SCHEDULER_GONE_WAIT_S)
    return fitness_of_chunk(dataset, genes)
