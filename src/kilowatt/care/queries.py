"""Reads for care: ticket search, the customer's card while a call is registered, caller lookup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet

from kilowatt.billing.models import Invoice
from kilowatt.care.models import (
    OPEN_STATUSES,
    Correspondence,
    Outage,
    Team,
    Ticket,
    TicketType,
)
from kilowatt.care.sla import WARSAW
from kilowatt.collections.queries import collections_of_customer
from kilowatt.core.identifiers import InvalidIdentifier
from kilowatt.core.models import Company
from kilowatt.core.phones import phone_normalise
from kilowatt.finance.queries import customer_balance
from kilowatt.parties.models import Customer
from kilowatt.switching.models import SwitchCase


def ticket_types_of_company(*, company: Company, active_only: bool = True) -> QuerySet[TicketType]:
    types = TicketType.objects.filter(company=company).select_related("team").prefetch_related("fields")
    return types.filter(is_active=True) if active_only else types


def teams_of_company(*, company: Company) -> QuerySet[Team]:
    return Team.objects.filter(company=company).order_by("name")


def _for_list(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.select_related("ticket_type", "category", "customer", "team", "assignee", "outage")


def ticket_of_company(*, company: Company, ticket_id: int) -> Ticket | None:
    return (
        _for_list(Ticket.objects.filter(company=company, pk=ticket_id))
        .select_related("supply_point", "contract", "invoice", "merged_into", "created_by")
        .first()
    )


@dataclass(frozen=True)
class TicketCriteria:
    """Everything the search page can ask at once; empty means 'any'."""

    text: str = ""
    ticket_type_id: int | None = None
    category_id: int | None = None
    status: str = ""  # a status, or "open"
    channel: str = ""
    team_id: int | None = None
    assignee_id: int | None = None
    registered_from: date | None = None
    registered_to: date | None = None  # inclusive day, as people type it
    area: str = ""  # postal code prefix or city of the supply point (or of the customer without one)
    overdue: bool = False
    breached: bool = False


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=WARSAW)


def tickets_search(*, company: Company, criteria: TicketCriteria, now: datetime) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(company=company)
    c = criteria
    if c.text.strip():
        text = c.text.strip()
        tickets = tickets.filter(
            Q(number__icontains=text)
            | Q(subject__icontains=text)
            | Q(description__icontains=text)
            | Q(caller_name__icontains=text)
            | Q(caller_phone__icontains=text)
            | Q(customer__search_text__icontains=text.lower())
            | Q(customer__number__iexact=text)
            | Q(supply_point__code__iexact=text)
            | Q(invoice__number__iexact=text)
        )
    if c.ticket_type_id:
        tickets = tickets.filter(ticket_type_id=c.ticket_type_id)
    if c.category_id:
        tickets = tickets.filter(category_id=c.category_id)
    if c.status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif c.status:
        tickets = tickets.filter(status=c.status)
    if c.channel:
        tickets = tickets.filter(channel=c.channel)
    if c.team_id:
        tickets = tickets.filter(team_id=c.team_id)
    if c.assignee_id:
        tickets = tickets.filter(assignee_id=c.assignee_id)
    if c.registered_from:
        tickets = tickets.filter(created_at__gte=_day_start(c.registered_from))
    if c.registered_to and c.registered_to < date.max:
        tickets = tickets.filter(created_at__lt=_day_start(c.registered_to + timedelta(days=1)))
    if c.area.strip():
        area = c.area.strip()
        tickets = tickets.filter(
            Q(supply_point__address__postal_code__startswith=area)
            | Q(supply_point__address__city__iexact=area)
            | Q(supply_point__isnull=True, customer__address__postal_code__startswith=area)
            | Q(supply_point__isnull=True, customer__address__city__iexact=area)
        )
    if c.overdue:
        tickets = tickets.filter(status__in=OPEN_STATUSES, sla_paused_at__isnull=True, due_at__lt=now)
    if c.breached:
        tickets = tickets.filter(sla_breached_at__isnull=False)
    return _for_list(tickets).order_by("-created_at", "-id")


def tickets_of_customer(*, customer: Customer) -> QuerySet[Ticket]:
    return _for_list(Ticket.objects.filter(customer=customer)).order_by("-created_at", "-id")


@dataclass(frozen=True)
class CustomerCard:
    """What the agent sees while a call is registered."""

    customer: Customer
    balance: Decimal
    latest_invoices: list[Invoice]
    open_tickets: list[Ticket]
    earlier_tickets: list[Ticket]
    switch_cases: list[SwitchCase]
    collections: dict
    active_outages: list[Outage]


def customer_card(*, customer: Customer, on_date: date) -> CustomerCard:
    from kilowatt.care.outages import outages_covering

    tickets = list(tickets_of_customer(customer=customer)[:30])
    points = list(customer.supply_points.select_related("address"))
    outages: dict[int, Outage] = {}
    for covering in outages_covering(company_id=customer.company_id, supply_points=points).values():
        outages.update((outage.pk, outage) for outage in covering)
    return CustomerCard(
        customer=customer,
        balance=customer_balance(customer=customer),
        latest_invoices=list(Invoice.objects.filter(customer=customer).order_by("-issue_date", "-id")[:5]),
        open_tickets=[t for t in tickets if t.status in OPEN_STATUSES],
        earlier_tickets=[t for t in tickets if t.status not in OPEN_STATUSES],
        switch_cases=list(
            SwitchCase.objects.filter(supply_point__customer=customer)
            .select_related("supply_point")
            .order_by("-id")[:5]
        ),
        collections=collections_of_customer(customer=customer),
        active_outages=list(outages.values()),
    )


def customers_by_phone(*, company: Company, number: str) -> list[Customer]:
    """Customers whose phone, or a contact person's phone, is the calling number (any common spelling).

    A number that cannot be read, or that matches nobody, gives an empty list.
    """
    raw = (number or "").strip()
    if not raw:
        return []
    try:
        e164 = phone_normalise(raw)
    except InvalidIdentifier:
        return []
    spellings = {e164, e164.removeprefix("+48"), raw}
    return list(
        Customer.objects.filter(company=company)
        .filter(Q(phone__in=spellings) | Q(contacts__phone__in=spellings))
        .select_related("address")
        .distinct()
        .order_by("id")[:20]
    )


def correspondence_of_customer(*, customer: Customer) -> QuerySet[Correspondence]:
    return (
        Correspondence.objects.filter(customer=customer)
        .defer("content")
        .select_related("ticket", "created_by")
    )


def outages_of_company(*, company: Company, status: str = "") -> QuerySet[Outage]:
    outages = Outage.objects.filter(company=company).select_related("area")
    return outages.filter(status=status) if status else outages


def outage_of_company(*, company: Company, outage_id: int) -> Outage | None:
    return Outage.objects.filter(company=company, pk=outage_id).select_related("area", "created_by").first()
