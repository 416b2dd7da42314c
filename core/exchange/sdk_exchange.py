"""The SDK's `Exchange`, with our monotonic nonce for the actions the gateway sends.

Why a subclass: `Exchange.bulk_orders` & co. read `get_timestamp_ms()` from module scope, so the
only other way to change the nonce is to patch that global for the whole process, which is
not thread-safe and would leak into any other SDK user. Overriding the four actions we send
keeps the SDK's wire format, signing and posting (`sign_l1_action`, `_post_action`) untouched.
Every one of them takes a signed `expires_after` (allowed on all L1 actions, never on user-signed ones).
"""
from __future__ import annotations

import threading
from typing import Any

from hyperliquid.exchange import Exchange
from hyperliquid.utils.constants import MAINNET_API_URL
from hyperliquid.utils.signing import (
    CancelByCloidRequest,
    CancelRequest,
    Grouping,
    OrderRequest,
    order_request_to_order_wire,
    order_wires_to_order_action,
    sign_l1_action,
)
from hyperliquid.utils.types import BuilderInfo, List, Optional

from core.exchange.nonce import NonceSource


class NonceExchange(Exchange):
    """`Exchange` whose order/cancel/scheduleCancel nonces come from a `NonceSource`."""

    def __init__(self, *args: Any, nonce_source: NonceSource, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._nonce_source = nonce_source
        self._post_lock = threading.Lock()

    def _sign_and_post(self, action: dict, expires_after: Optional[int] = None) -> Any:
        """Sign and POST with `expires_after` (ms) as the action's expiresAfter. The SDK's
        `_post_action` reads it from `self.expires_after`, so it is set only for this call, under a
        lock: two threads never send with each other's expiry."""
        with self._post_lock:
            nonce = self._nonce_source.next()
            signature = sign_l1_action(self.wallet, action, self.vault_address, nonce, expires_after,
                                       self.base_url == MAINNET_API_URL)
            self.expires_after = expires_after
            try:
                return self._post_action(action, signature, nonce)
            finally:
                self.expires_after = None

    def bulk_orders(self, order_requests: List[OrderRequest], builder: Optional[BuilderInfo] = None,
                    grouping: Grouping = "na", expires_after: Optional[int] = None) -> Any:
        wires = [order_request_to_order_wire(o, self.info.name_to_asset(o["coin"])) for o in order_requests]
        if builder:
            builder["b"] = builder["b"].lower()
        return self._sign_and_post(order_wires_to_order_action(wires, builder, grouping), expires_after)

    def bulk_cancel(self, cancel_requests: List[CancelRequest], expires_after: Optional[int] = None) -> Any:
        cancels = [{"a": self.info.name_to_asset(c["coin"]), "o": c["oid"]} for c in cancel_requests]
        return self._sign_and_post({"type": "cancel", "cancels": cancels}, expires_after)

    def bulk_cancel_by_cloid(self, cancel_requests: List[CancelByCloidRequest],
                             expires_after: Optional[int] = None) -> Any:
        cancels = [{"asset": self.info.name_to_asset(c["coin"]), "cloid": c["cloid"].to_raw()} for c in cancel_requests]
        return self._sign_and_post({"type": "cancelByCloid", "cancels": cancels}, expires_after)

    def schedule_cancel(self, time: Optional[int], expires_after: Optional[int] = None) -> Any:  # noqa: A002
        action: dict = {"type": "scheduleCancel"}  # `time`: the SDK's parameter name
        if time is not None:
            action["time"] = time
        return self._sign_and_post(action, expires_after)
