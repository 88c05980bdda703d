"""A full billing run on PostgreSQL, from stored reads to issued invoices with lines and ledger postings
(no PDF), in invoices per second; and, as a yardstick that survives a noisy machine, the time
PostgreSQL takes to COPY the same invoice, line and ledger rows raw, and the ratio of the two.

.venv/bin/python benchmarks/billing_run.py [--accounts 10000,100000] [--workers 2] [--database-url URL]

Each size gets a fresh database: demo customers (households and businesses, electricity and gas, on
the 2026 reference tariffs), every contract billed monthly, reads on 2026-01-01 and 2026-02-01 (a few
missing: billing estimates them; a few backwards: the run holds those contracts).
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import time
from datetime import date

from _setup import django_on_postgres

FORK = multiprocessing.get_context("fork")
TABLES = ["billing_invoice", "billing_invoiceline", "finance_ledgerentry"]


def _prepare(accounts: int) -> int:
    from kilowatt.core.clock import system_clock
    from kilowatt.interfaces.cli.demo_billing import demo_reads_generate
    from kilowatt.interfaces.cli.demo_data import demo_company_ensure, demo_data_generate
    from kilowatt.sales.models import Contract

    company = demo_company_ensure(code="demo")
    demo_data_generate(company=company, customers=accounts, seed=7, now=system_clock.now())
    Contract.objects.filter(company=company).update(billing_cycle_months=1, status="active")
    demo_reads_generate(company=company, until=date(2026, 2, 1), seed=7, now=system_clock.now())
    return company.pk


def _worker(run_id: int, batches: list[int], timings) -> None:
    """A forked worker: Django is set up already; it opens its own database connection."""
    from django.utils import timezone

    from kilowatt.billing.runs import billing_batch_process

    for batch in batches:
        started = time.perf_counter()
        billing_batch_process(run_id=run_id, batch=batch, now=timezone.now())
        timings.put((batch, time.perf_counter() - started))


def _run(company_id: int, workers: int) -> tuple[float, int, int, dict]:
    from django.db import connections
    from django.utils import timezone

    from kilowatt.billing.models import BillingRunItem
    from kilowatt.billing.runs import billing_run_create, billing_run_finish_if_done
    from kilowatt.core.models import Company

    company = Company.objects.get(pk=company_id)
    started = time.perf_counter()
    run = billing_run_create(
        company=company, month=date(2026, 1, 1), issue_date=date(2026, 2, 5), now=timezone.now()
    )
    created = time.perf_counter() - started
    connections.close_all()
    shares = [list(range(i, run.batches, workers)) for i in range(workers)]
    timings = FORK.Queue()
    processes = [FORK.Process(target=_worker, args=(run.pk, share, timings)) for share in shares]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a worker failed with exit code {process.exitcode}")
    billing_run_finish_if_done(run_id=run.pk, now=timezone.now())
    elapsed = time.perf_counter() - started
    issued = BillingRunItem.objects.filter(run=run, status="issued").count()
    held = BillingRunItem.objects.filter(run=run, status="held").count()
    batch_seconds = [seconds for _, seconds in sorted(timings.get() for _ in range(run.batches))]
    tenth = max(len(batch_seconds) // 10, 1)
    detail = {
        "create_seconds": round(created, 2),
        "batch_seconds_first_tenth": round(sum(batch_seconds[:tenth]) / tenth, 3),
        "batch_seconds_last_tenth": round(sum(batch_seconds[-tenth:]) / tenth, 3),
    }
    return elapsed, issued, held, detail


def _copy_seconds() -> tuple[float, dict[str, int]]:
    """COPY the run's rows out to memory, then time COPY-ing them into empty copies of the tables."""
    from django.db import connection

    dumps: dict[str, bytes] = {}
    rows: dict[str, int] = {}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table in TABLES:
            buffer = io.BytesIO()
            with raw.copy(f"COPY {table} TO STDOUT") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            dumps[table] = buffer.getvalue()
            rows[table] = dumps[table].count(b"\n")
            cursor.execute(f"DROP TABLE IF EXISTS copy_{table}")
            cursor.execute(f"CREATE UNLOGGED TABLE copy_{table} (LIKE {table} INCLUDING ALL)")
            cursor.execute(f"ALTER TABLE copy_{table} SET LOGGED")
        started = time.perf_counter()
        for table in TABLES:
            with raw.copy(f"COPY copy_{table} FROM STDIN") as copy:
                copy.write(dumps[table])
        connection.commit() if not connection.get_autocommit() else None
        elapsed = time.perf_counter() - started
        for table in TABLES:
            cursor.execute(f"DROP TABLE copy_{table}")
    return elapsed, rows


def measure(url: str, accounts: int, workers: int) -> dict:
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()  # the database is dropped and created again for this size
    django_on_postgres(url, fresh=True)
    from django.db import connection

    print(f"preparing {accounts:,} accounts …", flush=True)
    started = time.perf_counter()
    company_id = _prepare(accounts)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  prepared in {time.perf_counter() - started:.0f} s", flush=True)
    elapsed, issued, held, detail = _run(company_id, workers)
    copy_elapsed, rows = _copy_seconds()
    rate = issued / elapsed
    result = {
        "accounts": accounts,
        "invoices": issued,
        "held": held,
        "seconds": round(elapsed, 2),
        "invoices_per_second": round(rate, 1),
        "lines": rows["billing_invoiceline"],
        "copy_seconds": round(copy_elapsed, 3),
        "run_to_copy_ratio": round(elapsed / copy_elapsed, 1),
        **detail,
    }
    print(
        f"  {issued:,} invoices ({rows['billing_invoiceline']:,} lines, {held} held) in {elapsed:.1f} s: "
        f"{rate:,.0f} invoices/s ({rate * 3600 / 1e6:.2f} million an hour); raw COPY of the same rows "
        f"{copy_elapsed:.2f} s; run/COPY = {elapsed / copy_elapsed:.1f}",
        flush=True,
    )
    print(
        f"  creating the run {detail['create_seconds']} s; a batch of 500 took "
        f"{detail['batch_seconds_first_tenth']} s early in the run, "
        f"{detail['batch_seconds_last_tenth']} s late",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--workers", type=int, default=2, help="worker processes taking batches")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/kw_bench_billing")
    args = parser.parse_args()
    sizes = [int(size) for size in args.accounts.split(",")]
    results = [measure(args.database_url, size, args.workers) for size in sizes]
    if len(results) > 1:
        small, large = results[0], results[-1]
        per_invoice = [r["seconds"] / max(r["invoices"], 1) * 1e6 for r in (small, large)]
        print(
            f"cost per invoice: {per_invoice[0]:.0f} µs at {small['accounts']:,}, "
            f"{per_invoice[1]:.0f} µs at {large['accounts']:,} (linear growth keeps these equal)"
        )
    print(
        json.dumps(
            {
                "benchmark": "billing_run",
                "metrics": {f"accounts_{r['accounts']}": r for r in results},
                "params": {"workers": args.workers, "database": "postgresql", "pdf": False},
            }
        )
    )


if __name__ == "__main__":
    main()
