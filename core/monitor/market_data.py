"""Candle-derived inputs, fetched through the gateway and cached: daily candles for the stop
indicators and 1h candles over 7 days for correlation, both refreshed hourly or when the set of
held coins changes. A candle failure keeps the previous values (the account and mids are what
make a poll good or STALE; indicators only shape the stop levels).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np

from core.exchange.errors import ExchangeError
from core.exchange.protocol import ExchangeGateway
from core.market.interval import MONITOR_CANDLE_INTERVAL, interval_ns
from core.monitor.indicators import CoinIndicators, coin_indicators, completed_daily, correlation_matrix

log = logging.getLogger("evorisk.monitor")

MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000
CORRELATION_DAYS = 7  # SPEC 5: 1h returns over 7 days
DAILY_HISTORY_DAYS = 200  # covers the 180-bar regime and vol_lookback + 100 bars of avg_vol
REFRESH_MS = MS_PER_HOUR


@dataclass
class CandleCache:
    gateway: ExchangeGateway
    refresh_ms: int = REFRESH_MS
    indicators: dict[str, CoinIndicators] = field(default_factory=dict)
    corr_coins: tuple[str, ...] = ()
    corr_matrix: np.ndarray | None = None
    _key: tuple = ()
    _refreshed_ms: int | None = None

    def update(self, coins: tuple[str, ...], vol_lookback_bars: int, venue_now_ms: int) -> None:
        """Refresh when an hour has passed or the held coins / lookback changed."""
        key = (tuple(sorted(coins)), vol_lookback_bars)
        fresh = self._refreshed_ms is not None and venue_now_ms - self._refreshed_ms < self.refresh_ms
        if key == self._key and fresh:
            return
        try:
            indicators = {c: self._daily(c, vol_lookback_bars, venue_now_ms) for c in key[0]}
            closes = {c: self._hourly_closes(c, venue_now_ms) for c in key[0]}
        except ExchangeError as exc:
            log.warning("candles unavailable, keeping the previous indicators: %s", exc)
            return
        self.indicators = indicators
        self.corr_coins = key[0]
        self.corr_matrix = correlation_matrix(closes, key[0]) if len(key[0]) >= 2 else None
        self._key, self._refreshed_ms = key, venue_now_ms

    def _daily(self, coin: str, vol_lookback_days: int, now_ms: int) -> CoinIndicators:
        """Indicators of the completed UTC days, whatever MONITOR_CANDLE_INTERVAL is: the candles go
        through the backtest's daily rule (core/market/daily_range.py), so gene 1's ATR is the one
        the kernel was given on any interval."""
        interval = MONITOR_CANDLE_INTERVAL
        candles = [c for c in self.gateway.candles(coin, interval, now_ms - DAILY_HISTORY_DAYS * MS_PER_DAY, now_ms)
                   if c.close_ms < now_ms]  # completed bars only, as the backtest uses bar t-1
        if not candles:
            return CoinIndicators()
        day = completed_daily(np.array([c.open_ms for c in candles]), np.array([c.high_px for c in candles]),
                              np.array([c.low_px for c in candles]), np.array([c.close_px for c in candles]),
                              interval_ns(interval) // 1_000_000)
        if day.close.shape[0] == 0:
            return CoinIndicators()
        return replace(coin_indicators(day.high, day.low, day.close, vol_lookback_days), bar_open_ms=day.open_ms,
                       bar_high=float(day.high[-1]), bar_low=float(day.low[-1]))

    def _hourly_closes(self, coin: str, now_ms: int) -> dict[int, float]:
        return hourly_closes(self.gateway, coin, now_ms)


def hourly_closes(gateway: ExchangeGateway, coin: str, now_ms: int) -> dict[int, float]:
    """Closes of the completed 1h candles of the last CORRELATION_DAYS, keyed by open time: the
    correlation input of the monitor and of `evorisk size`."""
    candles = gateway.candles(coin, "1h", now_ms - CORRELATION_DAYS * MS_PER_DAY, now_ms)
    return {c.open_ms: c.close_px for c in candles if c.close_ms < now_ms}
