"""Correspondence logged by hand (a letter, e-mail or SMS that came in or went out elsewhere) and the
documents of the log, downloaded from the customer's page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kilowatt.care.models import Correspondence, Ticket
from kilowatt.care.notify import correspondence_record
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError
from kilowatt.core.permissions import WORK_TICKETS
from kilowatt.interfaces.backoffice.views import staff_page
from kilowatt.parties.queries import customer_of_company

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def _customer(request: HttpRequest, customer_id: int):
    customer = customer_of_company(company=request.company, customer_id=customer_id)
    if customer is None:
        raise Http404
    return customer


@require_POST
@staff_page(WORK_TICKETS)
def correspondence_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    back = reverse("backoffice:customer", args=[customer.pk]) + "#panel-correspondence"
    upload = request.FILES.get("document")
    document = None
    if upload is not None:
        if upload.size > MAX_DOCUMENT_BYTES:
            messages.error(request, _("document: the file is larger than 10 MB."))
            return redirect(back)
        document = (upload.name, upload.read(), upload.content_type or "application/octet-stream")
    ticket = None
    if number := request.POST.get("ticket", "").strip():
        ticket = Ticket.objects.filter(company=request.company, customer=customer, number=number).first()
        if ticket is None:
            messages.error(
                request, _("ticket: %(number)s is not a ticket of this customer.") % {"number": number}
            )
            return redirect(back)
    try:
        correspondence_record(
            company=request.company,
            customer=customer,
            direction=request.POST.get("direction", ""),
            channel=request.POST.get("channel", ""),
            subject=request.POST.get("subject", ""),
            body=request.POST.get("body", ""),
            recipient=request.POST.get("recipient", ""),
            ticket=ticket,
            document=document,
            now=system_clock.now(),
            made_by=request.user,
        )
    except DomainError as error:
        messages.error(request, f"{error.field}: {error.message}" if error.field else error.message)
    else:
        messages.success(request, _("Correspondence logged."))
    return redirect(back)


@staff_page(WORK_TICKETS)
def correspondence_file(request: HttpRequest, customer_id: int, entry_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    entry = Correspondence.objects.filter(company=request.company, customer=customer, pk=entry_id).first()
    if entry is None or entry.content is None:
        raise Http404
    response = HttpResponse(
        bytes(entry.content), content_type=entry.content_type or "application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=entry.file_name)
    return response
