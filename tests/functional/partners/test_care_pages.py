"""Partner portal tickets: an agent reports an own customer's matter with the type's form (a missing required
field named, nothing stored), headquarters sees it as a partner ticket of the organisation, the agent follows
the public conversation (never the internal notes) and adds information. Nobody reaches a ticket outside
their scope, nor reports for a customer outside it; back-office tickets are not shown to partners."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kilowatt.care.models import Ticket, TicketMessageKind
from kilowatt.care.operations import TicketData, ticket_merge, ticket_message_add, ticket_register
from kilowatt.core.clock import FixedClock
from kilowatt.interfaces.partners import care_urls
from tests import care_fixtures, factories
from tests.conftest import NOW
from tests.functional.partners.test_work_pages import contract

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("kilowatt.interfaces.partners.care_pages.system_clock", FixedClock(NOW))


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(company, now):
    types = care_fixtures.ticket_types(company, care_fixtures.teams(company))
    alfa, beta = factories.organisation(company, now, "alfa"), factories.organisation(company, now, "beta")
    ala, bartek = factories.agent(alfa, "ala"), factories.agent(beta, "bartek")
    marta = factories.agent(alfa, "marta", role="manager")
    return {
        "types": types,
        "alfa": alfa,
        "ala": ala,
        "marta": marta,
        "bartek": bartek,
        "ala_customer": contract(company, now, alfa, ala).customer,
        "bartek_customer": contract(company, now, beta, bartek, name="Nowak").customer,
    }


def _report(client, world, customer, **form):
    values = {
        "submit": "register",
        "ticket_type": world["types"]["complaint"].pk,
        "customer": customer.pk,
        "subject": "Invoice too high",
        "description": "The customer says the reading is wrong",
    }
    values.update(form)
    return client.post(reverse("partners:ticket_new"), values)


def test_an_agent_reports_a_matter_with_the_types_form_and_follows_the_answers(
    world, company, now, admin_user
):
    client = client_of(world["ala"].user)
    page = client.get(reverse("partners:ticket_new") + f"?ticket_type={world['types']['complaint'].pk}")
    assert 'name="form.reason"' in page.content.decode()
    refused = _report(client, world, world["ala_customer"], **{"form.reason": "reading"})
    assert refused.status_code == 200 and "Meter reading is required." in refused.content.decode()
    assert not Ticket.objects.exists()

    done = _report(
        client, world, world["ala_customer"], **{"form.reason": "reading", "form.meter_reading": "1234"}
    )
    ticket = Ticket.objects.get()
    assert done["Location"] == reverse("partners:ticket", args=[ticket.pk])
    assert (ticket.channel, ticket.organisation, ticket.created_by) == (
        "partner",
        world["alfa"],
        world["ala"].user,
    )
    assert ticket.form_data == {"reason": "reading", "meter_reading": "1234"} and ticket.answer_due_on

    ticket_message_add(
        ticket=ticket, kind=TicketMessageKind.NOTE, text="Internal: check DSO", now=now, made_by=admin_user
    )
    ticket_message_add(
        ticket=ticket,
        kind=TicketMessageKind.OUTBOUND,
        text="We are checking the reading",
        now=now,
        made_by=admin_user,
    )
    shown = client.get(reverse("partners:ticket", args=[ticket.pk])).content.decode()
    assert "We are checking the reading" in shown and "Internal: check DSO" not in shown
    client.post(reverse("partners:ticket", args=[ticket.pk]), {"text": "Photo of the meter sent by e-mail"})
    assert ticket.messages.filter(kind="inbound", text="Photo of the meter sent by e-mail").exists()
    # another customer's ticket merged into this one (same event): that customer's messages stay unseen
    other = ticket_register(
        company=company,
        data=TicketData(ticket_type=world["types"]["question"], channel="phone", subject="Debt",
                        customer=world["bartek_customer"], description="My neighbour's question"),
        now=now,
        registered_by=None,
    )  # fmt: skip
    ticket_message_add(
        ticket=other, kind=TicketMessageKind.OUTBOUND, text="Your debt is 900 PLN", now=now, made_by=None
    )
    ticket_merge(ticket=other, into=ticket, now=now, made_by=admin_user)
    shown = client.get(reverse("partners:ticket", args=[ticket.pk])).content.decode()
    assert "We are checking the reading" in shown
    assert "900 PLN" not in shown and "My neighbour" not in shown
    listed = client_of(world["marta"].user).get(reverse("partners:tickets")).content.decode()
    assert ticket.number in listed  # the manager sees the organisation's tickets


def test_nobody_reaches_a_ticket_or_customer_outside_their_scope(
    world, company, now, django_assert_max_num_queries
):
    # every route of partners.care_urls is tried below; a route added later must be added here too
    assert {pattern.name for pattern in care_urls.urlpatterns} == {"tickets", "ticket_new", "ticket"}
    ala, bartek = client_of(world["ala"].user), client_of(world["bartek"].user)
    _report(ala, world, world["ala_customer"], **{"form.reason": "price"})
    ticket = Ticket.objects.get()
    back_office = ticket_register(
        company=company,
        data=TicketData(ticket_type=world["types"]["question"], channel="phone", subject="Called HQ",
                        customer=world["ala_customer"]),
        now=now,
        registered_by=None,
    )  # fmt: skip
    assert bartek.get(reverse("partners:ticket", args=[ticket.pk])).status_code == 404
    assert bartek.post(reverse("partners:ticket", args=[ticket.pk]), {"text": "x"}).status_code == 404
    assert ala.get(reverse("partners:ticket", args=[back_office.pk])).status_code == 404
    assert ticket.number not in bartek.get(reverse("partners:tickets")).content.decode()
    refused = _report(bartek, world, world["ala_customer"], **{"form.reason": "price"})
    assert refused.status_code == 200 and Ticket.objects.count() == 2
    with django_assert_max_num_queries(8):
        ala.get(reverse("partners:tickets"))
