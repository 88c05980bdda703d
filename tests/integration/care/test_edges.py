"""Edges found in review: a ticket type that blocks dunning without being a complaint releases it when the
ticket is finished or merged; pausing a ticket already late keeps its breach; callers who left only an
e-mail are each told about an outage; a customer's e-mail answer to a closed ticket puts it back to work."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest

from kilowatt.care.inbound import email_receive
from kilowatt.care.models import TicketStatus, TicketType
from kilowatt.care.operations import (
    TicketData,
    ticket_merge,
    ticket_outage_link,
    ticket_register,
    ticket_status_change,
)
from kilowatt.care.outages import OutageData, outage_callers_inform, outage_open
from kilowatt.care.sla import WARSAW
from kilowatt.collections.models import DebtDispute
from tests import care_fixtures, factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fake_sms_file(settings, tmp_path):
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"


@pytest.fixture
def types(company):
    teams = care_fixtures.teams(company)
    found = care_fixtures.ticket_types(company, teams)
    found["payment"] = TicketType.objects.create(
        company=company, code="payment", name_pl="Płatność", name_en="Payment", team=teams["billing"],
        sla_hours=8, blocks_dunning=True,
    )  # fmt: skip
    return found


def _register(company, ticket_type, now, **values):
    data = TicketData(ticket_type=ticket_type, channel="phone", subject="Matter", **values)
    return ticket_register(company=company, data=data, now=now, registered_by=None)


def test_a_dunning_block_of_a_plain_ticket_ends_when_it_is_finished_or_merged(company, types, now):
    customer = factories.customer(company, now)
    first = _register(company, types["payment"], now, customer=customer)
    second = _register(company, types["payment"], now, customer=customer)
    assert DebtDispute.objects.filter(customer=customer, closed_on__isnull=True).count() == 2
    ticket_status_change(ticket=first, status=TicketStatus.CLOSED, note="Paid", now=now, made_by=None)
    ticket_merge(ticket=second, into=_register(company, types["question"], now), now=now, made_by=None)
    assert not DebtDispute.objects.filter(customer=customer, closed_on__isnull=True).exists()


def test_pausing_a_ticket_already_late_keeps_the_breach(company, types, now):
    ticket = _register(company, types["question"], now)  # due 11 March 09:30
    late = datetime(2026, 3, 13, 10, 0, tzinfo=WARSAW)
    ticket = ticket_status_change(
        ticket=ticket, status=TicketStatus.WAITING_CUSTOMER, note="", now=late, made_by=None
    )
    ticket = ticket_status_change(
        ticket=ticket, status=TicketStatus.RESOLVED, note="", now=late + timedelta(hours=1), made_by=None
    )
    assert ticket.sla_breached_at == late


def test_callers_who_left_only_an_email_are_each_told(company, types, now, admin_user):
    from django.core import mail

    outage = outage_open(
        company=company,
        data=OutageData(title="Cable", started_at=now, postal_codes="00-590"),
        now=now,
        made_by=admin_user,
    )
    for address in ("a@example.pl", "b@example.pl"):
        call = _register(company, types["outage"], now, caller_email=address, form={"since": "8:00"})
        ticket_outage_link(ticket=call, outage=outage, now=now, made_by=admin_user)
    sent = outage_callers_inform(outage=outage, now=now, made_by=admin_user)
    assert sorted(letter.recipient for letter in sent) == ["a@example.pl", "b@example.pl"]
    assert sorted(message.to[0] for message in mail.outbox) == ["a@example.pl", "b@example.pl"]


def test_an_email_answer_to_a_closed_ticket_puts_it_back_to_work(company, types, now):
    customer = factories.customer(company, now, email="jan@example.pl")
    ticket = _register(company, types["question"], now, customer=customer)
    ticket_status_change(ticket=ticket, status=TicketStatus.CLOSED, note="", now=now, made_by=None)
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = (
        "jan@example.pl",
        f"Re: {ticket.number}",
        "<x@y>",
    )
    message.set_content("Still broken")
    received = email_receive(company=company, raw=message.as_bytes(), ticket_type=types["question"], now=now)
    received.ticket.refresh_from_db()
    assert received.ticket == ticket and received.ticket.status == TicketStatus.IN_PROGRESS


def test_the_customers_card_finds_outages_with_queries_independent_of_the_points(
    company, types, now, admin_user, django_assert_max_num_queries
):
    from kilowatt.care.queries import customer_card

    customer = factories.customer(company, now)
    points = [
        factories.supply_point(company, customer, now, address=factories.address(postal_code=f"00-59{n}"))
        for n in range(6)
    ]
    outage = outage_open(
        company=company,
        data=OutageData(title="Cable", started_at=now, postal_codes="00-593", supply_points=[points[0]]),
        now=now,
        made_by=admin_user,
    )
    with django_assert_max_num_queries(14):
        card = customer_card(customer=customer, on_date=now.date())
    assert card.active_outages == [outage]
