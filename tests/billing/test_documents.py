"""The document lifecycle: drafts are editable, finalised documents are not; credits and voids."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revbridge.billing import documents as docs
from revbridge.domain.period import utc
from revbridge.errors import ConflictError, ValidationError

from .conftest import World

D = Decimal


@pytest.fixture
def invoiced(world: World) -> str:
    world.subscribe("acme", "pro", quantity=2)
    world.run(utc(2026, 1, 1))
    return str(world.documents("acme")[0]["id"])


def test_a_finalised_invoice_cannot_change(world: World, invoiced: str) -> None:
    with world.scope(utc(2026, 1, 2)) as scope, pytest.raises(ConflictError, match="only drafts"):
        docs.add_line(scope, invoiced, "Setup", "100.00")


def test_drafts_take_one_off_lines_and_notes_then_finalise(world: World) -> None:
    world.customer("acme")
    with world.scope(utc(2026, 1, 5)) as scope:
        draft = docs.create_draft(scope, "acme", notes="Onboarding")
        docs.add_line(scope, draft["id"], "Setup", "250.00")
        docs.add_line(scope, draft["id"], "Training hour", "80.00", quantity="2.5")
        assert draft["number"] is None
        done = docs.finalize_document(scope, draft["id"])
    assert (done["state"], done["number"], done["total"], done["amount_due"]) == (
        "finalized", "US-2026-000001", D("450.00"), D("450.00"))
    assert done["notes"] == "Onboarding"


def test_credit_by_amount_then_the_rest_is_refused(world: World, invoiced: str) -> None:
    with world.scope(utc(2026, 1, 3)) as scope:
        note = docs.credit_invoice(scope, invoiced, "service outage", "20.00")
        assert (note["kind"], note["number"], note["total"], note["credit_of"]) == (
            "credit_note", "US-CN-2026-000001", D("20.00"), invoiced)
        with pytest.raises(ConflictError, match="exceeds what the invoice still carries"):
            docs.credit_invoice(scope, invoiced, "again", "110.00")
        with pytest.raises(ConflictError, match="already partly credited"):
            docs.void_invoice(scope, invoiced, "mistake")
        with pytest.raises(ValidationError, match="reason"):
            docs.credit_invoice(scope, invoiced, "", "1.00")


def test_void_issues_a_full_credit_note_and_billing_does_not_rebill(world: World, invoiced: str) -> None:
    with world.scope(utc(2026, 1, 3)) as scope:
        voided = docs.void_invoice(scope, invoiced, "duplicate customer")
    assert voided["state"] == "void" and voided["voided_by"]["total"] == D("123.00")
    assert world.run(utc(2026, 1, 3)).issued == 0  # the void is finance's decision, not a gap


def test_manual_credit_lines_are_outside_the_billing_difference(world: World, invoiced: str) -> None:
    with world.scope(utc(2026, 1, 3)) as scope:
        docs.credit_invoice(scope, invoiced, "goodwill", "10.00")
    assert world.run(utc(2026, 1, 4)).issued == 0
