"""A billing run on real Celery workers: the command dispatches its batches through a Redis broker and
returns; worker processes issue them. PostgreSQL and Redis only (the processes share the database)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list

from kilowatt.billing.models import BillingRun, Invoice, RunStatus

BROKER = "redis://127.0.0.1:6379/11"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.django_db(transaction=True)
def test_batches_go_to_celery_workers_and_every_invoice_is_issued_once(company, now, reference_data):
    if connection.vendor != "postgresql" or not _redis_up():
        pytest.skip("needs PostgreSQL and Redis: worker processes share the test database through a broker")
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    for i in range(6):
        billable_contract(
            company,
            now,
            prices=prices,
            reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), str(1200 + i))]},
        )
    db = connection.settings_dict
    env = {
        **os.environ,
        "CELERY_BROKER_URL": BROKER,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "celery"), "-A", "kilowatt.celery_app", "purge", "-f"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    worker = subprocess.Popen(
        [str(bin_dir / "celery"), "-A", "kilowatt.celery_app", "worker", "-c", "2", "--loglevel=WARNING"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        started = subprocess.run(
            [
                str(bin_dir / "kilowatt"),
                "billing-run",
                "--period",
                "2026-02",
                "--company",
                company.code,
                "--issue-date",
                "2026-03-02",
            ],
            env={**env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert started.returncode == 0, started.stderr
        run = BillingRun.objects.get(company=company)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status == RunStatus.COMPLETED:
                break
            time.sleep(0.5)
        assert run.status == RunStatus.COMPLETED, "the workers did not finish the run"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    numbers = sorted(Invoice.objects.filter(company=company).values_list("number", flat=True))
    assert numbers == [f"FV/{n:06d}/2026" for n in range(1, 7)]
