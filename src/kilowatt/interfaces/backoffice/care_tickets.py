"""Back office pages of tickets: the list with a search over many criteria at once, registration with the
type's form and the customer's card beside it, a ticket with its messages, trail and actions, and the
caller look-up a phone system opens when a call comes in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kilowatt.care.complaints import complaint_days_left
from kilowatt.care.models import (
    FieldKind,
    Outage,
    Ticket,
    TicketChannel,
    TicketMessageKind,
    TicketStatus,
)
from kilowatt.care.notify import person_inform
from kilowatt.care.operations import (
    TRANSITIONS,
    TicketData,
    ticket_assign,
    ticket_hand_over,
    ticket_merge,
    ticket_message_add,
    ticket_outage_link,
    ticket_register,
    ticket_status_change,
)
from kilowatt.care.outages import outages_for_supply_point
from kilowatt.care.queries import (
    customer_card,
    customers_by_phone,
    outage_of_company,
    outages_of_company,
    teams_of_company,
    ticket_of_company,
    tickets_search,
)
from kilowatt.care.surveys import survey_send
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.identifiers import InvalidIdentifier
from kilowatt.core.permissions import WORK_TICKETS
from kilowatt.core.phones import phone_normalise
from kilowatt.interfaces.backoffice.care_ticket_forms import TicketNewForm, TicketSearchForm
from kilowatt.interfaces.backoffice.lists import page_of
from kilowatt.interfaces.backoffice.views import messages_from, staff_page
from kilowatt.parties.models import Customer
from kilowatt.parties.queries import customer_of_company, customers_search

TICKETS_PER_PAGE = 50


def sla_state(ticket: Ticket, now: datetime) -> str:
    """How the SLA stands, for the colour of the due date: paused, overdue, breached or on time."""
    if ticket.sla_paused_at is not None:
        return "paused"
    if ticket.is_open and ticket.due_at is not None and ticket.due_at < now:
        return "overdue"
    if ticket.sla_breached_at is not None:
        return "breached"
    return "on_time"


@dataclass(frozen=True)
class TicketRow:
    """A ticket as a list shows it: how its SLA stands and a complaint's days to the legal deadline."""

    ticket: Ticket
    sla: str
    days_left: int | None

    @property
    def days_late(self) -> int | None:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else None


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    ticket = ticket_of_company(company=request.company, ticket_id=ticket_id)
    if ticket is None:
        raise Http404
    return ticket


def _customer_from(request: HttpRequest, raw: str | None) -> Customer | None:
    """The customer a page is about (from the query or the form); another company's id is not found."""
    if not raw:
        return None
    customer = customer_of_company(company=request.company, customer_id=int(raw)) if raw.isdigit() else None
    if customer is None:
        raise Http404
    return customer


def _new_url(**params) -> str:
    query = urlencode({name: value for name, value in params.items() if value})
    return reverse("backoffice:care_ticket_new") + (f"?{query}" if query else "")


# --- the list ------------------------------------------------------------------------------------------


@staff_page(WORK_TICKETS)
def tickets(request: HttpRequest) -> HttpResponse:
    company, now, today = request.company, system_clock.now(), system_clock.today()
    form = TicketSearchForm(request.GET or None, company=company)
    found = tickets_search(company=company, criteria=form.criteria(), now=now)
    page = page_of(request, found, TICKETS_PER_PAGE)
    rows = [
        TicketRow(ticket, sla_state(ticket, now), complaint_days_left(ticket=ticket, on_date=today))
        for ticket in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/care/tickets.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


# --- registration --------------------------------------------------------------------------------------


def _outage_offer(form: TicketNewForm, chosen_point: str | None) -> Outage | None:
    """The active outage covering the chosen supply point, offered for linking (the newest one)."""
    chosen = str(getattr(chosen_point, "pk", chosen_point) or "")
    if not chosen.isdigit():
        return None
    point = form.fields["supply_point"].queryset.filter(pk=chosen).select_related("address").first()
    covering = outages_for_supply_point(supply_point=point) if point is not None else []
    return covering[0] if covering else None


def _register(request: HttpRequest, form: TicketNewForm, customer: Customer | None) -> Ticket | None:
    """Register the ticket and link it to the outage when ticked; refusals go next to their fields."""
    data, now = form.cleaned_data, system_clock.now()
    ticket_data = TicketData(
        ticket_type=data["ticket_type"],
        channel=data["channel"],
        subject=data["subject"],
        description=data["description"],
        form=form.answers(),
        category=data["category"],
        customer=customer,
        supply_point=data["supply_point"],
        contract=data["contract"],
        invoice=data["invoice"],
        caller_name=data["caller_name"],
        caller_phone=data["caller_phone"],
        caller_email=data["caller_email"],
    )
    try:
        ticket = ticket_register(
            company=request.company, data=ticket_data, now=now, registered_by=request.user
        )
    except DomainError as failed:
        form.add_domain_errors(failed)
        return None
    messages.success(request, _("Ticket %(number)s registered.") % {"number": ticket.number})
    if data.get("outage") and data["supply_point"] is not None:
        _outage_link(request, ticket, data["outage"], now)
    return ticket


def _outage_link(request: HttpRequest, ticket: Ticket, outage_id: int, now: datetime) -> None:
    """Link a ticket just registered to the outage ticked on the form; a refusal leaves it registered."""
    outage = outage_of_company(company=request.company, outage_id=outage_id)
    if outage is None:
        messages.warning(request, _("The outage to link to was not found."))
        return
    try:
        ticket_outage_link(ticket=ticket, outage=outage, now=now, made_by=request.user)
    except DomainError as error:
        messages.warning(request, error.message)
    else:
        messages.success(request, _("Linked to outage %(number)s.") % {"number": outage.number})


def _new_initial(request: HttpRequest, customer: Customer | None) -> dict:
    """What the page opens with: the caller's number, the type, and what a reload without scripts kept."""
    initial = {name: request.GET[name] for name in TicketNewForm.base_fields if request.GET.get(name)}
    initial.setdefault("ticket_type", request.GET.get("type") or None)
    initial.setdefault("caller_phone", request.GET.get("phone", "").strip())
    initial.setdefault("channel", TicketChannel.PHONE)
    if customer is not None and "supply_point" not in initial:
        points = list(customer.supply_points.values_list("pk", flat=True)[:2])
        initial["supply_point"] = points[0] if len(points) == 1 else None
    return initial


@staff_page(WORK_TICKETS)
def ticket_new(request: HttpRequest) -> HttpResponse:
    company = request.company
    source = request.POST if request.method == "POST" else request.GET
    customer = _customer_from(request, source.get("customer"))
    if request.method == "POST":
        form = TicketNewForm(request.POST, company=company, customer=customer)
        if form.is_valid():
            ticket = _register(request, form, customer)
            if ticket is not None:
                return redirect("backoffice:care_ticket", ticket_id=ticket.pk)
        chosen_point = request.POST.get("supply_point")
    else:
        form = TicketNewForm(initial=_new_initial(request, customer), company=company, customer=customer)
        chosen_point = form.initial.get("supply_point")
    offer = _outage_offer(form, chosen_point)
    context = {
        "form": form,
        "customer": customer,
        "outage_offer": offer,
        # ticked at first only for an outage report: a complaint from the same street is not about the outage
        "outage_checked": offer is not None
        and (
            request.POST.get("outage") == str(offer.pk)
            if form.is_bound
            else bool(form.ticket_type and form.ticket_type.is_outage)
        ),
    }
    part = request.GET.get("part", "")
    if part == "fields":
        return render(request, "backoffice/care/_ticket_type_fields.html", context)
    if part == "outage":
        return render(request, "backoffice/care/_ticket_outage_offer.html", context)
    q = request.GET.get("q", "").strip()
    context.update(
        card=customer_card(customer=customer, on_date=system_clock.today()) if customer else None,
        q=q,
        found=customers_search(company=company, text=q) if q and customer is None else [],
        phone=request.GET.get("phone", "").strip() or request.POST.get("caller_phone", ""),
        type_id=request.GET.get("type", ""),
    )
    return render(request, "backoffice/care/ticket_new.html", context)


# --- a ticket ------------------------------------------------------------------------------------------


def form_answers(ticket: Ticket, language: str) -> list[tuple[str, str]]:
    """The type's form with the answers as people read them; answers to fields removed since stay."""
    data = dict(ticket.form_data or {})
    answers = []
    for field in ticket.ticket_type.fields.all():
        value = str(data.pop(field.code, ""))
        if field.kind == FieldKind.CHOICE:
            value = dict(field.choice_options(language)).get(value, value)
        elif field.kind == FieldKind.YES_NO and value in ("yes", "no"):
            value = _("Yes") if value == "yes" else _("No")
        answers.append((field.label(language), value))
    return answers + [(code, str(value)) for code, value in data.items()]


@staff_page(WORK_TICKETS)
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    company, now, today = request.company, system_clock.now(), system_clock.today()
    context = {
        "ticket": ticket,
        "row": TicketRow(ticket, sla_state(ticket, now), complaint_days_left(ticket=ticket, on_date=today)),
        "answers": form_answers(ticket, get_language() or "pl"),
        "ticket_messages": ticket.messages.select_related("first_ticket", "author"),
        "events": ticket.events.select_related("team", "assignee", "made_by"),
        "correspondence": ticket.correspondence.defer("content").select_related("created_by"),
        "merged": ticket.merged.order_by("number"),
        "members": ticket.team.members.order_by("username"),
        "teams": teams_of_company(company=company).exclude(pk=ticket.team_id),
        "statuses": [
            (value, label) for value, label in TicketStatus.choices if value in TRANSITIONS[ticket.status]
        ],
        "outages": outages_of_company(company=company, status=Outage.Status.ACTIVE),
        "message_kinds": TicketMessageKind.choices,
    }
    return render(request, "backoffice/care/ticket.html", context)


def _pk(request: HttpRequest, name: str) -> int:
    raw = request.POST.get(name, "")
    return int(raw) if raw.isdigit() else 0


def _assign(request: HttpRequest, ticket: Ticket, now: datetime) -> tuple[str, Ticket]:
    assignee = None
    if request.POST.get("assignee"):
        assignee = ticket.team.members.filter(pk=_pk(request, "assignee")).first()
        if assignee is None:
            raise ValidationFailed.single(
                "assignee", _("Choose a member of team %(team)s.") % {"team": ticket.team}
            )
    ticket = ticket_assign(ticket=ticket, assignee=assignee, now=now, made_by=request.user)
    if assignee is None:
        return _("Back in the queue of %(team)s.") % {"team": ticket.team}, ticket
    return _("Assigned to %(user)s.") % {"user": assignee}, ticket


def _hand_over(request: HttpRequest, ticket: Ticket, now: datetime) -> tuple[str, Ticket]:
    team = teams_of_company(company=request.company).filter(pk=_pk(request, "team")).first()
    if team is None:
        raise ValidationFailed.single("team", _("Choose the team to hand the ticket over to."), "required")
    note = request.POST.get("note", "")
    ticket = ticket_hand_over(ticket=ticket, team=team, note=note, now=now, made_by=request.user)
    return _("Handed over to %(team)s.") % {"team": team}, ticket


def _survey(request: HttpRequest, ticket: Ticket, now: datetime) -> str:
    """Send the satisfaction survey of a ticket just closed; what happened, in a sentence."""

    def survey_url(token: str) -> str:
        return request.build_absolute_uri(reverse("survey", args=[token]))

    try:
        survey = survey_send(ticket=ticket, survey_url=survey_url, now=now)
    except DomainError as error:
        return error.message
    if survey is None:
        return _("No phone or e-mail to send the satisfaction survey to.")
    return _("A satisfaction survey was sent.")


def _status(request: HttpRequest, ticket: Ticket, now: datetime) -> tuple[str, Ticket]:
    ticket = ticket_status_change(
        ticket=ticket,
        status=request.POST.get("status", ""),
        note=request.POST.get("note", ""),
        now=now,
        made_by=request.user,
    )
    done = _("Status: %(status)s.") % {"status": ticket.get_status_display()}
    if ticket.status == TicketStatus.CLOSED:
        done = f"{done} {_survey(request, ticket, now)}".strip()
    return done, ticket


@transaction.atomic
def _message(request: HttpRequest, ticket: Ticket, now: datetime) -> tuple[str, Ticket]:
    kind = request.POST.get("kind", TicketMessageKind.NOTE)
    message = ticket_message_add(
        ticket=ticket,
        kind=kind,
        text=request.POST.get("text", ""),
        now=now,
        made_by=request.user,
        author_name=ticket.caller_name if kind == TicketMessageKind.INBOUND else "",
    )
    if kind != TicketMessageKind.OUTBOUND or not request.POST.get("send"):
        return _("Written down."), ticket
    letter = person_inform(
        company=request.company,
        customer=ticket.customer,
        ticket=ticket,
        subject=f"{ticket.number}: {ticket.subject}",
        text=message.text,
        now=now,
        made_by=request.user,
        phone=ticket.caller_phone,
        email=ticket.caller_email,
    )
    if not letter.delivered:
        return _("Written down, but not sent: %(reason)s") % {"reason": letter.failure}, ticket
    return _("Sent to %(recipient)s.") % {"recipient": letter.recipient}, ticket


def _merge(request: HttpRequest, ticket: Ticket, now: datetime) -> tuple[str, Ticket]:
    number = request.POST.get("into", "").strip()
    into = Ticket.objects.filter(company=request.company, number=number).first() if number else None
    if into is None:
        raise ValidationFailed.single(
            "into", _("No ticket is numbered %(number)s.") % {"number": number or "—"}, "not_found"
        )
    into = ticket_merge(ticket=ticket, into=into, now=now, made_by=request.user)
    done = _("%(ticket)s was merged into %(into)s with every message.")
    return done % {"ticket": ticket.number, "into": into.number}, into


def _outage(request: HttpRequest, ticket: Ticket, now: datetime) -> tuple[str, Ticket]:
    outage = outage_of_company(company=request.company, outage_id=_pk(request, "outage"))
    if outage is None:
        raise ValidationFailed.single("outage", _("Choose an active outage."), "required")
    ticket = ticket_outage_link(ticket=ticket, outage=outage, now=now, made_by=request.user)
    return _("Linked to outage %(number)s.") % {"number": outage.number}, ticket


TICKET_ACTIONS = {
    "assign": _assign,
    "hand_over": _hand_over,
    "status": _status,
    "message": _message,
    "merge": _merge,
    "outage": _outage,
}


@staff_page(WORK_TICKETS)
@require_POST
def ticket_action(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    action = TICKET_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        return HttpResponse(status=400)
    try:
        done, shown = action(request, ticket, system_clock.now())
    except DomainError as failed:
        messages_from(request, failed)
        shown = ticket
    else:
        messages.success(request, done)
    return redirect("backoffice:care_ticket", ticket_id=shown.pk)


# --- the caller ----------------------------------------------------------------------------------------


def readable_phone(number: str) -> str:
    """The number in E.164 when it can be read, else as the phone system sent it."""
    try:
        return phone_normalise(number)
    except InvalidIdentifier:
        return number.strip()


@staff_page(WORK_TICKETS)
def caller(request: HttpRequest) -> HttpResponse:
    """Opened by the phone system (or its link): one customer → registration for them; several → a choice;
    nobody → registration with the number and a customer search."""
    number = request.GET.get("number", "").strip()
    phone = readable_phone(number)
    chosen = _customer_from(request, request.GET.get("customer"))
    if chosen is not None:
        return redirect(_new_url(customer=chosen.pk, phone=phone))
    found = customers_by_phone(company=request.company, number=number)
    if len(found) == 1:
        return redirect(_new_url(customer=found[0].pk, phone=phone))
    if not found:
        if number:
            messages.info(
                request,
                _("Nobody has the number %(number)s: find the customer, or register the call without one.")
                % {"number": phone},
            )
        return redirect(_new_url(phone=phone))
    return render(request, "backoffice/care/caller.html", {"number": phone, "customers": found})
