"""Tickets: a form per type refuses missing and conditionally required fields; the SLA counts business
hours only (PL holidays out) and pauses while waiting; hand-over keeps the trail; merging loses no message."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from kilowatt.care.forms import ticket_form_fields_check
from kilowatt.care.models import (
    FieldKind,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketFormField,
    TicketMessage,
    TicketMessageKind,
    TicketStatus,
)
from kilowatt.care.operations import (
    TicketData,
    TicketRefused,
    ticket_assign,
    ticket_hand_over,
    ticket_merge,
    ticket_message_add,
    ticket_register,
    ticket_status_change,
    tickets_sla_check,
)
from kilowatt.care.sla import WARSAW, business_deadline, business_seconds_between
from kilowatt.core.errors import ValidationFailed
from tests import care_fixtures, factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def care(company, admin_user):
    teams = care_fixtures.teams(company)
    for team in teams.values():
        team.members.add(admin_user)
    return teams, care_fixtures.ticket_types(company, teams)


def _question(company, care, customer, now, subject="Where is my invoice?", **extra):
    _teams, types = care
    data = TicketData(
        ticket_type=types["question"], channel="phone", subject=subject, customer=customer, **extra
    )
    return ticket_register(company=company, data=data, now=now, registered_by=None)


def test_a_form_with_a_missing_required_field_cannot_be_saved_and_nothing_is_stored(company, care, now):
    _teams, types = care
    customer = factories.customer(company, now)
    data = TicketData(
        ticket_type=types["complaint"],
        channel="phone",
        subject="",
        customer=customer,
        form={"reason": "reading"},
    )
    with pytest.raises(ValidationFailed) as refused:
        ticket_register(company=company, data=data, now=now, registered_by=None)
    fields = {error.field: error.code for error in refused.value.errors}
    # the subject, and the meter reading that 'reason = reading' makes required, are named at once
    assert fields == {"subject": "required", "form.meter_reading": "required"}
    assert Ticket.objects.count() == 0

    data = TicketData(
        ticket_type=types["complaint"],
        channel="phone",
        subject="Bill too high",
        customer=customer,
        form={"reason": "price", "meter_reading": "not a number"},
    )
    with pytest.raises(ValidationFailed) as refused:
        ticket_register(company=company, data=data, now=now, registered_by=None)
    assert [error.field for error in refused.value.errors] == ["form.meter_reading"]

    data = TicketData(
        ticket_type=types["complaint"],
        channel="phone",
        subject="Bill too high",
        customer=customer,
        form={"reason": "price", "unknown": "dropped"},
    )
    ticket = ticket_register(company=company, data=data, now=now, registered_by=None)
    assert ticket.form_data == {"reason": "price"}
    assert ticket.number == "ZG/000001/2026"


def test_a_form_whose_condition_names_a_missing_field_is_refused(company, care):
    _teams, types = care
    bad = TicketFormField(
        ticket_type=types["question"],
        code="x",
        label_pl="x",
        label_en="x",
        kind=FieldKind.TEXT,
        required_when_field="nope",
        required_when_value="1",
    )
    with pytest.raises(ValidationFailed, match="nope"):
        ticket_form_fields_check(fields=[bad])


def test_business_time_skips_nights_weekends_and_polish_holidays():
    start = datetime(2026, 4, 30, 15, 0, tzinfo=WARSAW)  # Thursday; 1 May (Fri) is a holiday, then weekend
    due = business_deadline(start=start, seconds=3 * 3600, day_starts=time(8), day_ends=time(16))
    assert due == datetime(2026, 5, 4, 10, 0, tzinfo=WARSAW)  # 1 h on Thursday + 2 h on Monday
    assert business_seconds_between(start=start, end=due, day_starts=time(8), day_ends=time(16)) == 3 * 3600
    # across the spring DST change the wall clock counts, not UTC hours
    saturday_night = datetime(2026, 3, 28, 23, 0, tzinfo=WARSAW)
    assert business_deadline(
        start=saturday_night, seconds=3600, day_starts=time(8), day_ends=time(16)
    ) == datetime(2026, 3, 30, 9, 0, tzinfo=WARSAW)


def test_the_sla_pauses_while_waiting_for_the_customer_and_breaches_are_flagged_once(company, care, now):
    customer = factories.customer(company, now)
    ticket = _question(company, care, customer, now)  # Tuesday 10 March 09:30, 8 business hours
    assert ticket.due_at == datetime(2026, 3, 11, 9, 30, tzinfo=WARSAW)
    waiting_at = now + timedelta(hours=2)  # 11:30: 6 business hours left
    ticket = ticket_status_change(
        ticket=ticket,
        status=TicketStatus.WAITING_CUSTOMER,
        note="Asked for a photo",
        now=waiting_at,
        made_by=None,
    )
    assert ticket.sla_left_seconds == 6 * 3600
    assert tickets_sla_check(company=company, now=datetime(2026, 3, 12, 12, 0, tzinfo=WARSAW)) == 0
    back = datetime(2026, 3, 13, 8, 0, tzinfo=WARSAW)  # Friday morning
    ticket = ticket_status_change(
        ticket=ticket, status=TicketStatus.IN_PROGRESS, note="", now=back, made_by=None
    )
    assert ticket.due_at == datetime(2026, 3, 13, 14, 0, tzinfo=WARSAW)
    assert tickets_sla_check(company=company, now=datetime(2026, 3, 13, 14, 0, tzinfo=WARSAW)) == 1
    assert tickets_sla_check(company=company, now=datetime(2026, 3, 13, 15, 0, tzinfo=WARSAW)) == 0
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.SLA_BREACHED).count() == 1


def test_hand_over_moves_the_ticket_to_the_other_teams_queue_with_a_trail(company, care, now, admin_user):
    teams, _types = care
    ticket = _question(company, care, factories.customer(company, now), now)
    ticket = ticket_assign(ticket=ticket, assignee=admin_user, now=now, made_by=admin_user)
    assert ticket.status == TicketStatus.IN_PROGRESS
    with pytest.raises(ValidationFailed):
        ticket_hand_over(ticket=ticket, team=teams["billing"], note=" ", now=now, made_by=admin_user)
    ticket = ticket_hand_over(
        ticket=ticket,
        team=teams["billing"],
        note="Please check the last invoice",
        now=now,
        made_by=admin_user,
    )
    assert (ticket.team, ticket.assignee) == (teams["billing"], None)
    trail = list(ticket.events.values_list("kind", "team__code"))
    assert trail == [
        ("registered", "call-centre"),
        ("assigned", "call-centre"),
        ("handed_over", "billing"),
    ]
    with pytest.raises(TicketRefused):
        ticket_hand_over(ticket=ticket, team=teams["billing"], note="again", now=now, made_by=admin_user)


def test_merging_two_tickets_loses_no_message_and_the_merged_one_only_points(company, care, now):
    customer, neighbour = factories.customer(company, now), factories.customer(company, now)
    first = _question(company, care, customer, now, description="Power is off on Polna")
    second = _question(company, care, neighbour, now, description="Also no power here")
    ticket_message_add(
        ticket=second, kind=TicketMessageKind.INBOUND, text="Still nothing", now=now, made_by=None
    )
    third = _question(company, care, neighbour, now, description="Third caller")
    ticket_merge(ticket=third, into=second, now=now, made_by=None)
    ticket_merge(ticket=second, into=first, now=now, made_by=None)

    assert TicketMessage.objects.count() == 4
    assert set(first.messages.values_list("text", flat=True)) == {
        "Power is off on Polna",
        "Also no power here",
        "Still nothing",
        "Third caller",
    }
    assert {t.merged_into_id for t in Ticket.objects.filter(status=TicketStatus.MERGED)} == {first.pk}
    second.refresh_from_db()
    with pytest.raises(TicketRefused, match=first.number):
        ticket_message_add(ticket=second, kind=TicketMessageKind.NOTE, text="x", now=now, made_by=None)
    with pytest.raises(TicketRefused):
        ticket_status_change(ticket=second, status=TicketStatus.IN_PROGRESS, note="", now=now, made_by=None)
    with pytest.raises(TicketRefused):
        ticket_merge(ticket=first, into=first, now=now, made_by=None)


def test_a_ticket_cannot_name_another_customers_invoice_or_another_companys_type(
    company, other_company, care, now
):
    _teams, types = care
    customer, stranger = factories.customer(company, now), factories.customer(company, now)
    point = factories.supply_point(company, stranger, now)
    data = TicketData(
        ticket_type=types["question"], channel="phone", subject="x", customer=customer, supply_point=point
    )
    with pytest.raises(ValidationFailed) as refused:
        ticket_register(company=company, data=data, now=now, registered_by=None)
    assert refused.value.field == "supply_point"
    with pytest.raises(ValidationFailed) as refused:
        ticket_register(
            company=other_company,
            data=TicketData(ticket_type=types["question"], channel="phone", subject="x"),
            now=now,
            registered_by=None,
        )
    assert refused.value.field == "ticket_type"
