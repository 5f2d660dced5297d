"""Tax rates per legal entity, and the ``TaxProfile`` a document is taxed under.

Why here and not in the catalog: rates are the selling entity's obligation (an entity
registered in Germany charges German VAT to German customers), they change by decree
rather than by catalog release, and billing is their only reader. A missing rate for a
customer who owes tax is a ``PricingError`` naming the entity and the country, raised
before anything is written: an invoice without its tax is worse than no invoice.

The reverse-charge zone is an entity setting too: ``EU`` (the member states), an
explicit list of countries, or none. A business customer with a tax id in another
country of the zone is reverse-charged and needs no rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, update

from revbridge import audit
from revbridge.billing.tables import entity_tax_settings, tax_rates
from revbridge.catalog.entities import get_legal_entity
from revbridge.catalog.fields import Checker
from revbridge.domain.tax import (
    EU_COUNTRIES,
    BuiltinTaxEngine,
    RoundingMethod,
    TaxCustomer,
    TaxEngine,
    TaxProfile,
    TaxRate,
    TaxResult,
    TaxTreatment,
)
from revbridge.errors import PricingError, ValidationError
from revbridge.ids import new_id
from revbridge.scope import Scope
from revbridge.store.tables import legal_entities

__all__ = [
    "TaxBook",
    "document_tax",
    "list_tax_rates",
    "set_reverse_charge_zone",
    "set_tax_rate",
    "tax_customer",
]

ZONES: Mapping[str, frozenset[str]] = {"EU": EU_COUNTRIES, "NONE": frozenset()}
MAX_RATE = Decimal(100)


def _rate(value: Any) -> Decimal:
    try:
        rate = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValidationError("rate", "a percentage such as 19 or 8.875", value) from None
    if isinstance(value, float) or not rate.is_finite() or not 0 <= rate <= MAX_RATE:
        raise ValidationError("rate", "a percentage from 0 to 100, e.g. 19 or 8.875", value)
    return rate


def set_tax_rate(
    scope: Scope, entity: str, country: str, rate: Any, region: str | None = None, name: str | None = None
) -> dict[str, Any]:
    """Create or replace the rate ``entity`` charges customers in ``country`` (and ``region``)."""
    check = Checker()
    check.country("country", country)
    check.text("region", region, required=False, max_len=16)
    check.text("name", name, required=False, max_len=100)
    check.done()
    percent = _rate(rate)
    row_entity = get_legal_entity(scope, entity)
    where = (
        (tax_rates.c.legal_entity_id == row_entity["id"])
        & (tax_rates.c.country == country)
        & (tax_rates.c.region == (region or ""))
    )
    existing = scope.conn.execute(select(tax_rates).where(where)).first()
    values = {"rate": percent, "name": name or "", "updated_at": scope.now}
    if existing is None:
        rate_id = new_id("txr")
        scope.conn.execute(
            tax_rates.insert().values(
                id=rate_id, workspace_id=scope.workspace_id, legal_entity_id=row_entity["id"],
                country=country, region=region or "", created_at=scope.now, **values,
            )
        )
    else:
        rate_id = existing.id
        scope.conn.execute(update(tax_rates).where(tax_rates.c.id == rate_id).values(**values))
    audit.record(scope, "tax_rate.set", "tax_rate", rate_id,
                 detail={"entity": row_entity["code"], "country": country, "region": region, "rate": str(percent)})
    return _view(scope.conn.execute(select(tax_rates).where(tax_rates.c.id == rate_id)).one(), row_entity["code"])


def _view(row: Any, entity_code: str) -> dict[str, Any]:
    return {"id": row.id, "legal_entity": entity_code, "country": row.country, "region": row.region or None,
            "rate": row.rate, "name": row.name or None, "updated_at": row.updated_at}


def list_tax_rates(scope: Scope, entity: str | None = None) -> list[dict[str, Any]]:
    codes = {r.id: r.code for r in scope.conn.execute(
        select(legal_entities.c.id, legal_entities.c.code).where(legal_entities.c.workspace_id == scope.workspace_id))}
    query = select(tax_rates).where(tax_rates.c.workspace_id == scope.workspace_id)
    if entity is not None:
        query = query.where(tax_rates.c.legal_entity_id == get_legal_entity(scope, entity)["id"])
    rows = scope.conn.execute(query.order_by(tax_rates.c.legal_entity_id, tax_rates.c.country, tax_rates.c.region))
    return [_view(r, codes.get(r.legal_entity_id, r.legal_entity_id)) for r in rows]


def _zone(value: str | Sequence[str]) -> frozenset[str]:
    if isinstance(value, str):
        named = ZONES.get(value.strip().upper())
        if named is not None:
            return named
        value = [v.strip() for v in value.split(",") if v.strip()]
    check = Checker()
    for i, country in enumerate(value):
        check.country(f"reverse_charge_zone[{i}]", country)
    check.done()
    return frozenset(value)


def set_reverse_charge_zone(scope: Scope, entity: str, zone: str | Sequence[str]) -> dict[str, Any]:
    """Set the countries between which ``entity`` reverse-charges business sales."""
    countries = _zone(zone)
    row_entity = get_legal_entity(scope, entity)
    key = (entity_tax_settings.c.workspace_id == scope.workspace_id) & (
        entity_tax_settings.c.legal_entity_id == row_entity["id"]
    )
    values = {"reverse_charge_zone": sorted(countries), "updated_at": scope.now}
    if scope.conn.execute(select(entity_tax_settings.c.legal_entity_id).where(key)).first() is None:
        scope.conn.execute(entity_tax_settings.insert().values(
            workspace_id=scope.workspace_id, legal_entity_id=row_entity["id"], **values))
    else:
        scope.conn.execute(update(entity_tax_settings).where(key).values(**values))
    audit.record(scope, "tax_zone.set", "legal_entity", row_entity["id"], detail={"reverse_charge_zone": sorted(countries)})
    return {"legal_entity": row_entity["code"], "reverse_charge_zone": sorted(countries)}


def tax_customer(customer: Mapping[str, Any]) -> TaxCustomer:
    return TaxCustomer(
        country=customer["country"],
        region=customer.get("region") or None,
        tax_id=customer.get("tax_id") or None,
        exempt=bool(customer.get("tax_exempt")),
    )


@dataclass
class TaxBook:
    """Every entity's tax rules in one workspace, loaded once per run.

    Profiles and checked customers are remembered for the book's life: a run taxes
    thousands of documents for a handful of (entity, currency, customer location)
    combinations. A refused check is not remembered, so it refuses every time.
    """

    entities: dict[str, Any]
    rates: dict[str, tuple[TaxRate, ...]]
    zones: dict[str, frozenset[str]]
    engine: TaxEngine
    _profiles: dict[tuple[str, str], TaxProfile] = field(default_factory=dict, repr=False)
    _checked: dict[tuple[str, str, TaxCustomer], TaxProfile] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, scope: Scope, engine: TaxEngine | None = None) -> TaxBook:
        entities = {r.id: r for r in scope.conn.execute(
            select(legal_entities).where(legal_entities.c.workspace_id == scope.workspace_id))}
        rates: dict[str, list[TaxRate]] = {}
        for r in scope.conn.execute(select(tax_rates).where(tax_rates.c.workspace_id == scope.workspace_id)):
            rates.setdefault(r.legal_entity_id, []).append(TaxRate(r.country, r.rate, r.region or None, r.name))
        zones = {r.legal_entity_id: frozenset(r.reverse_charge_zone) for r in scope.conn.execute(
            select(entity_tax_settings).where(entity_tax_settings.c.workspace_id == scope.workspace_id))}
        return cls(entities, {k: tuple(v) for k, v in rates.items()}, zones, engine or BuiltinTaxEngine())

    def entity(self, entity_id: str) -> Any:
        return self.entities[entity_id]

    def profile(self, entity_id: str, currency: str) -> TaxProfile:
        found = self._profiles.get((entity_id, currency))
        if found is None:
            found = self._profiles[(entity_id, currency)] = self._profile(entity_id, currency)
        return found

    def _profile(self, entity_id: str, currency: str) -> TaxProfile:
        row = self.entities[entity_id]
        return TaxProfile(
            country=row.country,
            currency=currency,
            rates=self.rates.get(entity_id, ()),
            prices_include_tax=row.prices_include_tax,
            rounding_method=RoundingMethod(row.tax_rounding),
            reverse_charge_zone=self.zones.get(entity_id, frozenset()),
            rounding=row.rounding_mode,
        )

    def check(self, entity_id: str, currency: str, customer: TaxCustomer) -> TaxProfile:
        """The profile, after making sure it has a rate for ``customer`` if one is owed."""
        checked = self._checked.get((entity_id, currency, customer))
        if checked is not None:
            return checked
        profile = self.profile(entity_id, currency)
        if profile.treatment(customer) is TaxTreatment.TAXED:
            try:
                profile.rate_for(customer)
            except PricingError:
                where = customer.country if customer.region is None else f"{customer.country}-{customer.region}"
                raise PricingError(
                    f"legal entity {self.entities[entity_id].code}: no tax rate for customer country {where}; "
                    f"set one with `revbridge tax-rate set {self.entities[entity_id].code} {customer.country} RATE`"
                ) from None
        self._checked[(entity_id, currency, customer)] = profile
        return profile

    def tax(self, entity_id: str, currency: str, customer: TaxCustomer, amounts: Iterable[Decimal]) -> TaxResult:
        return document_tax(self.engine, list(amounts), customer, self.check(entity_id, currency, customer))


def document_tax(engine: TaxEngine, amounts: Sequence[Decimal], customer: TaxCustomer, profile: TaxProfile) -> TaxResult:
    """The tax of one document's lines, as Odoo computes it for the same lines."""
    return engine.compute(amounts, customer, profile)
