"""Celery tasks of sales: ask DocuSeal about the requests still waiting; price annexes taking effect."""

from celery import shared_task

from kilowatt.core.clock import system_clock
from kilowatt.core.models import Company
from kilowatt.sales.docuseal import signature_requests_poll
from kilowatt.sales.lifecycle import billing_annexes_apply, price_terms_apply


@shared_task(name="kilowatt.sales.signatures_poll")
def signatures_poll(limit: int = 100) -> int:
    """Every 10 minutes (beat): apply what DocuSeal says about pending requests, for when its webhook is
    not set up or a delivery was lost. Returns how many requests ended (signed, declined, expired)."""
    return len(signature_requests_poll(now=system_clock.now(), limit=limit).changed)


@shared_task(name="kilowatt.sales.price_terms_daily")
def price_terms_daily() -> int:
    """Every night (beat): annexes signed ahead of their day take effect — contracts show the new product
    and price list, billing-parameter changes apply. Returns how many contracts changed."""
    today, now = system_clock.today(), system_clock.now()
    changed = 0
    for company in Company.objects.filter(is_active=True):
        changed += price_terms_apply(company=company, on_date=today, now=now)
        changed += billing_annexes_apply(company=company, on_date=today, now=now)
    return changed
