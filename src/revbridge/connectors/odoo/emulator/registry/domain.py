"""Search domains: Polish-notation lists of ``[field, operator, value]`` leaves.

Why evaluated in Python record by record: the emulator holds test-sized data, and one
evaluator that reads the same values ``read`` returns keeps search and read consistent
(dotted paths, computed fields, the write_date seconds trap of FACTS.md 14).

Semantics follow Odoo's SQL: ``= False`` matches empty values, ``!=`` also matches
empty values, negative operators on x2many mean "no related record matches".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from revbridge.connectors.odoo.emulator.registry import fields as f

if TYPE_CHECKING:
    from revbridge.connectors.odoo.emulator.registry.models import BaseModel

OPERATORS = frozenset(
    [
        "=",
        "!=",
        ">",
        ">=",
        "<",
        "<=",
        "in",
        "not in",
        "like",
        "not like",
        "ilike",
        "not ilike",
        "=like",
        "=ilike",
        "=?",
    ]
)
_NEGATIVE = {"!=": "=", "not in": "in", "not like": "like", "not ilike": "ilike"}
TRUE_LEAF = [1, "=", 1]
FALSE_LEAF = [0, "=", 1]


def is_operator(token: Any) -> bool:
    return token in ("&", "|", "!")


def is_leaf(token: Any) -> bool:
    return isinstance(token, (list, tuple)) and len(token) == 3


def normalize(domain: Sequence[Any]) -> list[Any]:
    """Make implicit ANDs explicit, as Odoo's ``normalize_domain`` does."""
    result: list[Any] = []
    expected = 1
    for token in domain:
        if expected == 0:
            result.insert(0, "&")
            expected = 1
        if token in ("&", "|"):
            expected += 1
        elif token != "!":
            expected -= 1
        result.append(list(token) if is_leaf(token) else token)
    return result


def and_domains(domains: Sequence[Sequence[Any]]) -> list[Any]:
    """AND of several domains in normalized prefix form; empty ones are dropped."""
    parts = [normalize(d) for d in domains if d]
    result: list[Any] = ["&"] * (len(parts) - 1)
    for part in parts:
        result.extend(part)
    return result


def check(model: BaseModel, domain: Sequence[Any]) -> None:
    """Refuse unknown fields and malformed leaves before any record is looked at."""
    if not isinstance(domain, (list, tuple)):
        raise ValueError(f"Invalid domain: {domain!r}")  # noqa: TRY004 - as Odoo does
    for token in domain:
        if is_operator(token):
            continue
        if not is_leaf(token) or token[1] not in OPERATORS:
            raise ValueError(f"Invalid leaf {token!r}")
        if list(token) in (TRUE_LEAF, FALSE_LEAF):
            continue
        _resolve_path(model, token)


def _resolve_path(model: BaseModel, leaf: Sequence[Any]) -> f.Field:
    current = model
    parts = str(leaf[0]).split(".")
    field: f.Field | None = None
    for index, name in enumerate(parts):
        field = current._field(name)
        if field is None:
            raise ValueError(
                current._text(
                    "invalid_leaf", model=current._name, field=name, leaf=repr(tuple(leaf))
                )
            )
        if index < len(parts) - 1:
            if not isinstance(field, (f.Many2one, f.One2many, f.Many2many)):
                raise ValueError(f"Invalid path {leaf[0]!r} in leaf {tuple(leaf)!r}")
            current = current._env[field.comodel]
    assert field is not None
    return field


def matches(model: BaseModel, rid: int, domain: Sequence[Any]) -> bool:
    tokens = normalize(domain)
    if not tokens:
        return True
    result, _rest = _evaluate(model, rid, tokens, 0)
    return result


def _evaluate(model: BaseModel, rid: int, tokens: list[Any], pos: int) -> tuple[bool, int]:
    token = tokens[pos]
    if token == "!":
        value, pos = _evaluate(model, rid, tokens, pos + 1)
        return not value, pos
    if token in ("&", "|"):
        left, pos = _evaluate(model, rid, tokens, pos + 1)
        right, pos = _evaluate(model, rid, tokens, pos)
        return (left and right) if token == "&" else (left or right), pos
    return _leaf(model, rid, token), pos + 1


def _leaf(model: BaseModel, rid: int, leaf: list[Any]) -> bool:
    if leaf == TRUE_LEAF:
        return True
    if leaf == FALSE_LEAF:
        return False
    path, operator, value = leaf
    if operator == "=?":
        if value is False or value is None:
            return True
        operator = "="
    field, candidates = _path_values(model, rid, str(path).split("."))
    if operator in _NEGATIVE:
        return not any(_compare(model, field, _NEGATIVE[operator], c, value) for c in candidates)
    return any(_compare(model, field, operator, c, value) for c in candidates)


def _path_values(model: BaseModel, rid: int, parts: list[str]) -> tuple[f.Field, list[Any]]:
    """The final field of a dotted path and every value it reaches (``[None]`` if none)."""
    field = model._field(parts[0])
    assert field is not None
    value = model._value(rid, parts[0])
    if isinstance(field, (f.One2many, f.Many2many)):
        ids = list(value or [])
    elif isinstance(field, f.Many2one):
        ids = [value] if value else []
    else:
        return field, [value]
    if len(parts) == 1:
        return field, ids or [None]
    comodel = model._env[field.comodel]
    last: f.Field | None = None
    found: list[Any] = []
    for cid in ids:
        last, values = _path_values(comodel, cid, parts[1:])
        found.extend(values)
    if last is None:
        last = _resolve_path(comodel, [".".join(parts[1:]), "=", False])
    return last, found or [None]


def _compare(model: BaseModel, field: f.Field, op: str, candidate: Any, value: Any) -> bool:
    if op == "in":
        values = value if isinstance(value, (list, tuple)) else [value]
        return any(_compare(model, field, "=", candidate, v) for v in values)
    if value is False or value is None:
        if op == "=":
            return candidate is None or candidate is False or candidate == []
        return False
    relational = isinstance(field, (f.Many2one, f.One2many, f.Many2many))
    if relational and isinstance(value, str):
        if candidate is None:
            return False
        candidate = model._env[field.comodel]._display_name(candidate)  # type: ignore[attr-defined]
    elif op in ("like", "ilike", "=like", "=ilike"):
        if candidate is None or candidate is False:
            return False
        candidate = _text(candidate)
    else:
        if candidate is None:
            return False
        value = _coerce(field, value)
    if op == "=":
        return bool(candidate == value)
    if op == "like":
        return str(value) in candidate
    if op == "ilike":
        return str(value).lower() in str(candidate).lower()
    if op in ("=like", "=ilike"):
        flags = re.IGNORECASE if op == "=ilike" else 0
        return re.fullmatch(_like_regex(str(value)), str(candidate), flags | re.DOTALL) is not None
    try:
        if op == ">":
            return bool(candidate > value)
        if op == ">=":
            return bool(candidate >= value)
        if op == "<":
            return bool(candidate < value)
        if op == "<=":
            return bool(candidate <= value)
    except TypeError:
        return False
    raise ValueError(f"Invalid operator {op!r}")


def _coerce(field: f.Field, value: Any) -> Any:
    """The operand in the field's internal type, so comparisons are exact."""
    if isinstance(field, f.Float):
        return f.as_decimal(value)
    if isinstance(field, f.Datetime):
        return value if isinstance(value, dt.datetime) else f.parse_datetime(str(value))
    if isinstance(field, f.Date):
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    if isinstance(field, f.Boolean):
        return bool(value)
    return value


def _text(candidate: Any) -> str:
    if isinstance(candidate, dt.datetime):
        return candidate.strftime(f.DATETIME_FORMAT)
    if isinstance(candidate, dt.date):
        return candidate.strftime(f.DATE_FORMAT)
    return str(candidate)


def _like_regex(pattern: str) -> str:
    out = []
    for char in pattern:
        if char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return "".join(out)
