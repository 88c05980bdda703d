"""Back office page of payments: import a bank statement, work the clearing queue."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.permissions import RECORD_PAYMENTS, VIEW_BILLING
from kilowatt.finance.payments import clearing_assign, statement_import
from kilowatt.finance.queries import (
    bank_transaction_of_company,
    bank_transactions_recent,
    bank_transactions_waiting,
)
from kilowatt.interfaces.backoffice.views import staff_page
from kilowatt.parties.queries import customer_by_number

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
