"""Failure injection: the ways a real Odoo (behind its proxy) lets a client down.

Why these five: each exercises a distinct branch of the connector's retry logic.

- ``delay``: slow answers (latency budgets, rate limiting).
- ``outage``: 5xx from the proxy for the next N calls or a time window (backoff,
  circuit breaker); nothing reaches the database.
- ``timeout``: the answer comes later than the client waits; with ``commit=True`` the
  work is done anyway, the case that needs idempotency.
- ``crash``: the connection drops without an answer, after the commit by default (did
  it happen? read back before retrying) or before it.
- revoked credentials are not a rule: see ``Credentials.revoke_api_key``.

A rule matches every request, or only the given model and/or method, and is spent after
``times`` matches or when the emulator clock passes ``until``.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from revbridge.connectors.odoo.emulator.clock import Clock

KINDS = ("delay", "outage", "timeout", "crash")


@dataclass
class Rule:
    kind: str
    seconds: float = 0.0
    status: int = 503
    commit: bool = True
    times: int | None = None
    until: dt.datetime | None = None
    model: str | None = None
    method: str | None = None
    hits: int = 0

    def matches(self, model: str | None, method: str | None) -> bool:
        return (self.model is None or self.model == model) and (
            self.method is None or self.method == method
        )

    def spent(self, now: dt.datetime) -> bool:
        if self.times is not None and self.hits >= self.times:
            return True
        return self.until is not None and now >= self.until


@dataclass
class Plan:
    """What to do to one request: the matched rules, at most one of each kind."""

    delay: float = 0.0
    outage: Rule | None = None
    timeout: Rule | None = None
    crash: Rule | None = None


class FailurePlan:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self.released = threading.Event()

    def add(self, rule: Rule) -> Rule:
        if rule.kind not in KINDS:
            raise ValueError(f"unknown failure kind {rule.kind!r}; choose one of {KINDS}")
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[Rule]:
        with self._lock:
            return list(self._rules)

    def take(self, model: str | None, method: str | None) -> Plan:
        """Match the live rules against one request and count the hits."""
        now = self._clock.now()
        plan = Plan()
        with self._lock:
            self._rules = [r for r in self._rules if not r.spent(now)]
            for rule in self._rules:
                if not rule.matches(model, method) or getattr(plan, rule.kind, None):
                    continue
                rule.hits += 1
                if rule.kind == "delay":
                    plan.delay = max(plan.delay, rule.seconds)
                else:
                    setattr(plan, rule.kind, rule)
        return plan

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up at once when the emulator stops."""
        self.released.wait(seconds)
