"""The migrated schema is the declared schema, and its types keep values exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, String, Table, select

from revbridge.store.migrate import current_revision, head_revision
from revbridge.store.schema import metadata
from revbridge.store.types import Amount, JSONDoc, UTCDateTime


def test_migrations_build_the_declared_schema(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    declared = set(metadata.tables)

    def ours(name: str | None, kind: str, parent: dict[str, str | None]) -> bool:
        """Compare revbridge's tables only: tests may leave scratch tables of their own."""
        return kind != "table" or name in declared

    def built_here(item: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
        """A declared constraint limited to another backend (``ddl_if``) is not expected here."""
        condition = getattr(item, "_ddl_if", None)
        return reflected or condition is None or condition.dialect in (None, engine.dialect.name)

    with engine.connect() as conn:
        opts = {"compare_type": True, "include_name": ours, "include_object": built_here}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
    assert diff == []


def test_every_table_but_workspaces_carries_its_workspace() -> None:
    # SQLite's dedup index holds only (hash, event row), for its size; a look-up
    # checks the workspace on the event rows it finds (ingest.keys).
    exempt = {"workspaces", "usage_event_keys", "usage_event_keys_recent"}
    for table in metadata.sorted_tables:
        if table.name not in exempt:
            assert "workspace_id" in table.c, table.name


@pytest.fixture
def scratch(engine: Engine) -> Table:
    meta = MetaData()
    table = Table(
        "scratch_types", meta,
        Column("k", String(10), primary_key=True),
        Column("amount", Amount()),
        Column("at", UTCDateTime()),
        Column("doc", JSONDoc()),
    )
    meta.create_all(engine)
    yield table
    meta.drop_all(engine)


@pytest.mark.parametrize("value", ["0.1", "0.0015", "-2.675", "123456789012345678901234.123456789012", "0"])
def test_amounts_round_trip_exactly(engine: Engine, scratch: Table, value: str) -> None:
    with engine.begin() as conn:
        conn.execute(scratch.insert().values(k="a", amount=Decimal(value)))
        got = conn.execute(select(scratch.c.amount)).scalar_one()
    assert isinstance(got, Decimal) and got == Decimal(value)


def test_amount_refuses_floats(engine: Engine, scratch: Table) -> None:
    with pytest.raises(Exception, match="finite Decimals"), engine.begin() as conn:
        conn.execute(scratch.insert().values(k="a", amount=0.1))


def test_instants_come_back_in_utc(engine: Engine, scratch: Table) -> None:
    berlin = timezone(timedelta(hours=1))
    moment = datetime(2026, 1, 31, 23, 30, 0, 123456, tzinfo=berlin)
    with engine.begin() as conn:
        conn.execute(scratch.insert().values(k="a", at=moment))
        got = conn.execute(select(scratch.c.at)).scalar_one()
    assert got == moment and got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert got == datetime(2026, 1, 31, 22, 30, 0, 123456, tzinfo=UTC)


def test_naive_instants_are_refused(engine: Engine, scratch: Table) -> None:
    with pytest.raises(Exception, match="naive"), engine.begin() as conn:
        conn.execute(scratch.insert().values(k="a", at=datetime(2026, 1, 1)))


def test_json_documents_keep_decimals_as_text(engine: Engine, scratch: Table) -> None:
    with engine.begin() as conn:
        conn.execute(scratch.insert().values(k="a", doc={"amount": Decimal("0.0015"), "n": [1, "x"]}))
        got = conn.execute(select(scratch.c.doc)).scalar_one()
    assert got == {"amount": "0.0015", "n": [1, "x"]}
