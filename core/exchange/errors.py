"""Typed exchange errors: the SDK's ClientError/ServerError/requests errors end here.

Callers decide on retry versus operator alert from the type alone, never from message text.
Transport failures also derive from `ExchangeUnavailableError` so the CLI exits with code 3.
"""
from __future__ import annotations

from core.errors import BadInputError, EvoriskError, ExchangeUnavailableError


class ExchangeError(EvoriskError):
    """Base for everything the gateway raises."""


class ExchangeUnreachable(ExchangeError, ExchangeUnavailableError):
    """No TCP connection could be made (server down, DNS, refused)."""


class ExchangeTimeout(ExchangeError, ExchangeUnavailableError):
    """No answer within the timeout.

    For an action (`action_sent=True`) the outcome is UNKNOWN: the order may be booked.
    Look it up with `orderStatus` by cloid before sending anything again.
    """

    def __init__(self, message: str, *, action_sent: bool = False):
        super().__init__(message)
        self.action_sent = action_sent


class ReplyLost(ExchangeTimeout):
    """The connection broke after an action went out: like a timeout, the outcome is UNKNOWN.

    A server that books the order and then drops the connection looks like this; treating it as
    "unreachable" would invite a blind resend, so it carries `action_sent=True`.
    """


class RateLimited(ExchangeError, ExchangeUnavailableError):
    """HTTP 429: back off for `retry_after_s` seconds before the next request."""

    def __init__(self, message: str, *, retry_after_s: float):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ExchangeServerError(ExchangeError, ExchangeUnavailableError):
    """HTTP 5xx: the venue failed; retry reads, look actions up by cloid."""

    def __init__(self, message: str, *, status_code: int):
        super().__init__(message)
        self.status_code = status_code


class ExchangeClientError(ExchangeError):
    """HTTP 4xx other than 429 (e.g. 422 for a malformed request): a bug on our side."""

    def __init__(self, message: str, *, status_code: int | None):
        super().__init__(message)
        self.status_code = status_code


class MalformedReply(ExchangeError, ExchangeUnavailableError):
    """The reply was not JSON, or lacked a field, or held a bad number (NaN, inf, <= 0 price).

    The whole reply is rejected; callers keep their last good snapshot.
    """


class OrderRejected(ExchangeError):
    """The venue rejected the whole action: `{"status":"err","response": venue_message}`.

    Typical causes: unknown signer (wrong key or network), invalid nonce, unknown vault.
    """

    def __init__(self, venue_message: str):
        super().__init__(venue_message)
        self.venue_message = venue_message


class DeadManSwitchUnavailable(OrderRejected):
    """`scheduleCancel` refused by the venue's volume gate ("Cannot set scheduled cancel time until
    enough volume traded"): the switch is optional, so callers run without it instead of failing."""


class ClockSkewHalt(ExchangeError):
    """The local clock disagrees with the venue's HTTP Date by more than the allowed skew.

    Signed actions are halted (nothing is sent): nonces and expiries are local timestamps, and a
    skewed clock makes them invalid or, worse, valid for longer than intended. Reads still work.
    """

    def __init__(self, message: str, *, skew_ms: int):
        super().__init__(message)
        self.skew_ms = skew_ms


# Per-order errors that mean "no liquidity at this price now", not "this order is wrong": an IOC
# close may be retried as a new order with wider slippage (SPEC 5, HYPERLIQUID section 5). Every
# other per-order error is a rejection that is reported and never re-placed automatically.
LIQUIDITY_MISS_PREFIXES = ("Order could not immediately match against any resting orders",
                           "No liquidity available for market order")


def is_liquidity_miss(venue_error: str) -> bool:
    """True for the IOC no-match family of per-order errors, so callers never parse text themselves."""
    return venue_error.startswith(LIQUIDITY_MISS_PREFIXES)


class GatewayConfigError(BadInputError):
    """The gateway was configured unsafely or incompletely (mainnet without the flag, no key)."""
