"""Partner portal: helpers shared by its pages (the clock, refusals shown, paging)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kilowatt.core.clock import WARSAW, system_clock
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.models import Company
from kilowatt.interfaces.tasks.tasks import dispatch_outbox

PAGE_SIZE = 50


def already_known() -> str:
    """A record repeating another's, without naming it (it may be another channel's customer)."""
    return _("This customer is already known to us; ask the back office before going on.")


# --- helpers ---------------------------------------------------------------------------------------------


def today() -> date:
    return system_clock.now().astimezone(WARSAW).date()


def company_of(request: HttpRequest) -> Company:
    return request.agent.organisation.company


def dispatch_on_commit() -> None:
    """Events recorded by the operation (a signed contract opens its switch cases) go out after commit."""
    transaction.on_commit(dispatch_outbox.delay)


def refusal_show(request: HttpRequest, failed: DomainError) -> None:
    for error in failed.errors if isinstance(failed, ValidationFailed) else [failed]:
        messages.error(request, error.message)


def form_refusal_show(form, failed: DomainError) -> None:
    if isinstance(failed, ValidationFailed):
        form.add_domain_errors(failed)
    else:
        form.add_error(None, failed.message)


def day_text(value: date | None) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def page_of(request: HttpRequest, rows: QuerySet):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- switching in plain words ----------------------------------------------------------------------------
