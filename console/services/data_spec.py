"""`--data` items that name cached Hyperliquid candles: `hl:[NETWORK:]COIN,COIN[@INTERVAL][/FROM..TO]`.

Resolved here, in the console layer, because it needs the SQLite cache (core never imports
storage). Coins missing from the cache are fetched first when a venue was named
(`--network`/`--base-url`); otherwise the error says which `evorisk data fetch` fills them.

A run must see the same bars when it is resumed or reported, but the cache grows with every
fetch. So `recorded` gives each hl: item pinned to its network and the exact range it resolved
to (e.g. `hl:paper:BTC,ETH@1d/2023-06-01..2024-05-01`); every coin is cut at the same last
candle so the assets end together.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from console.services.opening import open_args_store, read_gateway
from core.errors import BadInputError, ExchangeUnavailableError
from core.market.candles import interval_ms, series_from_rows
from core.market.hl_fetch import FetchSettings, fetch_coins, source_name
from core.market.loader import load_many
from core.market.ohlcv import OHLCV

HL_PREFIX = "hl:"
DEFAULT_INTERVAL = "1d"
_SPEC = re.compile(r"^hl:(?:(?P<network>paper|testnet|mainnet):)?(?P<coins>[A-Za-z0-9_,-]+)"
                   r"(?:@(?P<interval>[0-9]+[a-zA-Z]))?(?:/(?P<start>[0-9T:-]*)\.\.(?P<end>[0-9T:-]*))?$")
MS_PER_DAY = 86_400_000


@dataclass(frozen=True)
class HlSpec:
    coins: tuple[str, ...]
    interval: str = DEFAULT_INTERVAL
    network: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None

    def text(self) -> str:
        out = HL_PREFIX + (f"{self.network}:" if self.network else "") + ",".join(self.coins) + f"@{self.interval}"
        if self.start_ms is not None or self.end_ms is not None:
            out += f"/{time_text(self.start_ms)}..{time_text(self.end_ms)}"
        return out


def is_hl_spec(item: object) -> bool:
    return isinstance(item, str) and item.startswith(HL_PREFIX)


def parse_time_ms(text: str) -> int:
    """ISO date or date-time (UTC unless it says otherwise) -> epoch ms."""
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInputError(f"{text!r} is not an ISO date or time (e.g. 2024-05-01 or 2024-05-01T04:00)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def time_text(ms: int | None) -> str:
    """Round-trips through parse_time_ms; a bare date at midnight; '' for an open end."""
    if ms is None:
        return ""
    dt = datetime.fromtimestamp(ms / 1000, timezone.utc)
    return dt.strftime("%Y-%m-%d") if ms % MS_PER_DAY == 0 else dt.strftime("%Y-%m-%dT%H:%M:%S")


def parse_hl_spec(item: str) -> HlSpec:
    m = _SPEC.match(item.strip())
    if not m:
        raise BadInputError(f"bad data spec {item!r}: expected hl:[NETWORK:]COIN,COIN[@INTERVAL], e.g. hl:BTC,ETH@1d")
    coins = tuple(dict.fromkeys(c for c in m["coins"].split(",") if c))
    interval = m["interval"] or DEFAULT_INTERVAL
    interval_ms(interval)
    start = parse_time_ms(m["start"]) if m["start"] else None
    end = parse_time_ms(m["end"]) if m["end"] else None
    if not coins:
        raise BadInputError(f"bad data spec {item!r}: no coins")
    return HlSpec(coins, interval, m["network"], start, end)


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")


class DataResolver:
    """Callable `items -> [OHLCV]` for make_evaluator / load_dataset: CSV files (through the
    loader, first) and then hl: specs, in the order given; `recorded` is what a run stores."""

    def __init__(self, open_repo: Callable[[], object], network: str | None = None, base_url: str | None = None,
                 timeout_s: float = 10.0, say: Callable[[str], None] = _say):
        self._open_repo = open_repo
        self._repo = None
        self.network, self.base_url, self.timeout_s, self._say = network, base_url, timeout_s, say
        self.recorded: list[str] = []

    def repo(self):
        if self._repo is None:
            self._repo = self._open_repo()
        return self._repo

    def __call__(self, items: Sequence[str | Path]) -> list[OHLCV]:
        files = [item for item in items if not is_hl_spec(str(item))]
        series = load_many(files) if files else []  # every bad file listed at once, as before
        recorded = [str(Path(item).resolve()) for item in files]
        for item in items:
            if is_hl_spec(str(item)):
                loaded, pinned = self._resolve(parse_hl_spec(str(item)))
                series.extend(loaded)
                recorded.append(pinned)
        self.recorded = recorded
        return series

    def _network_for(self, spec: HlSpec) -> str:
        network = spec.network or self.network or ("paper" if self.base_url else None)
        if network:
            return network
        sources = self.repo().sources_with(spec.coins, spec.interval, HL_PREFIX)
        if len(sources) == 1:
            return sources[0][len(HL_PREFIX):]
        if sources:
            raise BadInputError(f"{spec.text()}: cached on several networks ({', '.join(sources)}); name one, "
                                f"e.g. {HL_PREFIX}{sources[0][len(HL_PREFIX):]}:{','.join(spec.coins)}@{spec.interval}")
        raise BadInputError(f"no cached Hyperliquid {spec.interval} candles for {','.join(spec.coins)}: "
                            f"{self._fetch_hint(spec.coins, spec.interval)}")

    @staticmethod
    def _fetch_hint(coins: Sequence[str], interval: str) -> str:
        return (f"fetch them with `evorisk data fetch --coins {','.join(coins)} --interval {interval} --base-url URL` "
                f"(or --network testnet|mainnet), or pass --base-url/--network here to fetch them first")

    def _fetch_missing(self, network: str, spec: HlSpec, missing: list[str]) -> None:
        if not (self.base_url or self.network):
            raise BadInputError(f"no cached {network} {spec.interval} candles for {','.join(missing)}: "
                                f"{self._fetch_hint(missing, spec.interval)}")
        gateway = read_gateway(network, self.base_url, self.timeout_s)
        self._say(f"fetching {','.join(missing)} {spec.interval} from {network} ({gateway.base_url}) into the cache")
        for r in fetch_coins(gateway, self.repo(), missing, FetchSettings(interval=spec.interval)):
            for line in (*r.notes, *r.problems):
                self._say(line)
            if r.status == "rejected":
                raise BadInputError(f"{r.coin} {r.interval}: the fetched candles were rejected (see above)")
            if r.status == "failed":
                raise ExchangeUnavailableError(r.problems[0] if r.problems else f"{r.coin}: fetch failed")

    def _resolve(self, spec: HlSpec) -> tuple[list[OHLCV], str]:
        network = self._network_for(spec)
        source, repo = source_name(network), self.repo()
        missing = [c for c in spec.coins if repo.last_candle_ms(source, c, spec.interval) is None]
        if missing:
            self._fetch_missing(network, spec, missing)
        rows = {c: repo.candles(source, c, spec.interval, spec.start_ms, spec.end_ms) for c in spec.coins}
        empty = [c for c, r in rows.items() if not r]
        if empty:
            raise BadInputError(f"{spec.text()}: no cached {network} candles for {','.join(empty)} in that range")
        end_ms = spec.end_ms if spec.end_ms is not None else min(r[-1][0] for r in rows.values())
        rows = {c: [row for row in r if row[0] <= end_ms] for c, r in rows.items()}
        start_ms = spec.start_ms if spec.start_ms is not None else min(r[0][0] for r in rows.values() if r)
        series = [series_from_rows(c, r) for c, r in rows.items() if r]
        if len(series) != len(spec.coins):
            raise BadInputError(f"{spec.text()}: some coins have no candles before {time_text(end_ms)}")
        pinned = HlSpec(spec.coins, spec.interval, network, start_ms, end_ms)
        return series, pinned.text()


def data_loader(items: Sequence[str | Path], args: object, open_store: Callable[[], object] | None = None
                ) -> DataResolver | None:
    """A DataResolver when any item is an hl: spec, else None (the callers' CSV loading stays as it was)."""
    if not any(is_hl_spec(str(i)) for i in items):
        return None
    from storage.candle_repo import CandleRepo

    opener = open_store or (lambda: open_args_store(args))
    return DataResolver(lambda: CandleRepo(opener()), network=getattr(args, "network", None),
                        base_url=getattr(args, "base_url", None),
                        timeout_s=getattr(args, "timeout", None) or 10.0)
