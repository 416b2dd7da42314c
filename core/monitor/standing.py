"""Standing exits (SPEC 5): reduce-only trigger orders resting on the exchange at the exit schedule.

For every open position, in every breaker state but STALE, one stop-market rests at the
schedule's adverse level and one take-profit trigger per scale-out level with its partial size,
so the position is protected even if the monitor or the console dies. Each cycle reconciles what
should rest (core.monitor.levels.exit_schedule) with what the exchange says rests (`openOrders`):
missing orders are placed, a stop is moved only when its level moved beyond MOVE_TOLERANCE (two
actions per move, with the venue's per-address request budget in mind), and orders of closed
positions or of another genome are cancelled.

Cloids are deterministic and self-describing: tag(salt) | role | coin | sequence | check. So a
restart, or a crash between the POST and the saved state, finds its own orders on the exchange
and never places a second one; an order the exchange reports filled advances the position's
take-profit count. The plan is pure (`plan`); `StandingOrders.reconcile` does the I/O.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from typing import Callable, Mapping, Sequence

from core.exchange.errors import ExchangeError
from core.exchange.protocol import ExchangeGateway
from core.exchange.ticks import round_price
from core.exchange.models import OpenOrder, OrderRequest, Trigger
from core.monitor.levels import ExitSchedule
from core.monitor.orders import STOP_MARKET_SLIPPAGE, floor_size
from core.monitor.state import ROLE_STOP, StandingOrder

log = logging.getLogger("evorisk.monitor.standing")

MOVE_TOLERANCE = 0.002  # a resting level is moved when the schedule moved more than this fraction
FILLED_STATUSES = ("filled", "triggered")
DUPLICATE_CLOID = "Duplicate cloid"


@dataclass(frozen=True)
class Wanted:
    coin: str
    role: int
    is_buy: bool
    size: float
    trigger_px: float


@dataclass(frozen=True)
class Plan:
    place: tuple[StandingOrder, ...]
    cancel: tuple[StandingOrder, ...]
    keep: tuple[StandingOrder, ...]


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def cloid_for(salt: str, coin: str, role: int, seq: int) -> str:
    """0x + 32 hex; the same (salt, coin, role, seq) always gives the same id."""
    return "0x" + _h(f"standing:{salt}")[:8] + f"{role:02x}" + _h(coin)[:6] + f"{seq % 16**6:06x}" + \
        _h(f"standing:{salt}:{coin}:{role}:{seq}")[:10]


def parse_cloid(salt: str, coin: str, cloid: str | None) -> tuple[int, int] | None:
    """(role, seq) when `cloid` is one of our standing orders for `coin`, else None."""
    if not cloid or len(cloid) != 34 or cloid[2:10] != _h(f"standing:{salt}")[:8] or cloid[12:18] != _h(coin)[:6]:
        return None
    role, seq = int(cloid[10:12], 16), int(cloid[18:24], 16)
    return (role, seq) if cloid_for(salt, coin, role, seq) == cloid.lower() else None


def resting_tp_units(tp_units: float, position_size: float, sz_decimals: int) -> float:
    """Size a take-profit trigger can rest with: the level's units rounded down to the venue's size
    lot, never more than the position; 0 means no resting order can express the level."""
    return floor_size(min(tp_units, abs(position_size)), sz_decimals)


def wanted_orders(positions: Sequence[tuple[str, float]], schedules: Mapping[str, ExitSchedule],
                  sz_decimals: Mapping[str, int]) -> tuple[list[Wanted], list[str]]:
    """What should rest for (coin, signed size) positions, and notes on exits no order can express."""
    out, notes = [], []
    for coin, size in positions:
        sched = schedules.get(coin)
        if sched is None:
            continue
        dec = sz_decimals.get(coin, 8)
        is_buy = size < 0  # a short is closed by buying
        if sched.adverse_px is not None:
            out.append(Wanted(coin, ROLE_STOP, is_buy, abs(size), round_price(sched.adverse_px, dec)))
        for tp in sched.take_profits:
            units = resting_tp_units(tp.size, size, dec)
            if units <= 0:
                notes.append(f"{coin} take-profit level {tp.level}: {tp.size:g} rounds to 0 at {dec} decimals; "
                             "proposed as a pending action when its level is reached")
                continue
            out.append(Wanted(coin, tp.level, is_buy, units, round_price(tp.px, dec)))
    return out, notes


def _matches(have: StandingOrder, want: Wanted, genome: str) -> bool:
    return (have.genome == genome and have.is_buy == want.is_buy and abs(have.size - want.size) <= 1e-12
            and abs(have.trigger_px - want.trigger_px) <= MOVE_TOLERANCE * want.trigger_px)


def plan(wanted: Sequence[Wanted], resting: Mapping[str, StandingOrder], next_seq: Mapping[str, int], salt: str,
         genome: str) -> Plan:
    """Keep what matches, place what is missing or moved (a new cloid), cancel everything else."""
    by_role: dict[tuple[str, int], list[StandingOrder]] = {}
    for order in resting.values():
        by_role.setdefault((order.coin, order.role), []).append(order)
    place, keep, used = [], [], set()
    for w in wanted:
        have = by_role.get((w.coin, w.role), [])
        match = next((o for o in have if _matches(o, w, genome)), None)
        if match is not None:
            keep.append(match)
            used.add(match.cloid)
            continue
        seq = max([next_seq.get(f"{w.coin}:{w.role}", 0)] + [o.seq + 1 for o in have])
        place.append(StandingOrder(cloid_for(salt, w.coin, w.role, seq), w.coin, w.role, seq, w.is_buy, w.size,
                                   w.trigger_px, genome, placed=False))
    cancel = tuple(o for o in resting.values() if o.cloid not in used)
    return Plan(tuple(place), cancel, tuple(keep))


def _request(order: StandingOrder) -> OrderRequest:
    worst = order.trigger_px * (1.0 + STOP_MARKET_SLIPPAGE if order.is_buy else 1.0 - STOP_MARKET_SLIPPAGE)
    return OrderRequest(order.coin, order.is_buy, order.size, worst, True, order.cloid, "Gtc",
                        Trigger(order.trigger_px, order.tpsl))  # type: ignore[arg-type]


def _from_open(found: OpenOrder, role: int, seq: int, genome: str) -> StandingOrder:
    """An order of ours the saved state does not know (a crash after its POST): the trigger comes
    back from its worst price, which we set at STOP_MARKET_SLIPPAGE from it."""
    factor = 1.0 + STOP_MARKET_SLIPPAGE if found.is_buy else 1.0 - STOP_MARKET_SLIPPAGE
    return StandingOrder(found.cloid or "", found.coin, role, seq, found.is_buy, found.size, found.limit_px / factor,
                         genome)


@dataclass
class ReconcileResult:
    resting: dict[str, StandingOrder]
    next_seq: dict[str, int]
    tp_filled: dict[str, int]  # coin -> highest take-profit level the exchange reports filled
    placed: list[str]
    canceled: list[str]
    notes: list[str]


class StandingOrders:
    """Reconciles the standing orders of one address with the exchange, once per monitor cycle."""

    def __init__(self, gateway: ExchangeGateway, address: str, salt: Callable[[], str]):
        self.gateway, self.address, self._salt = gateway, address, salt

    def reconcile(self, resting: Mapping[str, StandingOrder], next_seq: Mapping[str, int],
                  positions: Sequence[tuple[str, float]], schedules: Mapping[str, ExitSchedule],
                  sz_decimals: Mapping[str, int], genome: str,
                  save_intent: Callable[[dict[str, StandingOrder], dict[str, int]], None]) -> ReconcileResult:
        """Bring the exchange to the schedule. `save_intent` persists the planned orders before any POST,
        so a crash in between is reconciled by cloid on the next start."""
        salt = self._salt()
        resting = dict(resting)
        seqs = dict(next_seq)
        tp_filled: dict[str, int] = {}
        open_ours = {o.cloid.lower(): o for o in self.gateway.open_orders(self.address)
                     if parse_cloid(salt, o.coin, (o.cloid or "").lower()) is not None}
        for cloid, order in list(resting.items()):
            if cloid in open_ours:
                if not order.placed:
                    resting[cloid] = replace(order, placed=True)
                continue
            status = self.gateway.order_status_by_cloid(self.address, cloid)
            if status is not None and status.status in FILLED_STATUSES and order.role != ROLE_STOP:
                tp_filled[order.coin] = max(tp_filled.get(order.coin, 0), order.role)
            if status is not None or order.placed:
                filled = status is not None and status.status in FILLED_STATUSES
                (log.warning if filled else log.info)(
                    "standing %s %s %s is %s on the exchange", order.coin, "stop" if order.role == ROLE_STOP else
                    f"take-profit {order.role}", cloid, status.status if status else "gone")
                del resting[cloid]
            # an intent the exchange never saw stays: plan() re-places it under the same cloid
        for cloid, found in open_ours.items():
            if cloid not in resting:
                role, seq = parse_cloid(salt, found.coin, cloid)  # type: ignore[misc]
                log.warning("standing order %s on the exchange is not in the saved state: adopted", cloid)
                resting[cloid] = _from_open(found, role, seq, genome)
        # a coin whose take-profit just filled and is still held is re-planned next cycle, on its new
        # size and count; one the take-profit closed is planned now (nothing wanted: its stop is
        # cancelled at once, or it would act on the next position opened on the coin)
        held = {coin for coin, _ in positions}
        skip = {coin for coin in tp_filled if coin in held}
        wanted, notes = wanted_orders([(c, z) for c, z in positions if c not in skip], schedules, sz_decimals)
        p = plan(wanted, {k: v for k, v in resting.items() if v.coin not in skip}, seqs, salt, genome)
        place = list(p.place) + [o for o in p.keep if not o.placed]
        for o in p.place:
            seqs[f"{o.coin}:{o.role}"] = o.seq + 1
            resting[o.cloid] = o
        if p.place:
            save_intent(resting, seqs)
        placed = self._place(place, resting)
        canceled = self._cancel([o for o in p.cancel if o.placed], resting)
        for o in p.cancel:
            if not o.placed:
                resting.pop(o.cloid, None)
        return ReconcileResult(resting, seqs, tp_filled, placed, canceled, notes)

    def _place(self, orders: Sequence[StandingOrder], resting: dict[str, StandingOrder]) -> list[str]:
        if not orders:
            return []
        results = self.gateway.place_orders([_request(o) for o in orders])
        done = []
        for order, result in zip(orders, results):
            if result.status in ("resting", "waiting", "filled"):
                resting[order.cloid] = replace(order, placed=True)
                done.append(order.cloid)
                log.info("standing %s %s role %d rests at %g (%s)", order.coin, order.cloid, order.role,
                         order.trigger_px, order.size)
            elif result.error and DUPLICATE_CLOID in result.error:
                del resting[order.cloid]  # used before (an earlier position): the next cycle takes the next seq
                log.warning("standing %s: cloid %s already used, next sequence next cycle", order.coin, order.cloid)
            else:
                del resting[order.cloid]
                log.error("standing %s role %d refused by the exchange: %s", order.coin, order.role, result.error)
        return done

    def _cancel(self, orders: Sequence[StandingOrder], resting: dict[str, StandingOrder]) -> list[str]:
        done = []
        for order in orders:
            try:
                reason = self.gateway.cancel_by_cloid(order.coin, order.cloid)
            except ExchangeError as exc:
                log.warning("standing %s: cancel of %s not confirmed: %s", order.coin, order.cloid, exc)
                continue
            resting.pop(order.cloid, None)
            done.append(order.cloid)
            if reason:
                log.info("standing %s: cancel %s: %s", order.coin, order.cloid, reason)
        return done


PROTECTION_KEY = "protection"  # monitor_state row: {"on": bool, "by": str, "ms": int, "why": str}


@dataclass(frozen=True)
class Protection:
    on: bool
    why: str  # one plain sentence for the banner and the log


def protection(genome_label: str, record: Mapping | None, override_off: bool) -> Protection:
    """Whether standing orders rest: `--protect off` wins, then the operator's last recorded switch,
    then the genome: a promoted genome was approved with its standing orders (the promotion says
    so); the default genome, or one given as a file, waits until an operator switches protection on."""
    if override_off:
        return Protection(False, "standing exits OFF (--protect off): positions are unprotected")
    if record:
        by = record.get("by", "operator")
        if record.get("on"):
            return Protection(True, f"standing exits on (switched on by {by})")
        return Protection(False, f"standing exits OFF (switched off by {by}): positions are unprotected")
    if genome_label.startswith("promotion #"):
        return Protection(True, f"standing exits on ({genome_label} approved them)")
    return Protection(False, f"standing exits OFF: {genome_label} genome not promoted, switch protection on to rest "
                             "its orders; positions are unprotected")


def protection_record(on: bool, by: str, now_ms: int, why: str) -> dict:
    """The row an operator's switch (or a promotion's approval) writes."""
    return {"on": bool(on), "by": by, "ms": int(now_ms), "why": why}
