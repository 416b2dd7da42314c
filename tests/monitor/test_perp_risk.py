"""Perp risk: liquidation distance and the stop clamp for longs and shorts at several leverages,
the venue's margin and funding fields parsed and shown, WATCH before the breaker, and sizing
that refuses a size whose liquidation sits inside the genome's stop."""
from __future__ import annotations

import json

import pytest

from core import policy
from core.errors import BadInputError
from core.exchange import parse, parse_perp
from core.exchange.errors import MalformedReply
from core.exchange.models import AccountState, AssetContext, Position
from core.genome import decode, default_genes
from core.monitor.evaluate import Context, MarketInputs, evaluate
from core.monitor.sizing import LiquidationInputs, size_new_position
from core.monitor.state import MonitorState
from core.operator_settings import PerpRiskSettings, load_settings

T0 = 1_700_000_000_000
MARK = 100.0
MAX_LEVERAGE = 50.0
LEVERAGES = (2.0, 5.0, 10.0, 20.0, 40.0)


def single_position_liq(side: int, leverage: float) -> float:
    """Liquidation price of one cross position of notional = leverage x equity."""
    equity = 10_000.0
    size = side * equity * leverage / MARK
    liq = policy.cross_liquidation_px(MARK, size, equity, 0.0, MAX_LEVERAGE)
    assert liq is not None
    return liq


@pytest.mark.parametrize("side", (1, -1))
@pytest.mark.parametrize("leverage", LEVERAGES)
def test_liquidation_price_is_where_equity_meets_maintenance_margin(side, leverage):
    equity, size = 10_000.0, side * 10_000.0 * leverage / MARK
    liq = single_position_liq(side, leverage)
    equity_at_liq = equity + size * (liq - MARK)
    maintenance_at_liq = abs(size) * liq * policy.maintenance_fraction(MAX_LEVERAGE)
    assert equity_at_liq == pytest.approx(maintenance_at_liq, rel=1e-9)
    assert (MARK - liq) * side > 0  # below the mark for a long, above it for a short
    # 1/leverage away less the maintenance margin l: (1/L - l) / (1 - side x l)
    m = policy.maintenance_fraction(MAX_LEVERAGE)
    assert abs(MARK - liq) / MARK == pytest.approx((1 / leverage - m) / (1 - side * m))


@pytest.mark.parametrize("side", (1, -1))
@pytest.mark.parametrize("leverage", LEVERAGES)
def test_a_stop_beyond_liquidation_is_clamped_inside_it_with_the_buffer(side, leverage):
    liq = single_position_liq(side, leverage)
    gap = abs(MARK - liq)
    stop_10pct = MARK * (1 - side * 0.10)
    clamped = policy.stop_inside_liquidation(stop_10pct, MARK, liq, side, 0.05)
    if gap > 0.10 * MARK * 1.06:  # the stop already fires before liquidation (buffer included)
        assert clamped == stop_10pct
    else:
        assert clamped == pytest.approx(liq + side * 0.05 * gap)
        assert (clamped - liq) * side > 0 and (MARK - clamped) * side > 0  # between liquidation and mark


def test_clamp_leaves_a_stop_alone_without_liquidation_or_past_it():
    assert policy.stop_inside_liquidation(90.0, 100.0, None, 1) == 90.0
    assert policy.stop_inside_liquidation(90.0, 100.0, 101.0, 1) == 90.0  # liquidation above a long's mark
    assert policy.stop_inside_liquidation(95.0, 100.0, 90.0, 1) == 95.0  # already inside
    assert policy.stop_inside_liquidation(112.0, 100.0, 110.0, -1) == pytest.approx(109.5)  # short, 5 % of 10


def position_wire(**over) -> dict:
    p = {"coin": "BTC", "szi": "-0.5", "entryPx": "60000.0", "positionValue": "30000.0", "unrealizedPnl": "0.0",
         "marginUsed": "1500.0", "leverage": {"type": "isolated", "value": 20, "rawUsd": "31500.0"},
         "liquidationPx": "62500.0", "cumFunding": {"allTime": "12.5", "sinceChange": "3.0", "sinceOpen": "4.25"}}
    p.update(over)
    return {"type": "oneWay", "position": p}


def test_position_parses_leverage_type_margin_and_funding_since_open():
    pos = parse.parse_position(position_wire(), "t")
    assert (pos.leverage, pos.leverage_type, pos.margin_used_usd, pos.liquidation_px) == (20.0, "isolated", 1500.0,
                                                                                            62500.0)
    assert pos.funding_since_open_usd == -4.25  # the venue counts funding paid as positive
    old = parse.parse_position(position_wire(cumFunding=None, leverage={"type": "cross", "value": 3}), "t")
    assert old.funding_since_open_usd is None and old.leverage_type == "cross"
    with pytest.raises(MalformedReply, match="leverage.type"):
        parse.parse_position(position_wire(leverage={"type": "portfolio", "value": 3}), "t")


def test_asset_contexts_and_user_funding_in_the_venues_shapes():
    raw = [{"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 50},
                         {"name": "ETH", "szDecimals": 4, "maxLeverage": 25}]},
           [{"dayNtlVlm": "1.0", "funding": "0.0000125", "impactPxs": None, "markPx": "60000.0", "midPx": "60000.5",
             "openInterest": "10.0", "oraclePx": "59990.0", "premium": "0.0", "prevDayPx": "59000.0"},
            {"funding": "-0.00002", "markPx": "3000.0", "openInterest": "5.0", "oraclePx": "3001.0"}]]
    ctxs = parse_perp.parse_asset_contexts(raw)
    assert ctxs["BTC"].funding_rate_hourly == 0.0000125 and ctxs["ETH"].max_leverage == 25
    assert ctxs["BTC"].funding_rate_annual == pytest.approx(0.0000125 * 24 * 365)
    with pytest.raises(MalformedReply, match="contexts for a universe"):
        parse_perp.parse_asset_contexts([raw[0], raw[1][:1]])
    payments = parse_perp.parse_user_funding([{"delta": {"coin": "ETH", "fundingRate": "0.0000417", "szi": "49.1477",
                                                    "type": "funding", "usdc": "-3.625312", "nSamples": None},
                                          "hash": "0xa166", "time": 1681222254710}])
    assert [(p.coin, p.usdc, p.size, p.time_ms) for p in payments] == [("ETH", -3.625312, 49.1477, 1681222254710)]
    with pytest.raises(MalformedReply):
        parse_perp.parse_user_funding([{"delta": {"coin": "ETH", "usdc": "x", "fundingRate": "0.1"}, "time": 1}])


def genes_params(stop_gene: float = 1.0):
    g = default_genes()
    g[13] = 0.0  # max drawdown 5 %
    g[0] = stop_gene  # a wide base stop (20 %): beyond a 10x long's liquidation
    return decode(g)


def leveraged_market(side: int, leverage: float, equity: float = 10_000.0, funding: float = 0.00001):
    size = side * equity * leverage / MARK
    liq = policy.cross_liquidation_px(MARK, size, equity, 0.0, MAX_LEVERAGE)
    pos = Position("BTC", size, MARK, MARK, 0.0, abs(size) * MARK, abs(size) * MARK / leverage, leverage, liq,
                   "cross", -1.5)
    acct = AccountState(equity, pos.margin_used_usd, equity - pos.margin_used_usd, (pos,), T0,
                        total_notional_usd=abs(size) * MARK, maintenance_margin_usd=abs(size) * MARK / 100)
    ctx = {"BTC": AssetContext("BTC", funding, MARK, MARK, 1.0, MAX_LEVERAGE)}
    return MarketInputs(acct, {"BTC": MARK}, {}, sz_decimals={"BTC": 2}, asset_ctxs=ctx), liq


@pytest.mark.parametrize("side", (1, -1))
def test_snapshot_row_shows_liquidation_margin_funding_and_the_clamp(side):
    market, liq = leveraged_market(side, 10.0)
    p = genes_params()
    ev = evaluate(Context(p, "t", "paper", 30.0), market, MonitorState(hwm_usd=10_000.0), T0)
    (row,) = ev.snapshot.positions
    assert row.liquidation_px == liq and row.dist_liquidation == pytest.approx(abs(MARK - liq) / MARK)
    assert (row.leverage, row.leverage_type, row.funding_since_open_usd) == (10.0, "cross", -1.5)
    assert row.funding_rate_hourly == 0.00001 and row.funding_rate_annual == pytest.approx(0.0876)
    assert row.liquidation_inside_stop  # the genome's 20 % stop is beyond a ~10 % liquidation
    assert row.stop_clamped_px == pytest.approx(liq + side * 0.05 * abs(MARK - liq))
    snap = ev.snapshot
    # 10x on the whole equity: all of it is initial margin, nothing is withdrawable
    assert snap.margin_ratio == pytest.approx(1.0) and snap.account_leverage == pytest.approx(10.0)
    assert snap.maintenance_margin_usd == pytest.approx(1000.0) and snap.withdrawable_usd == pytest.approx(0.0)


def test_protective_stop_orders_are_placed_at_the_clamped_level():
    market, liq = leveraged_market(1, 10.0)
    state = MonitorState(hwm_usd=10_000.0 / (1 - 0.03))  # 3 % drawdown of a 5 % max: TIGHTENED
    ev = evaluate(Context(genes_params(), "t", "paper", 30.0), market, state, T0)
    assert ev.snapshot.breaker_state == "TIGHTENED"
    (stops,) = [a for a in ev.proposals if a.kind == "protective_stops"]
    (leg,) = stops.legs
    assert leg.trigger_px == pytest.approx(ev.snapshot.positions[0].stop_clamped_px, rel=1e-4)
    assert leg.trigger_px > liq


def test_a_low_leverage_stop_is_not_clamped():
    market, _ = leveraged_market(1, 2.0)
    (row,) = evaluate(Context(genes_params(), "t", "paper", 30.0), market, MonitorState(hwm_usd=10_000.0),
                      T0).snapshot.positions
    assert row.stop_clamped_px is None and not row.liquidation_inside_stop


@pytest.mark.parametrize("ratio,watch", ((0.30, False), (0.36, True), (0.45, True)))
def test_watch_colours_the_snapshot_before_the_breaker_and_never_acts(ratio, watch):
    market, _ = leveraged_market(1, 2.0)
    state = MonitorState(hwm_usd=10_000.0 / (1 - 0.05 * ratio))
    ev = evaluate(Context(genes_params(), "t", "paper", 30.0), market, state, T0)
    assert ev.snapshot.breaker_state == "NORMAL" and ev.snapshot.watch is watch
    assert ev.proposals == () and ev.transition is None
    custom = Context(genes_params(), "t", "paper", 30.0, PerpRiskSettings(watch_fraction=0.25))
    assert evaluate(custom, market, state, T0).snapshot.watch


@pytest.mark.parametrize("side", ("long", "short"))
@pytest.mark.parametrize("stop_distance", (0.05, 0.10, 0.20))
def test_sizing_refuses_a_size_whose_liquidation_sits_inside_the_genomes_stop(side, stop_distance):
    account = AccountState(10_000.0, 0.0, 10_000.0, (), T0)
    liq = LiquidationInputs(MAX_LEVERAGE, 0.0, stop_distance)
    p = decode(default_genes())
    big = size_new_position(p, account, "BTC", side, 10_000.0, MARK, policy.NORMAL, liquidation=liq)
    assert big.allowed_size < 10_000.0 and any(f.startswith("liquidation") for f in big.limiting_factors)
    sign = 1 if side == "long" else -1
    # the cut size keeps its liquidation beyond the stop, with the clamp's buffer
    from core.monitor.sizing import liquidation_fits

    assert liquidation_fits(big.allowed_size, sign, MARK, 10_000.0, liq)
    tiny = size_new_position(p, account, "BTC", side, 1.0, MARK, policy.NORMAL, liquidation=liq)
    assert not any(f.startswith("liquidation") for f in tiny.limiting_factors)


def test_settings_file_and_env_configure_alerts_and_risk(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[alerts]\nurls = ["json://127.0.0.1:1/a"]\ndedup_window_s = 60\n'
                    "[risk]\nwatch_fraction = 0.3\nliquidation_buffer_fraction = 0.1\n")
    s = load_settings(path, {"EVORISK_ALERT_URLS": "ntfy://ntfy.sh/topic1, json://127.0.0.1:1/a"})
    assert s.alerts.urls == ("json://127.0.0.1:1/a", "ntfy://ntfy.sh/topic1")
    assert (s.alerts.dedup_window_s, s.risk.watch_fraction, s.risk.liquidation_buffer_fraction) == (60, 0.3, 0.1)
    assert "ntfy.sh" not in repr(s.alerts)
    path.write_text("[risk]\nwatch_fraction = 2\n")
    with pytest.raises(BadInputError, match="watch_fraction"):
        load_settings(path, {})
    path.write_text("not toml [")
    with pytest.raises(BadInputError, match="not valid TOML"):
        load_settings(path, {})


@pytest.mark.parametrize("side", (1, -1))
def test_the_clamped_stop_stays_put_as_the_price_walks_towards_liquidation(side):
    """A buffer measured from the mark would shrink on the way down and drag the stop onto the
    liquidation price; measured from the entry it holds still, so the stop fires first."""
    market, liq = leveraged_market(side, 10.0)
    pos = market.account.positions[0]
    levels = []
    for frac in (0.0, 0.5, 0.9):  # of the way from entry to liquidation
        mark = MARK + (liq - MARK) * frac
        moved = Position(pos.coin, pos.size, pos.entry_px, mark, pos.size * (mark - MARK), abs(pos.size) * mark,
                         pos.margin_used_usd, pos.leverage, liq, "cross")
        acct = AccountState(10_000.0 + pos.size * (mark - MARK), pos.margin_used_usd, 0.0, (moved,), T0)
        m = MarketInputs(acct, {"BTC": mark}, {}, sz_decimals={"BTC": 2})
        (row,) = evaluate(Context(genes_params(), "t", "paper", 30.0), m, MonitorState(hwm_usd=10_000.0),
                          T0).snapshot.positions
        levels.append(row.stop_clamped_px)
    assert levels[0] == pytest.approx(liq + side * 0.05 * abs(MARK - liq))
    assert levels == pytest.approx([levels[0]] * 3)


def test_each_headless_json_line_carries_the_perp_risk_keys():
    from console.views.monitor_line import snapshot_line
    from tests.support.risk_snapshots import perp_snapshot

    line = json.loads(snapshot_line(perp_snapshot(), as_json=True))
    assert line["watch"] is True and line["margin_ratio"] > 0 and line["withdrawable_usd"] > 0
    assert {"account_leverage", "maintenance_margin_usd", "margin_used_usd"} <= set(line)
    sol = next(p for p in line["positions"] if p["coin"] == "SOL")
    assert sol["liquidation_px"] == 155.20 and sol["stop_clamped_px"] == 155.83 and sol["leverage_type"] == "cross"
    assert sol["funding_since_open_usd"] == -0.95 and sol["funding_rate_annual"] == pytest.approx(-0.000004 * 8760)
    assert "margin=" in snapshot_line(perp_snapshot(), as_json=False)
