"""How big a new position the active genome allows: `evorisk size` and the console's sizing dialog.

Gathers what core.monitor.sizing.size_new_position needs: the account and mids from the gateway,
the active genome (newest promotion, else the default; or a genome file), the persisted monitor
state for the breaker, and 1h x 7 days correlation computed like the monitor's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from core import policy
from core.errors import BadInputError
from core.exchange.models import AccountState
from core.genome import RiskParams
from core.monitor.genome_source import GenomeSource
from core.monitor.indicators import CoinIndicators, correlation_matrix
from core.monitor.levels import distances
from core.monitor.market_data import hourly_closes
from core.monitor.sizing import LiquidationInputs, SizingDecision, effective_breaker_state, size_new_position
from core.monitor.state import MonitorState
from core.operator_settings import load_settings

if TYPE_CHECKING:  # both come in opened: importing them would load sqlite_utils (and pandas), the SDK
    from core.exchange.gateway import HyperliquidGateway
    from storage.monitor_repo import MonitorRepo


def hourly_correlation(gateway: HyperliquidGateway, coins: tuple[str, ...], venue_now_ms: int):
    """The monitor's correlation input: completed 1h candles over 7 days of every coin.

    Unlike the monitor's CandleCache (which keeps its last values on a failed refresh), an
    exchange error here ends the command: a correlation gate that silently passed because the
    candles were rate limited would size a correlated position as if it were not.
    """
    return correlation_matrix({c: hourly_closes(gateway, c, venue_now_ms) for c in coins}, coins)


def compute_size(repo: MonitorRepo, gateway: HyperliquidGateway, address: str, coin: str, side: str, size: float,
                 genome_file: str | None = None) -> tuple[SizingDecision, str, str]:
    """(SizingDecision, genome label, breaker reason) for a new position."""
    params, genome_label = GenomeSource(repo, genome_file)()
    account = gateway.account_state(address)
    mids = gateway.mids()
    if coin not in mids:
        raise BadInputError(f"unknown coin {coin!r} on {gateway.network}")
    saved = repo.get_monitor_state()
    state, breaker_reason = effective_breaker_state(MonitorState.from_json(saved) if saved else None,
                                                    account.equity_usd, params)
    coins = tuple(sorted({p.coin for p in account.positions} | {coin}))
    matrix = hourly_correlation(gateway, coins, account.time_ms) if len(coins) >= 2 else None
    liquidation = liquidation_inputs(gateway, params, account, coin, side, state)
    decision = size_new_position(params, account, coin, side, size, mids[coin], state, coins, matrix, liquidation)
    return decision, genome_label, breaker_reason


def liquidation_inputs(gateway: HyperliquidGateway, params: RiskParams, account: AccountState, coin: str,
                       side: str, state: int) -> LiquidationInputs | None:
    """The genome's stop distance (neutral indicators: no candles are read here) and the coin's
    and the book's maintenance margins, from `meta`; None when the venue lists no max leverage."""
    leverages = gateway.max_leverages()
    if coin not in leverages:
        return None
    other = sum(p.notional_usd * policy.maintenance_fraction(leverages.get(p.coin, leverages[coin]))
                for p in account.positions if p.coin != coin)
    stop, _, _ = distances(params, CoinIndicators(), 0.0, 1 if side == "long" else -1, policy.stops_tightened(state))
    return LiquidationInputs(leverages[coin], other, stop, load_settings().risk.liquidation_buffer_fraction)
