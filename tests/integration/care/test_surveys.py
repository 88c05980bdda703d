"""Satisfaction surveys: sent only after the ticket is closed and only once (in the customer's language),
answered once through the link; a score outside 1–5 and an unknown link are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kilowatt.care.models import Survey, TicketEvent, TicketEventKind, TicketStatus
from kilowatt.care.operations import TicketData, ticket_register, ticket_status_change
from kilowatt.care.surveys import SurveyRefused, survey_answer, survey_send
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.messaging import sms_sender
from kilowatt.parties.models import Channel
from tests import care_fixtures, factories

pytestmark = pytest.mark.django_db
LATER = timedelta(hours=1)


def _url(token: str) -> str:
    return f"https://kilowatt.example.pl/survey/{token}/"


@pytest.fixture(autouse=True)
def fake_sms_file(settings, tmp_path):
    settings.SMS_BACKEND = "fake"
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"


@pytest.fixture
def question(company, admin_user, now):
    teams = care_fixtures.teams(company)
    types = care_fixtures.ticket_types(company, teams)
    customer = factories.customer(
        company, now, phone="601234567", preferred_channel=Channel.SMS, language="en"
    )
    data = TicketData(ticket_type=types["question"], channel="phone", subject="Tariff?", customer=customer)
    return ticket_register(company=company, data=data, now=now, registered_by=admin_user)


def test_a_survey_is_sent_once_and_only_after_the_ticket_is_closed(question, admin_user, now):
    with pytest.raises(SurveyRefused, match="only after the ticket is closed"):
        survey_send(ticket=question, survey_url=_url, now=now)
    ticket_status_change(ticket=question, status=TicketStatus.RESOLVED, note="", now=now, made_by=admin_user)
    with pytest.raises(SurveyRefused):
        survey_send(ticket=question, survey_url=_url, now=now)
    assert not Survey.objects.exists() and sms_sender().sent == []

    ticket_status_change(ticket=question, status=TicketStatus.CLOSED, note="", now=now, made_by=admin_user)
    survey = survey_send(ticket=question, survey_url=_url, now=now + LATER)

    assert (survey.ticket, survey.channel, survey.sent_at) == (question, "sms", now + LATER)
    [message] = sms_sender().sent
    assert message.to == "+48601234567" and _url(survey.token) in message.text
    assert message.text.startswith("We closed your matter")  # the customer's language: English
    assert survey_send(ticket=question, survey_url=_url, now=now + 2 * LATER) == survey
    assert len(sms_sender().sent) == 1 and Survey.objects.count() == 1
    assert TicketEvent.objects.filter(ticket=question, kind=TicketEventKind.SURVEY).count() == 1


def test_a_survey_is_answered_once_with_a_score_from_1_to_5(question, admin_user, now):
    ticket_status_change(ticket=question, status=TicketStatus.CLOSED, note="", now=now, made_by=admin_user)
    survey = survey_send(ticket=question, survey_url=_url, now=now)
    for score in (0, 6, None):
        with pytest.raises(ValidationFailed) as refused:
            survey_answer(token=survey.token, score=score, resolved=True, comment="", now=now)
        assert refused.value.field == "score"
    with pytest.raises(ValidationFailed) as refused:
        survey_answer(token=survey.token, score=5, resolved=True, comment="x" * 2001, now=now)
    assert refused.value.field == "comment"
    survey.refresh_from_db()
    assert survey.answered_at is None and survey.score is None

    answered = survey_answer(token=survey.token, score=4, resolved=False, comment=" Slow. ", now=now + LATER)
    assert (answered.score, answered.resolved, answered.comment, answered.answered_at) == (
        4,
        False,
        "Slow.",
        now + LATER,
    )
    with pytest.raises(SurveyRefused, match="already been answered"):
        survey_answer(token=survey.token, score=1, resolved=True, comment="changed", now=now + 2 * LATER)
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_at) == (4, "Slow.", now + LATER)
    with pytest.raises(SurveyRefused) as refused:
        survey_answer(token="not-a-token", score=3, resolved=None, comment="", now=now)
    assert refused.value.code == "not_found"


def test_nobody_to_ask_gets_no_survey(company, admin_user, now):
    teams = care_fixtures.teams(company)
    types = care_fixtures.ticket_types(company, teams)
    data = TicketData(ticket_type=types["question"], channel="letter", subject="A letter", caller_name="Anon")
    ticket = ticket_register(company=company, data=data, now=now, registered_by=admin_user)
    ticket_status_change(ticket=ticket, status=TicketStatus.CLOSED, note="", now=now, made_by=admin_user)
    assert survey_send(ticket=ticket, survey_url=_url, now=now) is None
    assert not Survey.objects.exists()
