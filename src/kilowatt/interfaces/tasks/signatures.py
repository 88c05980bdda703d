"""Celery tasks of sales: ask DocuSeal about the requests still waiting; price annexes taking effect."""

from celery import shared_task

from kilowatt.core.clock import system_clock
from kilowatt.core.models import Company
from kilowatt.sales.docuseal import signature_requests_poll
from kilowatt.sales.lifecycle import price_terms_apply


@shared_task(name="kilowatt.sales.signatures_poll")
def signatures_poll(limit: int = 100) -> int:
    """Every 10 minutes (beat): apply what DocuSeal says about pending requests, for when its webhook is
    not set up or a delivery was lost. Returns how many requests ended (signed, declined, expired)."""
    return len(signature_requests_poll(now=system_clock.now(), limit=limit).changed)


@shared_task(name="kilowatt.sales.price_terms_daily")
def price_terms_daily() -> int:
    """Every night (beat): contracts whose signed price annex takes effect today show its product and
    price list. Returns how many contracts changed."""
    today, now = system_clock.today(), system_clock.now()
    return sum(
        price_terms_apply(company=company, on_date=today, now=now)
        for company in Company.objects.filter(is_active=True)
    )
