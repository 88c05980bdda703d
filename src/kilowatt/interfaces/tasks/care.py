"""Celery tasks of customer care: the SLA check every 15 minutes, the care mailboxes every 5 (beat)."""

from celery import shared_task

from kilowatt.core.clock import system_clock
from kilowatt.interfaces.cli.care import sla_check_all
from kilowatt.interfaces.cli.care_mail import care_mail_fetch


@shared_task(name="kilowatt.care.sla_check")
def care_sla_check() -> int:
    """Flag the open tickets whose SLA ran out, in every active company; returns how many were flagged."""
    return sum(sla_check_all(now=system_clock.now()).values())


@shared_task(name="kilowatt.care.mail_fetch")
def care_mail_fetch_task() -> int:
    """Receive the e-mails waiting in CARE_MAILBOXES (beat: every 5 minutes); returns how many were taken."""
    report = care_mail_fetch(now=system_clock.now())
    return len(report.tickets) + len(report.messages)
