"""Outages: dispatchers open and keep them current; calls are linked (suggested by the caller's supply
point), every linked caller can be told the expected end, and closing the outage closes its tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Prefetch
from django.utils import formats, translation
from django.utils.translation import gettext as _

from kilowatt.care.models import (
    OPEN_STATUSES,
    Correspondence,
    Outage,
    OutageNote,
    Ticket,
    TicketEventKind,
    TicketStatus,
)
from kilowatt.care.notify import person_inform
from kilowatt.care.operations import TicketRefused, ticket_event_record, ticket_status_change
from kilowatt.care.sla import WARSAW
from kilowatt.core.errors import FieldError, ValidationFailed
from kilowatt.core.models import Company
from kilowatt.core.numbering import number_series_next
from kilowatt.network.models import DistributionArea, SupplyPoint


@dataclass(frozen=True)
class OutageData:
    title: str
    started_at: datetime
    area: DistributionArea | None = None
    station: str = ""
    postal_codes: str = ""
    supply_points: Sequence[SupplyPoint] = ()
    expected_end_at: datetime | None = None
    crew: str = ""


def _check(company: Company, data: OutageData) -> None:
    errors: list[FieldError] = []
    if not data.title.strip():
        errors.append(FieldError("title", _("Give the outage a title (place and what failed)."), "required"))
    if not (data.area or data.station.strip() or data.postal_codes.strip() or data.supply_points):
        errors.append(
            FieldError(
                "area", _("Say where: an area, a network station, postal codes or supply points."), "required"
            )
        )
    if any(point.company_id != company.pk for point in data.supply_points):
        errors.append(FieldError("supply_points", _("Choose supply points of this company.")))
    if data.expected_end_at is not None and data.expected_end_at <= data.started_at:
        errors.append(FieldError("expected_end_at", _("The expected end must be after the start.")))
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def outage_open(*, company: Company, data: OutageData, now: datetime, made_by: AbstractBaseUser) -> Outage:
    _check(company, data)
    outage = Outage.objects.create(
        company=company,
        number=number_series_next(company=company, document_type="outage", year=now.astimezone(WARSAW).year),
        title=data.title.strip()[:200],
        area=data.area,
        station=data.station.strip()[:64],
        postal_codes=data.postal_codes.strip()[:500],
        started_at=data.started_at,
        expected_end_at=data.expected_end_at,
        crew=data.crew.strip()[:200],
        created_at=now,
        created_by=made_by,
    )
    outage.supply_points.set(data.supply_points)
    return outage


@transaction.atomic
def outage_update(
    *,
    outage: Outage,
    note: str,
    expected_end_at: datetime | None,
    crew: str | None,
    now: datetime,
    made_by: AbstractBaseUser,
) -> Outage:
    """Record the crew's progress and, when given, a new expected end; the note keeps the history."""
    outage = Outage.objects.select_for_update().get(pk=outage.pk)
    if outage.status != Outage.Status.ACTIVE:
        raise ValidationFailed.single("note", _("The outage is closed."))
    if not note.strip() and expected_end_at is None and crew is None:
        raise ValidationFailed.single("note", _("Write what changed."), "required")
    if expected_end_at is not None and expected_end_at <= outage.started_at:
        raise ValidationFailed.single("expected_end_at", _("The expected end must be after the start."))
    if expected_end_at is not None:
        outage.expected_end_at = expected_end_at
    if crew is not None:
        outage.crew = crew.strip()[:200]
    outage.save(update_fields=["expected_end_at", "crew"])
    text = note.strip() or _("Expected end changed.")
    OutageNote.objects.create(
        outage=outage, text=text, expected_end_at=expected_end_at, created_at=now, created_by=made_by
    )
    return outage


def outages_covering(*, company_id: int, supply_points: Sequence[SupplyPoint]) -> dict[int, list[Outage]]:
    """Active outages covering each point (newest first), in two queries however many points: an outage
    covers a point named in it, a point at one of its postal codes, or, when it names only an area, every
    point of that area. Points need their address loaded."""
    active = list(
        Outage.objects.filter(company_id=company_id, status=Outage.Status.ACTIVE)
        .prefetch_related(Prefetch("supply_points", queryset=SupplyPoint.objects.only("id")))
        .order_by("-started_at", "-id")
    )
    named = {outage.pk: {point.pk for point in outage.supply_points.all()} for outage in active}
    codes = {outage.pk: set(outage.postal_code_list()) for outage in active}

    def covers(outage: Outage, point: SupplyPoint) -> bool:
        postal_code = point.address.postal_code if point.address_id else ""
        only_area = outage.area_id is not None and not outage.postal_codes and not outage.station
        return (
            point.pk in named[outage.pk]
            or (bool(postal_code) and postal_code in codes[outage.pk])
            or (only_area and point.area_id == outage.area_id)
        )

    return {point.pk: [outage for outage in active if covers(outage, point)] for point in supply_points}


def outages_for_supply_point(*, supply_point: SupplyPoint) -> list[Outage]:
    """Active outages that cover the point, newest first (see ``outages_covering``)."""
    return outages_covering(company_id=supply_point.company_id, supply_points=[supply_point])[supply_point.pk]


def outage_callers(*, outage: Outage) -> list[Ticket]:
    """Every ticket that reported the outage, with the tickets merged into them (each caller once)."""
    linked = list(
        Ticket.objects.filter(outage=outage).exclude(status=TicketStatus.MERGED).select_related("customer")
    )
    merged = list(Ticket.objects.filter(merged_into__in=linked).select_related("customer"))
    return linked + merged


def _expected_end_text(outage: Outage, language: str) -> str:
    with translation.override(language):
        if outage.expected_end_at is None:
            return _(
                "Outage %(number)s (%(title)s): our crews are working on it; we will let you know when "
                "power is back."
            ) % {"number": outage.number, "title": outage.title}
        when = formats.date_format(outage.expected_end_at.astimezone(WARSAW), "DATETIME_FORMAT")
        return _("Outage %(number)s (%(title)s): supply is expected back by %(when)s.") % {
            "number": outage.number,
            "title": outage.title,
            "when": when,
        }


def outage_callers_inform(
    *, outage: Outage, now: datetime, made_by: AbstractBaseUser, text: str = ""
) -> list[Correspondence]:
    """Tell every linked caller the expected end (or ``text``) by SMS or e-mail, each once per call."""
    sent = []
    seen: set[tuple[int | None, str]] = set()
    for ticket in outage_callers(outage=outage):
        reach = ticket.caller_phone or ticket.caller_email.lower() or f"ticket-{ticket.pk}"
        key = (ticket.customer_id, reach if ticket.customer_id is None else "")
        if key in seen:
            continue
        seen.add(key)
        language = ticket.customer.language if ticket.customer else "pl"
        with translation.override(language):
            subject = _("Outage %(number)s") % {"number": outage.number}
        message = text.strip() or _expected_end_text(outage, language)
        sent.append(
            person_inform(
                company=outage.company,
                customer=ticket.customer,
                ticket=ticket,
                subject=subject,
                text=message,
                now=now,
                made_by=made_by,
                phone=ticket.caller_phone,
                email=ticket.caller_email,
            )
        )
        ticket_event_record(ticket, TicketEventKind.NOTIFIED, now, made_by, message)
    return sent


@transaction.atomic
def outage_close(
    *,
    outage: Outage,
    ended_at: datetime,
    note: str,
    now: datetime,
    made_by: AbstractBaseUser,
    inform: bool = True,
) -> Outage:
    """End the outage: its open tickets are resolved with the note (and callers told, when asked)."""
    outage = Outage.objects.select_for_update().get(pk=outage.pk)
    if outage.status != Outage.Status.ACTIVE:
        raise ValidationFailed.single("ended_at", _("The outage is already closed."))
    if ended_at < outage.started_at:
        raise ValidationFailed.single("ended_at", _("The end cannot be before the start."))
    outage.status, outage.ended_at = Outage.Status.CLOSED, ended_at
    outage.save(update_fields=["status", "ended_at"])
    text = note.strip() or _("Supply restored.")
    OutageNote.objects.create(outage=outage, text=text, created_at=now, created_by=made_by)
    if inform:
        outage_callers_inform(outage=outage, now=now, made_by=made_by, text=f"{outage.number}: {text}")
    for ticket in Ticket.objects.filter(outage=outage, status__in=OPEN_STATUSES):
        try:
            ticket_status_change(
                ticket=ticket, status=TicketStatus.RESOLVED, note=text, now=now, made_by=made_by
            )
        except TicketRefused:
            continue  # e.g. a complaint linked by mistake waits for its own decision
    return outage
