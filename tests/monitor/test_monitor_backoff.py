"""Back-off while the venue is down (RELIABILITY scenario 1): the exact schedule, Retry-After on
top of it, and the reset on the first good poll. Pure: times are passed in."""
from __future__ import annotations

import pytest

from core.monitor.backoff import BACKOFF_MAX_S, PollBackoff, backoff_delay_s


def test_delays_double_from_one_interval_and_cap_at_ten_intervals():
    assert [backoff_delay_s(1.0, k) for k in range(8)] == [1.0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert [backoff_delay_s(30.0, k) for k in range(1, 8)] == [30.0, 60.0, 120.0, 240.0, 300.0, 300.0, 300.0]


def test_the_cap_is_five_minutes_but_never_below_one_interval():
    assert backoff_delay_s(60.0, 20) == BACKOFF_MAX_S == 300.0  # 10 intervals would be 10 minutes
    assert backoff_delay_s(600.0, 20) == 600.0  # a slow poller never polls faster while down
    assert backoff_delay_s(1.0, 10_000) == 10.0  # no overflow after a very long outage


def test_retry_after_longer_than_the_backoff_wins_and_a_shorter_one_does_not():
    b = PollBackoff(1.0)
    assert b.poll_failed(0, "5xx") == 1.0
    assert b.poll_failed(1_000, "429", retry_after_s=7.0) == 7.0  # backoff 2 s < Retry-After 7 s
    assert b.poll_failed(8_000, "429", retry_after_s=1.0) == 4.0  # backoff 4 s > Retry-After 1 s
    assert b.wait_s(10_000) == pytest.approx(2.0) and b.next_delay_s(10_000) == pytest.approx(2.0)
    assert b.next_delay_s(11_500) == 1.0  # never shorter than the poll interval


def test_the_first_good_poll_resets_the_schedule():
    b = PollBackoff(2.0)
    for k in range(5):
        b.poll_failed(k * 100_000, "down")
    assert b.down and b.failures == 5 and b.next_delay_s(400_000) == 20.0
    b.poll_succeeded()
    assert not b.down and b.wait_s(400_000) == 0.0 and b.next_delay_s(400_000) == 2.0
    assert b.poll_failed(500_000, "down again") == 2.0  # a new outage starts from one interval


def test_a_retry_after_met_by_the_executor_waits_without_counting_a_failed_poll():
    b = PollBackoff(1.0)
    b.hold(0, 5.0)
    assert not b.down and b.wait_s(0) == 5.0 and b.next_delay_s(4_000) == 1.0
