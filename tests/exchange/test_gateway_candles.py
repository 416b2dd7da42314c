"""parse_candles names a bad candle the way a user looks it up: coin, interval, UTC open time."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.exchange.errors import MalformedReply
from core.exchange.parse import candle_time_utc, parse_candles

T_MS = 1_772_373_600_000  # 2026-03-01 14:00 UTC
HOUR_MS = 3_600_000


def candle(t: int = T_MS, o: str = "100", h: str = "110", l: str = "90", c: str = "105", **extra) -> dict:
    return {"t": t, "T": t + HOUR_MS - 1, "s": "BTC", "i": "1h", "o": o, "h": h, "l": l, "c": c, "v": "12.5",
            "n": 40, **extra}


def reject(raw: list) -> str:
    with pytest.raises(MalformedReply) as caught:
        parse_candles(raw, "BTC", "1h")
    return str(caught.value)


@pytest.mark.parametrize(("prices", "problem"), [
    (dict(h="90", l="110"), "high below low"),
    (dict(o="120"), "open above high"),
    (dict(o="80"), "open below low"),
    (dict(c="111"), "close above high"),
    (dict(c="89.99"), "close below low"),
])
def test_inconsistent_ohlc_names_coin_interval_open_time_and_what_is_wrong(prices, problem):
    assert reject([candle(T_MS - HOUR_MS), candle(**prices)]) == f"BTC 1h 2026-03-01 14:00: {problem}"


@pytest.mark.parametrize(("field", "name"), [("o", "open"), ("h", "high"), ("l", "low"), ("c", "close")])
@pytest.mark.parametrize("bad", ["0", "-1", "NaN", "inf", "abc", None])
def test_a_bad_price_names_the_candle_by_time_and_the_field_by_name(field, name, bad):
    message = reject([candle(T_MS - HOUR_MS), candle(**{field: bad})])
    assert message.startswith(f"BTC 1h 2026-03-01 14:00 {name}: ")


def test_a_bad_volume_or_missing_field_names_the_candle_by_time():
    assert reject([candle(v="x")]).startswith("BTC 1h 2026-03-01 14:00 volume: not a number")
    broken = candle()
    del broken["c"]
    assert reject([broken]) == "BTC 1h 2026-03-01 14:00: missing field 'c'"


def test_a_candle_without_a_usable_open_time_is_named_by_its_index():
    assert reject([candle(), {**candle(), "t": "soon"}]).startswith("candleSnapshot[BTC 1h][1].t: expected an integer")
    del_t = candle()
    del del_t["t"]
    assert reject([del_t]) == "candleSnapshot[BTC 1h][0]: missing field 't'"


def test_open_times_read_as_utc_minutes_and_odd_ones_stay_readable():
    assert candle_time_utc(T_MS) == "2026-03-01 14:00"
    assert candle_time_utc(0) == "1970-01-01 00:00"
    assert candle_time_utc(T_MS + 1_500) == "2026-03-01 14:00:01.500"
    assert candle_time_utc(2**63) == "t=9223372036854775808"
    assert candle_time_utc(10**400) == "t out of range"
    assert reject([candle(t=10**400, h="1", l="2")]) == "BTC 1h t out of range: high below low"


def test_good_candles_parse_in_order():
    parsed = parse_candles([candle(T_MS - HOUR_MS), candle()], "BTC", "1h")
    assert [(c.open_ms, c.high_px, c.low_px, c.trades) for c in parsed] == [(T_MS - HOUR_MS, 110.0, 90.0, 40),
                                                                         (T_MS, 110.0, 90.0, 40)]


PRICE_TEXT = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), st.integers(-5, 500).map(str))


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2**45), PRICE_TEXT, PRICE_TEXT, PRICE_TEXT, PRICE_TEXT), max_size=4))
def test_parsed_candles_are_consistent_or_the_error_names_the_candle(rows):
    raw = [candle(t, o, h, l, c) for t, o, h, l, c in rows]
    try:
        parsed = parse_candles(raw, "BTC", "1h")
    except MalformedReply as exc:
        assert any(str(exc).startswith(f"BTC 1h {candle_time_utc(t)}") for t, *_ in rows)
        return
    for c in parsed:
        assert 0 < c.low_px <= min(c.open_px, c.close_px) <= max(c.open_px, c.close_px) <= c.high_px
