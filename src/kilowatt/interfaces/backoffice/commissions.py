"""Back office pages of commissions: the statements of a month with their totals and what settling the
month would take, settling it, a statement's lines (PDF, XLSX), and the payout export (XLSX or CSV): per
organisation the net of its accepted statements up to the month, which marks them paid out; a net of zero
or less is carried to the next payout, and the page says so."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kilowatt.commissions.models import CommissionPayout
from kilowatt.commissions.queries import (
    payout_balances,
    payouts_of_company,
    period_total,
    statement_of_company,
    statements_awaiting_payout,
    statements_of_month,
    unsettled_until,
)
from kilowatt.commissions.settlement import balances_text, month_settle, payout_export
from kilowatt.commissions.statements import (
    PAYOUT_FORMATS,
    XLSX_TYPE,
    statement_document,
    statement_pdf,
    statement_xlsx,
)
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError
from kilowatt.core.money import ZERO
from kilowatt.core.periods import month_start
from kilowatt.core.permissions import MANAGE_COMMISSIONS
from kilowatt.interfaces.backoffice.views import messages_from, staff_page


def month_from(value: str | None) -> date | None:
    """``2026-03`` (what ``<input type="month">`` sends) as the first day of that month; None if not one."""
    try:
        year, month = (value or "").split("-")[:2]
        return date(int(year), int(month), 1)
    except ValueError:
        return None


def _download(content: bytes, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    return response


def _home_url(month: date) -> str:
    return reverse("backoffice:commissions") + f"?month={month:%Y-%m}"


@staff_page(MANAGE_COMMISSIONS)
def commissions_home(request: HttpRequest) -> HttpResponse:
    today = system_clock.today()
    month = month_from(request.GET.get("month")) or month_start(today, offset=-1)
    period_end = month_start(month, offset=1)
    statements = list(
        statements_of_month(company=request.company, month=month).order_by("organisation__path")
    )
    balances = payout_balances(statements=statements_awaiting_payout(company=request.company, month=month))
    return render(
        request,
        "backoffice/commissions/home.html",
        {
            "month": month,
            "previous": month_start(month, offset=-1),
            "next": period_end,
            "statements": statements,
            "totals": {
                "business": sum((s.business_total for s in statements), ZERO),
                "own": sum((s.own_total for s in statements), ZERO),
                "total": sum((s.total for s in statements), ZERO),
            },
            "accrued": period_total(company=request.company, period_start=month, period_end=period_end),
            "unsettled": unsettled_until(company=request.company, period_end=period_end),
            "can_settle": period_end <= today,
            "balances": balances,
            "payable": sum(1 for balance in balances if balance.payable),
            "formats": PAYOUT_FORMATS,
            "payouts": payouts_of_company(company=request.company),
        },
    )


@staff_page(MANAGE_COMMISSIONS)
@require_POST
def month_settle_view(request: HttpRequest) -> HttpResponse:
    month = month_from(request.POST.get("month"))
    if month is None:
        messages.error(request, _("Choose the month to settle."))
        return redirect("backoffice:commissions")
    try:
        statements = month_settle(
            company=request.company, month=month, on_date=system_clock.today(), now=system_clock.now()
        )
    except DomainError as failed:
        messages_from(request, failed)
    else:
        messages.success(
            request,
            ngettext(
                "%(month)s settled: %(count)s statement.",
                "%(month)s settled: %(count)s statements.",
                len(statements),
            )
            % {"month": f"{month:%Y-%m}", "count": len(statements)},
        )
    return redirect(_home_url(month))


def _statement(request: HttpRequest, statement_id: int):
    statement = statement_of_company(company=request.company, statement_id=statement_id)
    if statement is None:
        raise Http404
    return statement


@staff_page(MANAGE_COMMISSIONS)
def statement_detail(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = _statement(request, statement_id)
    return render(
        request,
        "backoffice/commissions/statement.html",
        {"statement": statement, "doc": statement_document(statement=statement)},
    )


@staff_page(MANAGE_COMMISSIONS)
def statement_pdf_view(request: HttpRequest, statement_id: int) -> HttpResponse:
    document = statement_document(statement=_statement(request, statement_id))
    return _download(statement_pdf(document=document), "application/pdf", f"{document.file_stem}.pdf")


@staff_page(MANAGE_COMMISSIONS)
def statement_xlsx_view(request: HttpRequest, statement_id: int) -> HttpResponse:
    document = statement_document(statement=_statement(request, statement_id))
    return _download(statement_xlsx(document=document), XLSX_TYPE, f"{document.file_stem}.xlsx")


@staff_page(MANAGE_COMMISSIONS)
@require_POST
def payout_export_view(request: HttpRequest) -> HttpResponse:
    """The payout file of the accepted statements of the month chosen (or of every month)."""
    month = month_from(request.POST.get("month"))
    file_format = request.POST.get("format", "xlsx")
    if file_format not in PAYOUT_FORMATS:
        return HttpResponse(status=400)
    try:
        batch = payout_export(
            company=request.company,
            month=month,
            actor=request.user,
            now=system_clock.now(),
            file_format=file_format,
        )
    except DomainError as failed:
        messages_from(request, failed)
        return redirect(_home_url(month) if month else reverse("backoffice:commissions"))
    if batch.missing_account:
        messages.warning(
            request,
            _("Not exported, no bank account for payouts: %(balances)s.")
            % {"balances": balances_text(batch.missing_account)},
        )
    if batch.carried:
        messages.warning(
            request,
            _(
                "Nothing paid to these organisations: their statements net to zero or less, "
                "carried to the next payout: %(balances)s."
            )
            % {"balances": balances_text(batch.carried)},
        )
    payout = batch.payout
    return _download(bytes(payout.content), payout.content_type, payout.file_name)


@staff_page(MANAGE_COMMISSIONS)
def payout_file_view(request: HttpRequest, payout_id: int) -> HttpResponse:
    """A payout file exported before, as it was exported."""
    payout = get_object_or_404(CommissionPayout.objects.filter(company=request.company), pk=payout_id)
    return _download(bytes(payout.content), payout.content_type, payout.file_name)
