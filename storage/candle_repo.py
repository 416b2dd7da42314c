"""SQL of the `candles` cache: writes of one coin at a time, ranges for data specs, the newest
cached candle per series and the sources that hold a coin (implements core.market.hl_fetch.CandleSink).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.store import Store


class CandleRepo:
    def __init__(self, store: Store):
        self.store = store

    def last_candle_ms(self, source: str, coin: str, interval: str) -> int | None:
        rows = self.store.query("SELECT MAX(t_ms) AS last_ms FROM candles"
                                " WHERE source = ? AND coin = ? AND interval = ?", (source, coin, interval))
        return None if not rows or rows[0]["last_ms"] is None else int(rows[0]["last_ms"])

    def write_candles(self, source: str, coin: str, interval: str, rows: Sequence[tuple]) -> int:
        """rows: (t_ms, open, high, low, close, volume); all written in one transaction or none."""
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO candles (source, coin, interval, t_ms, open, high, low, close, volume)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(source, coin, interval, *r) for r in rows])
        return len(rows)

    def candles(self, source: str, coin: str, interval: str, start_ms: int | None = None,
                end_ms: int | None = None) -> list[tuple]:
        """(t_ms, open, high, low, close, volume) rows with start_ms <= t_ms <= end_ms, oldest first."""
        sql = ("SELECT t_ms, open, high, low, close, volume FROM candles"
               " WHERE source = ? AND coin = ? AND interval = ?")
        params: list = [source, coin, interval]
        if start_ms is not None:
            sql += " AND t_ms >= ?"
            params.append(int(start_ms))
        if end_ms is not None:
            sql += " AND t_ms <= ?"
            params.append(int(end_ms))
        return [tuple(r.values()) for r in self.store.query(sql + " ORDER BY t_ms", tuple(params))]

    def sources_with(self, coins: Sequence[str], interval: str, prefix: str) -> list[str]:
        """Sources (starting with `prefix`) that cache every one of `coins` at `interval`."""
        if not coins:
            return []
        marks = ",".join("?" * len(coins))
        rows = self.store.query(
            f"SELECT source FROM candles WHERE interval = ? AND coin IN ({marks}) AND source LIKE ?"
            " GROUP BY source HAVING COUNT(DISTINCT coin) = ? ORDER BY source",
            (interval, *coins, prefix + "%", len(set(coins))))
        return [r["source"] for r in rows]

    def summary(self) -> list[dict[str, Any]]:
        """One row per (source, coin, interval): first_ms, last_ms, rows."""
        return self.store.query(
            "SELECT source, coin, interval, MIN(t_ms) AS first_ms, MAX(t_ms) AS last_ms, COUNT(*) AS rows"
            " FROM candles GROUP BY source, coin, interval ORDER BY source, coin, interval")
