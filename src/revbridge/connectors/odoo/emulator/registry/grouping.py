"""``read_group``: aggregates per group, in the shape Odoo 17 answers (19_read_group).

Why the odd keys: lazy grouping counts under ``<field>_count`` and groups on the first
field only (the rest goes to ``__context``); ``lazy=False`` groups on every field and
counts under ``__count``. Each group carries the ``__domain`` that selects its records:
the request's domain AND one leaf per group field, in normalized prefix form.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from revbridge.connectors.odoo.emulator.money import ZERO
from revbridge.connectors.odoo.emulator.registry import domain as dom
from revbridge.connectors.odoo.emulator.registry import fields as f

if TYPE_CHECKING:
    from revbridge.connectors.odoo.emulator.registry.models import BaseModel

_AGGREGATES = ("sum", "avg", "min", "max", "count", "count_distinct")


def read_group(
    model: BaseModel,
    domain: Any,
    fields: list[str],
    groupby: Any,
    *,
    offset: int = 0,
    limit: int | None = None,
    orderby: str | None = None,
    lazy: bool = True,
) -> list[dict[str, Any]]:
    specs = [groupby] if isinstance(groupby, str) else list(groupby or [])
    used, rest = (specs[:1], specs[1:]) if lazy else (specs, [])
    for spec in used:
        model._check_field_names([spec.split(":")[0]])
    aggregates = _aggregates(model, fields, used)
    count_key = f"{used[0].split(':')[0]}_count" if lazy and used else "__count"
    groups: dict[tuple[Any, ...], list[int]] = {}
    labels: dict[tuple[Any, ...], list[tuple[Any, list[Any]]]] = {}
    for rid in model._search(domain or []):
        parts = [_group_value(model, rid, spec) for spec in used]
        key = tuple(raw for raw, _shown, _leaf in parts)
        groups.setdefault(key, []).append(rid)
        labels.setdefault(key, [(shown, leaf) for _raw, shown, leaf in parts])
    rows: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for key, rids in groups.items():
        row: dict[str, Any] = {}
        for spec, (shown, _leaf) in zip(used, labels[key], strict=True):
            row[spec] = shown
        row[count_key] = len(rids)
        for alias, name, function in aggregates:
            row[alias] = _aggregate(model, rids, name, function)
        row["__domain"] = dom.and_domains(
            [list(domain or []), *[leaf for _shown, leaf in labels[key]]]
        )
        if rest:
            row["__context"] = {"group_by": rest}
        rows.append((key, row))
    rows = _order(model, rows, used, orderby)
    result = [row for _key, row in rows][offset or 0 :]
    return result[:limit] if limit else result


def _aggregates(model: BaseModel, fields: list[str], used: list[str]) -> list[tuple[str, str, str]]:
    """(result key, field name, function) for each requested aggregate."""
    result = []
    grouped = {spec.split(":")[0] for spec in used}
    for spec in fields or []:
        alias, _, function = spec.partition(":")
        name = alias
        if "(" in function:
            function, name = function.rstrip(")").split("(")
        field = model._field(name)
        if field is None:
            raise ValueError(model._text("invalid_field", field=name, model=model._name))
        if name in grouped or name == "__count":
            continue
        if not function:
            if not isinstance(field, f.Float | f.Integer) or name == "id":
                continue
            function = "sum"
        if function not in _AGGREGATES:
            raise ValueError(f"Invalid aggregation function {function!r}.")
        result.append((alias, name, function))
    return result


def _aggregate(model: BaseModel, rids: list[int], name: str, function: str) -> Any:
    values = [model._value(rid, name) for rid in rids]
    present = [v for v in values if v is not None and v is not False]
    if function == "count":
        return len(present)
    if function == "count_distinct":
        return len({repr(v) for v in present})
    if not present:
        return False if function in ("min", "max") else ZERO
    if function == "sum":
        return sum(present, ZERO if isinstance(present[0], Decimal) else 0)
    if function == "avg":
        total = sum(present, ZERO if isinstance(present[0], Decimal) else 0)
        return Decimal(total) / len(present)
    return min(present) if function == "min" else max(present)


def _group_value(model: BaseModel, rid: int, spec: str) -> tuple[Any, Any, list[Any]]:
    """(raw key, value shown in the group, domain part selecting the group)."""
    name, _, granularity = spec.partition(":")
    field = model._field(name)
    value = model._value(rid, name)
    if isinstance(field, f.Many2one):
        if not value:
            return None, False, [[name, "=", False]]
        return value, [value, model._env[field.comodel]._display_name(value)], [[name, "=", value]]
    if isinstance(field, f.Date | f.Datetime):
        if value is None:
            return None, False, [[name, "=", False]]
        start, end, label = _period(value, granularity or "month")
        fmt = f.DATETIME_FORMAT if isinstance(field, f.Datetime) else f.DATE_FORMAT
        leaf = ["&", [name, ">=", start.strftime(fmt)], [name, "<", end.strftime(fmt)]]
        return start, label, leaf
    shown = False if value is None else value
    return value, shown, [[name, "=", shown]]


def _period(value: dt.date, granularity: str) -> tuple[dt.datetime, dt.datetime, str]:
    day = value if not isinstance(value, dt.datetime) else value.date()
    if granularity == "day":
        start = dt.datetime(day.year, day.month, day.day)
        return start, start + dt.timedelta(days=1), start.strftime("%d %b %Y")
    if granularity == "week":
        start = dt.datetime(day.year, day.month, day.day) - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=7), f"W{start.isocalendar()[1]} {start.year}"
    if granularity == "year":
        start = dt.datetime(day.year, 1, 1)
        return start, dt.datetime(day.year + 1, 1, 1), str(day.year)
    if granularity == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        start = dt.datetime(day.year, first, 1)
        end = _add_months(start, 3)
        return start, end, f"Q{(first - 1) // 3 + 1} {day.year}"
    start = dt.datetime(day.year, day.month, 1)
    return start, _add_months(start, 1), start.strftime("%B %Y")


def _add_months(start: dt.datetime, months: int) -> dt.datetime:
    month = start.month - 1 + months
    return dt.datetime(start.year + month // 12, month % 12 + 1, 1)


def _row_key(
    item: tuple[tuple[Any, ...], dict[str, Any]],
    *,
    used: list[str],
    ranks: dict[str, dict[Any, int]],
    name: str,
) -> tuple[bool, Any]:
    """Sort key of one group: its rank for a group field, else its aggregate value."""
    if name in used:
        raw = item[0][used.index(name)]
        rank = ranks.get(name)
        return (raw is None, 0 if raw is None else (rank[raw] if rank else raw))
    value = item[1].get(name)
    return (value is None or value is False, value or 0)


def _order(
    model: BaseModel,
    rows: list[tuple[tuple[Any, ...], dict[str, Any]]],
    used: list[str],
    orderby: str | None,
) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Groups sort by ``orderby`` or else by the group fields; a many2one group follows
    its comodel's default order, as in Odoo (19: partners by complete_name)."""
    ranks: dict[str, dict[Any, int]] = {}
    for spec in used:
        field = model._field(spec.split(":")[0])
        if isinstance(field, f.Many2one):
            ids = sorted({key[used.index(spec)] for key, _row in rows} - {None})
            ordered = model._env[field.comodel]._sorted(ids)
            ranks[spec] = {rid: index for index, rid in enumerate(ordered)}
    terms = [t.split() for t in (orderby or ",".join(used)).split(",") if t.strip()]
    result = list(rows)
    for words in reversed(terms):
        name, desc = words[0], len(words) > 1 and words[1].lower() == "desc"
        result.sort(
            key=functools.partial(_row_key, used=used, ranks=ranks, name=name), reverse=desc
        )
    return result
