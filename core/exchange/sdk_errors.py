"""SDK and transport failures -> our typed errors (RELIABILITY section 1).

The SDK loses the HTTP status in two places: a 4xx JSON body without `code` raises a bare
`KeyError`, and a non-JSON 2xx body is *returned* as `{"error": ...}`. A response hook on the
SDK's `requests` session records the last status and headers per thread, so we can still tell
a 429 (with its Retry-After) from a malformed request.

A connection that breaks *after* an action went out (the server booked it, then dropped the
reply) is not "unreachable": its outcome is unknown, so it becomes `ReplyLost`.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable

import requests
from hyperliquid.utils.error import ClientError, ServerError
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from core.exchange.errors import (
    ExchangeClientError,
    ExchangeServerError,
    ExchangeTimeout,
    ExchangeUnreachable,
    RateLimited,
    ReplyLost,
)

log = logging.getLogger("evorisk.exchange")

HTTP_TOO_MANY_REQUESTS = 429
# Without a Retry-After header, wait one weight window: the IP budget refills per minute.
DEFAULT_RETRY_AFTER_S = 60.0
# Bodies are echoed into messages for diagnosis; keep them one readable line.
MAX_BODY_CHARS = 200


class LastResponse(threading.local):
    status_code: int | None = None
    headers: Any = None


def watch_session(session: requests.Session, last: LastResponse,
                  on_headers: Callable[[Any], None] | None = None) -> None:
    """Record each response's status and headers into `last` (per thread); `on_headers` sees
    every response's headers too (the venue clock reads `Date` from them)."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        last.status_code = response.status_code
        last.headers = response.headers
        if on_headers is not None:
            on_headers(response.headers)

    session.hooks["response"].append(hook)


def _retry_after_s(headers: Any) -> float:
    try:
        return max(0.0, float(headers.get("Retry-After")))
    except (AttributeError, TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_S


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the TCP connection was never made (refused, DNS), so nothing was sent."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError and NameResolutionError derive from it


def _client_error(what: str, status: int | None, text: str, headers: Any) -> Exception:
    text = " ".join(str(text).split())[:MAX_BODY_CHARS]
    if status == HTTP_TOO_MANY_REQUESTS:
        return RateLimited(f"{what}: rate limited (429) {text}", retry_after_s=_retry_after_s(headers))
    return ExchangeClientError(f"{what}: HTTP {status} {text}", status_code=status)


@contextmanager
def sdk_errors(what: str, last: LastResponse, *, timeout_s: float, action: bool = False) -> Iterator[None]:
    """Translate everything the SDK and requests raise inside the block."""
    last.status_code, last.headers = None, None
    try:
        yield
    except requests.ConnectTimeout as exc:  # before Timeout: nothing was sent
        raise ExchangeUnreachable(f"{what}: connect timeout ({exc.__class__.__name__})") from None
    except requests.Timeout:
        raise ExchangeTimeout(f"{what}: no answer within {timeout_s:g} s", action_sent=action) from None
    except requests.ConnectionError as exc:
        if action and not _never_connected(exc):
            raise ReplyLost(f"{what}: the connection broke before the reply; outcome unknown",
                            action_sent=True) from None
        raise ExchangeUnreachable(f"{what}: cannot connect ({exc.__class__.__name__})") from None
    except ClientError as exc:
        headers = last.headers if last.headers is not None else exc.header
        raise _client_error(what, exc.status_code, exc.error_message, headers) from None
    except ServerError as exc:
        text = " ".join(str(exc.message).split())[:MAX_BODY_CHARS]
        raise ExchangeServerError(f"{what}: HTTP {exc.status_code} {text}", status_code=exc.status_code) from None
    except (KeyError, AttributeError):  # the SDK indexes a 4xx JSON body that lacks `code` or is no object
        status = last.status_code
        if status is None or status < 400:
            raise  # a real bug, not the SDK's 4xx-body path
        raise _client_error(what, status, "(JSON body without code)", last.headers) from None
    except requests.RequestException as exc:
        raise ExchangeUnreachable(f"{what}: {exc.__class__.__name__}") from None
