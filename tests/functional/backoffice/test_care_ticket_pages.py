"""Ticket pages through HTTP: registration with the type's form (a missing required field is named next to
it and nothing is stored; a call about an outage is linked to it), the list searched by several criteria at
once in a bounded number of queries, a ticket's actions (assign, hand over, status with the SLA paused,
merge keeping every message, closing sends the survey), the complaint's legal deadline, the caller
look-up page. Another company's ids are not found; a role without care.work is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kilowatt.care.models import (
    Survey,
    Ticket,
    TicketEventKind,
    TicketMessage,
    TicketMessageKind,
    TicketStatus,
)
from kilowatt.care.operations import TicketData, ticket_assign, ticket_message_add, ticket_register
from kilowatt.care.outages import OutageData, outage_open
from kilowatt.core.clock import FixedClock
from kilowatt.core.models import DictionaryEntry, Role
from tests import care_fixtures, factories
from tests.conftest import NOW, make_staff

pytestmark = pytest.mark.django_db
PHONE = "+48600100200"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch, settings, tmp_path):
    monkeypatch.setattr("kilowatt.interfaces.backoffice.care_tickets.system_clock", FixedClock(NOW))
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def care(company, admin_user):
    teams = care_fixtures.teams(company)
    for team in teams.values():
        team.members.add(admin_user)
    return teams, care_fixtures.ticket_types(company, teams)


def register(company, care, kind="question", now=NOW, **extra) -> Ticket:
    _teams, types = care
    data = TicketData(ticket_type=types[kind], channel="phone", subject=extra.pop("subject", "Call"), **extra)
    return ticket_register(company=company, data=data, now=now, registered_by=None)


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def field_block(page: str, name: str) -> str:
    start = page.rindex("<div", 0, page.index(f'id="field-{name}"'))
    return page[start : page.index("</div>", start)]


def test_a_missing_required_form_field_is_shown_next_to_it_and_nothing_is_stored(
    company, care, admin_user, now
):
    _teams, types = care
    customer = factories.customer(company, now, phone=PHONE)
    client = client_of(admin_user)
    url = reverse("backoffice:care_ticket_new")
    page = page_of(client.get(url, {"customer": customer.pk, "type": types["complaint"].pk}))
    assert 'data-required="yes"' in field_block(page, "form.reason")  # marked required
    assert "required when reason is reading" in page  # the meter reading, when the reason is 'reading'
    assert 'id="customer-card"' in page and customer.display_name in page

    typed = {
        "customer": customer.pk,
        "ticket_type": types["complaint"].pk,
        "channel": "phone",
        "subject": "Bill too high",
        "description": "The March bill doubled.",
        "caller_name": "Jan",
        "form.reason": "reading",
    }
    page = page_of(client.post(url, typed))
    assert Ticket.objects.count() == 0 and TicketMessage.objects.count() == 0
    assert "Meter reading is required." in field_block(page, "form.meter_reading")
    assert "has-error" in field_block(page, "form.meter_reading")
    # nothing typed is lost
    assert 'value="Bill too high"' in page and "The March bill doubled." in page
    assert '<option value="reading" selected>' in field_block(page, "form.reason")

    page = page_of(client.post(url, {**typed, "subject": "", "form.meter_reading": "abc"}))
    assert "Say in a few words what the ticket is about." in field_block(page, "subject")
    assert "Enter a number." in field_block(page, "form.meter_reading")
    assert Ticket.objects.count() == 0

    # a complaint needs its customer; the refusal is shown by the customer search
    page = page_of(client.post(url, {k: v for k, v in typed.items() if k != "customer"}))
    assert "A complaint needs the customer it comes from." in page and Ticket.objects.count() == 0

    response = client.post(url, {**typed, "form.meter_reading": "1234,5"})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == reverse("backoffice:care_ticket", args=[ticket.pk])
    assert ticket.form_data == {"reason": "reading", "meter_reading": "1234.5"}
    assert ticket.answer_due_on == NOW.date() + timedelta(days=14)


def test_the_type_form_swaps_in_and_a_call_is_linked_to_the_outage_covering_the_point(
    company, care, admin_user, now
):
    _teams, types = care
    customer = factories.customer(company, now, phone=PHONE)
    point = factories.supply_point(company, customer, now)  # 00-590 Warszawa
    outage = outage_open(
        company=company,
        data=OutageData(title="Mokotów cable", started_at=now - timedelta(hours=1), postal_codes="00-590"),
        now=now,
        made_by=admin_user,
    )
    client = client_of(admin_user)
    url = reverse("backoffice:care_ticket_new")
    fields = page_of(client.get(url, {"part": "fields", "ticket_type": types["outage"].pk}))
    assert "Since when" in fields and 'data-required="yes"' in fields and "<html" not in fields
    asked = {"part": "outage", "customer": customer.pk, "supply_point": point.pk}
    offer = page_of(client.get(url, {**asked, "ticket_type": types["outage"].pk}))
    assert f'value="{outage.pk}" checked' in offer and outage.number in offer
    # offered but not ticked for another type: a complaint from the same street is not about the outage
    offer = page_of(client.get(url, {**asked, "ticket_type": types["complaint"].pk}))
    assert f'value="{outage.pk}"' in offer and f'value="{outage.pk}" checked' not in offer

    page = page_of(client.get(url, {"customer": customer.pk, "phone": "600 100 200"}))
    assert f"link to outage {outage.number}" in page and f'value="{outage.pk}" checked' not in page
    typed = page_of(client.get(url, {"customer": customer.pk, "type": types["outage"].pk}))
    assert f'value="{outage.pk}" checked' in typed
    assert 'id="card-outages"' in page and "Mokotów cable" in page  # the card shows it too
    assert 'value="600 100 200"' in page  # the caller's number is filled in

    response = client.post(
        url,
        {
            "customer": customer.pk,
            "ticket_type": types["outage"].pk,
            "channel": "phone",
            "subject": "No power",
            "caller_phone": "600 100 200",
            "form.since": "8:00",
            "form.whole_street": "yes",
            "supply_point": point.pk,
            "outage": outage.pk,
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert (ticket.outage, ticket.supply_point, ticket.caller_phone) == (outage, point, PHONE)
    assert ticket.events.filter(kind=TicketEventKind.OUTAGE_LINKED).exists()
    page = page_of(client.get(response.url))
    assert outage.number in page and "Since when" in page and "Yes" in page

    # another customer's supply point is not offered, and cannot be chosen
    stranger = factories.customer(company, now)
    page = page_of(
        client.post(
            url,
            {"customer": stranger.pk, "ticket_type": types["question"].pk, "channel": "phone", "subject": "x",
             "supply_point": point.pk},
        )
    )  # fmt: skip
    assert "Select a valid choice" in field_block(page, "supply_point") and Ticket.objects.count() == 1


def test_the_list_is_searched_by_several_criteria_at_once(company, care, admin_user, now):
    teams, types = care
    category = DictionaryEntry.objects.get(company=company, dictionary="ticket_category")
    warsaw = factories.customer(company, now, phone=PHONE)
    krakow = factories.customer(
        company, now, last_name="Nowak", address=factories.address(city="Kraków", postal_code="30-001")
    )
    old = now - timedelta(days=7)
    late = register(company, care, "question", now=old, customer=warsaw, subject="Old question")
    fresh = register(
        company, care, "question", customer=warsaw, category=category, subject="Where is my bill"
    )
    outage = register(company, care, "outage", customer=krakow, form={"since": "7:00"}, subject="No power")
    other = register(company, care, "question", customer=krakow, subject="Tariff")
    ticket_assign(ticket=other, assignee=admin_user, now=now, made_by=admin_user)
    client = client_of(admin_user)
    url = reverse("backoffice:care_tickets")

    def found(**query) -> set[int]:
        page = page_of(client.get(url, query))
        return {t.pk for t in (late, fresh, outage, other) if f'data-ticket="{t.pk}"' in page}

    assert found() == {late.pk, fresh.pk, outage.pk, other.pk}
    assert found(ticket_type=types["question"].pk, area="00-5", status="open") == {late.pk, fresh.pk}
    assert found(ticket_type=types["question"].pk, area="Kraków") == {other.pk}
    assert found(status="in_progress", assignee=admin_user.pk) == {other.pk}
    assert found(team=teams["technical"].pk, channel="phone") == {outage.pk}
    assert found(category=category.pk, q="bill") == {fresh.pk}
    assert found(registered_from="2026-03-01", registered_to="2026-03-03") == {late.pk}
    assert found(overdue="on") == {late.pk}
    assert found(breached="on") == set()
    assert found(q=outage.number) == {outage.pk}
    assert found(ticket_type="999999", q="Tariff") == {other.pk}  # a choice not of this company is left out

    page = page_of(client.get(url, {"q": "bill"}))
    row = page[page.index(f'data-ticket="{fresh.pk}"') :]
    assert 'style="background:#2563eb"' in row[:1500] and "ticket-status status-new" in row[:1500]
    assert "Household" in row[:1500] and "<svg" in row[:1500]
    page = page_of(client.get(url, {"overdue": "on"}))
    row = page[page.index(f'data-ticket="{late.pk}"') :]
    assert 'class="sla sla-overdue"' in row[:3000] and "overdue" in row[:3000]
    polish = page_of(client.get(url, {"q": "bill"}, HTTP_ACCEPT_LANGUAGE="pl"))
    assert "Gospodarstwo domowe" in polish and "Pytanie" in polish


def test_the_list_of_thirty_tickets_takes_a_bounded_number_of_queries(
    company, care, admin_user, now, django_assert_max_num_queries
):
    category = DictionaryEntry.objects.get(company=company, dictionary="ticket_category")
    customers = [factories.customer(company, now, last_name=f"Nowak{n}") for n in range(5)]
    for n in range(30):
        kind = ("question", "outage", "complaint")[n % 3]
        ticket = register(
            company,
            care,
            kind,
            now=now - timedelta(hours=n),
            customer=customers[n % 5],
            category=category if n % 2 else None,
            form={"since": "now"} if kind == "outage" else {"reason": "price"} if kind == "complaint" else {},
        )
        if n % 4 == 0:
            ticket_assign(ticket=ticket, assignee=admin_user, now=now, made_by=admin_user)
    client = client_of(admin_user)
    with django_assert_max_num_queries(12):
        page = page_of(client.get(reverse("backoffice:care_tickets")))
    assert page.count("data-ticket=") == 30
    teams, types = care
    query = {"status": "open", "team": teams["technical"].pk, "ticket_type": types["outage"].pk, "area": "00"}
    with django_assert_max_num_queries(14):  # each choice chosen is read once more to check it
        page = page_of(client.get(reverse("backoffice:care_tickets"), query))
    assert page.count("data-ticket=") == 10


def test_the_actions_on_a_ticket_keep_the_trail_pause_the_sla_and_merge_every_message(
    company, care, admin_user, now
):
    teams, _types = care
    customer = factories.customer(company, now, phone=PHONE)
    ticket = register(company, care, customer=customer, description="My bill is missing")
    client = client_of(admin_user)
    action = reverse("backoffice:care_ticket_action", args=[ticket.pk])
    detail = reverse("backoffice:care_ticket", args=[ticket.pk])

    assert client.post(action, {"action": "assign", "assignee": admin_user.pk}).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (admin_user, TicketStatus.IN_PROGRESS)

    client.post(action, {"action": "hand_over", "team": teams["billing"].pk, "note": "Check the March bill"})
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (teams["billing"], None)
    page = page_of(client.get(detail))
    holder = page[page.index('id="ticket-holder"') :][:300]
    assert "Billing" in holder and "in the team's queue" in holder
    assert page.count('data-event="handed_over"') == 1 and "Check the March bill" in page

    # the status select offers only what the table allows from 'in progress'
    status_form = page[page.index('id="action-status"') :][:1500]
    assert 'value="waiting_customer"' in status_form and 'value="new"' not in status_form
    client.post(action, {"action": "status", "status": "waiting_customer", "note": "Asked for a photo"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_CUSTOMER and ticket.sla_paused_at == now
    page = page_of(client.get(detail))
    assert "sla-paused" in page[page.index('id="ticket-sla"') :][:400]
    page = page_of(client.post(action, {"action": "status", "status": "new"}, follow=True))
    assert "cannot become New" in page
    client.post(action, {"action": "status", "status": "in_progress"})
    ticket.refresh_from_db()
    assert ticket.sla_paused_at is None and ticket.status == TicketStatus.IN_PROGRESS

    client.post(action, {"action": "message", "kind": "outbound", "text": "We are checking", "send": "1"})
    assert (
        ticket.correspondence.filter(recipient="jan@example.pl", delivered=True).count() == 1
    )  # prefers e-mail

    neighbour = register(company, care, customer=customer, description="Second call about the bill")
    ticket_message_add(
        ticket=neighbour, kind=TicketMessageKind.INBOUND, text="And again", now=now, made_by=None
    )
    response = client.post(
        reverse("backoffice:care_ticket_action", args=[neighbour.pk]),
        {"action": "merge", "into": ticket.number},
    )
    assert response.url == detail
    # the first description, the hand-over and status notes, the outbound message; the second one's two
    assert TicketMessage.objects.count() == 6
    page = page_of(client.get(detail))
    for text in ("My bill is missing", "Second call about the bill", "And again", "We are checking"):
        assert text in page
    assert page.count(f"from {neighbour.number}") == 2
    neighbour_page = page_of(client.get(reverse("backoffice:care_ticket", args=[neighbour.pk])))
    assert 'id="merged-into"' in neighbour_page and 'id="ticket-message-form"' not in neighbour_page
    page = page_of(client.post(action, {"action": "merge", "into": "ZG/999999/2026"}, follow=True))
    assert "No ticket is numbered ZG/999999/2026." in page

    client.post(action, {"action": "status", "status": "closed", "note": "Explained"})
    ticket.refresh_from_db()
    survey = Survey.objects.get(ticket=ticket)
    assert ticket.status == TicketStatus.CLOSED and survey.channel == "email"
    sent = ticket.correspondence.get(subject__startswith="Jak oceniają Państwo")  # the customer's language
    assert f"/survey/{survey.token}/" in sent.body


def test_a_complaint_shows_its_legal_deadline_red_when_late(company, care, admin_user, now):
    customer = factories.customer(company, now)
    late = register(company, care, "complaint", now=now - timedelta(days=20), customer=customer,
                    form={"reason": "price"})  # fmt: skip
    fresh = register(company, care, "complaint", customer=customer, form={"reason": "price"})
    client = client_of(admin_user)
    page = page_of(client.get(reverse("backoffice:care_ticket", args=[late.pk])))
    deadline = page[page.index('id="ticket-deadline"') :][:600]
    assert "6 days late" in deadline and "deadline late" in deadline
    assert 'id="action-merge"' not in page  # a complaint keeps its own deadline
    page = page_of(client.get(reverse("backoffice:care_ticket", args=[fresh.pk])))
    assert "14 days left" in page[page.index('id="ticket-deadline"') :][:600]
    page = page_of(client.get(reverse("backoffice:care_tickets")))
    assert "6 days late" in page and "14 days left" in page


def test_the_caller_page_opens_registration_for_the_customer_calling(company, care, admin_user, now):
    one = factories.customer(company, now, phone=PHONE)
    client = client_of(admin_user)
    url = reverse("backoffice:care_caller")
    new = reverse("backoffice:care_ticket_new")
    response = client.get(url, {"number": "600-100-200"})
    assert response.status_code == 302 and response.url == f"{new}?customer={one.pk}&phone=%2B48600100200"
    two = factories.customer(company, now, phone="0048 600 100 200", last_name="Zięba")
    page = page_of(client.get(url, {"number": PHONE}))
    assert f'data-customer="{one.pk}"' in page and f'data-customer="{two.pk}"' in page
    response = client.get(url, {"number": PHONE, "customer": two.pk})
    assert response.url == f"{new}?customer={two.pk}&phone=%2B48600100200"
    response = client.get(url, {"number": "+48 22 111 22 33"}, follow=True)
    page = page_of(response)
    assert "Nobody has the number +48221112233" in page and 'id="customer-search"' in page
    assert 'value="+48221112233"' in page
    page = page_of(client.get(new, {"q": "Zięba", "phone": PHONE}))
    assert f"?customer={two.pk}&amp;phone=%2B48600100200" in page


def test_another_companys_ids_are_not_found_and_a_role_without_care_work_is_refused(
    company, other_company, care, admin_user, rival_user, now
):
    rival_teams = care_fixtures.teams(other_company)
    rival_types = care_fixtures.ticket_types(other_company, rival_teams)
    stranger = factories.customer(other_company, now, phone=PHONE)
    theirs = register(other_company, (rival_teams, rival_types), customer=stranger)
    ours = register(company, care, customer=factories.customer(company, now))
    client = client_of(admin_user)
    assert client.get(reverse("backoffice:care_ticket", args=[theirs.pk])).status_code == 404
    action = reverse("backoffice:care_ticket_action", args=[theirs.pk])
    assert client.post(action, {"action": "status", "status": "closed"}).status_code == 404
    new = reverse("backoffice:care_ticket_new")
    assert client.get(new, {"customer": stranger.pk}).status_code == 404
    assert client.get(new, {"customer": "x"}).status_code == 404
    posted = {
        "customer": stranger.pk,
        "ticket_type": care[1]["question"].pk,
        "channel": "phone",
        "subject": "x",
    }
    assert client.post(new, posted).status_code == 404
    assert client.get(reverse("backoffice:care_caller"), {"customer": stranger.pk}).status_code == 404
    assert "Nobody has the number" in page_of(
        client.get(reverse("backoffice:care_caller"), {"number": PHONE}, follow=True)
    )  # the rival's customer with that phone is not ours to find
    # their type, team and outage cannot be used on our ticket
    ours_action = reverse("backoffice:care_ticket_action", args=[ours.pk])
    client.post(ours_action, {"action": "hand_over", "team": rival_teams["billing"].pk, "note": "x"})
    client.post(ours_action, {"action": "merge", "into": theirs.number})
    rival_admin = make_staff("otto", other_company, Role.ADMIN)
    their_outage = outage_open(
        company=other_company,
        data=OutageData(title="Their cable", started_at=now, postal_codes="00-590"),
        now=now,
        made_by=rival_admin,
    )
    page = page_of(client.post(ours_action, {"action": "outage", "outage": their_outage.pk}, follow=True))
    assert "Choose an active outage." in page
    ours.refresh_from_db()
    assert ours.team.company == company and ours.status == TicketStatus.NEW and ours.outage is None
    assert ours.events.count() == 1  # registered, nothing else
    mine = factories.customer(company, now)
    point = factories.supply_point(company, mine, now)
    registered = {"customer": mine.pk, "ticket_type": care[1]["question"].pk, "channel": "phone",
                  "subject": "No power?", "supply_point": point.pk, "outage": their_outage.pk}  # fmt: skip
    page = page_of(client.post(new, registered, follow=True))
    assert "The outage to link to was not found." in page
    assert Ticket.objects.get(customer=mine).outage is None
    page = page_of(client.post(new, {**posted, "customer": "", "ticket_type": rival_types["question"].pk}))
    assert "Select a valid choice" in page and Ticket.objects.filter(company=company).count() == 2
    assert client_of(rival_user).get(reverse("backoffice:care_ticket", args=[ours.pk])).status_code == 404

    sales = client_of(make_staff("sam", company, Role.SALES_MANAGER))  # care.reports, not care.work
    for url in (
        reverse("backoffice:care_tickets"),
        new,
        reverse("backoffice:care_ticket", args=[ours.pk]),
        reverse("backoffice:care_caller") + "?number=600100200",
    ):
        assert sales.get(url).status_code == 403, url
    assert (
        sales.post(reverse("backoffice:care_ticket_action", args=[ours.pk]), {"action": "assign"}).status_code
        == 403
    )
    assert sales.post(new, posted).status_code == 403
    assert Ticket.objects.filter(company=company).count() == 2


def test_a_date_far_in_the_future_is_searched_not_crashed_on(company, care, admin_user):
    client = client_of(admin_user)
    assert client.get(reverse("backoffice:care_tickets"), {"registered_to": "9999-12-31"}).status_code == 200
    report = client.get(
        reverse("backoffice:care_reports"), {"date_from": "9999-01-01", "date_to": "9999-12-31"}
    )
    assert report.status_code == 400
