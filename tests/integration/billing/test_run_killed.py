"""A billing run killed at any moment and started again issues every invoice exactly once, gap-free.

The run is executed by separate processes that are really killed (SIGKILL) in the middle of a batch,
with the batch's transaction open; then `kilowatt billing-run` finishes it. PostgreSQL only: the
processes must share the test database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Sum
from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list

from kilowatt.billing.models import BillingRunItem, Invoice, InvoiceLine, ItemStatus
from kilowatt.billing.runs import billing_run_create
from kilowatt.finance.models import LedgerEntry

CONTRACTS, BATCH = 12, 4

WORKER = """
import os, signal, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "kilowatt.settings"
django.setup()
from django.utils import timezone
from kilowatt.billing.models import BillingRunItem
from kilowatt.billing.runs import billing_batch_process

run_id, kill_batch, kill_item = (int(a) for a in sys.argv[1:4])
pending = BillingRunItem.objects.filter(run_id=run_id, status="pending").values_list("batch", flat=True)
for batch in sorted(set(pending)):
    def on_item(position, batch=batch):
        if batch == kill_batch and position == kill_item:
            os.kill(os.getpid(), signal.SIGKILL)
    billing_batch_process(run_id=run_id, batch=batch, now=timezone.now(), on_item=on_item)
"""


def _env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": ""}


def _worker(run_id: int, kill_batch: int, kill_item: int) -> int:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(run_id), str(kill_batch), str(kill_item)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]
    return done.returncode


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_mid_batch_twice_finishes_with_every_invoice_once_and_no_gap(
    company, now, reference_data
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the killed processes share the test database")
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    contracts = [
        billable_contract(
            company,
            now,
            prices=prices,
            reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), str(1100 + i))]},
        ).contract
        for i in range(CONTRACTS)
    ]
    run = billing_run_create(
        company=company, month=date(2026, 2, 1), issue_date=date(2026, 3, 2), now=now, batch_size=BATCH
    )
    assert run.batches == 3

    # Killed at the third contract of the second batch: the first batch stays issued, the second not at all.
    assert _worker(run.pk, kill_batch=1, kill_item=2) == -signal.SIGKILL
    assert Invoice.objects.filter(company=company).count() == BATCH
    assert set(BillingRunItem.objects.filter(run=run, batch=1).values_list("status", flat=True)) == {
        "pending"
    }

    # Killed again, at the first contract of the last batch.
    assert _worker(run.pk, kill_batch=2, kill_item=0) == -signal.SIGKILL
    assert Invoice.objects.filter(company=company).count() == 2 * BATCH

    kilowatt = Path(sys.executable).with_name("kilowatt")
    finished = subprocess.run(
        [
            str(kilowatt),
            "billing-run",
            "--period",
            "2026-02",
            "--company",
            company.code,
            "--issue-date",
            "2026-03-02",
        ],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert "issued 12" in finished.stdout

    invoices = list(Invoice.objects.filter(company=company).order_by("number"))
    assert sorted(i.contract_id for i in invoices) == sorted(c.pk for c in contracts)
    assert [i.number for i in invoices] == [f"FV/{n:06d}/2026" for n in range(1, CONTRACTS + 1)]
    assert set(BillingRunItem.objects.filter(run=run).values_list("status", flat=True)) == {ItemStatus.ISSUED}
    for invoice in invoices:
        assert InvoiceLine.objects.filter(invoice=invoice).aggregate(s=Sum("net"))["s"] == invoice.net
        assert LedgerEntry.objects.filter(document_type="invoice", document_id=invoice.pk).count() == 1
    assert LedgerEntry.objects.filter(company=company).aggregate(s=Sum("amount"))["s"] == sum(
        i.gross for i in invoices
    )
    run.refresh_from_db()
    assert run.status == "completed"
