"""Back office pages of complaints: the open ones with their legal deadline (the nearest first), the
decision taken on a complaint's ticket (with its answer letter, and a correction handed to billing), and
the answer letter downloaded again."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kilowatt.care.complaints import complaint_days_left, complaint_decide, complaints_open
from kilowatt.care.models import ComplaintDecision, Correspondence, Team, Ticket
from kilowatt.care.queries import teams_of_company, ticket_of_company
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError
from kilowatt.core.permissions import WORK_TICKETS
from kilowatt.interfaces.backoffice.views import messages_from, staff_page

LIST_LIMIT = 200
DUE_SOON_DAYS = 3  # a complaint due within this many days is shown amber


def deadline_class(days_left: int | None) -> str:
    """``late`` (red) past the legal deadline, ``soon`` (amber) within DUE_SOON_DAYS, else ""."""
    if days_left is None:
        return ""
    if days_left < 0:
        return "late"
    return "soon" if days_left <= DUE_SOON_DAYS else ""


def _back_to_ticket(ticket: Ticket) -> HttpResponse:
    return redirect(reverse("backoffice:care_ticket", args=[ticket.pk]) + "#complaint-panel")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=ComplaintDecision.choices)
    reasons = forms.CharField(
        label=gettext_lazy("Reasons (printed in the letter)"), widget=forms.Textarea, max_length=5000
    )
    request_correction = forms.BooleanField(
        label=gettext_lazy("Request a correction invoice from billing"), required=False
    )
    billing_team = forms.ModelChoiceField(
        label=gettext_lazy("Team that issues corrections"), queryset=Team.objects.none(), required=False
    )

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["billing_team"].queryset = teams_of_company(company=company)


@staff_page(WORK_TICKETS)
def complaints(request: HttpRequest) -> HttpResponse:
    today = system_clock.today()
    open_ = complaints_open(company=request.company).select_related("team")
    rows = []
    for ticket in open_[:LIST_LIMIT]:
        days = complaint_days_left(ticket=ticket, on_date=today)
        late = -days if days is not None and days < 0 else 0
        rows.append((ticket, days, late, deadline_class(days)))
    return render(
        request,
        "backoffice/care/complaints.html",
        {"rows": rows, "total": open_.count() if len(rows) == LIST_LIMIT else len(rows), "today": today},
    )


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    ticket = ticket_of_company(company=request.company, ticket_id=ticket_id)
    if ticket is None:
        raise Http404
    return ticket


@staff_page(WORK_TICKETS)
@require_POST
def complaint_decide_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = DecisionForm(request.POST, company=request.company)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return _back_to_ticket(ticket)
    data = form.cleaned_data
    try:
        letter = complaint_decide(
            ticket=ticket,
            decision=data["decision"],
            reasons=data["reasons"],
            request_correction=data["request_correction"],
            billing_team=data["billing_team"] if data["request_correction"] else None,
            now=system_clock.now(),
            made_by=request.user,
        )
    except DomainError as failed:
        messages_from(request, failed)
    else:
        if letter.delivered:
            messages.success(
                request, _("Decision recorded; the answer was e-mailed to %(to)s.") % {"to": letter.recipient}
            )
        else:
            messages.success(
                request,
                _("Decision recorded; print the answer letter and post it (%(why)s).")
                % {"why": letter.failure},
            )
    return _back_to_ticket(ticket)


@staff_page(WORK_TICKETS)
def complaint_letter(request: HttpRequest, ticket_id: int, correspondence_id: int) -> HttpResponse:
    letter = Correspondence.objects.filter(
        company=request.company,
        ticket__company=request.company,
        ticket_id=ticket_id,
        pk=correspondence_id,
        content__isnull=False,
    ).first()
    if letter is None:
        raise Http404
    response = HttpResponse(bytes(letter.content), content_type=letter.content_type or "application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, letter.file_name or "letter.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response
