"""Request bodies. Unknown fields are refused, instants must carry a time zone."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApiKeyIn(Body):
    name: str = Field(min_length=1, max_length=100)
    role: str = Field(description="admin, ingest or read_only")


class LegalEntityIn(Body):
    code: str
    name: str
    currency: str
    country: str
    invoice_prefix: str
    prices_include_tax: bool = False
    tax_rounding: str = "round_per_line"
    rounding_mode: str = "half_up"


class CustomerIn(Body):
    key: str
    name: str
    country: str
    email: str | None = None
    currency: str | None = None
    timezone: str = "UTC"
    region: str | None = None
    tax_id: str | None = None
    tax_exempt: bool = False
    legal_entity: str | None = None
    external_ids: dict[str, str] = Field(default_factory=dict)


class CustomerPatch(Body):
    name: str | None = None
    email: str | None = None
    currency: str | None = None
    timezone: str | None = None
    country: str | None = None
    region: str | None = None
    tax_id: str | None = None
    tax_exempt: bool | None = None


class ExternalIdIn(Body):
    system: str
    external_id: str


class SubscriptionIn(Body):
    customer: str = Field(description="customer id or key")
    plan: str = Field(description="plan code; the current version is used")
    starts_at: AwareDatetime
    quantity: int = 1
    billing_anchor: AwareDatetime | None = None
    trial_days: int | None = None


class ChangePlanIn(Body):
    plan: str
    effective_at: AwareDatetime


class ChangeQuantityIn(Body):
    quantity: int
    effective_at: AwareDatetime


class CancelIn(Body):
    effective_at: AwareDatetime | None = None
    at_period_end: bool = False
