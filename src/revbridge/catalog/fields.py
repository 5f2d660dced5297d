"""Checks shared by the commercial model's inputs, each naming the field it refuses."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from revbridge.domain.money import check_currency
from revbridge.errors import Problem, ValidationError

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Checker:
    """Collects every problem with an input instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, field: str, reason: str, value: Any = None) -> None:
        self.problems.append(Problem(field, reason, value))

    def text(self, field: str, value: Any, *, required: bool = True, max_len: int = 200) -> None:
        if value is None or value == "":
            if required:
                self.fail(field, "is required")
            return
        if not isinstance(value, str):
            self.fail(field, "expected text", value)
        elif len(value) > max_len:
            self.fail(field, f"at most {max_len} characters, got {len(value)}")

    def key(self, field: str, value: Any) -> None:
        if not isinstance(value, str) or not _CODE.match(value):
            self.fail(field, "1-128 letters, digits or _.:@- starting with a letter or digit", value)

    def currency(self, field: str, value: Any) -> None:
        try:
            check_currency(value, field)
        except ValidationError:
            self.fail(field, "not an ISO 4217 currency code", value)

    def country(self, field: str, value: Any) -> None:
        if not isinstance(value, str) or not _COUNTRY.match(value):
            self.fail(field, "an ISO 3166-1 alpha-2 country code in capitals, e.g. US or DE", value)

    def timezone(self, field: str, value: Any) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            self.fail(field, "not an IANA time zone such as Europe/Berlin", value)

    def email(self, field: str, value: Any) -> None:
        if value is not None and (not isinstance(value, str) or not _EMAIL.match(value)):
            self.fail(field, "not an email address", value)

    def choice(self, field: str, value: Any, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            self.fail(field, f"one of {', '.join(allowed)}", value)

    def done(self) -> None:
        from revbridge.errors import ValidationErrors

        if self.problems:
            raise ValidationErrors(self.problems)
