"""One spelling per concept: breaker states, action kinds and statuses, run statuses.

Why: these values cross every layer (the numba kernel, the monitor, SQLite rows, JSON output,
widgets), and a bare string typed in five files drifts. The enums below are the only place they
are spelled. `BreakerState` is an IntEnum because the backtest kernel compiles the breaker as
ints (core/policy.py keeps plain-int aliases for numba); the others are StrEnums, so they compare
equal to the strings already stored in SQLite and printed in `--json` output, which therefore do
not change.
"""
from __future__ import annotations

from enum import IntEnum, StrEnum


class BreakerState(IntEnum):
    """Portfolio circuit breaker, ordered by severity (SPEC 5). STALE is live-only."""

    NORMAL = 0
    TIGHTENED = 1
    REDUCING = 2
    EMERGENCY = 3
    STALE = 4


class ActionKind(StrEnum):
    """What a proposed action does; the operator approves REDUCE and the exits."""

    REDUCE = "reduce"  # halve every position (REDUCING, once per episode)
    EXIT_ALL = "exit_all"  # close every position (EMERGENCY)
    EXIT_COIN = "exit_coin"  # close one position (operator's choice)
    TIME_EXIT = "time_exit"  # a position held past max_hold_days
    TAKE_PROFIT = "take_profit"  # a reached scale-out level too small to rest as a trigger order
    PROTECTIVE_STOPS = "protective_stops"  # reduce-only stops from TIGHTENED up (auto-approved)


OPERATOR_APPROVED_KINDS = (ActionKind.REDUCE, ActionKind.EXIT_ALL, ActionKind.EXIT_COIN)


class ActionStatus(StrEnum):
    """Life of an action row; the executor only ever sends for APPROVED or SENDING."""

    PENDING = "pending"
    APPROVED = "approved"
    SENDING = "sending"
    DONE = "done"
    PARTIAL = "partial"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"


class RunStatus(StrEnum):
    """Life of an evolution run row."""

    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"  # stopped by the operator; resumable from its checkpoint
    FAILED = "failed"  # the worker raised; resumable
    INTERRUPTED = "interrupted"  # shown for a RUNNING row whose worker is gone (never stored)


RESUMABLE_RUN_STATUSES = (RunStatus.CANCELLED, RunStatus.FAILED, RunStatus.INTERRUPTED)
