"""Every interval serves its latest 5000 candles from start-up, continuous across the history tiers."""
from __future__ import annotations

import pytest
from hyperliquid.info import Info

from core.exchange.paper import PaperSettings
from core.exchange.paper.bars import INTERVAL_MINUTES
from tests.support.paper import module_paper

EPOCH_LIMITED = {"1w", "1M"}  # 5000 of those reach before 1970, where the synthetic history starts


@pytest.fixture(scope="module")
def client():
    with module_paper(PaperSettings(weight_budget_per_minute=10**6)) as paper:
        yield Info(paper.base_url, skip_ws=True, timeout=30)


@pytest.mark.parametrize("interval", list(INTERVAL_MINUTES))
def test_every_interval_has_5000_continuous_candles_at_start_up(client, interval):
    candles = client.candles_snapshot("ETH", interval, 0, 2**62)
    step_ms = INTERVAL_MINUTES[interval] * 60_000
    if interval in EPOCH_LIMITED:
        assert 500 < len(candles) < 5000 and candles[0]["t"] <= step_ms  # back to the epoch
    else:
        assert len(candles) == 5000
    assert {b["t"] - a["t"] for a, b in zip(candles, candles[1:])} == {step_ms}
    assert all(a["c"] == b["o"] for a, b in zip(candles, candles[1:]))  # no jump where tiers meet
    assert all(float(c["l"]) <= min(float(c["o"]), float(c["c"])) <= max(float(c["o"]), float(c["c"]))
               <= float(c["h"]) for c in candles)
    closes = [float(c["c"]) for c in candles]
    assert max(closes) / min(closes) < 50  # decades of synthetic history stay in a plausible range


def test_coarse_candles_agree_with_the_fine_ones_they_cover(client):
    hourly = client.candles_snapshot("BTC", "1h", 0, 2**62)
    daily = client.candles_snapshot("BTC", "1d", hourly[0]["t"], 2**62)
    by_day: dict[int, list[dict]] = {}
    for h in hourly:
        by_day.setdefault(h["t"] // 86_400_000 * 86_400_000, []).append(h)
    for d in daily[1:-1]:  # whole days inside the hourly window
        hours = by_day[d["t"]]
        assert d["o"] == hours[0]["o"] and d["c"] == hours[-1]["c"]
        assert float(d["h"]) == max(float(h["h"]) for h in hours)
        assert float(d["l"]) == min(float(h["l"]) for h in hours)
