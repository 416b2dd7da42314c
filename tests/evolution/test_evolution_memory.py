"""Issue 20 part 3: a population is refused when parents and children would not fit the memory
budget, with the estimate and the largest population that fits in the message."""
from __future__ import annotations

import pytest

from core.errors import BadInputError
from core.evolution.memory import bytes_per_genome, check_population_memory, memory_budget_bytes

GIB = 1024**3


def test_the_estimate_grows_with_windows_and_population():
    assert bytes_per_genome(400) > bytes_per_genome(1) > 0
    small = check_population_memory(50, 50, 400, budget_bytes=GIB)
    assert small == 100 * bytes_per_genome(400)


def test_a_population_beyond_the_budget_is_refused_with_the_largest_that_fits():
    with pytest.raises(BadInputError, match=r"--pop 100000000: needs about .* GiB .* at most about [\d,]+ fits"):
        check_population_memory(100_000_000, 100_000_000, 400, budget_bytes=4 * GIB)


def test_the_largest_population_named_in_the_message_does_fit():
    budget = GIB
    with pytest.raises(BadInputError) as caught:
        check_population_memory(10_000_000, 0, 400, budget_bytes=budget)
    most = int(str(caught.value).split("at most about ")[1].split(" fits")[0].replace(",", ""))
    check_population_memory(most, most, 400, budget_bytes=budget)  # no error


def test_the_budget_is_half_of_physical_memory():
    assert 0 < memory_budget_bytes() < 2**62
