"""Back office page of payments: import a bank statement, work the clearing queue, reverse a returned
payment, request, approve and export refunds, issue interest notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.money import is_money
from kilowatt.core.permissions import APPROVE_PAYMENTS, RECORD_PAYMENTS, VIEW_BILLING
from kilowatt.documents.letters import LetterDocumentInvalid, letter_pdf_render
from kilowatt.finance.interest import interest_note_letter, interest_notes_issue
from kilowatt.finance.journal import JournalMappingMissing, journal_export, journal_file_name
from kilowatt.finance.models import InterestNote, LedgerEntry, Refund, TransferExport
from kilowatt.finance.operations import credit_transfer, debt_write_off, ledger_entry_reverse
from kilowatt.finance.payments import clearing_assign, statement_import
from kilowatt.finance.queries import (
    bank_transaction_of_company,
    bank_transactions_recent,
    bank_transactions_waiting,
    payment_entry_of,
    refunds_waiting,
    transfer_exports_recent,
)
from kilowatt.finance.refunds import refund_decide, refund_request, refunds_export
from kilowatt.interfaces.backoffice.views import customer_panel_redirect, staff_page
from kilowatt.parties.queries import customer_by_number, customer_of_company

MAX_STATEMENT = 20 * 1024 * 1024


class StatementForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Bank statement (MT940, camt.053 or CSV)"))


@staff_page(VIEW_BILLING)
def payments(request: HttpRequest) -> HttpResponse:
    form = StatementForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if RECORD_PAYMENTS not in request.permissions:
            return HttpResponse(status=403)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_STATEMENT:
                    raise ValidationFailed.single("file", _("The file is larger than 20 MB."))
                result = statement_import(
                    company=request.company,
                    file_name=upload.name,
                    content=upload.read(),
                    now=system_clock.now(),
                )
            except ValidationFailed as failed:
                form.add_error("file", failed.message)
            else:
                if result.already_imported:
                    messages.info(request, _("This statement was already imported; nothing was changed."))
                else:
                    messages.success(
                        request,
                        _(
                            "Matched: %(matched)s · in the clearing queue: %(unmatched)s · "
                            "already known: %(known)s · outgoing: %(outgoing)s"
                        )
                        % {
                            "matched": result.matched,
                            "unmatched": result.unmatched,
                            "known": result.known,
                            "outgoing": result.outgoing,
                        },
                    )
                return redirect("backoffice:payments")
    company = request.company
    return render(
        request,
        "backoffice/payments.html",
        {
            "form": form,
            "queue": bank_transactions_waiting(company=company)[:200],
            "recent": bank_transactions_recent(company=company)[:50],
            "can_record": RECORD_PAYMENTS in request.permissions,
            "can_approve": APPROVE_PAYMENTS in request.permissions,
            "refunds": refunds_waiting(company=company)[:100],
            "exports": transfer_exports_recent(company=company)[:5],
        },
    )


@staff_page(RECORD_PAYMENTS)
@require_POST
def payment_assign(request: HttpRequest, transaction_id: int) -> HttpResponse:
    record = bank_transaction_of_company(company=request.company, transaction_id=transaction_id)
    if record is None:
        raise Http404
    customer = customer_by_number(company=request.company, number=request.POST.get("customer", ""))
    if customer is None:
        messages.error(request, _("No customer with that number."))
        return redirect("backoffice:payments")
    try:
        clearing_assign(transaction_record=record, customer=customer, now=system_clock.now())
    except ValidationFailed as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("Assigned to %(customer)s.") % {"customer": customer.display_name})
    return redirect("backoffice:payments")


def _customer_back(customer_id: int) -> HttpResponse:
    return customer_panel_redirect(customer_id, "finance")


@staff_page(RECORD_PAYMENTS)
@require_POST
def payment_return(request: HttpRequest, transaction_id: int) -> HttpResponse:
    """A payment the bank returned (or posted to the wrong account): its ledger entry is reversed."""
    record = bank_transaction_of_company(company=request.company, transaction_id=transaction_id)
    entry = payment_entry_of(transaction_record=record) if record else None
    if entry is None:
        raise Http404
    try:
        ledger_entry_reverse(
            entry=entry,
            reason=request.POST.get("reason", ""),
            made_by=request.user.get_username(),
            on_date=system_clock.today(),
            now=system_clock.now(),
        )
    except ValidationFailed as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("The payment was reversed; the debts it paid are open again."))
    return redirect("backoffice:payments")


@staff_page(RECORD_PAYMENTS)
@require_POST
def refund_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_of_company(company=request.company, customer_id=customer_id)
    if customer is None:
        raise Http404
    try:
        refund_request(
            customer=customer,
            amount=_amount(request.POST.get("amount", "")),
            account=request.POST.get("account", ""),
            reason=request.POST.get("reason", ""),
            requested_by=request.user.get_username(),
            now=system_clock.now(),
        )
    except ValidationFailed as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("Refund requested: it waits for approval on the payments page."))
    return _customer_back(customer.pk)


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not is_money(value):
        raise ValidationFailed.single("amount", _("Enter an amount like 123.45."))
    return value


@staff_page(APPROVE_PAYMENTS)
@require_POST
def refund_decision(request: HttpRequest, refund_id: int) -> HttpResponse:
    refund = Refund.objects.filter(company=request.company, pk=refund_id).first()
    if refund is None:
        raise Http404
    try:
        refund_decide(
            refund=refund,
            approve=request.POST.get("decision") == "approve",
            decided_by=request.user.get_username(),
            on_date=system_clock.today(),
            now=system_clock.now(),
        )
    except ValidationFailed as failed:
        messages.error(request, failed.message)
    return redirect("backoffice:payments")


@staff_page(APPROVE_PAYMENTS)
@require_POST
def refunds_export_view(request: HttpRequest) -> HttpResponse:
    try:
        export = refunds_export(
            company=request.company,
            file_format=request.POST.get("format", "elixir"),
            execution_date=system_clock.today(),
            created_by=request.user.get_username(),
            now=system_clock.now(),
        )
    except ValidationFailed as failed:
        messages.error(request, failed.message)
        return redirect("backoffice:payments")
    if export is None:
        messages.info(request, _("No approved refund waits for export."))
        return redirect("backoffice:payments")
    return redirect("backoffice:transfer_file", export_id=export.pk)


@staff_page(APPROVE_PAYMENTS)
def transfer_file(request: HttpRequest, export_id: int) -> HttpResponse:
    export = TransferExport.objects.filter(company=request.company, pk=export_id).first()
    if export is None:
        raise Http404
    response = HttpResponse(bytes(export.content), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    return response


@staff_page(RECORD_PAYMENTS)
@require_POST
def interest_notes_new(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        notes = interest_notes_issue(
            company=request.company, on_date=system_clock.today(), now=system_clock.now()
        )
    messages.success(request, _("Interest notes issued: %(count)s.") % {"count": len(notes)})
    return redirect("backoffice:payments")


@staff_page(RECORD_PAYMENTS)
def journal_download(request: HttpRequest) -> HttpResponse:
    """The accounting journal of a day that is over, as CSV or XML (recorded as an export)."""
    file_format = request.GET.get("format", "csv")
    try:
        day = date.fromisoformat(request.GET.get("day", ""))
        content, _export = journal_export(
            company=request.company,
            day=day,
            file_format=file_format,
            exported_by=request.user.get_username(),
            now=system_clock.now(),
        )
    except ValueError:
        messages.error(request, _("Enter the day as YYYY-MM-DD."))
        return redirect("backoffice:payments")
    except (ValidationFailed, JournalMappingMissing) as failed:
        messages.error(request, getattr(failed, "message", str(failed)))
        return redirect("backoffice:payments")
    response = HttpResponse(content, content_type="text/csv" if file_format == "csv" else "application/xml")
    name = journal_file_name(company=request.company, day=day, file_format=file_format)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_page(APPROVE_PAYMENTS)
@require_POST
def debt_write_off_view(request: HttpRequest, customer_id: int, entry_id: int) -> HttpResponse:
    entry = LedgerEntry.objects.filter(company=request.company, customer_id=customer_id, pk=entry_id).first()
    if entry is None:
        raise Http404
    try:
        debt_write_off(
            entry=entry,
            amount=_amount(request.POST.get("amount", "")),
            reason=request.POST.get("reason", ""),
            made_by=request.user.get_username(),
            on_date=system_clock.today(),
            now=system_clock.now(),
        )
    except ValidationFailed as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("Written off."))
    return _customer_back(customer_id)


@staff_page(APPROVE_PAYMENTS)
@require_POST
def credit_transfer_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    source = customer_of_company(company=request.company, customer_id=customer_id)
    if source is None:
        raise Http404
    target = customer_by_number(company=request.company, number=request.POST.get("target", ""))
    try:
        if target is None:
            raise ValidationFailed.single("target", _("No customer with that number."))
        credit_transfer(
            source=source,
            target=target,
            amount=_amount(request.POST.get("amount", "")),
            reason=request.POST.get("reason", ""),
            made_by=request.user.get_username(),
            on_date=system_clock.today(),
            now=system_clock.now(),
        )
    except ValidationFailed as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("Credit moved to %(customer)s.") % {"customer": target.display_name})
    return _customer_back(customer_id)


@staff_page(VIEW_BILLING)
def interest_note_pdf(request: HttpRequest, note_id: int) -> HttpResponse:
    note = (
        InterestNote.objects.filter(company=request.company, pk=note_id)
        .select_related("company", "customer__address", "customer__correspondence_address")
        .first()
    )
    if note is None:
        raise Http404
    try:
        pdf = letter_pdf_render(letter=interest_note_letter(note=note))
    except LetterDocumentInvalid as invalid:  # e.g. the company has no address or bank account set yet
        messages.error(request, str(invalid))
        return _customer_back(note.customer_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{note.number.replace("/", "-")}.pdf"'
    return response
