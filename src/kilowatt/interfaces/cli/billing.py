"""Starting billing runs from the command line, the back office and Celery beat."""

from __future__ import annotations

from datetime import date

from django.conf import settings

from kilowatt.billing.models import BillingRun
from kilowatt.billing.runs import BatchDispatcher, billing_run_create, billing_run_execute
from kilowatt.core.clock import system_clock
from kilowatt.core.models import Company
from kilowatt.core.periods import month_start


def dispatch_batch_to_workers(run_id: int, batch: int) -> None:
    from kilowatt.interfaces.tasks.tasks import billing_batch

    billing_batch.delay(run_id, batch)


def dispatcher() -> BatchDispatcher | None:
    """Batches go to Celery workers when a broker is configured; without one they run here."""
    return None if settings.CELERY_TASK_ALWAYS_EAGER else dispatch_batch_to_workers


def billing_runs_start_for_month(
    *,
    month: date,
    issue_date: date,
    companies: list[Company] | None = None,
    previous: bool = False,
    dispatch: BatchDispatcher | None = None,
    actor=None,
) -> list[BillingRun]:
    """Create (or resume) and execute the month's run of each company."""
    if previous:
        month = month_start(month, offset=-1)
    targets = companies if companies is not None else list(Company.objects.filter(is_active=True))
    runs = []
    for company in targets:
        run = billing_run_create(
            company=company, month=month, issue_date=issue_date, now=system_clock.now(), actor=actor
        )
        billing_run_execute(run=run, now=system_clock.now(), dispatch=dispatch)
        runs.append(run)
    return runs
