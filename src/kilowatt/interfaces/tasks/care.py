"""Celery task of customer care: the SLA check, every 15 minutes (beat)."""

from celery import shared_task

from kilowatt.core.clock import system_clock
from kilowatt.interfaces.cli.care import sla_check_all


@shared_task(name="kilowatt.care.sla_check")
def care_sla_check() -> int:
    """Flag the open tickets whose SLA ran out, in every active company; returns how many were flagged."""
    return sum(sla_check_all(now=system_clock.now()).values())
