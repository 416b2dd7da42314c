"""Hourly funding of the paper exchange, computed the way Hyperliquid states it.

Hyperliquid (docs "Funding"): the 8-hour rate is F = P + clamp(I - P, -0.05 %, +0.05 %), where P
is the premium index averaged over the hour's samples and I the interest rate of 0.01 % per
8 hours; one eighth of F is paid every hour at the oracle price, capped at 4 % an hour. Longs
pay shorts when the rate is positive.

The simulated market has no separate index, so the premium is what a perp trades at over spot
when it runs ahead: a fixed fraction of the coin's log return over the last hour, clamped
(`premium_at`). Rallies make longs pay, crashes make shorts pay, a flat market pays the interest.
The oracle price follows from it (mark / (1 + premium)). One premium sample per simulated minute.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.exchange.paper.bars import BarSeries

MS_PER_MINUTE = 60_000
MS_PER_HOUR = 3_600_000
MINUTES_PER_HOUR = 60
INTEREST_RATE_8H = 0.0001  # 0.01 % per 8 hours, Hyperliquid's fixed interest component
INTEREST_CLAMP_8H = 0.0005  # clamp(I - P, -0.05 %, +0.05 %)
HOURS_PER_FUNDING_PERIOD = 8  # the formula gives an 8-hour rate; one eighth is paid each hour
FUNDING_CAP_PER_HOUR = 0.04  # Hyperliquid caps funding at 4 % an hour
PREMIUM_PER_LOG_RETURN = 0.05  # a 1 % hourly rally gives a 0.05 % premium, the venue's usual size
PREMIUM_CLAMP = 0.5  # a perp never trades more than 50 % away from its index, even in a gap


def premium_at(hourly_log_return: float | np.ndarray) -> float | np.ndarray:
    """Premium index of a coin whose price moved `hourly_log_return` over the last hour."""
    return np.clip(PREMIUM_PER_LOG_RETURN * np.asarray(hourly_log_return), -PREMIUM_CLAMP, PREMIUM_CLAMP)


def hourly_rate(mean_premium: float) -> float:
    """The hourly funding rate from the hour's average premium, capped at 4 %."""
    rate_8h = mean_premium + min(max(INTEREST_RATE_8H - mean_premium, -INTEREST_CLAMP_8H), INTEREST_CLAMP_8H)
    return min(max(rate_8h / HOURS_PER_FUNDING_PERIOD, -FUNDING_CAP_PER_HOUR), FUNDING_CAP_PER_HOUR)


@dataclass(frozen=True)
class FundingRecord:
    """One hourly funding of one coin: what `fundingHistory` lists."""

    coin: str
    time_ms: int  # the hour at which it was paid
    rate: float  # hourly rate: the payment is -szi x oracle_px x rate
    premium: float  # the hour's average premium
    oracle_px: float
    n_samples: int


def _hour_premiums(series: BarSeries, end_ms: int) -> np.ndarray:
    """Premium samples of the minutes that closed in the hour ending at `end_ms`."""
    closes = series.closes_between(end_ms - MS_PER_HOUR - MS_PER_HOUR, end_ms)
    if closes.shape[0] <= MINUTES_PER_HOUR:
        return np.zeros(0)
    window = closes[-(MINUTES_PER_HOUR + MINUTES_PER_HOUR):]
    lag = min(MINUTES_PER_HOUR, window.shape[0] - MINUTES_PER_HOUR)
    returns = np.log(window[lag:] / window[:-lag])[-MINUTES_PER_HOUR:]
    return np.asarray(premium_at(returns))


class FundingBook:
    """Per-coin funding history and the premium now; fed one minute at a time by the market."""

    def __init__(self, series: dict[str, BarSeries]):
        self._series = series
        self.history: dict[str, list[FundingRecord]] = {coin: [] for coin in series}

    def backfill(self, start_ms: int, end_ms: int) -> None:
        """Records for every full hour in (start_ms, end_ms] of the pre-start history."""
        first_hour = (start_ms // MS_PER_HOUR + 2) * MS_PER_HOUR  # two hours: one of lag, one of samples
        for hour_ms in range(first_hour, end_ms + 1, MS_PER_HOUR):
            self.settle_hour(hour_ms)

    def settle_hour(self, hour_ms: int) -> list[FundingRecord]:
        """Compute and keep the funding of the hour ending at `hour_ms` for every coin."""
        out = []
        for coin, series in self._series.items():
            samples = _hour_premiums(series, hour_ms)
            if samples.shape[0] == 0:
                continue
            mean_premium = float(np.mean(samples))
            mark = series.close_at_or_before(hour_ms - MS_PER_MINUTE) or series.last_close()
            record = FundingRecord(coin, hour_ms, hourly_rate(mean_premium), mean_premium,
                                   mark / (1.0 + float(samples[-1])), int(samples.shape[0]))
            self.history[coin].append(record)
            out.append(record)
        return out

    def premium_now(self, coin: str) -> float:
        series = self._series[coin]
        now = series.last_close()
        hour_ago = series.close_at_or_before(series.last_open_ms() - MS_PER_HOUR + MS_PER_MINUTE)
        if hour_ago is None or hour_ago <= 0:
            return 0.0
        return float(premium_at(math.log(now / hour_ago)))

    def predicted_rate(self, coin: str, now_ms: int) -> float:
        """The rate the current hour would pay if it ended now (what assetCtx `funding` shows)."""
        samples = _hour_premiums(self._series[coin], now_ms)
        mean_premium = float(np.mean(samples)) if samples.shape[0] else self.premium_now(coin)
        return hourly_rate(mean_premium)

    def oracle_px(self, coin: str) -> float:
        return self._series[coin].last_close() / (1.0 + self.premium_now(coin))

    def records(self, coin: str, start_ms: int, end_ms: int, limit: int) -> list[FundingRecord]:
        return [r for r in self.history[coin] if start_ms <= r.time_ms <= end_ms][:limit]
