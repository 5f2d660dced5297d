"""Coupons granted to a subscription: discounts the billing function applies per period.

A coupon is part of the subscription's billing terms, so it is applied by the same
function that computes the charges (``billing.charges``) and converges the same way:
adding one afterwards credits the periods it covers on the next run. A discount never
takes a period below zero (``domain.pricing.apply_coupons`` caps it).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from revbridge import audit
from revbridge.billing.batch import chunked, one_of
from revbridge.billing.tables import coupons
from revbridge.catalog.subscriptions import get_subscription
from revbridge.domain.pricing import Coupon, CouponDuration
from revbridge.errors import ConflictError, PricingError, ValidationError
from revbridge.ids import new_id
from revbridge.scope import Scope

__all__ = ["add_coupon", "coupons_by_subscription"]


def _dec(field: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise ValidationError(field, "a decimal written as text, e.g. \"10.00\"", value)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(field, "a decimal number", value) from None


def add_coupon(
    scope: Scope,
    subscription_id: str,
    code: str,
    duration: str = "once",
    amount_off: Any = None,
    percent_off: Any = None,
    periods: int | None = None,
) -> dict[str, Any]:
    """Grant ``code`` to a subscription (amounts off are in the subscription's currency)."""
    sub = get_subscription(scope, subscription_id)
    try:
        coupon = Coupon(code, CouponDuration(duration), _dec("amount_off", amount_off), _dec("percent_off", percent_off),
                        sub["currency"] if amount_off is not None else None, periods)
    except ValueError:
        raise ValidationError("duration", "once, repeating or forever", duration) from None
    except PricingError as exc:
        raise ValidationError("coupon", str(exc), code) from None
    row = {
        "id": new_id("cpn"), "workspace_id": scope.workspace_id, "subscription_id": sub["id"], "code": code,
        "duration": coupon.duration.value, "amount_off": coupon.amount_off, "percent_off": coupon.percent_off,
        "currency": coupon.currency, "periods": coupon.periods, "created_at": scope.now,
    }
    try:
        with scope.conn.begin_nested():
            scope.conn.execute(coupons.insert().values(**row))
    except IntegrityError:
        raise ConflictError("code", "the subscription already has this coupon", code) from None
    audit.record(scope, "coupon.add", "subscription", sub["id"], detail={"code": code})
    return row


def coupons_by_subscription(scope: Scope, subscription_ids: Iterable[str]) -> dict[str, tuple[Coupon, ...]]:
    ids = list(subscription_ids)
    out: dict[str, list[Coupon]] = {}
    for chunk in chunked(ids):
        rows = scope.conn.execute(select(coupons).where(
            coupons.c.workspace_id == scope.workspace_id, one_of(scope.conn, coupons.c.subscription_id, chunk)
        ).order_by(coupons.c.id))
        for r in rows:
            out.setdefault(r.subscription_id, []).append(Coupon(
                r.code, CouponDuration(r.duration), r.amount_off, r.percent_off, r.currency, r.periods))
    return {k: tuple(v) for k, v in out.items()}
