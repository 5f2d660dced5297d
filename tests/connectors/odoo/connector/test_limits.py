"""The token bucket, the concurrency cap and the circuit breaker, on a fake clock."""

from __future__ import annotations

import threading

import pytest

from revbridge.connectors.odoo import (
    BreakerPolicy,
    BreakerState,
    CircuitBreaker,
    Limits,
    LimitsPolicy,
    OdooUnavailable,
    TokenBucket,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_spends_its_burst_then_paces() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=4, burst=2, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        bucket.take()
    assert clock.slept == [0.25, 0.25]
    clock.now += 10  # idle: refills up to the burst only
    bucket.take()
    bucket.take()
    assert clock.slept == [0.25, 0.25]


def test_bucket_refuses_a_wait_longer_than_allowed() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=1, burst=1, clock=clock, sleep=clock.sleep)
    bucket.take()
    with pytest.raises(OdooUnavailable) as caught:
        bucket.take(max_wait=0.5)
    assert caught.value.retryable and caught.value.retry_after == pytest.approx(1.0)


def test_breaker_opens_fails_fast_probes_and_closes() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=2, open_seconds=10,
                                           max_open_seconds=25), clock=clock)
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(OdooUnavailable) as caught:
        breaker.before_call()
    assert caught.value.retry_after == pytest.approx(10)
    clock.now += 10
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.before_call()  # the probe
    with pytest.raises(OdooUnavailable, match="probe"):
        breaker.before_call()  # only one at a time
    breaker.record_failure()  # probe failed: open twice as long
    with pytest.raises(OdooUnavailable) as caught:
        breaker.before_call()
    assert caught.value.retry_after == pytest.approx(20)
    clock.now += 20
    breaker.before_call()
    breaker.record_failure()
    clock.now += 24
    with pytest.raises(OdooUnavailable):  # capped at 25
        breaker.before_call()
    clock.now += 1
    breaker.before_call()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    breaker.before_call()


def test_concurrency_cap_queues_then_gives_up() -> None:
    limits = Limits(LimitsPolicy(max_concurrency=1, acquire_timeout=0.05))
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with limits.slot():
            inside.set()
            release.wait(2)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(2)
    with pytest.raises(OdooUnavailable, match="no free slot"), limits.slot():
        pass
    release.set()
    worker.join()
    with limits.slot():
        pass
