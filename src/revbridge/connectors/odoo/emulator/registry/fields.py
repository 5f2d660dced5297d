"""Field types: how a wire value is checked and stored, and how it is read back.

Why this mirrors Odoo's reading conventions so closely: the connector depends on them.
Empty values read as ``false`` (never null), numbers as floats, many2one as
``[id, display_name]``, x2many as id lists, dates as ``YYYY-MM-DD`` and datetimes in
whole seconds although they are stored with microseconds (FACTS.md 12, 14).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from revbridge.connectors.odoo.emulator.faults import invalid_integer
from revbridge.connectors.odoo.emulator.money import ZERO, round_digits, to_decimal

if TYPE_CHECKING:
    from revbridge.connectors.odoo.emulator.registry.models import BaseModel

Compute = Callable[[Any, int], Any]
DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class Field:
    """Base field. ``compute`` makes it non-stored: evaluated on read and in domains."""

    type = "char"

    def __init__(
        self,
        string: str = "",
        *,
        required: bool = False,
        readonly: bool = False,
        default: Any = None,
        compute: Compute | None = None,
    ) -> None:
        self.string = string
        self.required = required
        self.readonly = readonly
        self.default = default
        self.compute = compute
        self.name = ""

    def __set_name__(self, owner: object, name: str) -> None:
        self.name = name
        if not self.string:
            self.string = name.replace("_id", "").replace("_", " ").title()

    @property
    def store(self) -> bool:
        return self.compute is None

    def empty(self) -> Any:
        return None

    def to_cache(self, value: Any, model: BaseModel) -> Any:
        """Check and convert a wire value; raise as Odoo would for a bad one."""
        if value is False or value is None or value == "":
            return self.empty()
        return value

    def to_read(self, value: Any, model: BaseModel) -> Any:
        return False if value is None else value

    def describe(self) -> dict[str, Any]:
        """The ``fields_get`` attributes of this field."""
        return {
            "type": self.type,
            "string": self.string,
            "required": self.required,
            "readonly": self.readonly or not self.store,
            "store": self.store,
            "name": self.name,
        }


class Char(Field):
    type = "char"

    def to_cache(self, value: Any, model: BaseModel) -> Any:
        value = super().to_cache(value, model)
        return None if value is None else str(value)


class Text(Char):
    type = "text"


class Boolean(Field):
    type = "boolean"

    def empty(self) -> Any:
        return False

    def to_cache(self, value: Any, model: BaseModel) -> Any:
        return bool(value)

    def to_read(self, value: Any, model: BaseModel) -> Any:
        return bool(value)


class Integer(Field):
    type = "integer"

    def empty(self) -> Any:
        return 0

    def to_cache(self, value: Any, model: BaseModel) -> Any:
        if value is False or value is None:
            return 0
        return _as_int(value)

    def to_read(self, value: Any, model: BaseModel) -> Any:
        return value or 0


class Float(Field):
    """``digits`` is a number of decimals or a ``decimal.precision`` name; values are
    rounded half-up on write, silently (FACTS.md 1)."""

    type = "float"

    def __init__(self, string: str = "", *, digits: int | str | None = None, **kw: Any) -> None:
        super().__init__(string, **kw)
        self.digits = digits

    def empty(self) -> Any:
        return ZERO

    def to_cache(self, value: Any, model: BaseModel) -> Any:
        if value is False or value is None:
            return ZERO
        try:
            number = to_decimal(value)
        except (InvalidOperation, TypeError):
            raise ValueError(f"could not convert string to float: {value!r}") from None
        digits = self.digits
        if isinstance(digits, str):
            digits = model._precision(digits)
        return round_digits(number, digits) if digits is not None else number

    def to_read(self, value: Any, model: BaseModel) -> Any:
        return ZERO if value is None else value


class Monetary(Float):
    type = "monetary"


class Selection(Field):
    type = "selection"

    def __init__(self, selection: list[tuple[str, str]], string: str = "", **kw: Any) -> None:
        super().__init__(string, **kw)
        self.selection = selection

    def to_cache(self, value: Any, model: BaseModel) -> Any:
        if value is False or value is None:
            return None
        if value not in {key for key, _label in self.selection}:
            raise ValueError(
                model._text("wrong_selection", model=model._name, field=self.name, value=value)
            )
        return value

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "selection": [list(item) for item in self.selection]}


class Date(Field):
    type = "date"

    def to_cache(self, value: Any, model: BaseModel) -> Any:
        if value is False or value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return dt.datetime.strptime(str(value)[:10], DATE_FORMAT).date()

    def to_read(self, value: Any, model: BaseModel) -> Any:
        return False if value is None else value.strftime(DATE_FORMAT)


class Datetime(Field):
    """Stored with microseconds, read in whole seconds (20_incremental_write_date)."""

    type = "datetime"

    def to_cache(self, value: Any, model: BaseModel) -> Any:
        if value is False or value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            return value
        return parse_datetime(str(value))

    def to_read(self, value: Any, model: BaseModel) -> Any:
        return False if value is None else value.strftime(DATETIME_FORMAT)


class Many2one(Field):
    type = "many2one"

    def __init__(self, comodel: str, string: str = "", **kw: Any) -> None:
        super().__init__(string, **kw)
        self.comodel = comodel

    def to_cache(self, value: Any, model: BaseModel) -> Any:
        if value is False or value is None:
            return None
        if isinstance(value, (list, tuple)) and value:
            value = value[0]
        return _as_int(value)

    def to_read(self, value: Any, model: BaseModel) -> Any:
        if value is None:
            return False
        return [value, model._env[self.comodel]._display_name(value)]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "relation": self.comodel}


class One2many(Field):
    """Never stored: the comodel rows whose ``inverse`` points here."""

    type = "one2many"

    def __init__(
        self,
        comodel: str,
        inverse: str,
        string: str = "",
        *,
        row_filter: Callable[[dict[str, Any]], bool] | None = None,
        cascade: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(string, **kw)
        self.comodel = comodel
        self.inverse = inverse
        self.row_filter = row_filter
        self.cascade = cascade

    @property
    def store(self) -> bool:
        return False

    def to_read(self, value: Any, model: BaseModel) -> Any:
        return list(value or [])

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "relation": self.comodel, "readonly": self.readonly}


class Many2many(Field):
    type = "many2many"

    def __init__(self, comodel: str, string: str = "", **kw: Any) -> None:
        super().__init__(string, **kw)
        self.comodel = comodel

    def empty(self) -> Any:
        return []

    def to_read(self, value: Any, model: BaseModel) -> Any:
        return list(value or [])

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "relation": self.comodel}


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise invalid_integer(str(value))


def parse_datetime(text: str) -> dt.datetime:
    """``YYYY-MM-DD[ HH:MM:SS[.ffffff]]`` (a bare date means midnight)."""
    text = text.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", DATETIME_FORMAT, "%Y-%m-%d %H:%M", DATE_FORMAT):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"time data {text!r} does not match format '{DATETIME_FORMAT}'")


def as_decimal(value: Any) -> Decimal:
    """Domain operands against Float/Monetary fields."""
    return to_decimal(value)
