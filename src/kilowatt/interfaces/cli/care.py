"""Scheduled care work, shared by the Celery task and the management command."""

from __future__ import annotations

from datetime import datetime

from kilowatt.care.operations import tickets_sla_check
from kilowatt.core.models import Company


def sla_check_all(*, now: datetime, codes: list[str] | None = None) -> dict[str, int]:
    """Flag the open tickets past their SLA in every active company (or those coded ``codes``); returns
    how many tickets were newly flagged per company code. Checking again flags nothing twice."""
    companies = Company.objects.filter(is_active=True).order_by("code")
    if codes:
        companies = companies.filter(code__in=codes)
    return {company.code: tickets_sla_check(company=company, now=now) for company in companies}
