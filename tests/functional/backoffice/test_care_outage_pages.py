"""Care back office pages through HTTP: dispatchers list outages with their calls, open one from the form
(PPE codes resolved in the company, Warsaw local times), keep it current, inform the callers and close it;
the open complaints with their legal deadline (red when late, amber when near), the complaint panel of a
ticket's page, a decision with its letter downloaded again. Only dispatchers reach outages and only staff
who work tickets reach complaints; another company's ids find nothing; lists answer in bounded queries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from kilowatt.care.complaints import complaint_decide
from kilowatt.care.models import Correspondence, Outage, OutageNote, Team, Ticket, TicketStatus
from kilowatt.care.operations import TicketData, ticket_merge, ticket_outage_link, ticket_register
from kilowatt.care.outages import OutageData, outage_close, outage_open
from kilowatt.care.sla import WARSAW
from kilowatt.core.clock import FixedClock
from kilowatt.core.messaging import sms_sender
from kilowatt.core.models import Role
from kilowatt.parties.models import Channel
from tests import care_fixtures, factories
from tests.conftest import NOW, make_staff

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch, settings, tmp_path):
    for module in ("care_outages", "care_complaints"):
        monkeypatch.setattr(f"kilowatt.interfaces.backoffice.{module}.system_clock", FixedClock(NOW))
    monkeypatch.setattr("kilowatt.interfaces.templatetags.care_tags.system_clock", FixedClock(NOW))
    settings.SMS_BACKEND = "fake"
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def care(company):
    teams = care_fixtures.teams(company)
    return teams, care_fixtures.ticket_types(company, teams)


@pytest.fixture
def dispatcher(company):
    return make_staff("dora", company, Role.CALL_CENTRE)


def _call(company, care, customer, now, **extra):
    _teams, types = care
    data = TicketData(ticket_type=types["outage"], channel="phone", subject="No power", customer=customer,
                      form={"since": "8:00"}, **extra)  # fmt: skip
    return ticket_register(company=company, data=data, now=now, registered_by=None)


def _outage(company, user, now, **values):
    values.setdefault("postal_codes", "00-590")
    return outage_open(company=company, data=OutageData(title="Cable failure", started_at=now, **values),
                       now=now, made_by=user)  # fmt: skip


def _complaint(company, care, customer, now):
    _teams, types = care
    data = TicketData(ticket_type=types["complaint"], channel="phone", subject="Bill too high",
                      customer=customer, form={"reason": "price"})  # fmt: skip
    return ticket_register(company=company, data=data, now=now, registered_by=None)


# --- outages --------------------------------------------------------------------------------------


def test_the_outages_list_shows_active_and_recent_ones_with_their_calls(
    company, care, dispatcher, django_assert_max_num_queries
):
    customer = factories.customer(company, NOW)
    outages = []
    for _n in range(15):
        outage = _outage(company, dispatcher, NOW - HOUR)
        for _ in range(2):
            ticket_outage_link(ticket=_call(company, care, customer, NOW), outage=outage, now=NOW,
                               made_by=dispatcher)  # fmt: skip
        outages.append(outage)
    merged = _call(company, care, customer, NOW)
    ticket_merge(ticket=merged, into=outages[0].tickets.first(), now=NOW, made_by=dispatcher)
    recent = _outage(company, dispatcher, NOW - 3 * HOUR)
    outage_close(outage=recent, ended_at=NOW - HOUR, note="", now=NOW, made_by=dispatcher)
    old = _outage(company, dispatcher, NOW - timedelta(days=30))
    outage_close(outage=old, ended_at=NOW - timedelta(days=29), note="", now=NOW, made_by=dispatcher)

    client = client_of(dispatcher)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("backoffice:care_outages")).content.decode()
    active = page[page.index('id="outages-active"') : page.index('id="outages-closed"')]
    closed = page[page.index('id="outages-closed"') :]
    assert active.count('class="outage"') == 15 and closed.count('class="outage"') == 1
    assert f'data-outage="{recent.pk}"' in closed and f'data-outage="{old.pk}"' not in page
    first = page[page.index(f'data-outage="{outages[0].pk}"') :]
    assert '<td class="calls">3</td>' in first[: first.index("</tr>")]  # two linked and one merged into them
    second = page[page.index(f'data-outage="{outages[1].pk}"') :]
    assert '<td class="calls">2</td>' in second[: second.index("</tr>")]


def test_a_new_outage_is_opened_from_the_form(company, other_company, dispatcher, now):
    customer = factories.customer(company, now)
    points = [factories.supply_point(company, customer, now) for _ in range(2)]
    stranger = factories.supply_point(other_company, factories.customer(other_company, now), now)
    data = {"title": "Transformer fire", "station": "ST-114", "postal_codes": "00-590, 00-591",
            "supply_point_codes": f"{points[0].code}\n\n{points[1].code}\n{stranger.code}\n999",
            "started_at": "2026-03-10T08:15", "expected_end_at": "2026-03-10T14:00",
            "crew": "Team 7"}  # fmt: skip
    client = client_of(dispatcher)
    page = client.post(reverse("backoffice:care_outage_new"), data).content.decode()
    assert f"No supply point of this company has the code: {stranger.code}, 999" in page
    assert not Outage.objects.exists()

    page = client.post(
        reverse("backoffice:care_outage_new"),
        {**data, "supply_point_codes": "", "expected_end_at": "2026-03-10T07:00"},
    ).content.decode()
    assert "The expected end must be after the start." in page

    data["supply_point_codes"] = f" {points[0].code} \n{points[1].code}\n{points[0].code}"
    response = client.post(reverse("backoffice:care_outage_new"), data)
    outage = Outage.objects.get()
    assert response.status_code == 302 and response.url == reverse("backoffice:care_outage", args=[outage.pk])
    assert (outage.title, outage.station, outage.crew, outage.created_by) == (
        "Transformer fire", "ST-114", "Team 7", dispatcher
    )  # fmt: skip
    assert outage.started_at == datetime(2026, 3, 10, 8, 15, tzinfo=WARSAW)  # Warsaw wall clock, aware
    assert outage.expected_end_at == datetime(2026, 3, 10, 14, 0, tzinfo=WARSAW)
    assert set(outage.supply_points.all()) == set(points)
    form = client.get(reverse("backoffice:care_outage_new")).content.decode()
    assert 'type="datetime-local"' in form and 'value="2026-03-10T09:30"' in form  # starts now, Warsaw


def test_a_dispatcher_keeps_an_outage_current_informs_its_callers_and_closes_it(
    company, care, dispatcher, now
):
    jan = factories.customer(company, now, phone="601234567", preferred_channel=Channel.SMS)
    ewa = factories.customer(company, now, first_name="Ewa", email="ewa@example.pl")
    outage = _outage(company, dispatcher, now - HOUR)
    calls = [_call(company, care, jan, now), _call(company, care, ewa, now)]
    for call in calls:
        ticket_outage_link(ticket=call, outage=outage, now=now, made_by=dispatcher)
    client = client_of(dispatcher)
    url, action = (
        reverse(name, args=[outage.pk])
        for name in ("backoffice:care_outage", "backoffice:care_outage_action")
    )
    page = client.get(url).content.decode()
    assert page.count('class="caller"') == 2 and calls[0].number in page and "Ewa" in page

    update = {"action": "update", "note": "Crew on site", "expected_end_at": "2026-03-10T15:30",
              "crew": "Team 9", "inform": "on"}  # fmt: skip
    response = client.post(action, update)
    assert response.status_code == 302 and response.url == url
    outage.refresh_from_db()
    assert (outage.expected_end_at, outage.crew) == (datetime(2026, 3, 10, 15, 30, tzinfo=WARSAW), "Team 9")
    assert [m.to for m in sms_sender().sent] == ["+48601234567"] and len(mail.outbox) == 1
    # the callers are told the new expected end, not the one before the update
    assert "15:30" in sms_sender().sent[0].text and "15:30" in mail.outbox[0].body
    page = client.get(url).content.decode()
    assert "Crew on site" in page and "2 callers informed." in page and page.count('class="letter"') == 2

    # the form comes back filled: an unchanged expected end and crew are not recorded again
    client.post(action, {**update, "note": "Digging", "inform": ""})
    assert OutageNote.objects.order_by("-id").values_list("text", "expected_end_at")[0] == ("Digging", None)
    page = client.post(action, {**update, "note": "", "inform": ""}, follow=True).content.decode()
    assert "Write what changed." in page

    client.post(action, {"action": "inform", "text": "Crews need two more hours."})
    assert sms_sender().sent[-1].text == "Crews need two more hours."

    page = client.post(action, {"action": "close", "ended_at": "2026-03-10T07:00", "note": ""}, follow=True)
    assert "The end cannot be before the start." in page.content.decode()
    assert (
        client.post(action, {"action": "close", "ended_at": "", "note": ""}, follow=True).status_code == 200
    )
    assert Outage.objects.get().status == Outage.Status.ACTIVE
    assert client.post(action, {"action": "bogus"}).status_code == 400

    page = client.get(url).content.decode()
    assert '<input type="checkbox" name="inform" id="close_inform" checked>' in page  # told by default
    assert 'name="ended_at" value="2026-03-10T09:30"' in page  # now, on the Warsaw clock
    client.post(
        action, {"action": "close", "ended_at": "2026-03-10T09:15", "note": "Cable replaced", "inform": "on"}
    )
    outage.refresh_from_db()
    assert outage.status == Outage.Status.CLOSED and outage.ended_at == datetime(
        2026, 3, 10, 9, 15, tzinfo=WARSAW
    )
    assert {Ticket.objects.get(pk=c.pk).status for c in calls} == {TicketStatus.RESOLVED}
    assert sms_sender().sent[-1].text.endswith("Cable replaced")
    page = client.get(url).content.decode()
    assert 'id="outage-actions"' not in page and 'id="outage-status">Closed<' in page


def test_outage_pages_only_for_dispatchers_and_only_the_own_company(
    company, other_company, dispatcher, rival_user, now
):
    outage = _outage(company, dispatcher, now)
    rival = _outage(other_company, rival_user, now)
    billing = make_staff("bill", company, Role.BILLING)  # works tickets, does not dispatch outages
    client = client_of(billing)
    for name, args in (("care_outages", []), ("care_outage_new", []), ("care_outage", [outage.pk])):
        assert client.get(reverse(f"backoffice:{name}", args=args)).status_code == 403
    assert client.post(reverse("backoffice:care_outage_action", args=[outage.pk]),
                       {"action": "inform"}).status_code == 403  # fmt: skip

    client = client_of(dispatcher)
    assert client.get(reverse("backoffice:care_outage", args=[rival.pk])).status_code == 404
    response = client.post(reverse("backoffice:care_outage_action", args=[rival.pk]), {"action": "close",
                           "ended_at": "2026-03-10T10:00"})  # fmt: skip
    assert response.status_code == 404
    rival.refresh_from_db()
    assert rival.status == Outage.Status.ACTIVE
    page = client.get(reverse("backoffice:care_outages")).content.decode()
    assert f'data-outage="{outage.pk}"' in page and f'data-outage="{rival.pk}"' not in page
    assert Client().get(reverse("backoffice:care_outages")).status_code == 302  # login first


# --- complaints -----------------------------------------------------------------------------------


@pytest.fixture
def letterhead(company):
    company.bank_account_prefix = "109010147777"
    company.street, company.postal_code, company.city = "ul. Prosta 20", "00-850", "Warszawa"
    company.save()
    return company


def test_open_complaints_with_their_deadline_in_bounded_queries(
    company, care, back_office_user, django_assert_max_num_queries
):
    customer = factories.customer(company, NOW)
    late = _complaint(company, care, customer, NOW - timedelta(days=20))  # due 6 days ago
    soon = _complaint(company, care, customer, NOW - timedelta(days=12))  # due in 2 days
    for days in range(12):
        _complaint(company, care, factories.customer(company, NOW), NOW - timedelta(days=days % 10))
    question = TicketData(
        ticket_type=care[1]["question"], channel="phone", subject="Hello", customer=customer
    )
    ticket_register(company=company, data=question, now=NOW, registered_by=None)

    client = client_of(back_office_user)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("backoffice:care_complaints")).content.decode()
    assert page.count('class="complaint') == 14 and "(14)" in page
    rows = page[page.index('id="complaints"') :]
    assert rows.index(f'data-ticket="{late.pk}"') < rows.index(f'data-ticket="{soon.pk}"')  # nearest first
    late_row = rows[rows.index(f'data-ticket="{late.pk}"') - 30 :]
    assert 'class="complaint late"' in late_row[:100] and "6 days late" in late_row[: late_row.index("</tr>")]
    soon_row = rows[rows.index(f'data-ticket="{soon.pk}"') - 30 :]
    assert 'class="complaint soon"' in soon_row[:100] and "2 days" in soon_row[: soon_row.index("</tr>")]

    assert (
        client_of(make_staff("sam", company, Role.SALES_MANAGER))
        .get(reverse("backoffice:care_complaints"))
        .status_code
        == 403
    )


def _panel(ticket, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("backoffice/care/_complaint_panel.html", {"ticket": ticket}, request=request)


def test_a_complaint_is_decided_from_its_panel_and_the_letter_downloaded(
    company, care, back_office_user, letterhead, now
):
    teams, _types = care
    customer = factories.customer(company, now, preferred_channel=Channel.PAPER)
    complaint = _complaint(company, care, customer, now - timedelta(days=12))
    panel = _panel(Ticket.objects.select_related("ticket_type").get(pk=complaint.pk), back_office_user)
    assert 'id="complaint-decide"' in panel and "2 days left" in panel and "badge soon" in panel
    assert reverse("backoffice:care_complaint_decide", args=[complaint.pk]) in panel
    client = client_of(back_office_user)
    url = reverse("backoffice:care_complaint_decide", args=[complaint.pk])

    response = client.post(url, {"decision": "rejected", "reasons": "", "request_correction": "on"})
    ticket_page = reverse("backoffice:care_ticket", args=[complaint.pk])
    assert response.status_code == 302 and response.url == f"{ticket_page}#complaint-panel"
    assert Ticket.objects.get(pk=complaint.pk).decided_at is None

    response = client.post(url, {"decision": "partly", "reasons": "Part of the fee is returned.",
                                 "billing_team": teams["billing"].pk})  # fmt: skip
    assert response.status_code == 302
    decided = Ticket.objects.select_related("ticket_type").get(pk=complaint.pk)
    assert decided.decision == "partly" and decided.status == TicketStatus.RESOLVED
    letter = Correspondence.objects.get(ticket=complaint)
    assert letter.channel == "letter" and not letter.delivered  # on paper: printed and posted

    page = client.get(ticket_page).content.decode()  # the panel on the ticket's own page
    assert 'id="complaint-panel"' in page and "Partly accepted" in page
    panel = _panel(decided, back_office_user)
    download = reverse("backoffice:care_complaint_letter", args=[complaint.pk, letter.pk])
    assert 'id="complaint-decide"' not in panel and "Partly accepted" in panel and download in panel
    answer = client.get(download)
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert (
        answer["Content-Disposition"].startswith("attachment")
        and letter.file_name in answer["Content-Disposition"]
    )

    again = client.post(url, {"decision": "accepted", "reasons": "Changed my mind."}, follow=True)
    assert "The complaint has already been decided." in again.content.decode()
    assert Correspondence.objects.filter(ticket=complaint).count() == 1


def test_complaint_routes_refuse_another_companys_ids_and_staff_without_tickets(
    company, other_company, care, back_office_user, rival_user, letterhead, now
):
    mine = _complaint(company, care, factories.customer(company, now), now)
    complaint_decide(ticket=mine, decision="rejected", reasons="No.", request_correction=False,
                     billing_team=None, now=now, made_by=back_office_user)  # fmt: skip
    my_letter = Correspondence.objects.get(ticket=mine)
    other_company.bank_account_prefix, other_company.street = "109010148888", "ul. Krzywa 1"
    other_company.postal_code, other_company.city = "00-001", "Warszawa"
    other_company.save()
    rival_care = care_fixtures.ticket_types(other_company, care_fixtures.teams(other_company))
    data = TicketData(ticket_type=rival_care["complaint"], channel="phone", subject="Too high",
                      customer=factories.customer(other_company, now), form={"reason": "price"})  # fmt: skip
    theirs = ticket_register(company=other_company, data=data, now=now, registered_by=None)
    complaint_decide(ticket=theirs, decision="rejected", reasons="No.", request_correction=False,
                     billing_team=None, now=now, made_by=rival_user)  # fmt: skip
    their_letter = Correspondence.objects.get(ticket=theirs)

    client = client_of(back_office_user)
    letter = "backoffice:care_complaint_letter"
    assert client.get(reverse(letter, args=[mine.pk, my_letter.pk])).status_code == 200
    for args in ([theirs.pk, their_letter.pk], [mine.pk, their_letter.pk], [theirs.pk, my_letter.pk]):
        assert client.get(reverse(letter, args=args)).status_code == 404
    undecided = ticket_register(company=other_company, data=data, now=now, registered_by=None)
    decide = reverse("backoffice:care_complaint_decide", args=[undecided.pk])
    assert client.post(decide, {"decision": "accepted", "reasons": "Yes."}).status_code == 404
    assert Ticket.objects.get(pk=undecided.pk).decided_at is None

    open_one = _complaint(company, care, factories.customer(company, now), now)
    rival_team = Team.objects.get(company=other_company, code="billing")
    page = client.post(reverse("backoffice:care_complaint_decide", args=[open_one.pk]),
                       {"decision": "accepted", "reasons": "Yes.", "request_correction": "on",
                        "billing_team": rival_team.pk}, follow=True).content.decode()  # fmt: skip
    assert "Select a valid choice" in page and Ticket.objects.get(pk=open_one.pk).decided_at is None

    outsider = client_of(make_staff("sam", company, Role.SALES_MANAGER))
    assert outsider.get(reverse(letter, args=[mine.pk, my_letter.pk])).status_code == 403
    assert outsider.post(reverse("backoffice:care_complaint_decide", args=[mine.pk]), {}).status_code == 403
