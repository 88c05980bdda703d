"""Celery task of commissions: settle the month that ended, for every company."""

from celery import shared_task

from kilowatt.commissions.settlement import month_settle
from kilowatt.core.clock import system_clock
from kilowatt.core.models import Company
from kilowatt.core.periods import month_start


@shared_task(name="kilowatt.commissions.monthly")
def commissions_monthly() -> int:
    """Early each month (beat): every organisation's statement of the month before, for its managers to
    accept. Settling a month again changes nothing. Returns the statements of that month."""
    today, now = system_clock.today(), system_clock.now()
    month = month_start(today, offset=-1)
    return sum(
        len(month_settle(company=company, month=month, on_date=today, now=now))
        for company in Company.objects.filter(is_active=True)
    )
