"""`data fetch` against the paper exchange through the real SDK: paging, increments, limits, bad data.

`paper` keeps only the newest 5000 candles per coin and interval, as Hyperliquid does;
`archive` keeps all history and caps each reply at 5000, for the paging the venue never needs.
"""
from __future__ import annotations

import pytest
from hyperliquid.info import Info

from core.exchange.paper import PaperExchange, PaperSettings
from core.exchange.parse import candle_time_utc
from core.market.candles import INTERVAL_MS, missing_candles
from core.market.hl_fetch import VENUE_CANDLE_LIMIT, fetch_coin, fetch_coins
from core.market.weight_limiter import WeightLimiter, candle_snapshot_weight
from storage import Store
from storage.candle_repo import CandleRepo
from tests.support.hl_data_rig import CandleEditingServer, FakeTime, gateway_for, settings_for
from tests.support.paper import start_paper

HISTORY_MINUTES = 12_000  # 1m candles: more than two full 5000-candle pages
STEP_MS = INTERVAL_MS["1m"]


@pytest.fixture
def paper_settings() -> PaperSettings:
    return PaperSettings(history_minutes=HISTORY_MINUTES)


@pytest.fixture
def archive() -> PaperExchange:
    return start_paper(PaperSettings(history_minutes=HISTORY_MINUTES, candles_kept=None))


@pytest.fixture
def repo(tmp_path) -> CandleRepo:
    return CandleRepo(Store(tmp_path / "candles.db"))


def test_paging_walks_back_across_the_5000_limit_and_caches_every_candle(archive, repo):
    fake = FakeTime()
    result = fetch_coin(gateway_for(archive.base_url), repo, "BTC", settings_for(archive, fake))
    assert result.status == "ok" and not result.truncated and result.hole is None
    assert result.new_rows >= HISTORY_MINUTES - 1  # all history; the forming minute waits
    rows = repo.candles("hl:paper", "BTC", "1m")
    assert len(rows) == result.new_rows
    assert missing_candles(rows[0][0], rows[-1][0], len(rows), "1m") == 0
    assert len(result.pages) >= 3
    for page in result.pages:
        assert page.candles_served <= VENUE_CANDLE_LIMIT
        assert (page.end_ms - page.start_ms) // STEP_MS + 1 <= VENUE_CANDLE_LIMIT
    served = Info(archive.base_url, skip_ws=True, timeout=5).candles_snapshot("BTC", "1m", rows[100][0], rows[110][0])
    assert [(c["t"], float(c["o"]), float(c["c"])) for c in served] == [(r[0], r[1], r[4]) for r in rows[100:111]]


def test_incremental_fetch_adds_only_the_new_candles(archive, repo, tmp_path):
    fake = FakeTime()
    gateway = gateway_for(archive.base_url)
    first = fetch_coin(gateway, repo, "ETH", settings_for(archive, fake))
    last_before = repo.last_candle_ms("hl:paper", "ETH", "1m")
    archive.fast_forward(30)
    second = fetch_coin(gateway, repo, "ETH", settings_for(archive, fake))
    assert second.status == "ok" and second.cached_before_ms == last_before
    # 30 new minutes; the newest closes after our clock, so it counts as still forming and waits
    assert second.new_rows == 29 and second.first_new_ms == last_before + STEP_MS
    assert [p.start_ms for p in second.pages] == [last_before + STEP_MS]  # nothing old asked again
    assert len(repo.candles("hl:paper", "ETH", "1m")) == first.new_rows + 29
    fresh = CandleRepo(Store(tmp_path / "fresh.db"))
    fetch_coin(gateway, fresh, "ETH", settings_for(archive, fake))
    assert fresh.candles("hl:paper", "ETH", "1m") == repo.candles("hl:paper", "ETH", "1m")
    assert fetch_coin(gateway, repo, "ETH", settings_for(archive, fake)).new_rows == 0
    archive.fast_forward(5)
    third = fetch_coin(gateway, repo, "ETH", settings_for(archive, fake))
    assert third.first_new_ms == second.last_new_ms + STEP_MS and third.new_rows == 5  # the held-back one too


def test_history_cut_by_the_venue_is_reported_as_truncated(paper, repo):
    result = fetch_coin(gateway_for(paper.base_url), repo, "BTC", settings_for(paper, FakeTime()))
    assert result.status == "ok" and result.truncated
    assert result.new_rows == VENUE_CANDLE_LIMIT  # paper serves completed minutes only
    assert any("truncated by the venue" in note and "5000" in note for note in result.notes)


def test_a_since_inside_the_kept_candles_is_complete_and_one_before_them_is_truncated(paper, repo, tmp_path):
    newest = Info(paper.base_url, skip_ws=True, timeout=5).candles_snapshot("BTC", "1m", 0, 2**62)[-1]["t"]
    oldest_kept = newest - (VENUE_CANDLE_LIMIT - 1) * STEP_MS
    inside = fetch_coin(gateway_for(paper.base_url), repo, "BTC", settings_for(paper, FakeTime(), since_ms=oldest_kept))
    assert inside.status == "ok" and not inside.truncated and inside.new_rows == VENUE_CANDLE_LIMIT
    other = CandleRepo(Store(tmp_path / "other.db"))
    before = fetch_coin(gateway_for(paper.base_url), other, "BTC",
                        settings_for(paper, FakeTime(), since_ms=oldest_kept - STEP_MS))
    assert before.truncated and before.earliest_served_ms == oldest_kept
    assert other.candles("hl:paper", "BTC", "1m") == repo.candles("hl:paper", "BTC", "1m")


def test_an_increment_the_venue_no_longer_serves_leaves_a_reported_gap(paper, repo):
    fake = FakeTime()
    fetch_coin(gateway_for(paper.base_url), repo, "BTC", settings_for(paper, fake))
    last_before = repo.last_candle_ms("hl:paper", "BTC", "1m")
    paper.fast_forward(VENUE_CANDLE_LIMIT + 100)
    result = fetch_coin(gateway_for(paper.base_url), repo, "BTC", settings_for(paper, fake))
    assert result.status == "ok" and result.hole is not None and result.hole[0] == last_before + STEP_MS
    assert any("gap in the cache" in note for note in result.notes)


def test_a_bad_candle_is_rejected_by_coin_and_time_and_nothing_of_that_coin_is_written(paper, repo):
    def negative_volume(req: dict, candles: list) -> list:
        if req["coin"] == "BTC" and len(candles) > 10:
            candles[7]["v"] = "-5.0"  # the gateway accepts any number; the loader's rules must not
        return candles

    with CandleEditingServer(paper, negative_volume) as venue:
        results = fetch_coins(gateway_for(venue.base_url), repo, ["BTC", "ETH"], settings_for(paper, FakeTime()))
    btc, eth = results
    assert btc.status == "rejected" and btc.new_rows == 0
    assert repo.candles("hl:paper", "BTC", "1m") == []
    assert btc.problems[0].startswith("BTC 1m 20") and "volume -5 is negative" in btc.problems[0]
    assert "nothing written for BTC" in btc.problems[-1]
    assert eth.status == "ok" and len(repo.candles("hl:paper", "ETH", "1m")) == eth.new_rows > 0


def test_an_inconsistent_candle_rejects_the_coin_naming_the_page_and_the_candle(paper, repo):
    swapped: list[int] = []

    def high_below_low(req: dict, candles: list) -> list:
        if candles:
            candles[3]["h"], candles[3]["l"] = candles[3]["l"], candles[3]["h"]
            swapped.append(candles[3]["t"])
        return candles

    with CandleEditingServer(paper, high_below_low) as venue:
        result = fetch_coin(gateway_for(venue.base_url), repo, "SOL", settings_for(paper, FakeTime()))
    assert result.status == "rejected" and repo.candles("hl:paper", "SOL", "1m") == []
    assert result.problems[0].startswith("SOL 1m: bad candleSnapshot reply for 20")
    assert f"(SOL 1m {candle_time_utc(swapped[0])}: high below low)" in result.problems[0]
    assert "nothing written for SOL" in result.problems[0]


def test_a_malformed_second_page_leaves_the_first_page_unwritten(paper, repo):
    pages_done = []

    def break_the_next_reply(coin: str, count: int) -> None:
        pages_done.append(count)
        if len(pages_done) == 1:
            paper.inject_fault("malformed", endpoint="info", mode="truncated")

    result = fetch_coin(gateway_for(paper.base_url), repo, "BTC", settings_for(paper, FakeTime()),
                        on_progress=break_the_next_reply)
    assert pages_done[0] > 4000  # a full first page was in hand
    assert result.status == "rejected" and len(result.pages) == 1
    assert repo.candles("hl:paper", "BTC", "1m") == [] and repo.last_candle_ms("hl:paper", "BTC", "1m") is None


def test_a_429_during_a_fetch_is_waited_out_for_its_retry_after_and_the_fetch_completes(archive, repo):
    fake = FakeTime()
    gateway = gateway_for(archive.base_url)
    gateway.sz_decimals("BTC")  # meta first, so the 429s land on candleSnapshot pages
    archive.inject_fault("http_429", count=2, endpoint="info", retry_after_s=7)
    result = fetch_coin(gateway, repo, "BTC", settings_for(archive, fake))
    assert result.status == "ok" and result.rate_limit_waits_s == (7.0, 7.0)
    assert fake.sleeps[:2] == [7.0, 7.0]
    assert len(repo.candles("hl:paper", "BTC", "1m")) == result.new_rows >= HISTORY_MINUTES - 1
    assert any("rate limited 2 time(s)" in note for note in result.notes)


def test_the_weight_limiter_keeps_every_minute_inside_the_budget(archive, repo):
    fake = FakeTime()
    spent: list[tuple[float, int]] = []
    limiter = WeightLimiter(250, now_s=fake.now_s, sleep=fake.sleep)
    acquire = limiter.acquire

    def recording_acquire(weight: int) -> None:
        acquire(weight)
        spent.append((fake.now, weight))

    limiter.acquire = recording_acquire  # type: ignore[method-assign]
    settings = settings_for(archive, fake)
    settings.limiter = limiter
    result = fetch_coin(gateway_for(archive.base_url), repo, "XRP", settings)
    assert result.status == "ok" and limiter.waited_s > 0  # three full pages do not fit one minute
    for t0, _ in spent:
        assert sum(w for t, w in spent if t0 <= t < t0 + 60) <= 250
    assert candle_snapshot_weight(5000) == 20 + 83
