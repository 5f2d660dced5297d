"""The catalog's values: meters, prices and plans, as plain frozen dataclasses.

These are what a catalog file declares and what the pricing engine rates against. They
carry no ids and no storage: ``catalog.store`` versions them, ``catalog.spec`` parses
them from YAML with line numbers, ``domain.pricing`` prices them. ``to_dict``/
``from_dict`` give the canonical JSON form (decimals as strings) used for storage and
for content hashes, so two equal specs always hash the same.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from revbridge.domain.period import Interval


class Aggregation(str, Enum):
    """How a meter folds a period's events into one quantity."""

    COUNT = "count"
    SUM = "sum"
    MAX = "max"
    UNIQUE_COUNT = "unique_count"
    LATEST = "latest"


class FilterOp(str, Enum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    EXISTS = "exists"


@dataclass(frozen=True)
class Filter:
    """Keep an event only if ``data[property]`` satisfies ``op`` against ``values``."""

    property: str
    op: FilterOp
    values: tuple[str, ...] = ()

    def matches(self, data: dict[str, Any]) -> bool:
        present = self.property in data and data[self.property] is not None
        if self.op is FilterOp.EXISTS:
            return present
        given = _text(data.get(self.property)) if present else None
        if self.op in (FilterOp.EQ, FilterOp.IN):
            return given in self.values
        return given not in self.values


def _text(value: Any) -> str:
    """Filters compare as text; JSON booleans compare as ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Meter:
    """An event type plus how to aggregate it: what a usage price is rated on."""

    code: str
    event_type: str
    aggregation: Aggregation
    name: str = ""
    value_property: str | None = None  # in ``data``; required for all but count
    group_by: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()

    def billing_form(self) -> dict[str, Any]:
        """What decides a bill's quantities: a change here changes past invoices."""
        d = meter_to_dict(self)
        d.pop("name", None)
        return d


class PriceModel(str, Enum):
    FLAT = "flat"  # a fixed fee per period
    PER_UNIT = "per_unit"  # unit price x quantity (meter or seats)
    GRADUATED = "graduated"  # each tier prices the units that fall in it
    VOLUME = "volume"  # the tier reached prices every unit
    PACKAGE = "package"  # a price per started package of N units
    PERCENTAGE = "percentage"  # a share of a metered amount (e.g. 2.9% of volume)


class Timing(str, Enum):
    IN_ADVANCE = "in_advance"
    IN_ARREARS = "in_arrears"


@dataclass(frozen=True)
class Tier:
    """Units up to ``up_to`` (inclusive, ``None`` = no limit) at ``unit_price``, plus ``flat_fee``."""

    up_to: Decimal | None
    unit_price: Decimal
    flat_fee: Decimal = Decimal(0)


@dataclass(frozen=True)
class Price:
    """One charge of a plan.

    Its quantity comes from a meter (usage), from the subscription's quantity (seats,
    ``meter is None`` and model not flat), or is 1 (flat fee).
    """

    code: str
    model: PriceModel
    timing: Timing
    name: str = ""
    meter: str | None = None
    amount: Decimal | None = None  # flat fee, unit price, or package price
    tiers: tuple[Tier, ...] = ()
    package_size: Decimal | None = None
    percent: Decimal | None = None
    included_quantity: Decimal = Decimal(0)  # free units per period before pricing
    minimum_amount: Decimal | None = None  # this charge's floor per period
    revenue_rule: str = "ratable"  # ratable over the period, or at consumption

    @property
    def is_usage(self) -> bool:
        return self.meter is not None

    @property
    def is_seat(self) -> bool:
        return self.meter is None and self.model is not PriceModel.FLAT


@dataclass(frozen=True)
class Plan:
    """A versioned bundle of prices sharing a currency and a billing interval."""

    code: str
    name: str
    currency: str
    interval: Interval
    prices: tuple[Price, ...]
    description: str = ""
    minimum_commitment: Decimal | None = None  # per period, over all usage charges
    trial_days: int = 0

    def price(self, code: str) -> Price:
        for p in self.prices:
            if p.code == code:
                return p
        raise KeyError(code)


@dataclass(frozen=True)
class Catalog:
    """A whole catalog file: every meter and plan it declares."""

    meters: tuple[Meter, ...] = ()
    plans: tuple[Plan, ...] = ()
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


# --- canonical JSON form ------------------------------------------------------------

def _dec(v: Decimal | None) -> str | None:
    return None if v is None else format(v.normalize(), "f")


def meter_to_dict(m: Meter) -> dict[str, Any]:
    return {
        "code": m.code,
        "name": m.name,
        "event_type": m.event_type,
        "aggregation": m.aggregation.value,
        "value_property": m.value_property,
        "group_by": list(m.group_by),
        "filters": [{"property": f.property, "op": f.op.value, "values": list(f.values)} for f in m.filters],
    }


def meter_from_dict(d: dict[str, Any]) -> Meter:
    return Meter(
        code=d["code"],
        name=d.get("name", ""),
        event_type=d["event_type"],
        aggregation=Aggregation(d["aggregation"]),
        value_property=d.get("value_property"),
        group_by=tuple(d.get("group_by", ())),
        filters=tuple(Filter(f["property"], FilterOp(f["op"]), tuple(f.get("values", ()))) for f in d.get("filters", ())),
    )


def price_to_dict(p: Price) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "model": p.model.value,
        "timing": p.timing.value,
        "meter": p.meter,
        "amount": _dec(p.amount),
        "tiers": [{"up_to": _dec(t.up_to), "unit_price": _dec(t.unit_price), "flat_fee": _dec(t.flat_fee)} for t in p.tiers],
        "package_size": _dec(p.package_size),
        "percent": _dec(p.percent),
        "included_quantity": _dec(p.included_quantity),
        "minimum_amount": _dec(p.minimum_amount),
        "revenue_rule": p.revenue_rule,
    }


def _opt(v: str | None) -> Decimal | None:
    return None if v is None else Decimal(v)


def price_from_dict(d: dict[str, Any]) -> Price:
    return Price(
        code=d["code"],
        name=d.get("name", ""),
        model=PriceModel(d["model"]),
        timing=Timing(d["timing"]),
        meter=d.get("meter"),
        amount=_opt(d.get("amount")),
        tiers=tuple(Tier(_opt(t["up_to"]), Decimal(t["unit_price"]), Decimal(t.get("flat_fee") or "0")) for t in d.get("tiers", ())),
        package_size=_opt(d.get("package_size")),
        percent=_opt(d.get("percent")),
        included_quantity=Decimal(d.get("included_quantity") or "0"),
        minimum_amount=_opt(d.get("minimum_amount")),
        revenue_rule=d.get("revenue_rule", "ratable"),
    )


def plan_to_dict(p: Plan) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "description": p.description,
        "currency": p.currency,
        "interval": p.interval.value,
        "minimum_commitment": _dec(p.minimum_commitment),
        "trial_days": p.trial_days,
        "prices": [price_to_dict(x) for x in p.prices],
    }


def plan_from_dict(d: dict[str, Any]) -> Plan:
    return Plan(
        code=d["code"],
        name=d.get("name", ""),
        description=d.get("description", ""),
        currency=d["currency"],
        interval=Interval(d["interval"]),
        minimum_commitment=_opt(d.get("minimum_commitment")),
        trial_days=int(d.get("trial_days", 0)),
        prices=tuple(price_from_dict(x) for x in d["prices"]),
    )


def content_hash(form: dict[str, Any]) -> str:
    """A stable digest of a canonical form: equal specs hash equal."""
    return hashlib.sha256(json.dumps(form, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
