"""Celery tasks: the edge where the clock is read and domain operations are called."""

from celery import shared_task

from kilowatt.core.clock import system_clock
from kilowatt.core.operations import outbox_dispatch


@shared_task(name="kilowatt.outbox.dispatch")
def dispatch_outbox() -> int:
    return outbox_dispatch(now=system_clock.now())
