"""Account replies beyond positions: order history, fills by time, fees, agents, portfolio, roles.

Shapes as ../shared/reference/hl-shapes/ records them. Types that exist on the venue for any
account but hold nothing here (vaults, staking, sub-accounts, multi-sig, TWAP) answer what the
venue answers for a fresh account with none: [] or null or zeros.
"""
from __future__ import annotations

from datetime import datetime, timezone

from core.exchange.paper.ledger import Account, Ledger
from core.exchange.paper.market import MarketSim
from core.exchange.paper.views import order_detail
from core.exchange.paper.wire import usd_str

MAX_HISTORICAL_ORDERS = 2000  # the venue returns at most 2000 most recent orders
MAX_FILLS_BY_TIME = 2000  # userFillsByTime: at most 2000 fills per reply, oldest first
MS_PER_DAY = 86_400_000
PORTFOLIO_WINDOWS_MS = {"day": MS_PER_DAY, "week": 7 * MS_PER_DAY, "month": 30 * MS_PER_DAY, "allTime": None}
REFERRAL_VOLUME_REQUIRED_USD = 10_000.0  # volume before an address may become a referrer


def frontend_open_orders(ledger: Ledger, market: MarketSim, user: str) -> list[dict]:
    return [order_detail(o, market.sz_decimals(o.coin)) for o in ledger.open_orders(user)]


def historical_orders(ledger: Ledger, market: MarketSim, user: str) -> list[dict]:
    orders = [o for o in ledger.orders.values() if o.user == user] + ledger.rejected.get(user, [])
    orders.sort(key=lambda o: (o.status_ms, o.oid), reverse=True)
    return [{"order": order_detail(o, market.sz_decimals(o.coin)), "status": o.status,
             "statusTimestamp": o.status_ms} for o in orders[:MAX_HISTORICAL_ORDERS]]


def user_fills_by_time(account: Account | None, start_ms: int, end_ms: int) -> list[dict]:
    if account is None:
        return []
    return [f for f in account.fills if start_ms <= f["time"] <= end_ms][:MAX_FILLS_BY_TIME]


def user_fees(account: Account | None, fee_rate: float, now_ms: int) -> dict:
    day = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d")
    volume = account.cum_volume_usd if account else 0.0
    rate = usd_str(fee_rate)
    return {"dailyUserVlm": [{"date": day, "userCross": usd_str(volume), "userAdd": "0.0", "exchange": usd_str(volume)}],
            "feeSchedule": {"cross": rate, "add": rate, "referralDiscount": "0.0"},
            "userCrossRate": rate, "userAddRate": rate, "activeReferralDiscount": "0.0"}


def extra_agents(ledger: Ledger, user: str) -> list[dict]:
    return [{"name": name, "address": agent, "validUntil": valid_until}
            for agent, (master, name, valid_until) in ledger.agent_info.items() if master == user and name]


def user_role(ledger: Ledger, user: str) -> dict:
    if user in ledger.accounts:
        return {"role": "user"}
    if user in ledger.agents:
        return {"role": "agent", "data": {"user": ledger.agents[user]}}
    return {"role": "missing"}


def portfolio(account: Account | None, value_now_usd: float, now_ms: int) -> list:
    history = list(account.value_history) if account else []
    history.append((now_ms, value_now_usd))
    out = []
    for perp in (False, True):
        for name, window in PORTFOLIO_WINDOWS_MS.items():
            points = [(t, v) for t, v in history if window is None or t >= now_ms - window]
            base = points[0][1] if points else 0.0
            fills = [f for f in (account.fills if account else []) if window is None or f["time"] >= now_ms - window]
            volume = sum(float(f["px"]) * float(f["sz"]) for f in fills)
            label = f"perp{name[0].upper()}{name[1:]}" if perp else name
            out.append([label, {"accountValueHistory": [[t, usd_str(v)] for t, v in points],
                                "pnlHistory": [[t, usd_str(v - base)] for t, v in points], "vlm": usd_str(volume)}])
    return out


def referral(account: Account | None) -> dict:
    volume = account.cum_volume_usd if account else 0.0
    return {"referredBy": None, "cumVlm": usd_str(volume), "unclaimedRewards": "0.0", "claimedRewards": "0.0",
            "builderRewards": "0.0", "referrerState": {"stage": "needToTrade",
                                                       "data": {"required": usd_str(REFERRAL_VOLUME_REQUIRED_USD)}},
            "rewardHistory": []}


def non_funding_ledger_updates(account: Account | None, start_ms: int, end_ms: int) -> list[dict]:
    if account is None:
        return []
    return [e for e in account.ledger_events if start_ms <= e["time"] <= end_ms]


# What the venue answers for an account that holds none of these.
EMPTY_FOR_FRESH_ACCOUNT = {
    "spotClearinghouseState": {"balances": []},
    "userVaultEquities": [],
    "userTwapSliceFills": [],
    "delegations": [],
    "delegatorRewards": [],
    "delegatorHistory": [],
    "delegatorSummary": {"delegated": "0.0", "undelegated": "0.0", "totalPendingWithdrawal": "0.0",
                         "nPendingWithdrawals": 0},
    "subAccounts": None,
    "userToMultiSigSigners": None,
}
