"""Partner portal pages of commissions: entries of a month, statements, a statement (PDF, XLSX) and its
acceptance by a manager. Every read goes through the agent's scope: a plain agent sees their own entries
and their own lines of their organisation's statements; a manager everything of the organisations in
scope. Another organisation's statement is not found (404), whatever the route."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kilowatt.commissions.models import CommissionStatement, StatementStatus
from kilowatt.commissions.queries import (
    agent_subtotals,
    entries_in_scope,
    entry_totals,
    pending_stages,
    statement_in_scope,
    statements_in_scope,
)
from kilowatt.commissions.settlement import statement_accept
from kilowatt.commissions.statements import XLSX_TYPE, statement_document, statement_pdf, statement_xlsx
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError
from kilowatt.core.periods import month_start
from kilowatt.interfaces.backoffice.commissions import month_from
from kilowatt.interfaces.partners.access import partner_page

ENTRIES_SHOWN = 500
STATEMENTS_SHOWN = 120


def home_panels(request: HttpRequest) -> list[dict]:
    """The home page's commission panel: accrued this month in the scope, stages still to come."""
    scope = request.scope
    today = system_clock.today()
    pending = pending_stages(scope=scope)
    return [
        {
            "template": "partners/commissions/panel.html",
            "month": month_start(today),
            "accrued": entry_totals(entries=entries_in_scope(scope=scope, month=today)).total,
            "pending_count": pending.count,
            "pending_expected": pending.expected,
            "to_accept": (
                statements_in_scope(scope=scope).filter(status=StatementStatus.ISSUED).count()
                if scope.is_manager
                else 0
            ),
        }
    ]


@partner_page
def entries(request: HttpRequest) -> HttpResponse:
    month = month_from(request.GET.get("month")) or month_start(system_clock.today())
    rows = entries_in_scope(scope=request.scope, month=month)
    return render(
        request,
        "partners/commissions/entries.html",
        {
            "month": month,
            "previous": month_start(month, offset=-1),
            "next": month_start(month, offset=1),
            "entries": rows[:ENTRIES_SHOWN],
            "totals": entry_totals(entries=rows),
            "shown": ENTRIES_SHOWN,
        },
    )


@partner_page
def statements(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    rows = list(
        statements_in_scope(scope=scope).order_by("-period_start", "organisation__path")[:STATEMENTS_SHOWN]
    )
    mine = agent_subtotals(scope=scope, statement_ids=[s.pk for s in rows])
    for statement in rows:
        statement.mine = mine.get(statement.pk)
    return render(request, "partners/commissions/statements.html", {"statements": rows})


def _statement(request: HttpRequest, statement_id: int) -> CommissionStatement:
    statement = statement_in_scope(scope=request.scope, statement_id=statement_id)
    if statement is None:
        raise Http404
    return statement


def _document(request: HttpRequest, statement_id: int):
    """The statement as the user may see it: whole for a manager, their own lines for a plain agent."""
    return statement_document(
        statement=_statement(request, statement_id), agent_user_id=request.scope.agent_user_id
    )


@partner_page
def statement(request: HttpRequest, statement_id: int) -> HttpResponse:
    document = _document(request, statement_id)
    return render(
        request,
        "partners/commissions/statement.html",
        {"statement": document.statement, "doc": document, "can_accept": request.scope.is_manager},
    )


def _download(content: bytes, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    return response


@partner_page
def statement_pdf_view(request: HttpRequest, statement_id: int) -> HttpResponse:
    document = _document(request, statement_id)
    return _download(statement_pdf(document=document), "application/pdf", f"{document.file_stem}.pdf")


@partner_page
def statement_xlsx_view(request: HttpRequest, statement_id: int) -> HttpResponse:
    document = _document(request, statement_id)
    return _download(statement_xlsx(document=document), XLSX_TYPE, f"{document.file_stem}.xlsx")


@require_POST
@partner_page
def statement_accept_view(request: HttpRequest, statement_id: int) -> HttpResponse:
    """A manager accepts a statement of an organisation in their scope (another's is not found)."""
    statement = _statement(request, statement_id)
    if not request.scope.is_manager:
        raise PermissionDenied
    try:
        statement_accept(statement=statement, actor=request.user, now=system_clock.now())
    except DomainError as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("Statement %(number)s accepted.") % {"number": statement.number})
    return redirect("partners:commission_statement", statement_id=statement.pk)
