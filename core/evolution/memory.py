"""How much memory a population needs, so `evolve --pop 100000000` is refused instead of trying
to allocate tens of GiB (issue 20, part 3)."""
from __future__ import annotations

import os

from core.backtest.enums import N_METRICS
from core.errors import BadInputError
from core.genome import N_GENES

FLOAT_BYTES = 8
# Per genome the loop holds the genes of parents and children, their decoded parameters and fitness
# copies: about four 22-float rows, plus the kernel's per-window metrics (W x N_METRICS floats).
GENE_ROWS_PER_GENOME = 4
# Never plan to use more than this share of physical memory: the OS, the data and numba need the rest.
MEMORY_SHARE = 0.5
FALLBACK_MEMORY_BYTES = 4 * 1024**3  # when the platform cannot tell us its physical memory


def bytes_per_genome(n_windows: int) -> int:
    return FLOAT_BYTES * (GENE_ROWS_PER_GENOME * N_GENES + max(1, n_windows) * N_METRICS)


def memory_budget_bytes() -> int:
    """Half the machine's physical memory (or 4 GiB where that cannot be read)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = FALLBACK_MEMORY_BYTES
    return int(total * MEMORY_SHARE)


def check_population_memory(population_size: int, offspring_size: int, n_windows: int = 1,
                            budget_bytes: int | None = None) -> int:
    """Raise BadInputError when parents + children over `n_windows` would not fit the budget;
    returns the estimate in bytes."""
    budget = memory_budget_bytes() if budget_bytes is None else budget_bytes
    genomes = population_size + max(offspring_size, population_size)
    need = genomes * bytes_per_genome(n_windows)
    if need > budget:
        most = max(2, budget // (2 * bytes_per_genome(n_windows)))
        raise BadInputError(f"--pop {population_size}: needs about {need / 1024**3:.1f} GiB over {n_windows} "
                            f"window(s), more than the {budget / 1024**3:.1f} GiB budget (half of this machine's "
                            f"memory); at most about {most:,} fits")
    return need
