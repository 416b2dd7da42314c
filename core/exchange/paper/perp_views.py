"""Perp market and funding replies: `metaAndAssetCtxs`, `fundingHistory`, `userFunding`.

Shapes as ../shared/reference/hl-shapes/ records them. Open interest has no other traders to
come from, so it is a standing base (half a day's simulated notional volume) plus the paper
accounts' own longs; impact prices are where an order of the venue's impact notional would fill.
"""
from __future__ import annotations

from core.exchange.paper.book import BookSettings, sweep
from core.exchange.paper.funding import FundingBook
from core.exchange.paper.ledger import Account, Ledger
from core.exchange.paper.market import MarketSim
from core.exchange.paper.views import meta
from core.exchange.paper.wire import px_str, rate_str, usd_str

MS_PER_DAY = 86_400_000
MAX_ITEMS_PER_REPLY = 500  # fundingHistory and userFunding return at most 500 entries, oldest first
IMPACT_NOTIONAL_USD = 20_000.0
STANDING_OI_FRACTION_OF_DAY_VOLUME = 0.5


def _asset_ctx(coin: str, market: MarketSim, funding: FundingBook, ledger: Ledger, book: BookSettings,
               sz_decimals: int) -> dict:
    series = market.series(coin)
    mark = market.mid(coin)
    now = market.now_ms
    prev_day = series.close_at_or_before(now - MS_PER_DAY - 1) or series.first_open()
    day_base, day_ntl = series.volume_between(now - MS_PER_DAY, now)
    own_longs = sum(max(0.0, a.szi(coin)) for a in ledger.accounts.values())
    open_interest = STANDING_OI_FRACTION_OF_DAY_VOLUME * day_base + own_longs
    impact_sz = IMPACT_NOTIONAL_USD / mark
    impact_bid = sweep(mark, False, impact_sz, 0.0, book)[1]
    impact_ask = sweep(mark, True, impact_sz, float("inf"), book)[1]
    return {"funding": rate_str(funding.predicted_rate(coin, now)), "openInterest": f"{open_interest:.{sz_decimals}f}",
            "prevDayPx": px_str(prev_day), "dayNtlVlm": usd_str(day_ntl), "premium": rate_str(funding.premium_now(coin)),
            "oraclePx": px_str(funding.oracle_px(coin)), "markPx": px_str(mark), "midPx": px_str(mark),
            "impactPxs": [px_str(impact_bid), px_str(impact_ask)], "dayBaseVlm": f"{day_base:.{sz_decimals}f}"}


def meta_and_asset_ctxs(market: MarketSim, funding: FundingBook, ledger: Ledger, book: BookSettings) -> list:
    ctxs = [_asset_ctx(c.name, market, funding, ledger, book, c.sz_decimals) for c in market.coins]
    return [meta(market), ctxs]


def funding_history(funding: FundingBook, coin: str, start_ms: int, end_ms: int) -> list[dict]:
    return [{"coin": r.coin, "fundingRate": rate_str(r.rate), "premium": rate_str(r.premium), "time": r.time_ms}
            for r in funding.records(coin, start_ms, end_ms, MAX_ITEMS_PER_REPLY)]


def user_funding(account: Account | None, start_ms: int, end_ms: int) -> list[dict]:
    if account is None:
        return []
    return [e for e in account.funding_events if start_ms <= e["time"] <= end_ms][:MAX_ITEMS_PER_REPLY]
