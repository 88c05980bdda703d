"""Outages: opened with supply points and postal codes, suggested to a caller by named point, postal code or
area; calls of several customers linked; the expected end kept current; every caller (merged tickets' too)
told once through the fake SMS and e-mail adapters, a failure recorded and not raised; closing resolves the
linked tickets. Complaints: an invoice complaint opens a debt dispute that holds dunning and gets its legal
deadline; the decision prints the letter, closes the dispute and hands a correction to billing; a second
decision and a correction of a rejected complaint are refused. The SLA check job and command."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from kilowatt.care.complaints import complaint_days_left, complaint_decide, complaints_open
from kilowatt.care.models import (
    ComplaintDecision,
    Correspondence,
    CorrespondenceChannel,
    Outage,
    OutageNote,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from kilowatt.care.operations import (
    TicketData,
    TicketRefused,
    ticket_merge,
    ticket_outage_link,
    ticket_register,
)
from kilowatt.care.outages import (
    OutageData,
    outage_callers,
    outage_callers_inform,
    outage_close,
    outage_open,
    outage_update,
    outages_for_supply_point,
)
from kilowatt.collections.models import CaseStatus, DebtDispute, DunningCase, DunningPolicy
from kilowatt.collections.operations import case_hold_reason
from kilowatt.core.clock import FixedClock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.messaging import sms_sender
from kilowatt.interfaces.tasks.care import care_sla_check
from kilowatt.network.models import DistributionArea, Dso
from kilowatt.parties.models import Channel
from tests import care_fixtures, factories

pytestmark = pytest.mark.django_db
LATER = timedelta(hours=2)


@pytest.fixture(autouse=True)
def fake_sms_file(settings, tmp_path):
    settings.SMS_BACKEND = "fake"
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"


@pytest.fixture
def care(company, admin_user):
    teams = care_fixtures.teams(company)
    for team in teams.values():
        team.members.add(admin_user)
    return teams, care_fixtures.ticket_types(company, teams)


@pytest.fixture
def area():
    return DistributionArea.objects.create(
        dso=Dso.objects.get(code="pge-dystrybucja"), code="wa", name="Wawer"
    )


@pytest.fixture
def town(company, now, area):
    """Three customers: Jan (SMS) at 00-590, Ewa (e-mail) at 30-001, Olek (SMS) in the Wawer area."""
    jan = factories.customer(company, now, phone="601234567", preferred_channel=Channel.SMS)
    ewa = factories.customer(
        company, now, first_name="Ewa", email="ewa@example.pl", phone="602345678",
        address=factories.address(postal_code="30-001", city="Kraków"),
    )  # fmt: skip
    olek = factories.customer(
        company, now, first_name="Olek", phone="603456789", preferred_channel=Channel.SMS
    )
    return {
        "jan": (jan, factories.supply_point(company, jan, now)),
        "ewa": (ewa, factories.supply_point(
            company, ewa, now, address=factories.address(postal_code="30-001", city="Kraków"))),
        "olek": (olek, factories.supply_point(
            company, olek, now, area_id=area.pk, address=factories.address(postal_code="04-001"))),
    }  # fmt: skip


def _call(company, care, customer, point, now, **extra):
    _teams, types = care
    data = TicketData(
        ticket_type=types["outage"], channel="phone", subject="No power", customer=customer,
        supply_point=point, form={"since": "8:00"}, **extra,
    )  # fmt: skip
    return ticket_register(company=company, data=data, now=now, registered_by=None)


def _outage(company, admin_user, now, **values):
    return outage_open(
        company=company, data=OutageData(title="Cable failure", started_at=now, **values), now=now,
        made_by=admin_user,
    )  # fmt: skip


def test_an_outage_is_suggested_by_named_point_postal_code_and_area(company, other_company, admin_user, now,
                                                                      town, area):  # fmt: skip
    (_jan, jan_point), (_ewa, ewa_point), (_olek, olek_point) = town["jan"], town["ewa"], town["olek"]
    named = _outage(company, admin_user, now, supply_points=[jan_point], expected_end_at=now + LATER)
    by_code = _outage(company, admin_user, now, postal_codes="30-001, 30-002")
    by_area = _outage(company, admin_user, now, area=area)
    station = _outage(company, admin_user, now, area=area, station="ST-114")  # a station: not the whole area
    assert (named.number, named.supply_points.get(), by_code.postal_code_list()) == (
        "AW/000001/2026",
        jan_point,
        ["30-001", "30-002"],
    )
    assert list(outages_for_supply_point(supply_point=jan_point)) == [named]
    assert list(outages_for_supply_point(supply_point=ewa_point)) == [by_code]
    assert list(outages_for_supply_point(supply_point=olek_point)) == [by_area]
    assert station not in outages_for_supply_point(supply_point=olek_point)

    outage_close(outage=by_code, ended_at=now + LATER, note="", now=now + LATER, made_by=admin_user)
    assert list(outages_for_supply_point(supply_point=ewa_point)) == []

    with pytest.raises(ValidationFailed) as refused:
        _outage(company, admin_user, now, expected_end_at=now - LATER)
    assert {error.field for error in refused.value.errors} == {"area", "expected_end_at"}
    stranger = factories.supply_point(other_company, factories.customer(other_company, now), now)
    with pytest.raises(ValidationFailed) as refused:
        _outage(company, admin_user, now, supply_points=[stranger])
    assert [error.field for error in refused.value.errors] == ["supply_points"]
    assert Outage.objects.count() == 4


def test_calls_of_two_customers_are_linked_and_the_expected_end_kept_current(company, care, admin_user, now,
                                                                             town):  # fmt: skip
    (jan, jan_point), (ewa, ewa_point) = town["jan"], town["ewa"]
    outage = _outage(company, admin_user, now, postal_codes="00-590 30-001")
    calls = [_call(company, care, jan, jan_point, now), _call(company, care, ewa, ewa_point, now)]
    for call in calls:
        ticket_outage_link(ticket=call, outage=outage, now=now, made_by=admin_user)
    assert {t.pk for t in outage_callers(outage=outage)} == {t.pk for t in calls}
    assert TicketEvent.objects.filter(kind=TicketEventKind.OUTAGE_LINKED, text=outage.number).count() == 2

    end = now + timedelta(hours=5)
    outage_update(outage=outage, note="Crew on site", expected_end_at=end, crew="Team 7", now=now,
                  made_by=admin_user)  # fmt: skip
    outage.refresh_from_db()
    assert (outage.expected_end_at, outage.crew) == (end, "Team 7")
    assert list(OutageNote.objects.values_list("text", "expected_end_at")) == [("Crew on site", end)]
    with pytest.raises(ValidationFailed, match="Write what changed"):
        outage_update(outage=outage, note=" ", expected_end_at=None, crew=None, now=now, made_by=admin_user)
    with pytest.raises(ValidationFailed) as refused:
        outage_update(outage=outage, note="x", expected_end_at=now - LATER, crew=None, now=now,
                      made_by=admin_user)  # fmt: skip
    assert refused.value.field == "expected_end_at"


def test_every_caller_is_told_once_including_merged_tickets_and_failures_are_recorded(
    company, care, admin_user, now, town
):
    (jan, jan_point), (ewa, ewa_point), (olek, olek_point) = town["jan"], town["ewa"], town["olek"]
    outage = _outage(company, admin_user, now, postal_codes="00-590 30-001",
                     expected_end_at=now + timedelta(hours=3))  # fmt: skip
    jan_call, ewa_call = _call(company, care, jan, jan_point, now), _call(company, care, ewa, ewa_point, now)
    jan_again = _call(company, care, jan, jan_point, now)  # the same customer calls twice
    olek_call = _call(company, care, olek, olek_point, now)  # merged into Jan's call: same street
    stranger = _call(company, care, None, None, now, caller_name="Passer-by")  # no phone, no e-mail
    for call in (jan_call, ewa_call, jan_again, stranger):
        ticket_outage_link(ticket=call, outage=outage, now=now, made_by=admin_user)
    ticket_merge(ticket=olek_call, into=jan_call, now=now, made_by=admin_user)

    sent = outage_callers_inform(outage=outage, now=now, made_by=admin_user)

    # Jan once (two calls), Ewa, Olek through the merged ticket, and the passer-by who cannot be reached
    assert len(sent) == 4
    sms = sms_sender().sent
    assert sorted(message.to for message in sms) == ["+48601234567", "+48603456789"]
    # told in their own language (Polish)
    assert all(outage.number in m.text and "przewidujemy przywrócenie zasilania" in m.text for m in sms)
    assert [message.to for message in mail.outbox] == [["ewa@example.pl"]]
    assert outage.number in mail.outbox[0].subject
    failed = Correspondence.objects.get(ticket=stranger)
    assert not failed.delivered and "No phone number or e-mail" in failed.failure
    assert Correspondence.objects.filter(customer=olek, ticket=olek_call, delivered=True).count() == 1
    assert TicketEvent.objects.filter(kind=TicketEventKind.NOTIFIED).count() == 4


def test_closing_an_outage_resolves_its_tickets_and_tells_the_callers(company, care, admin_user, now, town):
    (jan, jan_point), (ewa, ewa_point) = town["jan"], town["ewa"]
    outage = _outage(company, admin_user, now, postal_codes="00-590 30-001")
    calls = [_call(company, care, jan, jan_point, now), _call(company, care, ewa, ewa_point, now)]
    for call in calls:
        ticket_outage_link(ticket=call, outage=outage, now=now, made_by=admin_user)
    with pytest.raises(ValidationFailed) as refused:
        outage_close(outage=outage, ended_at=now - LATER, note="", now=now, made_by=admin_user)
    assert refused.value.field == "ended_at"

    outage_close(outage=outage, ended_at=now + LATER, note="Cable replaced", now=now + LATER,
                 made_by=admin_user)  # fmt: skip
    outage.refresh_from_db()
    assert (outage.status, outage.ended_at) == (Outage.Status.CLOSED, now + LATER)
    assert {Ticket.objects.get(pk=t.pk).status for t in calls} == {TicketStatus.RESOLVED}
    assert len(sms_sender().sent) == 1 and "Cable replaced" in sms_sender().sent[0].text
    assert len(mail.outbox) == 1
    with pytest.raises(ValidationFailed, match="already closed"):
        outage_close(outage=outage, ended_at=now + LATER, note="", now=now + LATER, made_by=admin_user)


# --- complaints -----------------------------------------------------------------------------------


@pytest.fixture
def letterhead(company):
    company.bank_account_prefix = "109010147777"
    company.street, company.postal_code, company.city = "ul. Prosta 20", "00-850", "Warszawa"
    company.save()
    return company


@pytest.fixture
def billed(company, now):
    from kilowatt.billing.models import Invoice
    from kilowatt.billing.runs import billing_run_create, billing_run_execute
    from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list

    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1350")]}
    )
    run = billing_run_create(company=company, month=date(2026, 2, 1), issue_date=date(2026, 3, 2), now=now)
    billing_run_execute(run=run, now=now)
    return Invoice.objects.get(contract=scenario.contract)


def _complaint(company, care, customer, now, invoice=None):
    _teams, types = care
    data = TicketData(
        ticket_type=types["complaint"], channel="phone", subject="The bill is too high", customer=customer,
        invoice=invoice, form={"reason": "price"},
    )  # fmt: skip
    return ticket_register(company=company, data=data, now=now, registered_by=None)


def test_an_invoice_complaint_holds_dunning_and_its_decision_hands_a_correction_to_billing(
    company, care, admin_user, now, letterhead, billed
):
    teams, _types = care
    customer = billed.customer
    policy = DunningPolicy.objects.create(company=company, name="Standard")
    case = DunningCase.objects.create(
        company=company, customer=customer, policy=policy, opened_on=date(2026, 3, 1)
    )

    complaint = _complaint(company, care, customer, now, invoice=billed)

    dispute = DebtDispute.objects.get(customer=customer)
    assert complaint.debt_dispute == dispute and dispute.closed_on is None
    case.refresh_from_db()
    assert case.status == CaseStatus.BLOCKED
    assert case_hold_reason(case=case) == "a complaint about the debt is pending"
    assert complaint.answer_due_on == date(2026, 3, 24)  # 14 calendar days after 10 March
    assert complaint_days_left(ticket=complaint, on_date=date(2026, 3, 21)) == 3
    assert list(complaints_open(company=company)) == [complaint]

    decided_at = now + timedelta(days=5)
    letter = complaint_decide(
        ticket=complaint, decision=ComplaintDecision.ACCEPTED, reasons="The meter was read wrongly.",
        request_correction=True, billing_team=teams["billing"], now=decided_at, made_by=admin_user,
    )  # fmt: skip

    assert bytes(letter.content).startswith(b"%PDF") and letter.content_type == "application/pdf"
    assert (letter.channel, letter.recipient, letter.delivered) == (
        CorrespondenceChannel.EMAIL, customer.email, True
    )  # fmt: skip
    assert mail.outbox[-1].attachments[0][0] == letter.file_name
    dispute.refresh_from_db()
    assert dispute.closed_on == date(2026, 3, 15) and case_hold_reason(case=case) == ""
    complaint.refresh_from_db()
    assert (complaint.decision, complaint.correction_requested, complaint.team, complaint.status) == (
        ComplaintDecision.ACCEPTED, True, teams["billing"], TicketStatus.IN_PROGRESS
    )  # fmt: skip
    assert complaint_days_left(ticket=complaint, on_date=date(2026, 3, 21)) is None
    assert TicketEvent.objects.filter(ticket=complaint, kind=TicketEventKind.HANDED_OVER).exists()

    with pytest.raises(TicketRefused, match="already been decided") as refused:
        complaint_decide(
            ticket=complaint, decision=ComplaintDecision.REJECTED, reasons="No.", request_correction=False,
            billing_team=None, now=decided_at, made_by=admin_user,
        )  # fmt: skip
    assert refused.value.field == "decision"
    assert Correspondence.objects.filter(ticket=complaint).count() == 1


def test_a_rejected_complaint_cannot_request_a_correction_and_nothing_is_stored(
    company, care, admin_user, now, letterhead
):
    teams, _types = care
    customer = factories.customer(company, now)
    complaint = _complaint(company, care, customer, now)
    with pytest.raises(ValidationFailed) as refused:
        complaint_decide(
            ticket=complaint, decision=ComplaintDecision.REJECTED, reasons="The price is in the contract.",
            request_correction=True, billing_team=teams["billing"], now=now, made_by=admin_user,
        )  # fmt: skip
    assert [error.field for error in refused.value.errors] == ["request_correction"]
    complaint.refresh_from_db()
    assert complaint.decided_at is None and not Correspondence.objects.filter(ticket=complaint).exists()
    assert complaint.debt_dispute.closed_on is None

    letter = complaint_decide(
        ticket=complaint, decision=ComplaintDecision.REJECTED, reasons="The price is in the contract.",
        request_correction=False, billing_team=None, now=now, made_by=admin_user,
    )  # fmt: skip
    complaint.refresh_from_db()
    assert complaint.status == TicketStatus.RESOLVED and bytes(letter.content).startswith(b"%PDF")
    assert complaint.debt_dispute.closed_on == now.date()


# --- the SLA check job ----------------------------------------------------------------------------


def test_the_sla_check_flags_late_tickets_once_from_the_task_and_the_command(
    company, other_company, care, now, monkeypatch
):
    _teams, types = care
    customer = factories.customer(company, now)
    data = TicketData(ticket_type=types["question"], channel="phone", subject="Where is my bill?",
                      customer=customer)  # fmt: skip
    ticket = ticket_register(company=company, data=data, now=now, registered_by=None)
    assert ticket.due_at == now + timedelta(days=1)  # 8 business hours: 09:30 the next working day

    monkeypatch.setattr("kilowatt.interfaces.tasks.care.system_clock", FixedClock(now + timedelta(hours=2)))
    assert care_sla_check.delay().get() == 0

    late = FixedClock(now + timedelta(days=1, minutes=1))
    monkeypatch.setattr("kilowatt.interfaces.tasks.care.system_clock", late)
    assert care_sla_check.delay().get() == 1
    ticket.refresh_from_db()
    assert ticket.sla_breached_at == late.now()
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.SLA_BREACHED).count() == 1

    data = TicketData(ticket_type=types["question"], channel="phone", subject="And my meter?",
                      customer=customer)  # fmt: skip
    second = ticket_register(company=company, data=data, now=now + timedelta(hours=1), registered_by=None)
    command = "kilowatt.interfaces.management.commands.care-sla-check.system_clock"
    monkeypatch.setattr(command, FixedClock(now + timedelta(days=2)))
    out = StringIO()
    call_command("care-sla-check", stdout=out)
    assert out.getvalue().splitlines() == [
        "acme: 1 flagged",
        "rival: 0 flagged",
        "Tickets flagged past their SLA: 1",
    ]
    second.refresh_from_db()
    assert second.sla_breached_at == now + timedelta(days=2)
    out = StringIO()
    call_command("care-sla-check", "--company", "acme", stdout=out)
    assert out.getvalue().splitlines() == ["acme: 0 flagged", "Tickets flagged past their SLA: 0"]
    with pytest.raises(CommandError, match="no active company with code nope"):
        call_command("care-sla-check", "--company", "nope")
