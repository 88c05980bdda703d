"""The public survey page: the link from the message opens it without a login, in the customer's language,
on a phone as well as a computer; the answer is taken once (CSRF enforced), a score outside 1–5 is refused
and named, a second answer changes nothing and says so; an unknown link is 404."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kilowatt.care.models import Survey, TicketStatus
from kilowatt.care.operations import TicketData, ticket_register, ticket_status_change
from kilowatt.care.surveys import survey_send
from kilowatt.core.clock import FixedClock
from kilowatt.core.messaging import sms_sender
from kilowatt.parties.models import Channel
from tests import care_fixtures, factories
from tests.conftest import NOW

pytestmark = pytest.mark.django_db
SITE = "https://kilowatt.example.pl"


@pytest.fixture(autouse=True)
def setup(monkeypatch, settings, tmp_path):
    monkeypatch.setattr("kilowatt.interfaces.survey.system_clock", FixedClock(NOW + timedelta(hours=1)))
    settings.SMS_BACKEND = "fake"
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"


def _survey(company, now, language: str) -> Survey:
    teams = care_fixtures.teams(company)
    types = care_fixtures.ticket_types(company, teams)
    customer = factories.customer(
        company, now, phone="601234567", preferred_channel=Channel.SMS, language=language
    )
    data = TicketData(ticket_type=types["question"], channel="phone", subject="Tariff?", customer=customer)
    ticket = ticket_register(company=company, data=data, now=now, registered_by=None)
    ticket_status_change(ticket=ticket, status=TicketStatus.CLOSED, note="", now=now, made_by=None)
    return survey_send(
        ticket=ticket, survey_url=lambda token: SITE + reverse("survey", args=[token]), now=now
    )


def test_the_customer_answers_the_survey_once_on_its_page(company, now):
    survey = _survey(company, now, "en")
    link = re.search(rf"{re.escape(SITE)}(/survey/[^/\s]+/)", sms_sender().sent[0].text).group(1)
    client = Client(enforce_csrf_checks=True)
    page = client.get(link)
    html = page.content.decode()
    assert page.status_code == 200 and survey.ticket.number in html and '<html lang="en">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert html.count('name="score"') == 5 and 'name="resolved" value="yes"' in html
    token = page.cookies["csrftoken"].value

    assert client.post(link, {"score": "5"}).status_code == 403  # CSRF enforced
    wrong = client.post(
        link, {"score": "6", "resolved": "no", "comment": "Kept", "csrfmiddlewaretoken": token}
    )
    assert wrong.status_code == 400 and "Choose a score from 1 to 5." in wrong.content.decode()
    assert "Kept</textarea>" in wrong.content.decode()  # what was typed is not lost
    survey.refresh_from_db()
    assert survey.answered_at is None

    done = client.post(
        link, {"score": "4", "resolved": "yes", "comment": "Quick.", "csrfmiddlewaretoken": token}
    )
    assert done.status_code == 200 and "Thank you for your answer" in done.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.resolved, survey.comment) == (4, True, "Quick.")
    assert survey.answered_at == NOW + timedelta(hours=1)

    again = client.post(link, {"score": "1", "resolved": "no", "comment": "x", "csrfmiddlewaretoken": token})
    assert "this survey has already been answered" in again.content.decode()
    assert 'id="survey-form"' not in again.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.resolved, survey.comment) == (4, True, "Quick.")
    later = client.get(link).content.decode()
    assert "this survey has already been answered" in later and 'id="survey-form"' not in later

    assert client.get(reverse("survey", args=["no-such-token"])).status_code == 404
    assert (
        client.post(reverse("survey", args=["no-such-token"]), {"csrfmiddlewaretoken": token}).status_code
        == 404
    )


def test_the_page_speaks_the_customers_language(company, now):
    survey = _survey(company, now, "pl")
    page = Client().get(reverse("survey", args=[survey.token]))
    html = page.content.decode()
    assert '<html lang="pl">' in html and survey.ticket.number in html and ">Tak</label>" in html
    assert page.status_code == 200
