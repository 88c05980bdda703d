"""Back office pages of billing: runs (start, progress, findings, approve/hold/re-rate) and invoices."""

from __future__ import annotations

import json
from datetime import date, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kilowatt.billing.corrections import CorrectionRefused, invoice_correct
from kilowatt.billing.models import ItemStatus, RunStatus
from kilowatt.billing.notes import accounting_note_issue
from kilowatt.billing.queries import (
    billing_run_items,
    billing_run_of_company,
    billing_runs_of_company,
    correction_flags_of_invoice,
    corrections_of_invoice,
    invoice_of_company,
)
from kilowatt.billing.runs import (
    RunActionRefused,
    billing_item_approve,
    billing_item_hold,
    billing_item_rerate,
    billing_run_totals,
)
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.periods import month_start
from kilowatt.core.permissions import RUN_BILLING, VIEW_BILLING
from kilowatt.documents.invoices import invoice_pdf_render
from kilowatt.interfaces.backoffice.views import messages_from, staff_page
from kilowatt.interfaces.cli.billing import billing_runs_start_for_month, dispatcher
from kilowatt.sales.queries import contracts_of_company

ITEMS_PER_PAGE = 50


@staff_page(VIEW_BILLING)
def runs(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    today = system_clock.today()
    previous_month = month_start(today, offset=-1)
    if request.method == "POST":
        if RUN_BILLING not in request.permissions:
            return HttpResponse(status=403)
        month, issue_date = _month_and_issue_date(request, errors)
        if not errors and month is not None and issue_date is not None:
            [run] = billing_runs_start_for_month(
                month=month,
                issue_date=issue_date,
                companies=[request.company],
                dispatch=dispatcher(),
                actor=request.user,
            )
            return redirect("backoffice:billing_run", run_id=run.pk)
    return render(
        request,
        "backoffice/billing/runs.html",
        {
            "runs": billing_runs_of_company(company=request.company)[:60],
            "errors": errors,
            "default_month": request.POST.get("month") or f"{previous_month:%Y-%m}",
            "default_issue_date": request.POST.get("issue_date") or today.isoformat(),
        },
    )


def _month_and_issue_date(request: HttpRequest, errors: dict[str, str]) -> tuple[date | None, date | None]:
    month = issue_date = None
    try:
        year, number = (int(part) for part in request.POST.get("month", "").split("-"))
        month = date(year, number, 1)
    except ValueError:
        errors["month"] = _("Choose the month to bill (YYYY-MM).")
    try:
        issue_date = date.fromisoformat(request.POST.get("issue_date", ""))
    except ValueError:
        errors["issue_date"] = _("Enter the issue date (YYYY-MM-DD).")
    if month is not None and issue_date is not None and issue_date < month:
        errors["issue_date"] = _("Invoices of a month cannot be issued before it begins.")
    return month, issue_date


@staff_page(VIEW_BILLING)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = billing_run_of_company(company=request.company, run_id=run_id)
    if run is None:
        raise Http404
    status = request.GET.get("status", "")
    if status not in ItemStatus.values:
        status = ""
    page = Paginator(
        billing_run_items(run=run, status=status).order_by("batch", "pk"), ITEMS_PER_PAGE
    ).get_page(request.GET.get("page"))
    totals = billing_run_totals(run=run)
    count = sum(row["count"] for row in totals.values())
    done = count - totals.get(ItemStatus.PENDING, {"count": 0})["count"]
    context = {
        "run": run,
        "page": page,
        "status": status,
        "statuses": ItemStatus.choices,
        "totals": [(ItemStatus(key).label, key, row) for key, row in sorted(totals.items())],
        "count": count,
        "done": done,
        "percent": round(100 * done / count) if count else 100,
        "running": run.status != RunStatus.COMPLETED,
        "can_run": RUN_BILLING in request.permissions,
    }
    if request.headers.get("HX-Request"):
        return render(request, "backoffice/billing/run_progress.html", context)
    return render(request, "backoffice/billing/run_detail.html", context)


@staff_page(RUN_BILLING)
@require_POST
def run_item_action(request: HttpRequest, run_id: int, item_id: int) -> HttpResponse:
    run = billing_run_of_company(company=request.company, run_id=run_id)
    if run is None:
        raise Http404
    action, now = request.POST.get("action"), system_clock.now()
    try:
        if action == "approve":
            billing_item_approve(run=run, item_id=item_id, now=now)
            messages.success(request, _("Approved and issued."))
        elif action == "hold":
            reason = request.POST.get("reason", "").strip() or _("Held by %(user)s.") % {"user": request.user}
            billing_item_hold(run=run, item_id=item_id, now=now, reason=reason)
            messages.success(request, _("Held."))
        elif action == "rerate":
            issued = billing_item_rerate(run=run, item_id=item_id, now=now)
            messages.success(
                request, _("Issued.") if issued else _("Re-rated: still held, see the findings.")
            )
        else:
            raise Http404
    except RunActionRefused as refused:
        messages.error(request, refused.message)
    status = request.POST.get("status", "")
    target = reverse("backoffice:billing_run", kwargs={"run_id": run.pk})
    return redirect(f"{target}?status={status}" if status in ItemStatus.values else target)


@staff_page(VIEW_BILLING)
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of_company(company=request.company, invoice_id=invoice_id)
    if invoice is None:
        raise Http404
    document = invoice.document
    groups: dict[str, list[dict]] = {}
    for line in document["lines"]:
        last_day = date.fromisoformat(line["period_end"]) - timedelta(days=1)
        groups.setdefault(line["group"], []).append({**line, "last_day": last_day})
    return render(
        request,
        "backoffice/billing/invoice_detail.html",
        {
            "invoice": invoice,
            "document": document,
            "groups": groups,
            "flags": list(correction_flags_of_invoice(invoice=invoice)),
            "corrections": list(corrections_of_invoice(invoice=invoice)),
            "can_correct": RUN_BILLING in request.permissions and invoice.kind in ("periodic", "settlement"),
        },
    )


@staff_page(RUN_BILLING)
@require_POST
def invoice_correct_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of_company(company=request.company, invoice_id=invoice_id)
    if invoice is None:
        raise Http404
    try:
        correction = invoice_correct(
            invoice=invoice,
            reason=request.POST.get("reason", ""),
            issue_date=system_clock.today(),
            now=system_clock.now(),
        )
    except CorrectionRefused as refused:
        messages.error(request, refused.message)
        return redirect("backoffice:invoice", invoice_id=invoice.pk)
    messages.success(request, _("Correction %(number)s issued.") % {"number": correction.number})
    return redirect("backoffice:invoice", invoice_id=correction.pk)


@staff_page(RUN_BILLING)
@require_POST
def note_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    contract = (
        contracts_of_company(company=request.company)
        .filter(customer_id=customer_id, pk=request.POST.get("contract") or 0)
        .first()
    )
    if contract is None:
        raise Http404
    try:
        note = accounting_note_issue(
            contract=contract,
            title=request.POST.get("title", ""),
            amount=request.POST.get("amount", ""),
            issue_date=system_clock.today(),
            now=system_clock.now(),
        )
    except ValidationFailed as failed:
        messages_from(request, failed)
        return redirect("backoffice:customer", customer_id=customer_id)
    messages.success(request, _("Note %(number)s issued.") % {"number": note.number})
    return redirect("backoffice:invoice", invoice_id=note.pk)


@staff_page(VIEW_BILLING)
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of_company(company=request.company, invoice_id=invoice_id)
    if invoice is None:
        raise Http404
    response = HttpResponse(invoice_pdf_render(document=invoice.document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_file_name(invoice.number)}.pdf"'
    return response


@staff_page(VIEW_BILLING)
def invoice_json(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_of_company(company=request.company, invoice_id=invoice_id)
    if invoice is None:
        raise Http404
    response = HttpResponse(
        json.dumps(invoice.document, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{_file_name(invoice.number)}.json"'
    return response


def _file_name(number: str) -> str:
    return number.replace("/", "-")
