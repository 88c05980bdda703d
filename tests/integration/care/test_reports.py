"""Care reports reconcile with the tickets behind them: received per day, type, channel and team add up to
the tickets registered in the period (Warsaw days, DST included; 23:30 on the last day is in, 00:30 the next
day is out); closed means resolved, a merged ticket is merged and not closed; SLA compliance counts the
tickets never flagged late (a pause keeps one in time); the backlog counts paused tickets as waiting, not
overdue; survey averages and complaint deadlines are computed by hand; another company never counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest

from kilowatt.care.complaints import complaint_decide
from kilowatt.care.models import Outage, Ticket, TicketStatus
from kilowatt.care.operations import (
    TicketData,
    ticket_merge,
    ticket_outage_link,
    ticket_register,
    ticket_status_change,
    tickets_sla_check,
)
from kilowatt.care.outages import OutageData, outage_open
from kilowatt.care.reports import backlog_now, care_monitor, care_report, percent_of
from kilowatt.care.sla import WARSAW
from kilowatt.care.surveys import survey_answer, survey_send
from kilowatt.core.periods import Period
from tests import care_fixtures, factories

pytestmark = pytest.mark.django_db
MARCH = Period(date(2026, 3, 1), date(2026, 4, 1))
REPORT_AT = datetime(2026, 4, 2, 10, 0, tzinfo=WARSAW)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WARSAW)


@dataclass
class World:
    company: object
    user: object
    teams: dict
    types: dict
    customer: object
    tickets: dict


def _register(world: World, name: str, kind: str, channel: str, now: datetime) -> Ticket:
    form = {"outage": {"since": "7:00"}, "complaint": {"reason": "price"}}.get(kind, {})
    data = TicketData(
        ticket_type=world.types[kind], channel=channel, subject=name, customer=world.customer, form=form
    )
    ticket = ticket_register(company=world.company, data=data, now=now, registered_by=world.user)
    world.tickets[name] = ticket
    return ticket


def _status(ticket: Ticket, status: str, now: datetime) -> Ticket:
    return ticket_status_change(ticket=ticket, status=status, note="", now=now, made_by=None)


def _survey(ticket: Ticket, score: int, resolved: bool | None, answered_at: datetime) -> None:
    survey = survey_send(ticket=ticket, survey_url=lambda token: f"/survey/{token}/", now=answered_at)
    survey_answer(token=survey.token, score=score, resolved=resolved, comment="", now=answered_at)


def _decide(ticket: Ticket, now: datetime) -> None:
    complaint_decide(
        ticket=ticket, decision="rejected", reasons="Price as agreed.", request_correction=False,
        billing_team=None, now=now, made_by=None,
    )  # fmt: skip


def _questions(w: World) -> None:
    feb = _register(w, "q_feb", "question", "phone", at(2, 27, 10))  # due Mon 2 March 10:00
    _status(feb, TicketStatus.CLOSED, at(3, 2, 9, 30))  # closed in March, in time
    q1 = _register(w, "q1", "question", "phone", at(3, 2, 9))  # due 3 March 9:00
    _status(q1, TicketStatus.RESOLVED, at(3, 2, 15))
    _status(q1, TicketStatus.CLOSED, at(3, 2, 15, 30))
    q2 = _register(w, "q2", "question", "email", at(3, 2, 10))  # due 3 March 10:00
    _status(q2, TicketStatus.CLOSED, at(3, 4, 12))  # late
    q3 = _register(w, "q3", "question", "portal", at(3, 3, 9))  # due 4 March 9:00 ...
    _status(q3, TicketStatus.WAITING_CUSTOMER, at(3, 3, 10))  # ... paused with 7 h left ...
    _status(q3, TicketStatus.IN_PROGRESS, at(3, 6, 8))  # ... due 6 March 15:00
    _status(q3, TicketStatus.CLOSED, at(3, 6, 14))  # in time thanks to the pause
    _register(w, "q_0030", "question", "letter", at(3, 3, 0, 30))  # 2 March 23:30 UTC; left open
    _survey(q1, 5, True, at(3, 3, 12))
    _survey(q2, 4, None, at(3, 5, 12))
    _survey(q3, 2, False, at(3, 7, 12))
    _survey(w.tickets["q_feb"], 1, False, at(4, 1, 10))  # answered after the period


def _outages_and_complaints(w: World) -> None:
    o1 = _register(w, "o1", "outage", "phone", at(3, 5, 8))
    o2 = _register(w, "o2", "outage", "phone", at(3, 5, 8, 30))
    ticket_merge(ticket=o1, into=o2, now=at(3, 5, 9), made_by=None)
    _register(w, "c2", "complaint", "letter", at(3, 1, 10))  # answer due 15 March
    c1 = _register(w, "c1", "complaint", "email", at(3, 2, 10))  # answer due 16 March
    _register(w, "c3", "complaint", "office", at(3, 5, 10))  # answer due 19 March; never answered
    tickets_sla_check(company=w.company, now=at(3, 16, 0, 10))  # the nightly job flags the late ones
    _decide(w.tickets["c2"], at(3, 16, 0, 30))  # 15 March 23:30 UTC, yet late: a day after the deadline
    _decide(c1, at(3, 16, 23, 30))  # on the deadline's last evening: in time


def _edges(w: World) -> None:
    _register(w, "q_last", "question", "portal", at(3, 31, 23, 30))  # in March (21:30 UTC, CEST)
    q_next = _register(w, "q_next", "question", "phone", at(4, 1, 0, 30))  # April (31 March 22:30 UTC)
    _status(q_next, TicketStatus.WAITING_CUSTOMER, at(4, 1, 9))  # paused: waiting, not overdue


@pytest.fixture
def world(company, other_company, admin_user, now):
    company.street, company.postal_code, company.city = (
        "Prosta 1",
        "00-001",
        "Warszawa",
    )  # the letter's sender
    company.bank_account_prefix = "109010147777"
    company.save()
    teams = care_fixtures.teams(company)
    w = World(company, admin_user, teams, care_fixtures.ticket_types(company, teams), None, {})
    w.customer = factories.customer(company, now)
    _questions(w)
    _outages_and_complaints(w)
    _edges(w)
    rival_teams = care_fixtures.teams(other_company)
    rival = World(other_company, None, rival_teams, care_fixtures.ticket_types(other_company, rival_teams),
                  factories.customer(other_company, now), {})  # fmt: skip
    for hour in (9, 10, 11):
        done = _register(rival, f"r{hour}", "question", "phone", at(3, 2, hour))
        _status(done, TicketStatus.CLOSED, at(3, 2, hour, 30))
    _register(rival, "r_open", "question", "phone", at(3, 3, 0, 30))
    return w


RECEIVED = {"q1", "q2", "q3", "q_0030", "o1", "o2", "c1", "c2", "c3", "q_last"}


def test_received_reconciles_per_day_type_channel_and_team_in_warsaw_days(world, company):
    flow = care_report(company=company, period=MARCH, now=REPORT_AT).flow
    registered = Ticket.objects.filter(
        company=company, created_at__gte=at(3, 1, 0), created_at__lt=at(4, 1, 0)
    )
    assert {t.subject for t in registered} == RECEIVED
    assert flow.total.received == len(RECEIVED) == 10
    for rows in (flow.days, flow.types, flow.channels, flow.teams):
        assert sum(row.received for row in rows) == 10
        assert sum(row.closed for row in rows) == flow.total.closed == 6
        assert sum(row.merged for row in rows) == flow.total.merged == 1
    assert len(flow.days) == 31 and flow.days[0].label == date(2026, 3, 1)
    day = {row.label: row for row in flow.days}
    received = {d.day: row.received for d, row in day.items() if row.received}
    assert received == {1: 1, 2: 3, 3: 2, 5: 3, 31: 1}  # 00:30 on 3 March is the 3rd, 23:30 on 31st is in
    closed = {d.day: row.closed for d, row in day.items() if row.closed}
    assert closed == {2: 2, 4: 1, 6: 1, 16: 2}  # both decisions on 16 March Warsaw time
    assert day[date(2026, 3, 5)].merged == 1
    by_type = {row.key: (row.received, row.closed, row.merged) for row in flow.types}
    assert by_type == {"question": (5, 4, 0), "outage": (2, 0, 1), "invoice-complaint": (3, 2, 0)}
    assert [row.key for row in flow.types] == ["invoice-complaint", "outage", "question"]  # position, code
    by_channel = {row.key: row.received for row in flow.channels}
    assert by_channel == {"phone": 3, "email": 2, "portal": 2, "letter": 2, "office": 1}
    assert [row.key for row in flow.channels] == ["phone", "email", "portal", "letter", "office"]
    by_team = {row.key: (row.received, row.closed) for row in flow.teams}
    assert by_team == {"call-centre": (5, 4), "technical": (2, 0), "billing": (3, 2)}
    assert [str(row.label) for row in flow.teams] == ["Billing", "Call centre", "Technical"]


def test_a_ticket_at_half_past_eleven_on_the_last_evening_counts_and_half_past_midnight_does_not(
    world, company
):
    april = Period(date(2026, 4, 1), date(2026, 5, 1))
    last_march_day = care_report(
        company=company, period=Period(date(2026, 3, 31), date(2026, 4, 1)), now=REPORT_AT
    )
    assert last_march_day.flow.total.received == 1
    assert [row.received for row in last_march_day.flow.days] == [1]
    first_april = care_report(company=company, period=april, now=REPORT_AT).flow
    assert first_april.total.received == 1 and first_april.days[0].received == 1


def test_sla_compliance_counts_resolved_tickets_never_flagged_late(world, company):
    sla = care_report(company=company, period=MARCH, now=REPORT_AT).sla
    # call centre: q_feb, q1 and q3 (paused while waiting) in time, q2 late; billing: both complaints late
    teams = {row.key: (row.resolved, row.within, row.late, row.percent) for row in sla.teams}
    assert teams == {
        "call-centre": (4, 3, 1, Decimal("75.0")),
        "billing": (2, 0, 2, Decimal("0.0")),
    }
    types = {row.key: (row.resolved, row.within) for row in sla.types}
    assert types == {"question": (4, 3), "invoice-complaint": (2, 0)}
    assert (sla.total.resolved, sla.total.within, sla.total.percent) == (6, 3, Decimal("50.0"))
    assert Ticket.objects.get(subject="q3").sla_breached_at is None
    assert Ticket.objects.get(subject="q2").sla_breached_at == at(3, 4, 12)


def test_percentages_round_half_up_to_a_tenth():
    assert percent_of(2, 3) == Decimal("66.7")
    assert percent_of(1, 16) == Decimal("6.3")  # 6.25: half up, not to even
    assert percent_of(1, 8) == Decimal("12.5")
    assert percent_of(0, 0) is None


def test_backlog_now_counts_paused_tickets_as_waiting_not_overdue(world, company):
    backlog = backlog_now(company=company, now=REPORT_AT)
    # open: q_0030, q_last, q_next (paused) with the call centre, o2 technical, c3 billing
    teams = {row.key: (row.open, row.overdue, row.waiting) for row in backlog.teams}
    assert teams == {"call-centre": (3, 2, 1), "technical": (1, 1, 0), "billing": (1, 1, 0)}
    statuses = {row.key: row.open for row in backlog.statuses}
    assert statuses == {"new": 4, "waiting_customer": 1}
    total = backlog.total
    assert (total.open, total.overdue, total.waiting) == (5, 4, 1)
    assert total.oldest_at == at(3, 3, 0, 30)
    # 3 March 00:30 to 2 April 10:00 is 729.5 h on the wall clock, but the clocks went forward on 29 March
    assert total.oldest_age_hours == 728
    call_centre = next(row for row in backlog.teams if row.key == "call-centre")
    assert call_centre.oldest_at == at(3, 3, 0, 30)
    # before the SLA of q_last ran out (1 April 16:00) it is open but not overdue
    earlier = backlog_now(company=company, now=at(4, 1, 12))
    assert (earlier.total.open, earlier.total.overdue) == (5, 3)


def test_survey_scores_average_to_two_places_and_share_resolved(world, company):
    surveys = care_report(company=company, period=MARCH, now=REPORT_AT).surveys
    (call_centre,) = surveys.teams
    assert call_centre.key == "call-centre"
    assert call_centre.answered == 3  # the answer given on 1 April is outside March
    assert call_centre.average == Decimal("3.67")  # (5 + 4 + 2) / 3
    assert call_centre.resolved_percent == Decimal("50.0")  # yes once, no once, one did not say
    assert [(row.key, row.answered) for row in surveys.types] == [("question", 3)]
    assert (surveys.total.answered, surveys.total.average) == (3, Decimal("3.67"))


def test_complaints_against_the_legal_deadline_in_warsaw_days(world, company):
    complaints = care_report(company=company, period=MARCH, now=REPORT_AT).complaints
    total = complaints.total
    assert (total.received, total.decided_in_time, total.decided_late, total.open_overdue) == (3, 1, 1, 1)
    assert total.in_time_percent == Decimal("50.0")
    assert [row.key for row in complaints.types] == ["invoice-complaint"]
    # on 18 March c3 (due 19 March) is not yet overdue
    early = care_report(company=company, period=MARCH, now=at(3, 18, 12)).complaints.total
    assert early.open_overdue == 0


def test_the_monitor_shows_today_the_backlog_outages_with_callers_and_the_newest(world, company):
    outage = outage_open(
        company=company, data=OutageData(title="Kabel", started_at=at(4, 2, 7), station="GPZ-1"),
        now=at(4, 2, 7), made_by=world.user,
    )  # fmt: skip
    first = _register(world, "today-1", "outage", "phone", at(4, 2, 8))
    second = _register(world, "today-2", "outage", "phone", at(4, 2, 8, 5))
    ticket_outage_link(ticket=first, outage=outage, now=at(4, 2, 8, 10), made_by=None)
    ticket_merge(ticket=second, into=first, now=at(4, 2, 8, 15), made_by=None)
    Outage.objects.create(
        company=company, number="closed-1", title="Old", started_at=at(3, 1, 1), status="closed",
        created_at=at(3, 1, 1), created_by=world.user,
    )  # fmt: skip
    monitor = care_monitor(company=company, now=REPORT_AT)
    assert monitor.registered_today == 2
    assert (monitor.open_now, monitor.overdue_now, monitor.waiting_now) == (6, 4, 1)
    assert [(o.outage.number, o.calls) for o in monitor.outages] == [(outage.number, 2)]
    assert sum(row.open for row in monitor.teams) == monitor.open_now
    assert [t.subject for t in monitor.latest[:3]] == ["today-2", "today-1", "q_next"]
    assert len(care_monitor(company=company, now=REPORT_AT, latest=5).latest) == 5
    assert all(t.company_id == company.pk for t in monitor.latest)
