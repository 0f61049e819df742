"""The write limiter's arithmetic, on a clock the test moves."""

from __future__ import annotations

import pytest
from svledger.errors import RateLimited
from svledger.ratelimit import WriteLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_the_next_write_waits_for_one_token() -> None:
    clock = Clock()
    limiter = WriteLimiter(per_minute=6, burst=3, clock=clock)
    for _ in range(3):
        limiter.take("council-a")

    with pytest.raises(RateLimited) as refused:
        limiter.take("council-a")
    assert refused.value.retry_after_s == 10

    clock.now += 4
    with pytest.raises(RateLimited) as still:
        limiter.take("council-a")
    assert still.value.retry_after_s == 6

    clock.now += 6
    limiter.take("council-a")  # a whole token again after 10 s


def test_organisations_have_buckets_of_their_own_and_zero_means_no_limit() -> None:
    clock = Clock()
    limiter = WriteLimiter(per_minute=6, burst=1, clock=clock)
    limiter.take("council-a")
    limiter.take("council-b")
    with pytest.raises(RateLimited):
        limiter.take("council-a")

    unlimited = WriteLimiter(per_minute=0, burst=1, clock=clock)
    for _ in range(100):
        unlimited.take("council-a")


def test_an_idle_organisation_saves_up_no_more_than_its_burst() -> None:
    clock = Clock()
    limiter = WriteLimiter(per_minute=60, burst=2, clock=clock)
    limiter.take("council-a")
    clock.now += 3600
    limiter.take("council-a")
    limiter.take("council-a")
    with pytest.raises(RateLimited):
        limiter.take("council-a")
