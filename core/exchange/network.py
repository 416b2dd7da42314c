"""Which venue a gateway talks to, and the guard that keeps paper and testnet off mainnet.

The SDK signs as mainnet only when `base_url == MAINNET_API_URL` exactly, so a near-miss URL
would sign as testnet and fail confusingly on mainnet. We therefore accept mainnet only as the
exact constant plus an explicit allow flag, and paper only on a loopback host.
"""
from __future__ import annotations

import os
import string
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlparse

from hyperliquid.utils.constants import MAINNET_API_URL, TESTNET_API_URL

from core.exchange.errors import GatewayConfigError

Network = Literal["paper", "testnet", "mainnet"]
NETWORKS: tuple[str, ...] = ("paper", "testnet", "mainnet")
PRIVATE_KEY_ENV = "EVORISK_PRIVATE_KEY"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Venue:
    network: Network
    base_url: str

    @property
    def signs_as_mainnet(self) -> bool:
        return self.base_url == MAINNET_API_URL


def resolve_venue(network: str, base_url: str | None, *, allow_mainnet: bool) -> Venue:
    """Check network + URL together; raise `GatewayConfigError` for anything ambiguous."""
    if network not in NETWORKS:
        raise GatewayConfigError(f"unknown network {network!r}; expected one of {', '.join(NETWORKS)}")
    if network == "mainnet":
        if not allow_mainnet:
            raise GatewayConfigError("mainnet needs an explicit allow flag (--i-understand-mainnet)")
        if base_url not in (None, MAINNET_API_URL):
            raise GatewayConfigError(f"mainnet URL must be exactly {MAINNET_API_URL}, got {base_url!r}")
        return Venue("mainnet", MAINNET_API_URL)
    if base_url == MAINNET_API_URL:
        raise GatewayConfigError(f"{network} gateway pointed at the mainnet URL")
    if network == "testnet":
        if base_url not in (None, TESTNET_API_URL):
            raise GatewayConfigError(f"testnet URL must be {TESTNET_API_URL}, got {base_url!r}")
        return Venue("testnet", TESTNET_API_URL)
    if not base_url:
        raise GatewayConfigError("paper network needs the paper exchange's base_url")
    parsed = urlparse(base_url)
    if parsed.scheme != "http" or parsed.hostname not in LOOPBACK_HOSTS:
        raise GatewayConfigError(f"paper base_url must be http on a loopback host, got {base_url!r}")
    return Venue("paper", base_url.rstrip("/"))


PRIVATE_KEY_HEX_DIGITS = 64  # secp256k1 keys are exactly 32 bytes


def private_key_from_env() -> str | None:
    """The signing key, only from the environment (never argv, never logged).

    Exactly 32 bytes as 64 hex digits (optionally 0x-prefixed): eth_account would left-pad a
    63-digit key into a different, valid key and sign for an account nobody meant. The error
    names the length only, never the key."""
    key = os.environ.get(PRIVATE_KEY_ENV, "").strip()
    if not key:
        return None
    digits = key[2:] if key[:2].lower() == "0x" else key
    if len(digits) != PRIVATE_KEY_HEX_DIGITS or any(c not in string.hexdigits for c in digits):
        what = (f"{len(digits)} characters" if all(c in string.hexdigits for c in digits)
                else "characters that are not hex digits")
        raise GatewayConfigError(f"{PRIVATE_KEY_ENV} must be a 32-byte key: {PRIVATE_KEY_HEX_DIGITS} hex digits, "
                                 f"optionally 0x-prefixed; it has {what}")
    return "0x" + digits.lower()
