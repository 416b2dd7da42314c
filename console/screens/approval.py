"""The approval modal, bound to the live action: exactly the orders that would be sent now, a typed
confirmation for an exit, and a confirmation before a reject.

Every poll the app hands the modal the new snapshot (`follow`). While the action still waits, its
orders are shown beside the current mark and position; when it is superseded by a new action of
the same kind (the book changed) the modal switches to that one and asks again; when it is gone
(expired, decided elsewhere, positions closed) the modal closes and says why.
"""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from console.screens.confirm import ConfirmScreen
from console.widgets.positions import price
from core.monitor.orders import SLIPPAGE_BY_ATTEMPT, aggressive_px, size_decimals
from core.monitor.snapshot import PendingActionView, RiskSnapshot
from core.vocabulary import ActionStatus

CONFIRM_WORD = "EXIT"  # typed to approve closing positions
TITLES = {"exit_all": "EMERGENCY EXIT: close every position", "exit_coin": "EXIT: close one position",
          "reduce": "REDUCE: halve every position"}


def replacement(action: PendingActionView, snap: RiskSnapshot) -> PendingActionView | None:
    """The newer waiting action that took over from `action` (same kind), if any."""
    newer = [a for a in snap.pending_actions if a.status == ActionStatus.PENDING and a.kind == action.kind and a.id > action.id]
    return max(newer, key=lambda a: a.id, default=None)


class ApprovalScreen(ModalScreen[str | None]):
    """Returns "approve", "reject" or None (closed without a decision). `action` is the one decided."""

    DEFAULT_CSS = """
    ApprovalScreen { align: center middle; }
    ApprovalScreen > VerticalScroll { width: 95%; max-width: 120; height: auto; max-height: 95%;
                                      border: thick $error; background: $surface; padding: 0 1; }
    ApprovalScreen DataTable { height: auto; max-height: 10; scrollbar-size-horizontal: 0; }
    ApprovalScreen #notice { color: $warning; text-style: bold; height: auto; }
    ApprovalScreen Input { margin: 0 0 1 0; }
    ApprovalScreen Horizontal { height: auto; align: right middle; }
    ApprovalScreen Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Close (no decision)")]

    def __init__(self, action: PendingActionView, network: str, snapshot: RiskSnapshot | None = None,
                 read_only: bool = False):
        super().__init__()
        self.action = action
        self.network = network
        self.snapshot = snapshot
        self.read_only = read_only
        self._ready = False  # set once on_mount has built the table

    @property
    def needs_typed_confirmation(self) -> bool:
        return self.action.kind in ("exit_all", "exit_coin")

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="title")
            yield Static("", id="why")
            yield Static("", id="notice").set_styles("display: none;")
            yield Label("Sent now, reduce-only, as aggressive IOC limits:")
            yield DataTable(id="orders", cursor_type="none")
            if self.read_only:
                yield Label(Text("read-only console: watching only, nothing can be approved or rejected here",
                                 style="bold yellow"))
            if self.needs_typed_confirmation:
                yield Label(f"Type {CONFIRM_WORD} and press Enter to approve:")
                confirm = Input(placeholder=CONFIRM_WORD, id="confirm", disabled=self.read_only, compact=True)
                confirm.cursor_blink = False  # a steady cursor: the same frame every time (snapshots)
                yield confirm
            with Horizontal():
                yield Button("Reject...", variant="default", id="reject", disabled=self.read_only, compact=True)
                yield Button("Approve and send (Enter)", variant="error", id="approve",
                             disabled=self.read_only or self.needs_typed_confirmation, compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#orders", DataTable)
        for col in ("coin", "side", "size", "limit now", "mark now", "held now", "reduce-only", "cloid"):
            table.add_column(col)
        self._ready = True
        self._show()
        if self.needs_typed_confirmation and not self.read_only:
            self.query_one("#confirm", Input).focus()
        elif not self.read_only:
            self.query_one("#approve", Button).focus()

    def _show(self) -> None:
        if not self._ready:  # a poll between push and mount: on_mount shows the action it has by then
            return
        a = self.action
        self.query_one("#title", Static).update(Text(f"Action {a.id} - {TITLES.get(a.kind, a.kind)}", style="bold red"))
        self.query_one("#why", Static).update(f"Network {self.network.upper()}. Why: {a.reason}")
        held = {p.coin: p for p in (self.snapshot.positions if self.snapshot else ())}
        table = self.query_one("#orders", DataTable)
        table.clear()
        for o in a.orders:
            pos = held.get(o["coin"])
            held_text = Text("not held", style="bold red") if pos is None and self.snapshot else (
                Text(f"{pos.side} {abs(pos.size):g}") if pos else Text("-", style="dim"))
            table.add_row(o["coin"], o["side"].upper(), f"{o['size']:g}", price(limit_now(o, pos)),
                          price(pos.mark_px) if pos else "-", held_text,
                          "yes" if o.get("reduce_only", True) else "NO", str(o.get("cloid", ""))[:18] + "...")

    def follow(self, snap: RiskSnapshot) -> tuple[str | None, bool]:
        """Rebind to the live action: (a notice when something changed, whether the modal must close)."""
        self.snapshot = snap
        live = next((a for a in snap.pending_actions if a.id == self.action.id), None)
        if live is not None and live.status == ActionStatus.PENDING:
            self.action = live
            self._show()
            return None, False
        newer = replacement(self.action, snap)
        if newer is not None:
            old = self.action.id
            self.action = newer
            self._show()
            notice = f"action {old} was superseded by action {newer.id} (the positions changed): check the orders again"
            if not self._ready:
                return notice, False
            self.query_one("#notice", Static).update(notice)
            self.query_one("#notice", Static).display = True
            if self.needs_typed_confirmation and not self.read_only:
                confirm = self.query_one("#confirm", Input)
                confirm.value = ""
                confirm.focus()
            return notice, False
        status = "expired, superseded or decided elsewhere" if live is None else live.status
        return f"action {self.action.id} no longer waits for a decision ({status}): the modal closed", True

    def _typed_ok(self) -> bool:
        return not self.needs_typed_confirmation or self.query_one("#confirm", Input).value.strip() == CONFIRM_WORD

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#approve", Button).disabled = self.read_only or not self._typed_ok()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._approve()

    def _approve(self) -> None:
        if self.read_only:
            self.notify("read-only console: nothing is approved", severity="warning")
        elif not self._typed_ok():
            self.notify(f"type {CONFIRM_WORD} to approve", severity="warning")
        else:
            self.dismiss("approve")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "approve":
            self._approve()
        elif event.button.id == "reject" and not self.read_only:
            self._ask_reject()

    def _ask_reject(self) -> None:
        action_id = self.action.id

        def answered(yes: bool | None) -> None:
            if yes and self.action.id == action_id and self.is_attached:
                self.dismiss("reject")

        self.app.push_screen(ConfirmScreen(
            f"Reject action {action_id}? Nothing will be sent.",
            "The breaker will not propose it again by itself in this episode; propose it again with p on the "
            "Live tab, the palette or `evorisk propose-exit`.", yes="Reject", no="Keep it"), answered)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def limit_now(order: dict, pos) -> float:
    """The IOC limit the executor would send now: its first attempt's slippage from the current
    mark (core.monitor.orders.aggressive_px, the executor's own rule), not the price at proposal."""
    if pos is None or not pos.mark_px:
        return order["limit_px"]

    return aggressive_px(pos.mark_px, order["side"] == "buy", SLIPPAGE_BY_ATTEMPT[0], size_decimals(order["size"]))
