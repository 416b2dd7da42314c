"""`/exchange`: authenticate a signed action, then run it. Rejections are HTTP 200 `status: err`."""
from __future__ import annotations

from typing import Any

from core.exchange.paper.account_actions import AccountDesk
from core.exchange.paper.auth import USER_SIGNED_TYPES, NonceBook, recover_signer, recover_user_signer
from core.exchange.paper.engine import Engine
from core.exchange.paper.ledger import Account, Ledger
from core.exchange.paper.views import BASE_REQUEST_CAP

SCHEDULE_CANCEL_MIN_LEAD_MS = 5_000  # the dead-man switch must be at least 5 s ahead
SCHEDULE_CANCEL_MAX_TRIGGERS_PER_DAY = 10
# Actions that exist on the venue but have no meaning here; ccxt sends the first two and ignores the answer.
UNSUPPORTED = {
    "approveBuilderFee": "Builder fees are not charged on the paper exchange.",
    "setReferrer": "Referral code does not exist.",
}


def err(message: str) -> dict:
    return {"status": "err", "response": message}


def ok(kind: str, statuses: list | None = None) -> dict:
    if statuses is None:
        return {"status": "ok", "response": {"type": kind}}
    return {"status": "ok", "response": {"type": kind, "data": {"statuses": statuses}}}


class ActionDesk:
    """Runs signed actions against the ledger; callers hold the exchange lock."""

    def __init__(self, ledger: Ledger, engine: Engine, schedule_cancel_min_volume_usd: float):
        self.ledger = ledger
        self.engine = engine
        self.nonces = NonceBook()
        self.schedule_cancel_min_volume_usd = schedule_cancel_min_volume_usd
        self.signers_seen: list[str] = []  # recorded so tests can assert who signed
        self.accounts = AccountDesk(ledger, engine)

    def _account_for(self, signer: str) -> Account | None:
        user = signer if signer in self.ledger.accounts else self.ledger.agents.get(signer)
        return self.ledger.accounts.get(user) if user else None

    def run(self, body: dict[str, Any], wall_now_ms: int, forced_error: tuple[str, str] | None = None) -> dict:
        """Authenticate, check the nonce and the request cap, then run the action.

        `forced_error` (an injected fault) is ("action_error" | "order_error", message): after the
        signature and nonce checks pass, the whole action, or each of its orders, gets `message`.
        """
        account = self._admit(body, wall_now_ms)
        if not isinstance(account, Account):
            return account
        action = body["action"]
        if forced_error and forced_error[0] == "action_error":
            return err(forced_error[1])
        if forced_error and action.get("type") == "order" and isinstance(action.get("orders"), list):
            return ok("order", [{"error": forced_error[1]} for _ in action["orders"]])
        return self._dispatch(account, action, wall_now_ms)

    def _admit(self, body: dict[str, Any], wall_now_ms: int) -> Account | dict:
        """The account a signed request acts for, counted against its request cap; or the venue's
        rejection (no signer, unknown user, a vault, expired, a used nonce, over the cap)."""
        user_signed = body["action"].get("type") in USER_SIGNED_TYPES
        signer = recover_user_signer(body) if user_signed else recover_signer(body)
        if signer is None:
            return err("L1 error: could not recover a signer from the signature.")
        self.signers_seen.append(signer)
        # User-signed actions (agent approval) must come from the account itself, never an agent.
        account = self.ledger.accounts.get(signer) if user_signed else self._account_for(signer)
        if account is None:
            return err(f"L1 error: User or API Wallet {signer} does not exist.")
        if body.get("vaultAddress") is not None:
            return err(f"Vault not registered: {body['vaultAddress']}")
        expires = body.get("expiresAfter")
        if isinstance(expires, int) and expires < wall_now_ms:
            return err(f"Action expired at {expires}; now is {wall_now_ms}.")
        nonce_error = self.nonces.check_and_record(signer, body.get("nonce"), wall_now_ms)
        if nonce_error:
            return err(nonce_error)
        cap = BASE_REQUEST_CAP + int(account.cum_volume_usd)
        if account.n_actions >= cap:
            return err(f"Too many cumulative requests sent ({account.n_actions + 1} > {cap}) for cumulative volume "
                       f"traded ${account.cum_volume_usd:.2f}.")
        account.n_actions += 1
        return account

    def _dispatch(self, account: Account, action: dict[str, Any], wall_now_ms: int) -> dict:
        kind = action.get("type")
        if kind == "order":
            return self._order(account, action)
        if kind in ("cancel", "cancelByCloid"):
            return self._cancel(account, action, by_cloid=kind == "cancelByCloid")
        if kind == "scheduleCancel":
            return self._schedule_cancel(account, action.get("time"), wall_now_ms)
        if kind in ("batchModify", "modify"):
            return self._modify(account, action, batch=kind == "batchModify")
        if kind == "updateLeverage":
            return self.accounts.update_leverage(account, action)
        if kind == "updateIsolatedMargin":
            return self.accounts.update_isolated_margin(account, action)
        if kind == "approveAgent":
            return self.accounts.approve_agent(account, action, self.engine.market.time_ms)
        if kind == "noop":
            return ok("default")  # its only effect is the nonce it used up
        return err(UNSUPPORTED.get(kind, f"Unsupported action type {kind!r} on the paper exchange."))

    def _order(self, account: Account, action: dict[str, Any]) -> dict:
        orders = action.get("orders")
        if not isinstance(orders, list) or action.get("grouping", "na") not in ("na", "normalTpsl", "positionTpsl"):
            return err("Invalid order action.")
        return ok("order", self.engine.place(account, orders, action.get("grouping", "na")))

    def _cancel(self, account: Account, action: dict[str, Any], by_cloid: bool) -> dict:
        cancels = action.get("cancels")
        if not isinstance(cancels, list) or not all(isinstance(c, dict) for c in cancels):
            return err("Invalid cancel action.")
        return ok("cancel", self.engine.cancel(account, cancels, by_cloid=by_cloid))

    def _modify(self, account: Account, action: dict[str, Any], batch: bool) -> dict:
        """`batchModify` answers per order; a single `modify` answers as a whole, like the venue."""
        items = action.get("modifies") if batch else [{"oid": action.get("oid"), "order": action.get("order")}]
        if not isinstance(items, list):
            return err("Invalid modify action.")
        statuses = self.accounts.batch_modify(account, items)
        if batch:
            return ok("order", statuses)
        first = statuses[0]
        return err(first["error"]) if isinstance(first, dict) and "error" in first else ok("default")

    def _schedule_cancel(self, account: Account, time_ms: Any, wall_now_ms: int) -> dict:
        if account.cum_volume_usd < self.schedule_cancel_min_volume_usd:
            return err(f"Cannot set scheduled cancel time until enough volume traded. "
                       f"Required: ${self.schedule_cancel_min_volume_usd:.0f}. Traded: ${account.cum_volume_usd:.2f}.")
        if time_ms is None:
            account.scheduled_cancel_ms = None
            return ok("default")
        if isinstance(time_ms, bool) or not isinstance(time_ms, int) or time_ms < wall_now_ms + SCHEDULE_CANCEL_MIN_LEAD_MS:
            return err("Scheduled cancel time too early, must be at least 5 seconds from now.")
        if account.schedule_cancel_triggers >= SCHEDULE_CANCEL_MAX_TRIGGERS_PER_DAY:
            return err("Too many scheduled cancel triggers today.")
        account.scheduled_cancel_ms = time_ms
        return ok("default")

    def fire_scheduled_cancels(self, wall_now_ms: int) -> None:
        for account in self.ledger.accounts.values():
            if account.scheduled_cancel_ms is not None and account.scheduled_cancel_ms <= wall_now_ms:
                self.engine.cancel_all(account)
                account.scheduled_cancel_ms = None
                account.schedule_cancel_triggers += 1
