"""Invoices synced per minute to the Odoo emulator, with 1 and 4 worker threads, and the
RPC calls each invoice costs (counted from the emulator's call log).

Each invoice has three usage lines (one with a 4-decimal unit price) and a tax; the
customers (20) and products (3) are created by the first invoices that need them, as in
a first billing run; a steady-state figure (all partners and products already in Odoo)
and a replay figure (every invoice synced again) are printed too. The emulator runs in
this process, so the figures measure the connector and the emulator together, over
real HTTP on loopback: a real Odoo is slower per call, which makes calls per invoice
the figure that carries over.

    .venv/bin/python bench/odoo.py [--invoices 200] [--version 17.0|19.0] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from revbridge.connectors.odoo import (
    ConnectionConfig,
    DocumentKind,
    LegalEntityMapping,
    Limits,
    LimitsPolicy,
    OdooConnector,
    OdooDocument,
    OdooLine,
    OdooMapping,
    PartnerSpec,
    ProductSpec,
    Secret,
    TaxMapping,
)
from revbridge.connectors.odoo.emulator import EmulatorHandle, start_emulator
from revbridge.domain.money import round_money

D = Decimal
PRODUCTS = (
    ProductSpec("api_calls", "API calls"),
    ProductSpec("storage_gb", "Storage"),
    ProductSpec("seats", "Seats"),
)
CUSTOMERS = 20


def document(run: str, i: int) -> OdooDocument:
    quantities = ((D(12350 + i), D("0.0015")), (D(40 + i % 7), D("0.25")), (D(3), D(20)))
    lines = tuple(
        OdooLine(product, product.name, q, p, round_money(q * p, "USD"), ("vat15",))
        for product, (q, p) in zip(PRODUCTS, quantities, strict=True)
    )
    untaxed = sum((line.subtotal for line in lines), D(0))
    tax = sum((round_money(line.subtotal * D("0.15"), "USD") for line in lines), D(0))
    customer = PartnerSpec(f"cus_{i % CUSTOMERS}", f"Customer {i % CUSTOMERS}", country="US")
    return OdooDocument(f"{run}-{i:05d}", DocumentKind.INVOICE, "us", customer,
                        dt.date(2026, 11, 30), "USD", lines, untaxed, tax, untaxed + tax)


def connector(odoo: EmulatorHandle, key: str, workspace: str) -> OdooConnector:
    entity = LegalEntityMapping("us", 1, "USD", 1, taxes={"vat15": TaxMapping("vat15", 1)})
    mapping = OdooMapping(
        workspace, ConnectionConfig(odoo.url, odoo.db, "admin", Secret(key)), {"us": entity}
    )
    policy = LimitsPolicy(rate_per_second=10_000, burst=10_000, max_concurrency=8)
    return OdooConnector.connect(mapping, limits=Limits(policy))


def run(odoo: EmulatorHandle, key: str, label: str, workspace: str, workers: int,
        docs: list[OdooDocument], *, replay: bool = False) -> None:
    client = connector(odoo, key, workspace)
    if replay:
        for doc in docs:
            client.sync_document(doc)
    before = len(odoo.calls)
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(client.sync_document, docs))
    elapsed = time.perf_counter() - started
    calls = len(odoo.calls) - before
    assert all(r.mismatch is None and r.state == "posted" for r in results)
    partners = odoo.execute("ir.model.data", "search_count",
                            [["name", "=like", f"{workspace}_partner_%"]])
    assert partners == CUSTOMERS, partners
    duplicates = odoo.execute("res.partner", "search_count", [["ref", "=", "cus_0"]])
    assert duplicates <= 2, duplicates  # one per bench workspace, never more
    print(f"{label}_invoices_per_minute: {len(docs) / elapsed * 60:.0f} invoices/min")
    print(f"{label}_rpc_calls_per_invoice: {calls / len(docs):.2f} calls")
    client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--version", default="17.0", choices=("17.0", "19.0"))
    parser.add_argument("--quick", action="store_true", help="30 invoices, for CI")
    args = parser.parse_args(argv)
    count = 30 if args.quick else args.invoices
    with start_emulator(version=args.version) as odoo:
        key = odoo.create_api_key()
        # revbridge's side below rounds tax per line; 19.0's seed rounds globally
        odoo.execute("res.company", "write", [1], {"tax_calculation_rounding_method":
                                                   "round_per_line"})
        print(f"odoo_version: {odoo.version}")
        for workers in (1, 4):
            workspace = f"bench{workers}"
            first = [document(f"F{workers}", i) for i in range(count)]
            run(odoo, key, f"first_run_workers{workers}", workspace, workers, first)
            steady = [document(f"S{workers}", i) for i in range(count)]
            run(odoo, key, f"steady_workers{workers}", workspace, workers, steady)
        replayed = [document("R", i) for i in range(count)]
        run(odoo, key, "replay_workers4", "bench4", 4, replayed, replay=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
