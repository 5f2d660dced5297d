"""Billing runs on SQLite and PostgreSQL: worked examples, differences, refusals.

Each docstring shows the arithmetic the test checks.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from revbridge.billing.coupons import add_coupon
from revbridge.billing.run import finalize_due
from revbridge.billing.settings import set_grace_period
from revbridge.domain.period import Period, utc
from revbridge.errors import ConflictError, PricingError
from revbridge.outbox.tables import outbox_jobs
from revbridge.store.tables import subscriptions

from .conftest import World

D = Decimal


def totals(world: World, key: str) -> list[tuple[str, str, Decimal]]:
    return [(d["kind"], d["number"], d["total"]) for d in world.documents(key)]


def test_a_graduated_month_then_a_second_run_issues_nothing(world: World) -> None:
    """Basic from Jan 1: 29.00 in advance; January's 12,500 calls graduated = 20.50 in arrears.

    Jan 1 run: US-2026-000001 = 29.00. Feb 1 run: US-2026-000002 = 20.50 + February's 29.00.
    """
    world.subscribe("acme", "basic")
    world.use("acme", 12500, utc(2026, 1, 10))
    world.run(utc(2026, 1, 1))
    world.run(utc(2026, 2, 1))
    assert world.run(utc(2026, 2, 1)).issued == 0
    assert totals(world, "acme") == [("invoice", "US-2026-000001", D("29.00")),
                                     ("invoice", "US-2026-000002", D("49.50"))]
    feb = world.documents("acme")[1]
    usage = next(line for line in feb["lines"] if line["meter_code"] == "api_calls")
    assert usage["quantity"] == 12500 and usage["amount"] == D("20.50")
    assert [t["amount"] for t in usage["tier_breakdown"]["tiers"]] == ["0", "18.000", "2.500"]
    assert usage["correlation_id"].startswith(f"usage:{world.customers['acme']}:api_calls:20260101T000000Z")
    assert usage["service_start"] == utc(2026, 1, 1) and usage["service_end"] == utc(2026, 2, 1)
    jan = Period(utc(2026, 1, 1), utc(2026, 2, 1))
    assert world.usage.billed == {(world.workspace, world.customers["acme"], "api_calls", jan)}


def test_a_late_usage_batch_is_billed_as_a_difference(world: World) -> None:
    """10,000 calls billed Feb 1 (18.00); 2,500 arrive late: the usage line is now 20.50.

    The Feb 2 run issues one adjustment line: quantity +2,500, amount +2.50.
    """
    world.subscribe("acme", "basic")
    world.use("acme", 10000, utc(2026, 1, 10))
    world.run(utc(2026, 2, 1))
    world.use("acme", 2500, utc(2026, 1, 30))
    late = world.run(utc(2026, 2, 2))
    assert [i["total"] for i in late.invoices] == [D("2.50")]
    line = world.documents("acme")[-1]["lines"][0]
    assert (line["quantity"], line["amount"]) == (2500, D("2.50"))
    assert "previously billed 18.00" in line["tier_breakdown"]["explanation"]
    assert world.run(utc(2026, 2, 2)).issued == 0


def test_a_backdated_upgrade_credits_the_unused_fee(world: World) -> None:
    """Basic 29.00 billed Jan 1; on Feb 3 an upgrade to Pro from Jan 15 is recorded.

    basic keeps 14/31 x 29.00 = 13.10: credit note 15.90 referencing the January invoice;
    pro Jan 15-31: 17/31 x 99.00 = 54.29 and 17/31 x 12.00 = 6.58; February on Pro:
    99.00 + 12.00; February's basic fee (29.00) is credited too.
    """
    sub = world.subscribe("acme", "basic")
    world.run(utc(2026, 1, 1))
    world.run(utc(2026, 2, 1))
    world.change_plan(sub, "pro", utc(2026, 1, 15), now=utc(2026, 2, 3))
    result = world.run(utc(2026, 2, 3))
    first, second = world.documents("acme")[:2]
    notes = {n["credit_of"]: n["total"] for n in result.credit_notes}
    assert notes == {first["id"]: D("15.90"), second["id"]: D("29.00")}
    assert [i["total"] for i in result.invoices] == [D("54.29") + D("6.58") + D("99.00") + D("12.00")]
    assert sorted(d["number"] for d in world.documents("acme") if d["kind"] == "credit_note") == [
        "US-CN-2026-000001", "US-CN-2026-000002"]
    # What was billed now equals what one run knowing everything expects.
    assert world.billed("acme") == D("13.10") + D("54.29") + D("6.58") + D("111.00")
    assert world.run(utc(2026, 2, 3)).issued == 0


def test_a_seat_increase_mid_month_is_one_adjustment(world: World) -> None:
    """Pro with 10 seats billed Mar 1 (99.00 + 120.00); 15 seats from Mar 21.

    seats now 77.42 + 63.87 = 141.29: +21.29 on one line.
    """
    sub = world.subscribe("acme", "pro", utc(2026, 3, 1), quantity=10)
    world.run(utc(2026, 3, 1))
    world.change_quantity(sub, 15, utc(2026, 3, 21), now=utc(2026, 3, 21))
    result = world.run(utc(2026, 3, 21))
    assert [i["total"] for i in result.invoices] == [D("21.29")]
    line = world.documents("acme")[-1]["lines"][0]
    assert (line["price_code"], line["quantity"], line["amount"]) == ("seats", 15, D("21.29"))


def test_minimum_commitment_true_up(world: World) -> None:
    """Scale in January: 100,000 calls x 0.002 = 200.00; commitment 500.00: true-up 300.00."""
    world.subscribe("acme", "scale")
    world.use("acme", 100000, utc(2026, 1, 5))
    world.run(utc(2026, 1, 1))
    feb = world.run(utc(2026, 2, 1))
    lines = world.documents("acme")[-1]["lines"]
    assert [(line["kind"], line["amount"]) for line in lines] == [
        ("charge", D("200.00")), ("commitment", D("300.00")), ("charge", D("99.00"))]
    assert feb.invoices[0]["total"] == D("599.00")


def test_tax_inclusive_price(world: World) -> None:
    """EU plan 119.00 incl. 19 % VAT: tax 119 x 19/119 = 19.00, net 100.00."""
    world.customer("bosch", "de_gross")
    world.subscribe("bosch", "eu")
    world.run(utc(2026, 1, 1))
    doc = world.documents("bosch")[0]
    assert (doc["subtotal"], doc["tax_total"], doc["total"]) == (D("100.00"), D("19.00"), D("119.00"))
    assert doc["number"] == "DR-2026-000001"


def test_jpy_and_kwd_invoices(world: World) -> None:
    """JPY (0 decimals): 3,333 + 1,001 calls x 0.35 = 350.35 -> 350; tax 10 % of each line.
    KWD (3 decimals): 9.999 + 1,001 x 0.0015 = 1.5015 -> 1.502 (half-up)."""
    world.customer("sony", "jp")
    world.customer("zain", "kw")
    world.subscribe("sony", "yen")
    world.subscribe("zain", "dinar")
    world.use("sony", 1001, utc(2026, 1, 3))
    world.use("zain", 1001, utc(2026, 1, 3))
    world.run(utc(2026, 1, 31))
    world.run(utc(2026, 2, 1))
    sony = world.documents("sony")[1]
    assert [line["amount"] for line in sony["lines"]] == [D("350"), D("3333")]
    assert (sony["subtotal"], sony["tax_total"], sony["total"]) == (D("3683"), D("368"), D("4051"))
    zain = world.documents("zain")[1]
    assert [line["amount"] for line in zain["lines"]] == [D("1.502"), D("9.999")]
    assert zain["total"] == D("11.501")


def test_global_versus_per_line_tax_rounding(world: World) -> None:
    """Three lines of 1.03 at 20 %: per line 3 x 0.21 = 0.63; globally round(0.618) = 0.62.

    Made with three one-off lines on a draft of each entity (20 % in both).
    """
    from revbridge.billing import documents as docs
    from revbridge.billing.taxes import set_tax_rate

    world.customer("per_line", "de")
    world.customer("global", "de_global")
    with world.scope(utc(2026, 1, 5)) as scope:
        set_tax_rate(scope, "de", "DE", D("20"))
        results = {}
        for key in ("per_line", "global"):
            draft = docs.create_draft(scope, key)
            for _ in range(3):
                docs.add_line(scope, draft["id"], "Consulting", "1.03")
            results[key] = docs.finalize_document(scope, draft["id"])
    assert results["per_line"]["tax_total"] == D("0.63")
    assert results["global"]["tax_total"] == D("0.62")
    assert [line["tax_amount"] for line in results["global"]["lines"]] == [D("0.21"), D("0.21"), D("0.20")]


def test_numbers_are_gapless_per_entity_and_series(world: World) -> None:
    for key in ("a", "b", "c"):
        world.subscribe(key, "basic")
    world.customer("d", "de")
    world.subscribe("d", "eu")
    world.run(utc(2026, 1, 1))
    world.run(utc(2026, 2, 1))
    numbers = sorted(d["number"] for d in world.documents())
    assert numbers == ["DE-2026-000001", "DE-2026-000002"] + [f"US-2026-{n:06d}" for n in range(1, 7)]


def test_finalisation_enqueues_delivery_in_the_same_transaction(world: World) -> None:
    world.subscribe("acme", "basic")
    world.run(utc(2026, 1, 1))
    doc = world.documents("acme")[0]
    with world.engine.connect() as conn:
        jobs = conn.execute(select(outbox_jobs).where(outbox_jobs.c.workspace_id == world.workspace)).all()
    assert [(j.kind, j.key, j.aggregate, j.sink, j.payload) for j in jobs] == [
        ("invoice.finalized", f"invoice.finalized:{doc['id']}:ledger:v1", f"customer:{world.customers['acme']}",
         "ledger", {"document_id": doc["id"]})]


def test_a_currency_without_a_price_is_refused_and_nothing_issued(world: World) -> None:
    sub = world.subscribe("acme", "basic")
    world.subscribe("other", "basic")
    with world.engine.begin() as conn:
        conn.execute(update(subscriptions).where(subscriptions.c.id == sub).values(currency="EUR"))
    with pytest.raises(PricingError, match="in EUR"):
        world.run(utc(2026, 1, 1), customer="acme")
    assert world.documents() == []
    everyone = world.run(utc(2026, 1, 1))
    assert [f["customer"] for f in everyone.failed] == ["acme"] and len(everyone.invoices) == 1


def test_a_missing_tax_rate_names_entity_and_country(world: World) -> None:
    world.customer("fr", "de", country="FR")
    world.subscribe("fr", "eu")
    with pytest.raises(PricingError, match="legal entity de: no tax rate for customer country FR"):
        world.run(utc(2026, 1, 1), customer="fr")
    assert world.documents("fr") == []


def test_reverse_charge_needs_no_rate(world: World) -> None:
    from revbridge.billing.taxes import set_reverse_charge_zone

    world.customer("fr", "de", country="FR", tax_id="FR123")
    world.subscribe("fr", "eu")
    with world.scope(utc(2026, 1, 1)) as scope:
        set_reverse_charge_zone(scope, "de", "EU")
    world.run(utc(2026, 1, 1))
    doc = world.documents("fr")[0]
    assert doc["tax_total"] == 0 and "Reverse charge" in doc["tax_note"]


def test_a_backdated_run_is_refused_unless_allowed(world: World) -> None:
    world.subscribe("acme", "basic")
    world.run(utc(2026, 2, 1))
    with pytest.raises(ConflictError, match="billed through 2026-02-01"):
        world.run(utc(2026, 1, 15))
    assert world.run(utc(2026, 1, 15), allow_backdated=True).issued == 0


def test_a_coupon_larger_than_the_invoice_caps_at_zero(world: World) -> None:
    sub = world.subscribe("acme", "basic")
    with world.scope(utc(2026, 1, 1)) as scope:
        add_coupon(scope, sub, "WELCOME", "once", amount_off="100.00")
    world.run(utc(2026, 1, 1))
    doc = world.documents("acme")[0]
    assert doc["total"] == 0 and [line["amount"] for line in doc["lines"]] == [D("29.00"), D("-29.00")]


def test_grace_period_keeps_drafts_until_it_has_passed(world: World) -> None:
    world.subscribe("acme", "basic")
    with world.scope(utc(2026, 1, 1)) as scope:
        set_grace_period(scope, 3600)
    first = world.run(utc(2026, 1, 1))
    assert first.issued == 0 and len(first.drafts) == 1
    again = world.run(utc(2026, 1, 1, 0, 30))  # regenerated, not duplicated
    assert len(again.drafts) == 1 and len(world.documents("acme")) == 1
    with world.scope(utc(2026, 1, 1, 2)) as scope:
        assert finalize_due(scope) == 1
    assert [d["number"] for d in world.documents("acme")] == ["US-2026-000001"]
    assert world.run(utc(2026, 1, 1, 3)).drafts == []
