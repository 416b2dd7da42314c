"""Seeded market simulation in simulated minutes, with scenario effects applied on top.

The base path comes from `core.market.synthetic` (correlated GARCH returns with fat tails and
drift phases) or from replayed CSV bars (one CSV bar per simulated minute, detrended per pass so
cycling through the file never compounds: core.exchange.paper.replay). The scenario player
then multiplies it (crash, gap, drift) or freezes it (stale feed). Bars are stored as they are
produced, so candle history is exactly what clients saw as mids.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.exchange.paper.bars import BarSeries
from core.exchange.paper.player import MS_PER_MINUTE, ScenarioPlayer
from core.exchange.paper.replay import CsvReplay
from core.market.ohlcv import OHLCV
from core.market.synthetic import SyntheticSpec, synthetic_returns

# synthetic_returns is calibrated per *daily* bar (~1 % vol, +-0.2 %/bar phase drift). Scaling
# by 0.05 gives ~0.05 % per minute (~2 % a day) and phase drifts that wander a few % a day.
MINUTE_RETURN_SCALE = 0.05
CHUNK_MINUTES = 1440  # generate a simulated day at a time; GARCH variance restarts per chunk
WICK_FLOOR = 0.0002  # minimum wick as a fraction of price, so bars are never perfectly flat
BASE_VOLUME_USD_PER_MINUTE = 2e6


@dataclass(frozen=True)
class CoinSpec:
    name: str
    sz_decimals: int
    max_leverage: int
    start_px: float


DEFAULT_COINS = (CoinSpec("BTC", 5, 40, 65000.0), CoinSpec("ETH", 4, 25, 3200.0),
                 CoinSpec("SOL", 2, 20, 150.0), CoinSpec("XRP", 0, 20, 0.6))

BaseBars = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]  # coin -> (ret, wick_hi, wick_lo, vol)


class BaseSource:
    """Per-minute base moves: synthetic for every coin, replayed CSV bars where given."""

    def __init__(self, coins: tuple[CoinSpec, ...], seed: int, replay: dict[str, OHLCV] | None = None):
        self._names = tuple(c.name for c in coins)
        self._rng = np.random.default_rng(seed)
        self._spec = SyntheticSpec(names=self._names, n_bars=CHUNK_MINUTES,
                                   start_prices=tuple(c.start_px for c in coins), bar_ns=MS_PER_MINUTE * 10**6)
        self._replay = {name: CsvReplay(series) for name, series in (replay or {}).items()}

    def next_chunk(self) -> BaseBars:
        rets = synthetic_returns(self._spec, self._rng) * MINUTE_RETURN_SCALE
        out: BaseBars = {}
        for j, name in enumerate(self._names):
            r = rets[:, j]
            hi = np.abs(self._rng.normal(0.0, 1.0, CHUNK_MINUTES)) * (np.abs(r) * 0.5 + WICK_FLOOR)
            lo = np.abs(self._rng.normal(0.0, 1.0, CHUNK_MINUTES)) * (np.abs(r) * 0.5 + WICK_FLOOR)
            vol = np.abs(self._rng.normal(1.0, 0.3, CHUNK_MINUTES)) * (1 + 200 * np.abs(r))
            out[name] = (r, hi, lo, vol)
        for name, replay in self._replay.items():
            out[name] = replay.next_chunk(CHUNK_MINUTES)
        return out


class MarketSim:
    """Minute bars per coin, produced lazily up to the requested simulated time."""

    def __init__(self, coins: tuple[CoinSpec, ...], player: ScenarioPlayer, *, seed: int, start_ms: int,
                 history_minutes: int, replay: dict[str, OHLCV] | None = None):
        self.coins = coins
        self.player = player
        self._source = BaseSource(coins, seed, replay)
        self._series = {c.name: BarSeries() for c in coins}
        self._base_px = {c.name: c.start_px for c in coins}
        self._chunk: BaseBars = {}
        self._chunk_pos = CHUNK_MINUTES
        self._next_minute_ms = (start_ms // MS_PER_MINUTE - history_minutes) * MS_PER_MINUTE
        self.first_minute_ms = self._next_minute_ms
        self.minute_listeners: list[Callable[[int], None]] = []
        self.advance_to(start_ms)

    @property
    def now_ms(self) -> int:
        """End of the last completed bar: the market's present."""
        return self._next_minute_ms

    def series(self, coin: str) -> BarSeries:
        return self._series[coin]

    def mid(self, coin: str) -> float:
        return self._series[coin].last_close()

    def mids(self) -> dict[str, float]:
        return {c.name: self.mid(c.name) for c in self.coins}

    def advance_to(self, sim_ms: int) -> int:
        """Produce every bar that has closed by `sim_ms`; returns how many minutes were added."""
        added = 0
        while self._next_minute_ms + MS_PER_MINUTE <= sim_ms:
            self._step()
            added += 1
        return added

    def _step(self) -> None:
        if self._chunk_pos >= CHUNK_MINUTES:
            self._chunk, self._chunk_pos = self._source.next_chunk(), 0
        i, t = self._chunk_pos, self._next_minute_ms
        end_ms = t + MS_PER_MINUTE
        frozen = self.player.is_frozen(end_ms)
        for name, series in self._series.items():
            r, wick_hi, wick_lo, vol = (a[i] for a in self._chunk[name])
            self._base_px[name] *= math.exp(r)
            prev = series.last_close() if len(series) else self._base_px[name]
            if frozen:
                series.append(t, prev, prev, prev, prev, 0.0)
                continue
            close = self._base_px[name] * math.exp(self.player.log_multiplier(name, end_ms))
            high = max(prev, close) * math.exp(wick_hi)
            low = min(prev, close) * math.exp(-wick_lo)
            series.append(t, prev, high, low, close, vol * BASE_VOLUME_USD_PER_MINUTE / close)
        self._chunk_pos += 1
        self._next_minute_ms = end_ms
        for listener in self.minute_listeners:
            listener(end_ms)
