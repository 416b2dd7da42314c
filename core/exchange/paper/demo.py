"""The demo account: cash plus long and short positions, so a new user sees live risk at once."""
from __future__ import annotations

from typing import Any

from core.errors import BadInputError
from core.exchange.paper.ledger import Holding, Ledger
from core.exchange.paper.market import MarketSim

# A public, key-less address: the demo account can be watched without any secret.
DEFAULT_DEMO_ADDRESS = "0x00000000000000000000000000000000000de300"
DEFAULT_DEMO_ACCOUNT: dict[str, Any] = {
    "cash_usd": 100_000.0,
    "positions": [
        {"coin": "BTC", "side": "long", "notional_usd": 40_000.0, "entry_offset_pct": -2.0},
        {"coin": "ETH", "side": "short", "notional_usd": 25_000.0, "entry_offset_pct": -1.0},
        {"coin": "SOL", "side": "long", "notional_usd": 15_000.0, "entry_offset_pct": 1.5},
    ],
}


def seed_demo_account(ledger: Ledger, market: MarketSim, address: str, spec: dict[str, Any] | None) -> None:
    """Open `address` with the scenario's demo account (or the default) at current mids.

    Positions are booked as if bought at `entry_offset_pct` from the mid, so uPnL starts non-zero.
    A position whose size rounds to 0 (a notional too small for the coin's size decimals, or a
    mid gone astronomically high) is refused: booked, it would be a silent zero-size holding that
    the venue never lists and the console would show a demo without that risk.
    """
    spec = spec or DEFAULT_DEMO_ACCOUNT
    specs = {c.name: c for c in market.coins}
    try:
        account = ledger.open_account(address, float(spec["cash_usd"]))
        decimals = {c.name: c.sz_decimals for c in market.coins}
        for p in spec["positions"]:
            if p["coin"] not in specs:
                raise BadInputError(f"demo_account: coin {p['coin']!r} is not traded here ({', '.join(specs)})")
            if p.get("leverage", 1) > specs[p["coin"]].max_leverage:
                raise BadInputError(f"demo_account: {p['coin']} leverage {p['leverage']} is above its maximum "
                                    f"{specs[p['coin']].max_leverage}")
            coin, mid = p["coin"], market.mid(p["coin"])
            entry = mid * (1 + float(p.get("entry_offset_pct", 0.0)) / 100)
            notional_usd = float(p["notional_usd"])
            size = round(notional_usd / mid, decimals[coin])
            if size == 0:
                raise BadInputError(f"demo_account: {coin} {p['side']} of ${notional_usd:,.2f} rounds to size 0 at "
                                    f"mid {mid:.6g} ({decimals[coin]} size decimals); raise notional_usd")
            szi = size if p["side"] == "long" else -size
            account.positions[coin] = Holding(szi, entry)
            if "leverage" in p:
                account.leverage[coin] = int(p["leverage"])
            account.raw_usd -= szi * entry
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInputError(f"demo_account in the scenario is malformed: {exc!r}") from None
