"""What the console, the monitor and the executor may ask of an exchange: the Protocol alone, so a
module that only types against it (core/monitor/*) does not import the SDK and its signing stack
(eth_account, hyperliquid: ~0.4 s), which only `core.exchange.gateway.HyperliquidGateway` needs."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.exchange.models import (
    AccountState, AssetContext, Candle, Fill, FundingPayment, OpenOrder, OrderRequest, OrderResult, OrderStatus,
)


class ExchangeGateway(Protocol):
    """What the console, the monitor and the executor may ask of an exchange."""

    network: str
    signer_address: str | None  # None: read-only, nothing can be signed
    timeout_s: float  # per request: bounds how long a POST may stay in flight

    def now_ms(self) -> int:
        """The clock this gateway signs nonces and expiries with."""

    def accepted_until_ms(self, expires_after_ms: int) -> int:
        """Until when (our clock) the venue may still accept an action signed with this expiry."""

    def sz_decimals(self, coin: str) -> int: ...

    def account_state(self, address: str) -> AccountState: ...

    def mids(self) -> dict[str, float]: ...

    def candles(self, coin: str, interval: str, start_ms: int, end_ms: int) -> list[Candle]: ...

    def asset_contexts(self) -> dict[str, AssetContext]: ...

    def max_leverages(self) -> dict[str, float]: ...

    def user_funding(self, address: str, start_ms: int, end_ms: int | None = None) -> list[FundingPayment]: ...

    def order_status_by_cloid(self, address: str, cloid: str) -> OrderStatus | None: ...

    def open_orders(self, address: str) -> list[OpenOrder]: ...

    def user_fills(self, address: str) -> list[Fill]: ...

    def place_orders(self, orders: Sequence[OrderRequest], grouping: str = "na",
                     expires_after_ms: int | None = None) -> list[OrderResult]: ...

    def cancel_by_cloid(self, coin: str, cloid: str) -> str | None: ...

    def schedule_cancel(self, time_ms: int | None) -> None: ...
