"""Scheduled finance and collections work, shared by the Celery tasks and the management commands."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import transaction

from kilowatt.collections.models import DunningRun
from kilowatt.collections.run import dunning_run
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company
from kilowatt.finance.interest import interest_notes_issue
from kilowatt.finance.models import FinancePolicy, InterestMode
from kilowatt.finance.payments import statement_import
from kilowatt.finance.sources import statement_sources_from_settings

log = logging.getLogger(__name__)


@dataclass
class FetchReport:
    imported: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def statements_fetch(*, now: datetime) -> FetchReport:
    """Import every statement waiting in the sources of STATEMENT_SOURCES ({company code: [sources]}).

    An imported (or already imported) file is acknowledged — archived — at its source; a refused one stays
    where it is with the reason logged, so it is neither lost nor half-posted.
    """
    report = FetchReport()
    for code, configs in (getattr(settings, "STATEMENT_SOURCES", {}) or {}).items():
        company = Company.objects.get(code=code)
        for source in statement_sources_from_settings(configs):
            for fetched in source.pending():
                try:
                    result = statement_import(
                        company=company, file_name=fetched.name, content=fetched.content, now=now
                    )
                except ValidationFailed as failed:
                    report.refused[fetched.name] = failed.message
                    log.error("statement %s of %s refused: %s", fetched.name, code, failed.message)
                    continue
                (report.already if result.already_imported else report.imported).append(fetched.name)
                source.acknowledge(name=fetched.name)
    return report


def dunning_nightly(
    *, on_date: date, now: datetime, companies: list[Company] | None = None
) -> list[DunningRun]:
    """The nightly collections run of each active company (or the ones given)."""
    chosen = companies if companies is not None else list(Company.objects.filter(is_active=True))
    return [dunning_run(company=company, on_date=on_date, now=now) for company in chosen]


def interest_notes_monthly(*, on_date: date, now: datetime) -> int:
    """On the first day of a month: notes for the interest of companies that charge it monthly."""
    issued = 0
    for policy in FinancePolicy.objects.filter(interest_mode=InterestMode.MONTHLY).select_related("company"):
        with transaction.atomic():
            issued += len(interest_notes_issue(company=policy.company, on_date=on_date, now=now))
    return issued
