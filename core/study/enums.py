"""Numba-friendly constants of the stop study: exit kinds as a NamedTuple of ints.

A NamedTuple instance is frozen into compiled kernels as constants, so kernels can say
`ExitKind.TrailingStop` without a global lookup at run time.
"""
from __future__ import annotations

from typing import NamedTuple


class ExitKindT(NamedTuple):
    StopLoss: int = 0
    TrailingStop: int = 1
    TakeProfit: int = 2
    Random: int = 3
    Hold: int = 4


ExitKind = ExitKindT()
N_EXIT_KINDS = len(ExitKind)
# Machine names (JSON keys, CLI) and human labels, indexed by ExitKind value.
EXIT_KIND_KEYS = ("stop_loss", "trailing_stop", "take_profit", "random", "hold")
EXIT_KIND_LABELS = ("stop loss", "trailing stop", "take profit", "random exit", "hold")
