"""The books of one simulated window: fills with slippage and fees, trade records, trade tallies.
Every function mutates the Scratch records (enums.py) in place and takes no decision."""
from __future__ import annotations

from numba import types
from numba.extending import overload

from core.backtest.rules_nb import jit_nb
from core.exchange import ticks

# The paper exchange's own rounding rule, compiled: one rule for the venue and the kernel.
round_price_nb = jit_nb(ticks.round_price)

FLAT_UNITS = 1e-12  # a position this small after an exit is flat (float residue of partial exits)


def venue_px_nb(a, exec_px, direction, tick_sz_decimals):
    """exec_px on asset a's venue tick in the taker's worse direction (buy up, sell down) when
    venue-tick execution is on (the replay passes the venue's szDecimals per asset), else exec_px.

    Resolved by type at compile time (numba overload below): every backtest and evolution passes
    None, so its kernel compiles without the branch and runs as fast as before; only the replay's
    kernel (an int64 array) carries the rounding."""
    if tick_sz_decimals is None:
        return exec_px
    return ticks.round_price(exec_px, int(tick_sz_decimals[a]), direction)


@overload(venue_px_nb, jit_options={"cache": True, "nogil": True, "error_model": "numpy"})
def _venue_px_overload(a, exec_px, direction, tick_sz_decimals):
    if isinstance(tick_sz_decimals, types.NoneType):
        return lambda a, exec_px, direction, tick_sz_decimals: exec_px
    return lambda a, exec_px, direction, tick_sz_decimals: round_price_nb(exec_px, tick_sz_decimals[a], direction)


@jit_nb
def close_units_nb(a, units, fill_px, bar, kind, costs, scratch):
    """Exit `units` (> 0) of asset a's position at reference price fill_px (slippage and fee on
    top); books the cash and, while the trade buffer has room, one trade record."""
    pos = scratch.positions[a]
    acct = scratch.account[0]
    if pos.side > 0:
        exec_px = venue_px_nb(a, fill_px * (1.0 - costs.slippage), -1, costs.tick_sz_decimals)
        flow = units * exec_px * (1.0 - costs.fee)
        pos.units -= units
    else:
        exec_px = venue_px_nb(a, fill_px * (1.0 + costs.slippage), 1, costs.tick_sz_decimals)
        flow = -units * exec_px * (1.0 + costs.fee)
        pos.units += units
    acct.cash_usd += flow
    pos.cash_flow_usd += flow
    n = acct.n_records
    if n < scratch.trades.shape[0]:
        rec = scratch.trades[n]
        rec.asset = a
        rec.side = int(pos.side)
        rec.entry_bar = pos.entry_bar
        rec.exit_bar = bar
        rec.entry_px = pos.fill_px
        rec.exit_px = exec_px
        rec.units = units
        rec.cash_flow_usd = flow
        rec.kind = kind
        acct.n_records = n + 1


@jit_nb
def finish_trade_nb(a, bar, scratch):
    """When asset a's position is flat, book the trade's net result in the account's tallies."""
    pos = scratch.positions[a]
    if abs(pos.units) > FLAT_UNITS:
        return False
    acct = scratch.account[0]
    pos.units = 0.0
    pos.closed_bar = bar
    pnl = pos.cash_flow_usd
    acct.n_trades += 1
    if pnl > 0.0:
        acct.n_wins += 1
        acct.gross_win_usd += pnl
    else:
        acct.gross_loss_usd -= pnl
    return True


@jit_nb
def open_position_nb(a, t, direction, target_usd, costs, market, scratch):
    """Buy (sell short) about target_usd of asset a at bar t's open; a long never spends more cash
    than the account has. Returns False when nothing could be bought."""
    acct = scratch.account[0]
    open_px = market.open[a, t]
    exec_px = open_px * (1.0 + costs.slippage) if direction > 0 else open_px * (1.0 - costs.slippage)
    exec_px = venue_px_nb(a, exec_px, direction, costs.tick_sz_decimals)
    units = target_usd / exec_px
    if direction > 0:
        affordable = acct.cash_usd / (exec_px * (1.0 + costs.fee))
        if units > affordable:
            units = affordable
    if units <= 0.0:
        return False
    if direction > 0:
        flow = -units * exec_px * (1.0 + costs.fee)
    else:
        flow = units * exec_px * (1.0 - costs.fee)
    acct.cash_usd += flow
    pos = scratch.positions[a]
    pos.cash_flow_usd = flow
    pos.units = direction * units
    pos.side = direction
    pos.ref_px = open_px
    pos.fill_px = exec_px
    pos.entry_bar = t
    pos.best_px = open_px
    pos.initial_units = units
    pos.tp_done = 0
    return True


@jit_nb
def add_to_book_nb(a, scratch):
    """Insert asset a into the ascending list of open positions."""
    acct = scratch.account[0]
    k = acct.n_open
    while k > 0 and scratch.book[k - 1] > a:
        scratch.book[k] = scratch.book[k - 1]
        k -= 1
    scratch.book[k] = a
    acct.n_open += 1

