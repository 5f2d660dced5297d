"""Catalog as code: read a YAML catalog file into ``catalog.model`` values, and write one.

Why a parser of its own rather than ``yaml.safe_load`` plus a schema: a catalog decides
what customers pay, so a mistake in it must be caught before it bills anyone, and the
person who made it must be sent to the exact line. The file is therefore read as a YAML
node tree (``yaml.compose``), never constructed into Python objects, which gives three
things a plain load cannot:

* every value keeps its line, so each ``Problem`` carries ``source="file:line"``;
* numbers are read from the scalar's text, never through ``float``: ``0.0015`` written
  bare in YAML is still exactly ``Decimal("0.0015")``;
* repeated keys, which YAML loaders silently collapse to the last one, are refused.

Every problem in the file is collected and raised together as ``ValidationErrors``
(sorted by line), so one run shows everything to fix.

Field paths follow ``errors.py``: keys joined by dots, list positions in brackets,
counted from 0 in file order, e.g. ``plans[2].prices[0].tiers[1].up_to``. The path says
what is wrong, the ``file:line`` source says where to look.

``Catalog.lines`` maps code paths to lines so a later diff can point into the file:
``meter:api_calls``, ``plan:pro``, ``price:pro/api_calls``, plus one entry per key
written (``plan:pro.currency``, ``price:pro/api_calls.tiers``) and per list item
(``price:pro/api_calls.tiers[1]``, ``meter:api_calls.filters[0]``).

The format itself is described in ``docs/catalog.md``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from revbridge.catalog.model import (
    Aggregation,
    Catalog,
    Filter,
    FilterOp,
    Meter,
    Plan,
    Price,
    PriceModel,
    Tier,
    Timing,
)
from revbridge.domain.money import D, check_currency
from revbridge.domain.period import Interval
from revbridge.errors import Problem, ValidationError, ValidationErrors

__all__ = ["dump_catalog", "load_catalog", "load_catalog_file"]

E = TypeVar("E", bound=Enum)

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_STR = "tag:yaml.org,2002:str"
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", _STR})
# The safe loader and dumper, in C (libyaml) when PyYAML was built with it: same tags,
# same marks, an order of magnitude faster on a large catalog.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_FILE = "(file)"  # the field named by problems with the whole file
_CODE = re.compile(r"[a-z][a-z0-9_]*")
_WHOLE = re.compile(r"[+-]?[0-9]+")

# Decimal places a number may carry: enough for a micro-cent unit price, few enough that
# the canonical form (28 significant digits) never rounds what the file says.
MAX_FRACTION_DIGITS = 12
MAX_INTEGER_DIGITS = 15


class _RevenueRule(str, Enum):
    """How an invoice line's revenue is recognised; ``Price`` stores the value as text."""

    RATABLE = "ratable"
    CONSUMPTION = "consumption"


@dataclass(frozen=True)
class _Keys:
    """The keys a mapping must have and the keys it may have; any other key is a typo."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    nullable: tuple[str, ...] = ()  # required keys whose empty value means something

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional


_TOP = _Keys(("plans",), ("meters",))
_METER = _Keys(
    ("code", "event_type", "aggregation"), ("name", "value_property", "group_by", "filters")
)
_FILTER_OPS = tuple(op.value for op in FilterOp)
_FILTER = _Keys(("property",), _FILTER_OPS)
_PLAN = _Keys(
    ("code", "name", "currency", "interval", "prices"),
    ("description", "trial_days", "minimum_commitment"),
)
_PRICE = _Keys(
    ("code", "model"),
    (
        "name",
        "meter",
        "timing",
        "amount",
        "package_size",
        "percent",
        "tiers",
        "included_quantity",
        "minimum_amount",
        "revenue_rule",
        "currency",
        "interval",
    ),
)
_TIER = _Keys(("up_to",), ("from", "unit_price", "flat_fee"), nullable=("up_to",))


@dataclass(frozen=True)
class _Shape:
    """Which model-dependent keys a price model needs, and which it merely allows."""

    needs: frozenset[str]
    allows: frozenset[str] = frozenset()


_SHAPED_KEYS = ("meter", "amount", "package_size", "percent", "tiers", "minimum_amount")
_USAGE_OR_SEATS = frozenset({"meter", "minimum_amount"})
_SHAPES: dict[PriceModel, _Shape] = {
    PriceModel.FLAT: _Shape(frozenset({"amount"})),
    PriceModel.PER_UNIT: _Shape(frozenset({"amount"}), _USAGE_OR_SEATS),
    PriceModel.GRADUATED: _Shape(frozenset({"tiers"}), _USAGE_OR_SEATS),
    PriceModel.VOLUME: _Shape(frozenset({"tiers"}), _USAGE_OR_SEATS),
    PriceModel.PACKAGE: _Shape(frozenset({"amount", "package_size"}), _USAGE_OR_SEATS),
    PriceModel.PERCENTAGE: _Shape(frozenset({"percent", "meter"}), frozenset({"minimum_amount"})),
}


# --- bounds on numbers: each returns the reason a value is refused, or None ----------

Check = Callable[[Decimal], str | None]


def _non_negative(d: Decimal) -> str | None:
    return None if d >= 0 else "must not be negative"


def _positive(d: Decimal) -> str | None:
    return None if d > 0 else "must be greater than 0"


def _percent(d: Decimal) -> str | None:
    return None if 0 < d <= 100 else "must be greater than 0 and at most 100"


def _digits(d: Decimal) -> str | None:
    """Refuse numbers more precise or larger than an amount can sensibly be."""
    if d == 0:
        return None
    _, digit_tuple, exponent = d.as_tuple()
    assert isinstance(exponent, int)  # D() refuses NaN and infinities
    digits = list(digit_tuple)
    while exponent < 0 and digits[-1] == 0:  # 0.50 is as precise as 0.5
        digits.pop()
        exponent += 1
    if -exponent > MAX_FRACTION_DIGITS:
        return f"at most {MAX_FRACTION_DIGITS} digits after the decimal point"
    if len(digits) + exponent > MAX_INTEGER_DIGITS:
        return f"at most {MAX_INTEGER_DIGITS} digits before the decimal point"
    return None


# --- reading -------------------------------------------------------------------------


def load_catalog(text: str, source: str = "<catalog>") -> Catalog:
    """Parse a catalog file's text; raise ``ValidationErrors`` listing every problem.

    ``source`` names the file in each problem's ``file:line``.
    """
    root = _compose(text, source)
    return _Reader(source).catalog(root)


def load_catalog_file(path: str | Path) -> Catalog:
    """Read and parse the catalog file at ``path``, naming it in every problem."""
    return load_catalog(Path(path).read_text(encoding="utf-8"), str(path))


def _compose(text: str, source: str) -> Node | None:
    """The YAML node tree, or one problem at the syntax error's ``file:line:column``."""
    try:
        return yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        reason = ": ".join(p for p in (exc.context, exc.problem) if p) or "not valid YAML"
        raise ValidationErrors([Problem("(syntax)", reason, source=where)]) from exc
    except yaml.YAMLError as exc:  # a reader error: a character YAML does not allow
        position = getattr(exc, "position", None)
        where = source
        if isinstance(position, int):
            line = text.count("\n", 0, position) + 1
            column = position - (text.rfind("\n", 0, position) + 1) + 1
            where = f"{source}:{line}:{column}"
        reason = str(getattr(exc, "reason", "") or exc)
        raise ValidationErrors([Problem("(syntax)", reason, source=where)]) from exc


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


@dataclass
class _Mapping:
    """A YAML mapping already checked for unknown, repeated and missing keys."""

    path: str
    node: MappingNode
    keys: dict[str, Node] = field(default_factory=dict)
    values: dict[str, Node] = field(default_factory=dict)

    def at(self, key: str) -> str:
        return _join(self.path, key)

    def get(self, key: str) -> Node | None:
        """The value written for ``key``; an empty value counts as not written."""
        node = self.values.get(key)
        return None if node is None or _is_null(node) else node

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def where(self, key: str) -> Node:
        """The node to point at for ``key``: its value if written, else the mapping."""
        node = self.values.get(key)
        return self.node if node is None else node


@dataclass(frozen=True)
class _PlanScope:
    """What a price is checked against: its plan's settings and the file's meters."""

    code: str | None
    currency: str | None
    interval: Interval | None
    meters: frozenset[str]


@dataclass(frozen=True)
class _RawTier:
    """A parsed tier plus what the order check needs: its path, ``from`` and nodes."""

    path: str
    tier: Tier
    start: Decimal | None
    node: _Mapping


class _Reader:
    """Walks the node tree once, building values and collecting every problem."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[tuple[int, Problem]] = []
        self.lines: dict[str, int] = {}

    # -- problems ------------------------------------------------------------------

    def fail(self, path: str, reason: str, node: Node, value: Any = None) -> None:
        self.fail_on_line(_line(node), path, reason, value)

    def fail_on_line(self, line: int, path: str, reason: str, value: Any = None) -> None:
        self.problems.append((line, Problem(path, reason, value, f"{self.source}:{line}")))

    def mark(self) -> int:
        return len(self.problems)

    def clean_since(self, mark: int) -> bool:
        return len(self.problems) == mark

    # -- structure -----------------------------------------------------------------

    def mapping(self, node: Node, path: str, keys: _Keys) -> _Mapping | None:
        """Check ``node`` is a mapping with only ``keys``, each once, the required present."""
        if not isinstance(node, MappingNode):
            reason = f"expected a mapping with keys {', '.join(keys.known)}"
            self.fail(path or _FILE, reason, node, _plain(node))
            return None
        m = _Mapping(path, node)
        for key_node, value_node in node.value:
            self.key(m, keys, key_node, value_node)
        for key in keys.required:
            if key not in m.keys:
                self.fail(m.at(key), "required", node)
            elif not m.has(key) and key not in keys.nullable:
                self.fail(m.at(key), "must have a value", m.values[key])
        return m

    def key(self, m: _Mapping, keys: _Keys, key_node: Node, value_node: Node) -> None:
        if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            self.fail(
                m.path or _FILE,
                "keys must be plain names (merge keys are not supported)",
                key_node,
            )
            return
        key = str(key_node.value)
        if key in m.keys:
            first = _line(m.keys[key])
            self.fail(m.at(key), f"repeated key; it is first written on line {first}", key_node)
        elif key not in keys.known:
            self.fail(m.at(key), _unknown_key_reason(key, keys.known), key_node)
        else:
            m.keys[key] = key_node
            m.values[key] = value_node

    def sequence(self, m: _Mapping, key: str) -> list[Node] | None:
        node = m.get(key)
        if node is None:
            return None
        if not isinstance(node, SequenceNode):
            self.fail(m.at(key), "expected a list", node, _plain(node))
            return None
        return list(node.value)

    def record(self, m: _Mapping, name: str) -> None:
        """Remember where ``name`` and each of its keys are written, for diffs."""
        self.lines[name] = _line(m.node)
        for key, key_node in m.keys.items():
            self.lines[f"{name}.{key}"] = _line(key_node)

    # -- scalars -------------------------------------------------------------------

    def scalar(self, m: _Mapping, key: str) -> ScalarNode | None:
        """The scalar node written for ``key``, or None if the key is absent or empty."""
        node = m.get(key)
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            self.fail(m.at(key), "expected a single value, not a list or mapping", node)
            return None
        return node

    def text(self, m: _Mapping, key: str) -> str | None:
        node = self.scalar(m, key)
        if node is None:
            return None
        value = str(node.value)
        if not value.strip():
            self.fail(m.at(key), "must not be blank", node, value)
            return None
        return value

    def code(self, m: _Mapping, key: str = "code") -> str | None:
        value = self.text(m, key)
        if value is not None and not _CODE.fullmatch(value):
            reason = "must be a lowercase identifier: a letter, then letters, digits or _"
            self.fail(m.at(key), reason, m.where(key), value)
            return None
        return value

    def choice(self, m: _Mapping, key: str, kind: type[E]) -> E | None:
        value = self.text(m, key)
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(str(e.value) for e in kind)
            self.fail(m.at(key), f"expected one of {allowed}", m.where(key), value)
            return None

    def decimal(self, m: _Mapping, key: str, check: Check = _non_negative) -> Decimal | None:
        """A number read from the scalar's text (never via float), within ``check``."""
        node = self.scalar(m, key)
        if node is None:
            return None
        value = str(node.value)
        try:
            if node.tag not in _NUMBER_TAGS:
                raise ValueError(value)
            number = D(value.strip())
        except ValueError:
            self.fail(m.at(key), "expected a decimal number", node, value)
            return None
        reason = _digits(number) or check(number)
        if reason:
            self.fail(m.at(key), reason, node, value)
            return None
        return number

    def whole(self, m: _Mapping, key: str) -> int | None:
        node = self.scalar(m, key)
        if node is None:
            return None
        value = str(node.value)
        if node.tag == _BOOL or not _WHOLE.fullmatch(value.strip()):
            self.fail(m.at(key), "expected a whole number", node, value)
            return None
        number = int(value)
        if number < 0:
            self.fail(m.at(key), "must not be negative", node, value)
            return None
        return number

    def names(self, m: _Mapping, key: str) -> tuple[str, ...] | None:
        """A list of distinct, non-blank event property names."""
        items = self.sequence(m, key)
        if items is None:
            return None
        seen: set[str] = set()
        out: list[str] = []
        for i, node in enumerate(items):
            path = f"{m.at(key)}[{i}]"
            name = _plain(node)
            if name is None or not name.strip():
                self.fail(path, "expected a property name", node, _plain(node))
            elif name in seen:
                self.fail(path, "repeated property", node, name)
            else:
                seen.add(name)
                out.append(name)
        return tuple(out)

    # -- the catalog ----------------------------------------------------------------

    def catalog(self, root: Node | None) -> Catalog:
        top = None
        if root is None:
            self.fail_on_line(1, _FILE, "the file is empty; expected meters and plans")
        else:
            top = self.mapping(root, "", _TOP)
        meters: tuple[Meter, ...] = ()
        plans: tuple[Plan, ...] = ()
        if top is not None:
            meters, meter_codes = self.meters(top)
            plans = self.plans(top, meter_codes)
        if self.problems:
            ordered = sorted(self.problems, key=lambda item: item[0])
            raise ValidationErrors([p for _, p in ordered])
        return Catalog(meters=meters, plans=plans, lines=self.lines)

    def each(self, m: _Mapping, key: str) -> Iterable[tuple[str, Node]]:
        for i, node in enumerate(self.sequence(m, key) or ()):
            yield f"{m.at(key)}[{i}]", node

    def unique(self, seen: dict[str, int], code: str | None, m: _Mapping, kind: str) -> None:
        """Refuse a second ``kind`` with the same code: a later one would shadow the first."""
        if code is None:
            return
        if code in seen:
            reason = f"another {kind} already uses this code, on line {seen[code]}"
            self.fail(m.at("code"), reason, m.where("code"), code)
        else:
            seen[code] = _line(m.node)

    # -- meters ----------------------------------------------------------------------

    def meters(self, top: _Mapping) -> tuple[tuple[Meter, ...], frozenset[str]]:
        """The file's meters, and every meter code declared (even on a faulty meter,
        so a price naming it is not also reported as naming an unknown meter)."""
        built: list[Meter] = []
        seen: dict[str, int] = {}
        for path, node in self.each(top, "meters"):
            meter = self.meter(node, path, seen)
            if meter is not None:
                built.append(meter)
        return tuple(built), frozenset(seen)

    def meter(self, node: Node, path: str, seen: dict[str, int]) -> Meter | None:
        start = self.mark()
        m = self.mapping(node, path, _METER)
        if m is None:
            return None
        code = self.code(m)
        self.unique(seen, code, m, "meter")
        event_type = self.text(m, "event_type")
        aggregation = self.choice(m, "aggregation", Aggregation)
        name = self.text(m, "name") or ""
        value_property = self.text(m, "value_property")
        self.check_value_property(m, aggregation)
        group_by = self.names(m, "group_by") or ()
        filters = self.filters(m, f"meter:{code}")
        if code is not None:
            self.record(m, f"meter:{code}")
        if not self.clean_since(start):
            return None
        assert code is not None and event_type is not None and aggregation is not None
        return Meter(
            code=code,
            name=name,
            event_type=event_type,
            aggregation=aggregation,
            value_property=value_property,
            group_by=group_by,
            filters=filters,
        )

    def check_value_property(self, m: _Mapping, aggregation: Aggregation | None) -> None:
        """A count needs no property; every other aggregation folds one property's values."""
        if aggregation is None:
            return
        counted, given = aggregation is Aggregation.COUNT, m.has("value_property")
        if counted and given:
            reason = "not used by count meters: a count ignores the event's values"
        elif not counted and not given:
            reason = f"required for {aggregation.value} meters: the data property to aggregate"
        else:
            return
        self.fail(m.at("value_property"), reason, m.where("value_property"))

    def filters(self, m: _Mapping, name: str) -> tuple[Filter, ...]:
        built: list[Filter] = []
        for i, (path, node) in enumerate(self.each(m, "filters")):
            start = self.mark()
            f = self.mapping(node, path, _FILTER)
            if f is None:
                continue
            prop = self.text(f, "property")
            ops = [op for op in _FILTER_OPS if op in f.values]
            self.record(f, f"{name}.filters[{i}]")
            if len(ops) != 1:
                reason = f"a filter needs exactly one of {', '.join(_FILTER_OPS)}"
                self.fail(path, reason, node, ", ".join(ops) or None)
                continue
            op = FilterOp(ops[0])
            values = self.filter_values(f, op)
            if self.clean_since(start) and prop is not None and values is not None:
                built.append(Filter(prop, op, values))
        return tuple(built)

    def filter_values(self, f: _Mapping, op: FilterOp) -> tuple[str, ...] | None:
        """The texts ``op`` compares with: one for eq/ne, a non-empty list for in/not_in."""
        node = f.values[op.value]
        path = f.at(op.value)
        if op is FilterOp.EXISTS:
            if not (
                isinstance(node, ScalarNode) and node.tag == _BOOL and _filter_text(node) == "true"
            ):
                self.fail(
                    path,
                    "write exists: true (events lacking the property are dropped)",
                    node,
                    _plain(node),
                )
                return None
            return ()
        if op not in (FilterOp.IN, FilterOp.NOT_IN):
            items = [node]
        elif isinstance(node, SequenceNode) and node.value:
            items = list(node.value)
        else:
            self.fail(path, "expected a non-empty list of values", node, _plain(node))
            return None
        texts = [_filter_text(item) for item in items]
        for item, text in zip(items, texts, strict=True):
            if text is None:
                self.fail(
                    path, "expected a plain value (text, number or true/false)", item, _plain(item)
                )
        return None if None in texts else tuple(t for t in texts if t is not None)

    # -- plans -------------------------------------------------------------------------

    def plans(self, top: _Mapping, meters: frozenset[str]) -> tuple[Plan, ...]:
        built: list[Plan] = []
        seen: dict[str, int] = {}
        for path, node in self.each(top, "plans"):
            plan = self.plan(node, path, seen, meters)
            if plan is not None:
                built.append(plan)
        return tuple(built)

    def plan(
        self, node: Node, path: str, seen: dict[str, int], meters: frozenset[str]
    ) -> Plan | None:
        start = self.mark()
        m = self.mapping(node, path, _PLAN)
        if m is None:
            return None
        code = self.code(m)
        self.unique(seen, code, m, "plan")
        name = self.text(m, "name")
        description = self.text(m, "description") or ""
        currency = self.currency(m)
        interval = self.choice(m, "interval", Interval)
        trial_days = self.whole(m, "trial_days")
        minimum_commitment = self.decimal(m, "minimum_commitment")
        prices = self.prices(m, _PlanScope(code, currency, interval, meters))
        if code is not None:
            self.record(m, f"plan:{code}")
        if not self.clean_since(start):
            return None
        assert (
            code is not None and name is not None and currency is not None and interval is not None
        )
        return Plan(
            code=code,
            name=name,
            currency=currency,
            interval=interval,
            prices=prices,
            description=description,
            minimum_commitment=minimum_commitment,
            trial_days=trial_days or 0,
        )

    def currency(self, m: _Mapping) -> str | None:
        value = self.text(m, "currency")
        if value is None:
            return None
        try:
            return check_currency(value, m.at("currency"))
        except ValidationError as exc:
            hint = " (codes are upper case)" if _is_currency(value.upper()) else ""
            self.fail(m.at("currency"), exc.problems[0].reason + hint, m.where("currency"), value)
            return None

    def prices(self, plan: _Mapping, scope: _PlanScope) -> tuple[Price, ...]:
        if not self.sequence_is_filled(plan, "prices"):
            return ()
        built: list[Price] = []
        seen: dict[str, int] = {}
        for path, node in self.each(plan, "prices"):
            price = self.price(node, path, seen, scope)
            if price is not None:
                built.append(price)
        return tuple(built)

    def sequence_is_filled(self, m: _Mapping, key: str) -> bool:
        node = m.get(key)
        if isinstance(node, SequenceNode) and not node.value:
            self.fail(m.at(key), "needs at least one entry", node)
            return False
        return True

    # -- prices ------------------------------------------------------------------------

    def price(self, node: Node, path: str, seen: dict[str, int], scope: _PlanScope) -> Price | None:
        start = self.mark()
        m = self.mapping(node, path, _PRICE)
        if m is None:
            return None
        code = self.code(m)
        self.unique(seen, code, m, "price")
        model = self.choice(m, "model", PriceModel)
        name = self.text(m, "name") or ""
        meter = self.meter_ref(m, scope.meters)
        amount = self.decimal(m, "amount")
        package_size = self.decimal(m, "package_size", _positive)
        percent = self.decimal(m, "percent", _percent)
        tiers = self.tiers(m, f"price:{scope.code}/{code}")
        included = self.decimal(m, "included_quantity")
        minimum_amount = self.decimal(m, "minimum_amount")
        rule = self.choice(m, "revenue_rule", _RevenueRule) or _RevenueRule.RATABLE
        timing = self.timing(m)
        self.same_as_plan(m, "currency", scope.currency)
        self.same_as_plan(m, "interval", scope.interval.value if scope.interval else None)
        if model is not None:
            self.check_shape(m, model)
        self.check_usage_only(m, rule)
        if code is not None and scope.code is not None:
            self.record(m, f"price:{scope.code}/{code}")
        if not self.clean_since(start):
            return None
        assert code is not None and model is not None and timing is not None
        return Price(
            code=code,
            model=model,
            timing=timing,
            name=name,
            meter=meter,
            amount=amount,
            tiers=tiers or (),
            package_size=package_size,
            percent=percent,
            included_quantity=_or_zero(included),
            minimum_amount=minimum_amount,
            revenue_rule=rule.value,
        )

    def meter_ref(self, m: _Mapping, meters: frozenset[str]) -> str | None:
        value = self.text(m, "meter")
        if value is not None and value not in meters:
            declared = ", ".join(sorted(meters)) or "none"
            reason = f"no such meter is declared in this file (declared: {declared})"
            self.fail(m.at("meter"), reason, m.where("meter"), value)
        return value

    def timing(self, m: _Mapping) -> Timing | None:
        """In arrears for metered prices (usage is known only once the period is over),
        in advance for flat fees and seats unless the file says otherwise."""
        written = self.choice(m, "timing", Timing)
        metered = m.has("meter")
        if metered and written is Timing.IN_ADVANCE:
            reason = "metered prices bill in_arrears: usage is known only after the period"
            self.fail(m.at("timing"), reason, m.where("timing"), written.value)
            return None
        return written or _default_timing(metered)

    def same_as_plan(self, m: _Mapping, key: str, plan_value: str | None) -> None:
        """A price may restate its plan's currency or interval, never contradict it."""
        value = self.text(m, key)
        if value is not None and plan_value is not None and value != plan_value:
            reason = f"must equal the plan's {key} ({plan_value}): a plan's prices share it"
            self.fail(m.at(key), reason, m.where(key), value)

    def check_shape(self, m: _Mapping, model: PriceModel) -> None:
        """Each model needs some keys and has no use for others; say which, by name."""
        shape = _SHAPES[model]
        for key in _SHAPED_KEYS:
            if key in shape.needs and not m.has(key):
                self.fail(m.at(key), f"required for {model.value} prices", m.where(key))
            elif m.has(key) and key not in shape.needs | shape.allows:
                self.fail(m.at(key), f"not used by {model.value} prices", m.where(key))

    def check_usage_only(self, m: _Mapping, rule: _RevenueRule) -> None:
        """An allowance or consumption recognition only means something for usage."""
        if m.has("meter"):
            return
        if m.has("included_quantity"):
            reason = "only metered prices have an included quantity"
            self.fail(m.at("included_quantity"), reason, m.where("included_quantity"))
        if rule is _RevenueRule.CONSUMPTION:
            reason = "consumption recognition needs a meter; use ratable"
            self.fail(m.at("revenue_rule"), reason, m.where("revenue_rule"), rule.value)

    # -- tiers ---------------------------------------------------------------------------

    def tiers(self, m: _Mapping, name: str) -> tuple[Tier, ...] | None:
        if not self.sequence_is_filled(m, "tiers"):
            return None
        start = self.mark()
        items = enumerate(self.each(m, "tiers"))
        raws = [self.tier(node, path, f"{name}.tiers[{i}]") for i, (path, node) in items]
        parsed = [raw for raw in raws if raw is not None]
        if parsed:
            self.check_tier_order(parsed, last=raws[-1])
        if not self.clean_since(start) or not parsed:
            return None
        return tuple(raw.tier for raw in parsed)

    def tier(self, node: Node, path: str, name: str) -> _RawTier | None:
        start = self.mark()
        t = self.mapping(node, path, _TIER)
        if t is None:
            return None
        up_to = self.decimal(t, "up_to", _positive)
        begin = self.decimal(t, "from")
        unit_price = self.decimal(t, "unit_price")
        flat_fee = self.decimal(t, "flat_fee")
        self.record(t, name)
        if not (t.has("unit_price") or t.has("flat_fee")):
            self.fail(path, "a tier needs a unit_price, a flat_fee or both", node)
        if not self.clean_since(start):
            return None
        tier = Tier(up_to, _or_zero(unit_price), _or_zero(flat_fee))
        return _RawTier(path, tier, begin, t)

    def check_tier_order(self, tiers: list[_RawTier], last: _RawTier | None) -> None:
        """Tiers must tile the quantities from 0 upward: each begins where the previous
        one ends (``from``, when written, must say so), ``up_to`` strictly ascends, and
        only the last tier is open (``up_to: null``) so every quantity has a price."""
        end = Decimal(0)
        for raw in tiers:
            if raw.start is not None and raw.start != end:
                self.fail(f"{raw.path}.from", _gap_reason(raw.start, end), raw.node.where("from"))
            reason = _tier_end_reason(raw.tier.up_to, end, raw is last)
            if reason:
                self.fail(f"{raw.path}.up_to", reason, raw.node.where("up_to"))
            elif raw.tier.up_to is not None:
                end = raw.tier.up_to
        if last is not None and last.tier.up_to is not None:
            reason = "the last tier must be open (up_to: null) so every quantity has a price"
            self.fail(f"{last.path}.up_to", reason, last.node.where("up_to"))


def _tier_end_reason(up_to: Decimal | None, end: Decimal, is_last: bool) -> str | None:
    """Why a tier's ``up_to`` does not follow the previous tier's ``end``, if it does not."""
    if up_to is None:
        return None if is_last else "only the last tier may be open (up_to: null)"
    if up_to < end:
        return f"tiers must ascend, got {up_to} after {end}"
    if up_to == end:
        return f"overlaps the previous tier, which also ends at {end}"
    return None


def _gap_reason(start: Decimal, end: Decimal) -> str:
    kind = "overlaps" if start < end else "leaves a gap after"
    return (
        f"{kind} the previous tier: from {start}, but the previous tier ends at {end} "
        f"(a tier holds the units above from; write from: {end})"
    )


def _or_zero(d: Decimal | None) -> Decimal:
    """An unwritten amount is zero; a written one keeps its exact text (``0.0`` too)."""
    return Decimal(0) if d is None else d


def _default_timing(metered: bool) -> Timing:
    return Timing.IN_ARREARS if metered else Timing.IN_ADVANCE


def _unknown_key_reason(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key; expected one of {', '.join(known)}"


def _is_currency(code: str) -> bool:
    try:
        check_currency(code)
    except ValidationError:
        return False
    return True


def _filter_text(node: Node) -> str | None:
    """A plain value as filters compare it: its text, with YAML booleans as true/false
    (what ``Filter`` makes of a JSON boolean in event data)."""
    if not isinstance(node, ScalarNode) or node.tag == _NULL:
        return None
    if node.tag == _BOOL:
        return "true" if str(node.value).lower() in ("true", "yes", "on", "y") else "false"
    return str(node.value)


def _plain(node: Node) -> str | None:
    """The text of a scalar that is not empty; None for lists, mappings and nulls."""
    if not isinstance(node, ScalarNode) or node.tag == _NULL:
        return None
    return str(node.value)


# --- writing ---------------------------------------------------------------------------


def dump_catalog(catalog: Catalog) -> str:
    """The catalog as a file ``load_catalog`` reads back to an equal ``Catalog``.

    Defaults are left out, so the output reads like a hand-written file; decimals are
    written as quoted strings in plain notation, exactly as stored.
    """
    doc = {
        "meters": [_meter_doc(m) for m in catalog.meters],
        "plans": [_plan_doc(p) for p in catalog.plans],
    }
    return str(
        yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, default_flow_style=None)
    )


def _decimal_text(d: Decimal | None) -> str | None:
    return None if d is None else format(d, "f")


def _compact(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Drop keys whose value is the default (None, empty text or an empty list)."""
    return {k: v for k, v in pairs if v not in (None, "", [])}


def _meter_doc(m: Meter) -> dict[str, Any]:
    return _compact(
        [
            ("code", m.code),
            ("name", m.name),
            ("event_type", m.event_type),
            ("aggregation", m.aggregation.value),
            ("value_property", m.value_property),
            ("group_by", list(m.group_by)),
            ("filters", [_filter_doc(f) for f in m.filters]),
        ]
    )


def _filter_doc(f: Filter) -> dict[str, Any]:
    if f.op is FilterOp.EXISTS:
        value: Any = True
    elif f.op in (FilterOp.IN, FilterOp.NOT_IN):
        value = list(f.values)
    else:
        value = f.values[0]
    return {"property": f.property, f.op.value: value}


def _plan_doc(p: Plan) -> dict[str, Any]:
    return _compact(
        [
            ("code", p.code),
            ("name", p.name),
            ("description", p.description),
            ("currency", p.currency),
            ("interval", p.interval.value),
            ("trial_days", p.trial_days or None),
            ("minimum_commitment", _decimal_text(p.minimum_commitment)),
            ("prices", [_price_doc(x) for x in p.prices]),
        ]
    )


def _price_doc(p: Price) -> dict[str, Any]:
    timing = None if p.timing is _default_timing(p.meter is not None) else p.timing.value
    return _compact(
        [
            ("code", p.code),
            ("name", p.name),
            ("model", p.model.value),
            ("meter", p.meter),
            ("timing", timing),
            ("amount", _decimal_text(p.amount)),
            ("package_size", _decimal_text(p.package_size)),
            ("percent", _decimal_text(p.percent)),
            (
                "included_quantity",
                _decimal_text(p.included_quantity) if p.included_quantity else None,
            ),
            ("tiers", [_tier_doc(t) for t in p.tiers]),
            ("minimum_amount", _decimal_text(p.minimum_amount)),
            (
                "revenue_rule",
                None if p.revenue_rule == _RevenueRule.RATABLE.value else p.revenue_rule,
            ),
        ]
    )


def _tier_doc(t: Tier) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "up_to": _decimal_text(t.up_to),
        "unit_price": _decimal_text(t.unit_price),
    }
    if t.flat_fee:
        doc["flat_fee"] = _decimal_text(t.flat_fee)
    return doc
