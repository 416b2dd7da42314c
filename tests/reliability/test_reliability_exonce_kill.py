"""The kill -9 loop of issue 20 (RELIABILITY section 4): a monitor process sending approved
multi-leg actions behind a slow loopback proxy is killed again and again, at kill points drawn
by a seeded RNG (while a POST is still travelling, right after the venue booked an order whose
reply is late, or at any moment), and restarted each time. Afterwards: no booked cloid was ever
POSTed again, each cloid is booked once, and the database's order rows equal the venue's orders.

`EVORISK_KILL_LOOP_KILLS` sets the number of kills (default 20, kept short for `make test`;
bench/bench_reliability.py runs the full-scale figure).
"""
from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter

import pytest

from core.monitor import records as r
from core.vocabulary import ActionStatus
from tests.support.exonce_rig import Zygote, alive, kill9, rows_match_venue, small_reduce, wait_for, wall_rig

KILLS = int(os.environ.get("EVORISK_KILL_LOOP_KILLS", "20"))
SEED = 20261201
TIMEOUT_S = 0.5  # the monitor's request timeout: a killed POST's expiry passes 2 s after its intent
PROXY_BEFORE_S, PROXY_AFTER_S = 0.25, 0.1  # the order travels 0.25 s; the reply arrives 0.1 s late
KILL_MODES = ("in_flight", "after_booking", "any_time")


@pytest.mark.slow
def test_s24_kill_9_loop_behind_a_slow_proxy_never_resends_a_booked_cloid(tmp_path, record_property):
    # Each restart re-reads the book and its candles: lift the venue's weight budget, which
    # scenario 3 tests, so a fast restart loop measures duplicates rather than 429s.
    rig = wall_rig(tmp_path, delay_before_s=PROXY_BEFORE_S, delay_after_s=PROXY_AFTER_S,
                   weight_budget_per_minute=10_000_000)
    zygote = Zygote(rig.env(), tmp_path / "monitors.log")
    rng = random.Random(SEED)
    argv = ["monitor", "--headless", "--interval", "0.2", *rig.cli_args(TIMEOUT_S)]
    actions: list[int] = []
    kill_points: Counter[str] = Counter()
    try:
        for _ in range(KILLS):
            if not actions or rig.repo.get_action(actions[-1]).status not in r.OPEN_FOR_EXECUTION:
                actions.append(small_reduce(rig))
            rig.proxy.post_event.clear()
            rig.proxy.booked_event.clear()
            pid = zygote.spawn(argv)
            mode = rng.choice(KILL_MODES)
            if mode == "in_flight":
                hit = rig.proxy.post_event.wait(3.0)
                wait_s = rng.uniform(0.0, PROXY_BEFORE_S)
            elif mode == "after_booking":
                hit = rig.proxy.booked_event.wait(3.0)
                wait_s = rng.uniform(0.0, PROXY_AFTER_S)
            else:
                hit, wait_s = True, rng.uniform(0.05, 1.5)
            time.sleep(wait_s)
            kill9(pid)
            kill_points[mode if hit else f"{mode} (nothing sent yet)"] += 1
        pid = zygote.spawn(argv)  # the last restart, left to finish everything
        wait_for(lambda: all(rig.repo.get_action(a).status == ActionStatus.DONE for a in actions), "every action done")
        try:
            # SIGTERM, the monitor's clean stop (not SIGINT: a test run started in the background by a
            # script inherits SIGINT ignored, and so would this child), repeated every 2 s until it is gone.
            for _ in range(10):
                if not alive(pid):
                    break
                os.kill(pid, signal.SIGTERM)
                time.sleep(2.0)
            wait_for(lambda: not alive(pid), "the last monitor to stop", 2)
        finally:
            kill9(pid)  # a no-op once it stopped; the check below is about the orders, not the exit
        ledger = rig.proxy.ledger
        resends_of_booked = sum(ledger.duplicates.values())
        mismatches = rows_match_venue(rig)
        cloids = rig.venue_cloids()
    finally:
        zygote.close()
        rig.stop()
    record_property("kill_loop_kills", KILLS)
    record_property("kill_loop_actions", len(actions))
    record_property("kill_loop_cloids", len(cloids))
    record_property("kill_loop_max_posts_per_cloid", max(ledger.posts.values()))
    record_property("kill_loop_resends_of_booked", resends_of_booked)
    record_property("kill_loop_row_mismatches", len(mismatches))
    record_property("kill_loop_points", dict(kill_points))
    assert resends_of_booked == 0  # no booked cloid was ever POSTed again
    assert len(cloids) == len(set(cloids)) and set(ledger.booked.values()) == {1}
    assert mismatches == []  # every row says what the venue has, and every venue order has a row
    assert sum(kill_points.values()) == KILLS and kill_points["in_flight"] + kill_points["after_booking"] > 0

