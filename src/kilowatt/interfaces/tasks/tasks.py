"""Celery tasks: the edge where the clock is read and domain operations are called."""

from celery import shared_task
from django.conf import settings

from kilowatt.billing.runs import billing_batch_process, billing_run_finish_if_done
from kilowatt.core.clock import system_clock
from kilowatt.core.operations import outbox_dispatch
from kilowatt.interfaces.cli.billing import billing_runs_start_for_month, dispatcher


@shared_task(name="kilowatt.outbox.dispatch")
def dispatch_outbox() -> int:
    return outbox_dispatch(now=system_clock.now())


@shared_task(name="kilowatt.billing.batch", acks_late=True)
def billing_batch(run_id: int, batch: int) -> int:
    """One batch of a billing run; any worker may take it, and taking it twice issues nothing twice."""
    issued = billing_batch_process(run_id=run_id, batch=batch, now=system_clock.now())
    billing_run_finish_if_done(run_id=run_id, now=system_clock.now())
    return issued


@shared_task(name="kilowatt.billing.nightly")
def billing_nightly() -> int:
    """From ``BILLING_RUN_DAY`` of a month on, create (or resume) each company's run of the month before.

    Waiting a few days lets the DSOs' end-of-month reads arrive, so fewer bills rest on estimates.
    """
    today = system_clock.today()
    if today.day < settings.BILLING_RUN_DAY:
        return 0
    runs = billing_runs_start_for_month(month=today, previous=True, issue_date=today, dispatch=dispatcher())
    return len(runs)
