"""Tickets: registration with a form per type, assignment and hand-over, status with SLA pauses, notes
and messages, merging, and the SLA breach check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from kilowatt.billing.models import Invoice
from kilowatt.care.forms import ticket_form_check
from kilowatt.care.models import (
    CATEGORY_DICTIONARY,
    OPEN_STATUSES,
    WAITING_STATUSES,
    Outage,
    Team,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketMessage,
    TicketMessageKind,
    TicketStatus,
    TicketType,
)
from kilowatt.care.sla import WARSAW, business_deadline, business_seconds_between
from kilowatt.channels.models import Organisation
from kilowatt.collections.operations import debt_dispute_close, debt_dispute_open
from kilowatt.core.errors import DomainError, FieldError, ValidationFailed
from kilowatt.core.identifiers import InvalidIdentifier
from kilowatt.core.models import Company, DictionaryEntry
from kilowatt.core.numbering import number_series_next
from kilowatt.core.phones import phone_normalise
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.sales.models import Contract

# Which status may follow which; a merged ticket is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset(
        {TicketStatus.IN_PROGRESS, *WAITING_STATUSES, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.IN_PROGRESS: frozenset({*WAITING_STATUSES, TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.WAITING_CUSTOMER: frozenset(
        {
            TicketStatus.IN_PROGRESS,
            TicketStatus.WAITING_THIRD_PARTY,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.WAITING_THIRD_PARTY: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.WAITING_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.IN_PROGRESS}),
    TicketStatus.CLOSED: frozenset({TicketStatus.IN_PROGRESS}),
    TicketStatus.MERGED: frozenset(),
}


class TicketRefused(DomainError):
    code = "ticket_refused"


def _user(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


def ticket_event_record(
    ticket: Ticket, kind: str, now: datetime, made_by: AbstractBaseUser | None, text: str = ""
) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        text=text[:500],
        team=ticket.team,
        assignee=ticket.assignee,
        status=ticket.status,
        made_by=_user(made_by),
        created_at=now,
    )


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",)).select_related("team", "ticket_type").get(pk=ticket.pk)
    )


@dataclass(frozen=True)
class TicketData:
    """What a call-centre agent types when registering a ticket."""

    ticket_type: TicketType
    channel: str
    subject: str
    description: str = ""
    form: Mapping[str, Any] | None = None
    category: DictionaryEntry | None = None
    customer: Customer | None = None
    supply_point: SupplyPoint | None = None
    contract: Contract | None = None
    invoice: Invoice | None = None
    caller_name: str = ""
    caller_phone: str = ""
    caller_email: str = ""
    organisation: Organisation | None = None


def _data_check(*, company: Company, data: TicketData) -> tuple[dict[str, str], str]:
    """The cleaned form and caller phone; every problem is named at once, nothing is stored."""
    errors: list[FieldError] = []
    if data.ticket_type.company_id != company.pk or not data.ticket_type.is_active:
        errors.append(FieldError("ticket_type", _("Choose an active ticket type.")))
    if not data.subject.strip():
        errors.append(FieldError("subject", _("Say in a few words what the ticket is about."), "required"))
    if data.category is not None and (
        data.category.company_id != company.pk or data.category.dictionary != CATEGORY_DICTIONARY
    ):
        errors.append(FieldError("category", _("Choose a category from the list.")))
    customer = data.customer
    for name, record in (
        ("supply_point", data.supply_point),
        ("contract", data.contract),
        ("invoice", data.invoice),
    ):
        if record is None:
            continue
        if record.company_id != company.pk or (customer is not None and record.customer_id != customer.pk):
            errors.append(FieldError(name, _("It does not belong to this customer.")))
    if customer is not None and customer.company_id != company.pk:
        errors.append(FieldError("customer", _("Choose a customer of this company.")))
    if data.organisation is not None and data.organisation.company_id != company.pk:
        errors.append(FieldError("organisation", _("Choose a partner of this company.")))
    if customer is None and (data.supply_point or data.contract or data.invoice):
        errors.append(FieldError("customer", _("Choose the customer first.")))
    if data.ticket_type.is_complaint and customer is None:
        errors.append(FieldError("customer", _("A complaint needs the customer it comes from."), "required"))
    phone = ""
    try:
        phone = phone_normalise(data.caller_phone)
    except InvalidIdentifier as error:
        errors.append(FieldError("caller_phone", str(error)))
    form: dict[str, str] = {}
    try:
        form = ticket_form_check(ticket_type=data.ticket_type, data=data.form or {})
    except ValidationFailed as failed:
        errors += failed.errors
    if errors:
        raise ValidationFailed(errors)
    return form, phone


def _sla_due(ticket_type: TicketType, team: Team, start: datetime) -> datetime:
    return business_deadline(
        start=start, seconds=ticket_type.sla_hours * 3600, day_starts=team.day_starts, day_ends=team.day_ends
    )


@transaction.atomic
def ticket_register(
    *, company: Company, data: TicketData, now: datetime, registered_by: AbstractBaseUser | None
) -> Ticket:
    """Register a contact: number it, start its SLA (and a complaint's legal deadline), block dunning
    when the type says so. Raises ValidationFailed naming every missing or wrong field."""
    form, phone = _data_check(company=company, data=data)
    ticket_type = data.ticket_type
    team = ticket_type.team
    customer = data.customer
    ticket = Ticket.objects.create(
        company=company,
        number=number_series_next(company=company, document_type="ticket", year=now.astimezone(WARSAW).year),
        ticket_type=ticket_type,
        category=data.category,
        channel=data.channel,
        subject=data.subject.strip()[:200],
        description=data.description.strip(),
        form_data=form,
        caller_name=(data.caller_name or (customer.display_name if customer else "")).strip()[:200],
        caller_phone=phone or (customer.phone if customer else ""),
        caller_email=data.caller_email.strip() or (customer.email if customer else ""),
        customer=customer,
        supply_point=data.supply_point,
        contract=data.contract,
        invoice=data.invoice,
        organisation=data.organisation,
        team=team,
        due_at=_sla_due(ticket_type, team, now),
        answer_due_on=(
            now.astimezone(WARSAW).date() + timedelta(days=ticket_type.answer_days)
            if ticket_type.is_complaint
            else None
        ),
        created_at=now,
        created_by=_user(registered_by),
    )
    if data.description.strip():
        TicketMessage.objects.create(
            ticket=ticket,
            first_ticket=ticket,
            kind=TicketMessageKind.INBOUND,
            text=data.description.strip(),
            author_name=ticket.caller_name,
            created_at=now,
        )
    if ticket_type.blocks_dunning and customer is not None:
        ticket.debt_dispute = debt_dispute_open(
            customer=customer,
            subject=f"{ticket.number}: {ticket.subject}",
            on_date=now.astimezone(WARSAW).date(),
            now=now,
        )
        ticket.save(update_fields=["debt_dispute"])
    ticket_event_record(ticket, TicketEventKind.REGISTERED, now, registered_by, ticket_type.name_en)
    return ticket


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, assignee: AbstractBaseUser | None, now: datetime, made_by: AbstractBaseUser | None
) -> Ticket:
    """Give the ticket to a member of its team (or take it back to the team's queue)."""
    ticket = _locked(ticket)
    if not ticket.is_open:
        raise TicketRefused(_("Only an open ticket can be assigned."), field="assignee")
    if assignee is not None and not ticket.team.members.filter(pk=assignee.pk).exists():
        raise TicketRefused(
            _("%(user)s is not in team %(team)s.") % {"user": assignee, "team": ticket.team}, field="assignee"
        )
    ticket.assignee = assignee
    if ticket.status == TicketStatus.NEW and assignee is not None:
        ticket.status = TicketStatus.IN_PROGRESS
    ticket.save(update_fields=["assignee", "status"])
    ticket_event_record(ticket, TicketEventKind.ASSIGNED, now, made_by, str(assignee or ticket.team))
    return ticket


@transaction.atomic
def ticket_hand_over(
    *, ticket: Ticket, team: Team, note: str, now: datetime, made_by: AbstractBaseUser | None
) -> Ticket:
    """Pass the ticket to another department; it lands in that team's queue; the trail says who holds it."""
    ticket = _locked(ticket)
    if not ticket.is_open:
        raise TicketRefused(_("Only an open ticket can be handed over."), field="team")
    if team.company_id != ticket.company_id:
        raise TicketRefused(_("Choose a team of this company."), field="team")
    if team.pk == ticket.team_id:
        raise TicketRefused(_("The ticket is already with %(team)s.") % {"team": team}, field="team")
    if not note.strip():
        raise ValidationFailed.single("note", _("Say what the other team should do."), "required")
    ticket.team, ticket.assignee = team, None
    ticket.save(update_fields=["team", "assignee"])
    TicketMessage.objects.create(
        ticket=ticket,
        first_ticket=ticket,
        kind=TicketMessageKind.NOTE,
        text=note.strip(),
        author=_user(made_by),
        author_name=str(made_by or ""),
        created_at=now,
    )
    ticket_event_record(ticket, TicketEventKind.HANDED_OVER, now, made_by, note.strip())
    return ticket


def _dispute_close(ticket: Ticket, now: datetime, outcome: str) -> None:
    """A ticket that blocked dunning releases it when it is finished (a complaint does so on its decision)."""
    dispute = ticket.debt_dispute
    if dispute is not None and dispute.closed_on is None:
        debt_dispute_close(dispute=dispute, outcome=str(outcome), on_date=now.astimezone(WARSAW).date())


def _sla_pause(ticket: Ticket, now: datetime) -> None:
    if ticket.sla_paused_at is not None or ticket.due_at is None:
        return
    if ticket.due_at <= now:  # already late: waiting now must not hide the breach
        ticket.sla_breached_at = ticket.sla_breached_at or now
    ticket.sla_left_seconds = business_seconds_between(
        start=now, end=ticket.due_at, day_starts=ticket.team.day_starts, day_ends=ticket.team.day_ends
    )
    ticket.sla_paused_at = now


def _sla_resume(ticket: Ticket, now: datetime) -> None:
    if ticket.sla_paused_at is None:
        return
    ticket.due_at = business_deadline(
        start=now,
        seconds=ticket.sla_left_seconds or 0,
        day_starts=ticket.team.day_starts,
        day_ends=ticket.team.day_ends,
    )
    ticket.sla_paused_at, ticket.sla_left_seconds = None, None


@transaction.atomic
def ticket_status_change(
    *, ticket: Ticket, status: str, note: str, now: datetime, made_by: AbstractBaseUser | None
) -> Ticket:
    """Move a ticket along the transition table; waiting states pause the SLA, leaving them resumes it.

    Raises TicketRefused for a move the table does not allow (a merged ticket never moves).
    """
    ticket = _locked(ticket)
    if status not in TRANSITIONS.get(ticket.status, frozenset()):
        raise TicketRefused(
            _("A ticket that is %(from)s cannot become %(to)s.")
            % {
                "from": TicketStatus(ticket.status).label,
                "to": TicketStatus(status).label if status in TicketStatus.values else status,
            },
            field="status",
        )
    if (
        status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        and ticket.ticket_type.is_complaint
        and not ticket.decision
    ):
        raise TicketRefused(_("Record the complaint's decision before closing it."), field="status")
    if status in WAITING_STATUSES:
        _sla_pause(ticket, now)
    elif ticket.status in WAITING_STATUSES:
        _sla_resume(ticket, now)
    finishing = status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    if finishing and ticket.sla_paused_at is None and ticket.due_at and ticket.due_at < now:
        ticket.sla_breached_at = ticket.sla_breached_at or now
    if status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif status == TicketStatus.IN_PROGRESS and ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        ticket.resolved_at, ticket.closed_at = None, None
    if finishing:
        _dispute_close(ticket, now, TicketStatus(status).label)
    ticket.status = status
    ticket.save(
        update_fields=[
            "status",
            "due_at",
            "sla_paused_at",
            "sla_left_seconds",
            "sla_breached_at",
            "resolved_at",
            "closed_at",
        ]
    )
    if note.strip():
        TicketMessage.objects.create(
            ticket=ticket,
            first_ticket=ticket,
            kind=TicketMessageKind.NOTE,
            text=note.strip(),
            author=_user(made_by),
            author_name=str(made_by or ""),
            created_at=now,
        )
    ticket_event_record(ticket, TicketEventKind.STATUS, now, made_by, note.strip())
    return ticket


def ticket_message_add(
    *,
    ticket: Ticket,
    kind: str,
    text: str,
    now: datetime,
    made_by: AbstractBaseUser | None,
    author_name: str = "",
) -> TicketMessage:
    """An internal note, or a message from or to the customer (sending is the caller's business)."""
    if kind not in TicketMessageKind.values:
        raise ValidationFailed.single("kind", _("Choose a note or a message."))
    if not text.strip():
        raise ValidationFailed.single("text", _("Write the message."), "required")
    if ticket.status == TicketStatus.MERGED:
        raise TicketRefused(
            _("This ticket was merged into %(number)s; write there.") % {"number": ticket.merged_into},
            field="text",
        )
    return TicketMessage.objects.create(
        ticket=ticket,
        first_ticket=ticket,
        kind=kind,
        text=text.strip(),
        author=_user(made_by),
        author_name=author_name or str(made_by or ""),
        created_at=now,
    )


@transaction.atomic
def ticket_merge(*, ticket: Ticket, into: Ticket, now: datetime, made_by: AbstractBaseUser | None) -> Ticket:
    """Merge a ticket about the same event into another: every message moves over (marked with the ticket it
    was written in), tickets merged earlier follow, the merged ticket stays as a pointer. Returns ``into``."""
    first, second = sorted([ticket.pk, into.pk])
    locked = {
        t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")
    }
    ticket, into = locked[ticket.pk], locked[into.pk]
    if ticket.pk == into.pk:
        raise TicketRefused(_("A ticket cannot be merged into itself."), field="into")
    if ticket.company_id != into.company_id:
        raise TicketRefused(_("Choose a ticket of this company."), field="into")
    if not ticket.is_open or not into.is_open:
        raise TicketRefused(_("Only open tickets can be merged."), field="into")
    if ticket.ticket_type.is_complaint:
        raise TicketRefused(_("A complaint keeps its own legal deadline and cannot be merged."), field="into")
    TicketMessage.objects.filter(ticket=ticket).update(ticket=into)
    Ticket.objects.filter(merged_into=ticket).update(merged_into=into)
    if into.outage_id is None and ticket.outage_id is not None:
        into.outage_id = ticket.outage_id
        into.save(update_fields=["outage"])
    _dispute_close(ticket, now, TicketStatus.MERGED.label)
    ticket.status, ticket.merged_into, ticket.closed_at = TicketStatus.MERGED, into, now
    ticket.save(update_fields=["status", "merged_into", "closed_at"])
    ticket_event_record(ticket, TicketEventKind.MERGED, now, made_by, into.number)
    ticket_event_record(into, TicketEventKind.MERGED, now, made_by, ticket.number)
    return into


@transaction.atomic
def ticket_outage_link(
    *, ticket: Ticket, outage: Outage, now: datetime, made_by: AbstractBaseUser | None
) -> Ticket:
    ticket = _locked(ticket)
    outage = Outage.objects.select_for_update().get(pk=outage.pk)  # not while the dispatcher closes it
    if outage.company_id != ticket.company_id:
        raise TicketRefused(_("Choose an outage of this company."), field="outage")
    if outage.status != Outage.Status.ACTIVE:
        raise TicketRefused(
            _("The outage %(number)s is already closed.") % {"number": outage.number}, field="outage"
        )
    if not ticket.is_open:
        raise TicketRefused(_("Only an open ticket can be linked to an outage."), field="outage")
    ticket.outage = outage
    ticket.save(update_fields=["outage"])
    ticket_event_record(ticket, TicketEventKind.OUTAGE_LINKED, now, made_by, outage.number)
    return ticket


@transaction.atomic
def tickets_sla_check(*, company: Company, now: datetime) -> int:
    """Flag open tickets whose SLA ran out (once each); returns how many were newly flagged."""
    late = list(
        Ticket.objects.select_for_update(of=("self",))
        .filter(
            company=company,
            status__in=OPEN_STATUSES,
            sla_paused_at__isnull=True,
            sla_breached_at__isnull=True,
            due_at__lte=now,
        )
        .select_related("team")
    )
    for ticket in late:
        ticket.sla_breached_at = now
        ticket.save(update_fields=["sla_breached_at"])
        ticket_event_record(
            ticket,
            TicketEventKind.SLA_BREACHED,
            now,
            None,
            ticket.due_at.isoformat() if ticket.due_at else "",
        )
    return len(late)
