"""Backtest engine: indicators, the numba portfolio kernel and fitness (SPEC sections 2-4).

Importing this package pulls in numba; the console imports it lazily.
"""
import os
from pathlib import Path

# Compiled kernels are cached inside the project so tests, `make run` and CI reuse them.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[2] / ".cache" / "numba"))
