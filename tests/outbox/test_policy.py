"""Failure classification and the backoff policy: pure, no database."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
import pytest

from revbridge.errors import AuthError, ConnectorError, ValidationError
from revbridge.outbox.failures import (
    PermanentError,
    RateLimited,
    RetryableError,
    classify,
    parse_retry_after,
)
from revbridge.outbox.retry import RetryPolicy, parse_kind_limits


def _status_error(status: int, headers: dict[str, str] | None = None) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "https://erp.example/json/2/account.move")
    response = httpx.Response(status, headers=headers, request=request)
    return httpx.HTTPStatusError(f"{status}", request=request, response=response)


@pytest.mark.parametrize(
    ("exc", "retryable", "retry_after"),
    [
        (RetryableError("busy"), True, None),
        (RateLimited("slow down", retry_after=12), True, 12.0),
        (PermanentError("bad mapping"), False, None),
        (ConnectorError("odoo 502", retryable=True), True, None),
        (ConnectorError("no such company", retryable=False), False, None),
        (ValidationError("partner.vat", "invalid"), False, None),
        (AuthError("revoked"), False, None),
        (TimeoutError("read timed out"), True, None),
        (ConnectionResetError("reset"), True, None),
        (_status_error(503), True, None),
        (_status_error(429, {"Retry-After": "30"}), True, 30.0),
        (_status_error(422), False, None),
        (_status_error(403), False, None),
        (httpx.ConnectTimeout("connect timeout"), True, None),
        (KeyError("surprise"), True, None),
    ],
)
def test_classify(exc: Exception, retryable: bool, retry_after: float | None) -> None:
    failure = classify(exc)
    assert (failure.retryable, failure.retry_after) == (retryable, retry_after)
    assert failure.reason.startswith(type(exc).__name__)


def test_any_exception_with_retry_after_is_honoured() -> None:
    exc = ConnectorError("rate limited", retryable=True)
    exc.retry_after = 7  # type: ignore[attr-defined]
    assert classify(exc).retry_after == 7.0


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert parse_retry_after("Sun, 01 Mar 2026 09:00:45 GMT", now) == 45.0
    assert parse_retry_after("soon", now) is None


def test_full_jitter_stays_under_the_exponential_ceiling_and_the_cap() -> None:
    policy = RetryPolicy(base=2.0, cap=50.0)
    rng = random.Random(1)
    for attempt in range(1, 12):
        ceiling = min(50.0, 2.0 * 2 ** (attempt - 1))
        draws = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in draws)
        assert max(draws) > ceiling * 0.8  # jitter spans the whole range, not a fixed delay


def test_the_same_seed_gives_the_same_delays() -> None:
    policy = RetryPolicy()
    assert [policy.backoff(3, random.Random(5)) for _ in range(3)] == [policy.backoff(3, random.Random(5))] * 3


def test_decide_permanent_budget_and_retry_after() -> None:
    policy = RetryPolicy(base=1.0, cap=10.0, max_attempts=3, max_attempts_by_kind={"crm.deal": 1})
    rng = random.Random(0)
    assert policy.decide("x", 1, classify(PermanentError("no")), rng).dead
    assert not policy.decide("x", 2, classify(RetryableError("busy")), rng).dead
    spent = policy.decide("x", 3, classify(RetryableError("busy")), rng)
    assert spent.dead and spent.reason.startswith("gave up after 3 attempts")
    assert policy.decide("crm.deal", 1, classify(RetryableError("busy")), rng).dead
    assert policy.decide("x", 1, classify(RateLimited("429", retry_after=120)), rng).delay == 120.0


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValidationError):
        RetryPolicy(base=0)
    with pytest.raises(ValidationError):
        RetryPolicy(base=5, cap=1)
    with pytest.raises(ValidationError):
        RetryPolicy(max_attempts_by_kind={"x": 0})
    assert parse_kind_limits(["odoo.invoice=5"]) == {"odoo.invoice": 5}
    with pytest.raises(ValidationError):
        parse_kind_limits(["odoo.invoice"])


def test_a_worker_process_serves_noop_and_every_built_in_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    from revbridge.config import Settings
    from revbridge.outbox.sinks import build_registry

    monkeypatch.setenv("REVBRIDGE_TEST_EFFECTS_FILE", "/dev/null")
    registry = build_registry(Settings(), ["tests.outbox.file_sink:register"])
    assert {"noop", "ledger", "odoo", "file"} <= set(registry.sinks)
    with pytest.raises(ValidationError):
        build_registry(Settings(), ["tests.outbox.file_sink"])
    with pytest.raises(ValidationError):
        build_registry(Settings(), ["tests.outbox.nothing_here:register"])
