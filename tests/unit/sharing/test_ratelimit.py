"""The sharing service's token bucket (sharing/ratelimit.py)."""

from __future__ import annotations

from sharing.ratelimit import RateLimiter


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    clock = Ticks()
    limiter = RateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # another client has its own bucket
    clock.now = 0.4
    assert not limiter.allow("a")  # 0.8 of a token
    clock.now = 0.5
    assert limiter.allow("a") and not limiter.allow("a")
    clock.now = 100.0
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]  # capped


def test_forgotten_clients_keep_memory_bounded() -> None:
    limiter = RateLimiter(rate=1, burst=1, max_clients=3, clock=Ticks())
    for client in "abcd":
        assert limiter.allow(client)
    assert len(limiter._buckets) == 3 and limiter.allow("a")  # "a" was forgotten
