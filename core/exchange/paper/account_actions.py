"""Signed account actions besides orders: leverage, isolated margin, modify, agents, noop.

Error texts are the venue's where known (docs "Error responses", SDK issues); the rest say what
the venue would refuse in its terse style. Callers hold the exchange lock and have checked the
signature, nonce and request cap.
"""
from __future__ import annotations

from typing import Any

from core.exchange.paper import margin
from core.exchange.paper.engine import Engine
from core.exchange.paper.ledger import Account, Ledger
from core.exchange.paper.request_check import is_int

USD_INT_SCALE = 1e6  # updateIsolatedMargin's ntli is USD x 1e6 (SDK float_to_usd_int)
AGENT_VALID_MS = 180 * 86_400_000  # an approved agent is valid for 180 days unless renewed


def ok_default() -> dict:
    return {"status": "ok", "response": {"type": "default"}}


def err(message: str) -> dict:
    return {"status": "err", "response": message}


class AccountDesk:
    def __init__(self, ledger: Ledger, engine: Engine):
        self.ledger = ledger
        self.engine = engine
        self._coins = engine.market.coins

    def _asset(self, action: dict) -> str | None:
        asset = action.get("asset")
        return self._coins[asset].name if is_int(asset) and asset < len(self._coins) else None

    def _marks(self, account: Account) -> dict[str, float]:
        return {c: self.engine.market.mid(c) for c in account.positions}

    def update_leverage(self, account: Account, action: dict) -> dict:
        coin, lev, is_cross = self._asset(action), action.get("leverage"), action.get("isCross")
        if coin is None:
            return err(f"Invalid asset {action.get('asset')!r}.")
        spec = next(c for c in self._coins if c.name == coin)
        if not is_int(lev, 1, spec.max_leverage) or not isinstance(is_cross, bool):
            return err(f"Invalid leverage value. Max leverage for {coin} is {spec.max_leverage}x.")
        holds = coin in account.positions
        if holds and is_cross == (coin in account.isolated_raw_usd):
            return err("Cannot switch leverage type with open position.")
        previous = account.leverage.get(coin)
        account.leverage[coin] = lev
        if holds and not is_cross and not self._isolated_margin_ok(account, coin):
            account.leverage[coin] = previous if previous is not None else self.ledger.default_leverage
            return err("Insufficient margin for leverage.")
        if holds and is_cross and not self._cross_margin_ok(account):
            account.leverage[coin] = previous if previous is not None else self.ledger.default_leverage
            return err("Insufficient margin for leverage.")
        (account.isolated.discard if is_cross else account.isolated.add)(coin)
        return ok_default()

    def _cross_margin_ok(self, account: Account) -> bool:
        marks = self._marks(account)
        initial = sum(abs(account.positions[c].szi) * marks[c] / account.leverage.get(c, self.ledger.default_leverage)
                      for c in margin.cross_coins(account))
        return initial <= margin.cross_value(account, marks)

    def _isolated_margin_ok(self, account: Account, coin: str) -> bool:
        marks = self._marks(account)
        held = account.positions[coin]
        initial = abs(held.szi) * marks[coin] / account.leverage.get(coin, self.ledger.default_leverage)
        return margin.isolated_value(account, coin, marks) >= initial

    def update_isolated_margin(self, account: Account, action: dict) -> dict:
        coin, ntli = self._asset(action), action.get("ntli")
        if coin is None or not is_int(ntli, -2**63, 2**63 - 1):
            return err("Invalid isolated margin update.")
        if coin not in account.isolated_raw_usd:
            return err("Cannot update margin for position that is not isolated.")
        amount = ntli / USD_INT_SCALE
        marks = self._marks(account)
        if amount > 0:
            cross_initial = sum(abs(account.positions[c].szi) * marks[c] /
                                account.leverage.get(c, self.ledger.default_leverage) for c in margin.cross_coins(account))
            if amount > margin.cross_value(account, marks) - cross_initial:
                return err("Insufficient margin to add to isolated position.")
        account.raw_usd -= amount
        account.isolated_raw_usd[coin] += amount
        if amount < 0 and not self._isolated_margin_ok(account, coin):
            account.raw_usd += amount
            account.isolated_raw_usd[coin] -= amount
            return err("Insufficient isolated margin to remove.")
        return ok_default()

    def batch_modify(self, account: Account, modifies: list) -> list:
        """Each modify cancels the order and places its replacement (a new oid), as the venue does."""
        statuses: list[Any] = []
        for item in modifies:
            key = item.get("oid") if isinstance(item, dict) else None
            old = self.ledger.find(account.address, key) if (is_int(key) or isinstance(key, str)) else None
            if old is None or old.status != "open":
                statuses.append({"error": "Cannot modify canceled or filled order"})
                continue
            old.status = "canceled"
            freed = self.ledger.cloids.pop((account.address, old.cloid.lower()), None) if old.cloid else None
            status = self.engine.place(account, [item.get("order")], "na")[0]
            if isinstance(status, dict) and "error" in status:
                old.status = "open"  # the replacement was refused: the order stands as it was
                if freed is not None:
                    self.ledger.cloids[(account.address, old.cloid.lower())] = freed
            else:
                old.status_ms = self.engine.market.time_ms
            statuses.append(status)
        return statuses

    def approve_agent(self, master: Account, action: dict, now_ms: int) -> dict:
        agent = action.get("agentAddress")
        name = action.get("agentName", "")
        if not (isinstance(agent, str) and agent.startswith("0x") and len(agent) == 42) or not isinstance(name, str):
            return err("Invalid agent address or name.")
        agent = agent.lower()
        if agent in self.ledger.accounts or self.ledger.agents.get(agent, master.address) != master.address:
            return err(f"Agent address {agent} is already in use.")
        for other, (owner, other_name, _) in list(self.ledger.agent_info.items()):
            if owner == master.address and other_name == name:  # a new agent replaces the one of that name
                del self.ledger.agent_info[other]
                self.ledger.agents.pop(other, None)
        self.ledger.agents[agent] = master.address
        self.ledger.agent_info[agent] = (master.address, name, now_ms + AGENT_VALID_MS)
        return ok_default()
