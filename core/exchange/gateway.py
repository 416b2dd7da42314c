"""The exchange gateway: the one real implementation of `core.exchange.protocol.ExchangeGateway`,
over hyperliquid-python-sdk.

Everything the console and monitor know about the venue goes through `ExchangeGateway`; tests
point `HyperliquidGateway` at the paper exchange on loopback, so the real SDK is always on the
path. SDK failures become `core.exchange.errors` types and replies become frozen models.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import eth_account
from hyperliquid.info import Info
from hyperliquid.utils.signing import OrderRequest as SdkOrderRequest
from hyperliquid.utils.types import Cloid

from core.errors import BadInputError
from core.exchange import parse, parse_perp
from core.exchange.clock_skew import DATE_RESOLUTION_MS, VenueClock
from core.exchange.errors import DeadManSwitchUnavailable, GatewayConfigError, OrderRejected
from core.exchange.models import (
    AccountState, AssetContext, Candle, Fill, FundingPayment, OpenOrder, OrderRequest, OrderResult, OrderStatus,
)
from core.exchange.network import Venue, private_key_from_env, resolve_venue
from core.exchange.nonce import NowMs, nonce_source_for, wall_clock_ms
from core.exchange.sdk_errors import LastResponse, sdk_errors, watch_session
from core.exchange.sdk_exchange import NonceExchange
from core.exchange.ticks import round_price

log = logging.getLogger("evorisk.exchange")

# Reads are retried by callers; a bounded timeout keeps one hung request from stalling a poll.
DEFAULT_TIMEOUT_S = 5.0
# The venue refuses a dead-man switch armed less than 5 s ahead; refuse it here without a request.
SCHEDULE_CANCEL_MIN_LEAD_MS = 5_000
SCHEDULE_CANCEL_VOLUME_GATE = "Cannot set scheduled cancel time until enough volume traded"
# Cancels and scheduleCancel are signed with an expiresAfter too (an L1 action may carry one): one
# still travelling this long after signing is refused by the venue instead of applied late, e.g.
# an old disarm of the dead-man switch landing after a newer arm. The bound orders get from
# core.monitor.claims.post_window_ms: two request timeouts and a second.
ACTION_WINDOW_TIMEOUTS = 2
ACTION_WINDOW_MARGIN_MS = 1_000


class HyperliquidGateway:
    """`ExchangeGateway` over the SDK's `Info` and `Exchange`, built lazily on first use.

    The private key lives only inside the eth_account wallet object; it is never stored as
    text, logged, or shown by `repr`.
    """

    def __init__(self, network: str, *, base_url: str | None = None, private_key: str | None = None,
                 account_address: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                 allow_mainnet: bool = False, now_ms: NowMs = wall_clock_ms):
        self._venue: Venue = resolve_venue(network, base_url, allow_mainnet=allow_mainnet)
        self.network = self._venue.network
        self.timeout_s = float(timeout_s)
        try:
            self._wallet = eth_account.Account.from_key(private_key) if private_key else None
        except (ValueError, TypeError):  # the message never echoes the key
            raise GatewayConfigError("the private key is not a valid 32-byte hex key") from None
        self.signer_address = self._wallet.address if self._wallet else None
        self.account_address = account_address or self.signer_address
        self._now_ms = now_ms
        self.venue_clock = VenueClock(now_ms)
        self._last = LastResponse()
        self._info: Info | None = None
        self._exchange: NonceExchange | None = None

    @classmethod
    def from_env(cls, network: str, **kwargs: Any) -> "HyperliquidGateway":
        """Gateway whose key (if any) comes from EVORISK_PRIVATE_KEY."""
        return cls(network, private_key=private_key_from_env(), **kwargs)

    def __repr__(self) -> str:
        return (f"HyperliquidGateway(network={self.network!r}, base_url={self.base_url!r}, "
                f"signer={self.signer_address!r}, account={self.account_address!r})")

    @property
    def base_url(self) -> str:
        return self._venue.base_url

    def now_ms(self) -> int:
        """The clock this gateway signs nonces and expiries with (injected in tests)."""
        return int(self._now_ms())

    def accepted_until_ms(self, expires_after_ms: int) -> int:
        """`expiresAfter` is checked on the venue's clock: if ours runs ahead (skew > 0) the venue
        accepts that much later in our time; the Date header is only exact to the second."""
        return int(expires_after_ms + max(0, self.venue_clock.skew_ms or 0) + DATE_RESOLUTION_MS)

    # -- SDK objects -------------------------------------------------------------------------
    def _sdk_info(self) -> Info:
        if self._info is None:
            with sdk_errors("meta", self._last, timeout_s=self.timeout_s):
                info = Info(self.base_url, skip_ws=True, timeout=self.timeout_s)
            watch_session(info.session, self._last, self.venue_clock.observe)
            self._info = info
        return self._info

    def _sdk_exchange(self) -> NonceExchange:
        if self._wallet is None:
            raise GatewayConfigError("no signing key: set EVORISK_PRIVATE_KEY to send orders")
        if self._exchange is None:
            # Fetch meta through our watched Info, so the Exchange's own Info makes no unwatched calls.
            meta = self._read("meta", lambda info: info.meta())
            spot_meta = self._read("spotMeta", lambda info: info.spot_meta())
            with sdk_errors("meta", self._last, timeout_s=self.timeout_s):
                exchange = NonceExchange(self._wallet, self.base_url, meta=meta, spot_meta=spot_meta,
                                         account_address=self.account_address, timeout=self.timeout_s,
                                         nonce_source=nonce_source_for(self._wallet.address, self._now_ms))
            watch_session(exchange.session, self._last, self.venue_clock.observe)
            self._exchange = exchange
        return self._exchange

    def _read(self, what: str, call: Any) -> Any:
        info = self._sdk_info()
        with sdk_errors(what, self._last, timeout_s=self.timeout_s):
            return call(info)

    def _act(self, what: str, call: Any) -> Any:
        exchange = self._sdk_exchange()  # its meta reads have shown us the venue's Date
        self.venue_clock.check(what)
        with sdk_errors(what, self._last, timeout_s=self.timeout_s, action=True):
            return call(exchange)

    def sz_decimals(self, coin: str) -> int:
        """Size decimals of a perp on this venue (from `meta`); BadInputError for an unknown coin.

        Sizes must be rounded to these before sending, and callers proposing orders need them to
        round down a fraction of a position exactly as the venue will accept it.
        """
        info = self._sdk_info()
        if coin not in info.name_to_coin:
            raise BadInputError(f"unknown coin {coin!r} on {self.network}")
        return info.asset_to_sz_decimals[info.name_to_asset(coin)]

    # -- reads -------------------------------------------------------------------------------
    def account_state(self, address: str) -> AccountState:
        raw = self._read("clearinghouseState", lambda info: info.user_state(address))
        return parse.parse_account_state(raw, fallback_time_ms=self._now_ms())

    def mids(self) -> dict[str, float]:
        return parse.parse_mids(self._read("allMids", lambda info: info.all_mids()))

    def candles(self, coin: str, interval: str, start_ms: int, end_ms: int) -> list[Candle]:
        self.sz_decimals(coin)  # unknown coin -> BadInputError instead of the SDK's KeyError
        raw = self._read("candleSnapshot", lambda info: info.candles_snapshot(coin, interval, start_ms, end_ms))
        return parse.parse_candles(raw, coin, interval)

    def asset_contexts(self) -> dict[str, AssetContext]:
        """Funding rate, mark and oracle per perp (`metaAndAssetCtxs`, weight 20: poll it sparingly)."""
        return parse_perp.parse_asset_contexts(self._read("metaAndAssetCtxs", lambda info: info.meta_and_asset_ctxs()))

    def max_leverages(self) -> dict[str, float]:
        """Max leverage per perp from `meta` (weight 20): what sets its maintenance margin."""
        return parse_perp.parse_max_leverages(self._read("meta", lambda info: info.meta()))

    def user_funding(self, address: str, start_ms: int, end_ms: int | None = None) -> list[FundingPayment]:
        """The account's hourly funding payments from `start_ms` (`userFunding`, weight 20)."""
        raw = self._read("userFunding", lambda info: info.user_funding_history(address, start_ms, end_ms))
        return parse_perp.parse_user_funding(raw)

    def order_status_by_cloid(self, address: str, cloid: str) -> OrderStatus | None:
        raw = self._read("orderStatus", lambda info: info.query_order_by_cloid(address, Cloid(cloid)))
        return parse.parse_order_status(raw)

    def open_orders(self, address: str) -> list[OpenOrder]:
        return parse.parse_open_orders(self._read("openOrders", lambda info: info.open_orders(address)))

    def user_fills(self, address: str) -> list[Fill]:
        """The account's recent fills (the venue keeps the latest 2000); `orderStatus` has no price."""
        return parse.parse_user_fills(self._read("userFills", lambda info: info.user_fills(address)))

    # -- actions -----------------------------------------------------------------------------
    def _to_sdk(self, order: OrderRequest) -> SdkOrderRequest:
        decimals = self.sz_decimals(order.coin)
        size = round(order.size, decimals)
        if size <= 0:
            raise BadInputError(f"{order.coin}: size {order.size} rounds to 0 at {decimals} decimals")
        if order.trigger is None:
            order_type: dict = {"limit": {"tif": order.tif}}
        else:
            order_type = {"trigger": {"triggerPx": round_price(order.trigger.trigger_px, decimals),
                                      "isMarket": order.trigger.is_market, "tpsl": order.trigger.tpsl}}
        out: SdkOrderRequest = {"coin": order.coin, "is_buy": order.is_buy, "sz": size,
                                "limit_px": round_price(order.limit_px, decimals),
                                "order_type": order_type, "reduce_only": order.reduce_only}  # type: ignore[typeddict-item]
        if order.cloid:
            out["cloid"] = Cloid(order.cloid)
        return out

    def place_orders(self, orders: Sequence[OrderRequest], grouping: str = "na",
                     expires_after_ms: int | None = None) -> list[OrderResult]:
        """Send one batch; per-order rejections come back as `status="error"` results.

        Prices are rounded to the venue's tick rules and sizes to szDecimals first.
        `expires_after_ms` is signed as the action's `expiresAfter`: a POST still travelling after
        it is refused by the venue (see `accepted_until_ms` for what "after" means on our clock).
        Raises `OrderRejected` when the whole action is refused, `ExchangeTimeout(action_sent=True)`
        when the outcome is unknown.
        """
        if not orders:
            return []
        wire = [self._to_sdk(o) for o in orders]
        log.info("placing %d order(s) on %s: %s", len(wire), self.network,
                 ", ".join(f"{o.coin} {'buy' if o.is_buy else 'sell'} {o.size} cloid={o.cloid}" for o in orders))
        raw = self._act("order", lambda ex: ex.bulk_orders(wire, grouping=grouping, expires_after=expires_after_ms))
        return parse.parse_order_statuses(raw, len(wire))

    def action_expiry_ms(self) -> int:
        """The expiresAfter a cancel or scheduleCancel signed now carries (see ACTION_WINDOW_TIMEOUTS)."""
        return self.now_ms() + int(ACTION_WINDOW_TIMEOUTS * self.timeout_s * 1000) + ACTION_WINDOW_MARGIN_MS

    def cancel_by_cloid(self, coin: str, cloid: str) -> str | None:
        """None when canceled, else the venue's reason (e.g. already filled)."""
        self.sz_decimals(coin)
        raw = self._act("cancelByCloid", lambda ex: ex.bulk_cancel_by_cloid(
            [{"coin": coin, "cloid": Cloid(cloid)}], expires_after=self.action_expiry_ms()))
        return parse.parse_cancel_statuses(raw, 1)[0]

    def schedule_cancel(self, time_ms: int | None) -> None:
        """Arm (or with None disarm) the venue's dead-man switch that cancels all open orders.

        It cancels every order, protective stops included, and never closes a position. Raises
        BadInputError (nothing sent) for a time under 5 s ahead, and `DeadManSwitchUnavailable`
        when the venue's volume gate refuses the switch, so callers can run without it.
        """
        if time_ms is not None and time_ms < self._now_ms() + SCHEDULE_CANCEL_MIN_LEAD_MS:
            raise BadInputError(f"scheduleCancel must be at least {SCHEDULE_CANCEL_MIN_LEAD_MS / 1000:g} s ahead")
        try:
            raw = self._act("scheduleCancel", lambda ex: ex.schedule_cancel(time_ms, self.action_expiry_ms()))
            parse.parse_default_ok(raw, "scheduleCancel")
        except OrderRejected as exc:
            if exc.venue_message.startswith(SCHEDULE_CANCEL_VOLUME_GATE):
                raise DeadManSwitchUnavailable(exc.venue_message) from None
            raise
