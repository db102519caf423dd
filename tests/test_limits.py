"""The per-user question limit, with an injected clock."""

from __future__ import annotations

import pytest
from support.fakes import Clock

from bot.limits import RateLimiter


def test_limit_allows_up_to_per_minute_then_asks_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(3, clock=clock)
    assert [limiter.wait_seconds(1) for _ in range(3)] == [0, 0, 0]
    clock.now += 10.2
    assert limiter.wait_seconds(1) == 50  # the first question leaves the window at +60


def test_window_slides_as_old_questions_leave_it() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    limiter.wait_seconds(1)
    clock.now += 30
    limiter.wait_seconds(1)
    clock.now += 29.5
    assert limiter.wait_seconds(1) == 1
    clock.now += 0.5
    assert limiter.wait_seconds(1) == 0  # the first left; the second is still inside
    assert limiter.wait_seconds(1) == 30


def test_refused_questions_do_not_extend_the_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(1, clock=clock)
    limiter.wait_seconds(5)
    for _ in range(10):
        clock.now += 5
        limiter.wait_seconds(5)
    clock.now += 10
    assert limiter.wait_seconds(5) == 0


def test_users_are_limited_separately() -> None:
    limiter = RateLimiter(1, clock=Clock())
    assert limiter.wait_seconds(1) == 0
    assert limiter.wait_seconds(1) > 0
    assert limiter.wait_seconds(2) == 0


def test_zero_switches_the_limit_off() -> None:
    limiter = RateLimiter(0, clock=Clock())
    assert all(limiter.wait_seconds(1) == 0 for _ in range(100))


def test_idle_users_are_forgotten_when_the_table_is_full() -> None:
    clock = Clock()
    limiter = RateLimiter(1, clock=clock, max_users=2)
    limiter.wait_seconds(1)
    limiter.wait_seconds(2)
    clock.now += 61
    limiter.wait_seconds(3)
    assert set(limiter._seen) == {3}


def test_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(-1)
