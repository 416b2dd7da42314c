"""Who signed an action, and whether its nonce is acceptable.

The signer is recovered from the same phantom-agent hash the SDK signs (its own
`recover_agent_or_user_from_l1_action`), with source "b": a loopback URL is never the SDK's
mainnet constant, so clients sign as testnet. A wrong key therefore recovers an unknown
address and is rejected the way Hyperliquid does.
"""
from __future__ import annotations

import bisect
from typing import Any

import msgpack
from eth_keys.exceptions import BadSignature
from eth_utils.exceptions import ValidationError
from hyperliquid.utils.signing import recover_agent_or_user_from_l1_action, recover_user_from_user_signed_action

MS_PER_DAY = 86_400_000
NONCE_MAX_AGE_MS = 2 * MS_PER_DAY  # accepted window is (T - 2 d, T + 1 d)
NONCE_MAX_LEAD_MS = MS_PER_DAY
NONCES_KEPT_PER_SIGNER = 100  # Hyperliquid keeps the 20-100 highest nonces per signer


def recover_signer(body: dict[str, Any], is_mainnet: bool = False) -> str | None:
    """Lower-case address that signed `body["action"]`, or None if the signature is unusable."""
    try:
        address = recover_agent_or_user_from_l1_action(body["action"], body["signature"], body.get("vaultAddress"),
                                                       body["nonce"], body.get("expiresAfter"), is_mainnet)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, BadSignature, ValidationError,
            msgpack.PackException):
        return None
    return str(address).lower()


# User-signed actions are EIP-712 "HyperliquidTransaction:*" typed data, not L1 phantom-agent
# actions; these are the payload types the SDK (and ccxt) sign them with.
USER_SIGNED_TYPES: dict[str, tuple[list[dict[str, str]], str]] = {
    "approveAgent": ([{"name": "hyperliquidChain", "type": "string"}, {"name": "agentAddress", "type": "address"},
                      {"name": "agentName", "type": "string"}, {"name": "nonce", "type": "uint64"}],
                     "HyperliquidTransaction:ApproveAgent"),
    "approveBuilderFee": ([{"name": "hyperliquidChain", "type": "string"}, {"name": "maxFeeRate", "type": "string"},
                           {"name": "builder", "type": "address"}, {"name": "nonce", "type": "uint64"}],
                          "HyperliquidTransaction:ApproveBuilderFee"),
}


def recover_user_signer(body: dict[str, Any], is_mainnet: bool = False) -> str | None:
    """Lower-case address that signed a user-signed action, or None if it cannot be recovered."""
    action = dict(body["action"])
    types, primary = USER_SIGNED_TYPES[action["type"]]
    if action["type"] == "approveAgent":
        action.setdefault("agentName", "")  # the SDK signs "" and then drops the key for unnamed agents
    if action.get("nonce") != body.get("nonce"):
        return None
    try:
        address = recover_user_from_user_signed_action(action, body["signature"], types, primary, is_mainnet)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, BadSignature, ValidationError):
        return None
    return str(address).lower()


class NonceBook:
    """The highest nonces seen per signer; callers hold the exchange lock."""

    def __init__(self) -> None:
        self._seen: dict[str, list[int]] = {}

    def check_and_record(self, signer: str, nonce: Any, now_ms: int) -> str | None:
        """None if accepted (and recorded), else Hyperliquid-style error text."""
        if isinstance(nonce, bool) or not isinstance(nonce, int):
            return "Invalid nonce: not an integer"
        if not now_ms - NONCE_MAX_AGE_MS < nonce < now_ms + NONCE_MAX_LEAD_MS:
            return f"Invalid nonce: {nonce} is outside the allowed window (T-2d, T+1d) of T={now_ms}"
        seen = self._seen.setdefault(signer, [])
        if len(seen) >= NONCES_KEPT_PER_SIGNER and nonce <= seen[0]:
            return f"Invalid nonce: {nonce} is not above the lowest stored nonce {seen[0]}"
        i = bisect.bisect_left(seen, nonce)
        if i < len(seen) and seen[i] == nonce:
            return f"Invalid nonce: duplicate nonce {nonce}"
        seen.insert(i, nonce)
        if len(seen) > NONCES_KEPT_PER_SIGNER:
            del seen[0]
        return None
