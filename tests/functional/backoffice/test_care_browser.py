"""The care tour in a real Chromium: two customers on the same street call about no power; the phone
system's look-up opens registration with each one's card, the outage type's form comes in by htmx, the
active outage over their postal code is offered and ticked, a missing required answer is named next to its
field (and nothing is stored), and both calls end up linked to the outage. The dispatcher then sets a new
expected end with a note and tells both callers (one by SMS, one by e-mail). A third customer complains
about an issued invoice: the ticket shows the legal deadline, 14 days on, and the complaints list has it."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta

import pytest
from django.utils import formats, translation

from kilowatt.billing.models import Invoice
from kilowatt.billing.runs import billing_run_create, billing_run_execute
from kilowatt.care.models import Correspondence, CorrespondenceChannel, OutageNote, Ticket
from kilowatt.care.outages import OutageData, outage_open
from kilowatt.care.sla import WARSAW
from kilowatt.core.clock import FixedClock
from kilowatt.core.messaging import FakeSmsSender
from kilowatt.core.models import Role
from kilowatt.parties.models import Channel
from tests import care_fixtures, factories
from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list
from tests.conftest import NOW, make_staff
from tests.functional.conftest import BROWSER_MARKS

pytestmark = BROWSER_MARKS

CLOCKED = (
    "kilowatt.interfaces.backoffice.care_tickets.system_clock",
    "kilowatt.interfaces.backoffice.care_outages.system_clock",
    "kilowatt.interfaces.backoffice.care_complaints.system_clock",
    "kilowatt.interfaces.templatetags.care_tags.system_clock",
)
NEW_END = datetime(2026, 3, 10, 18, 0, tzinfo=WARSAW)
NOTE = "Cable joint replaced at station 12; feeders are switched back one by one."


def screenshot(page, name: str) -> None:
    """Kept for people to look at when the run has somewhere to put them (as test_browser.py does)."""
    if os.path.isdir("test-results"):
        page.screenshot(path=f"test-results/{name}.png")


def callers(company) -> list[tuple]:
    """Ewa (told by SMS; a second point in Kraków, so the point must be chosen) and Piotr (told by
    e-mail), both with a supply point on Marszałkowska, 00-590."""
    ewa = factories.customer(
        company, NOW, first_name="Ewa", last_name="Nowak", phone="600 100 201", email="ewa@example.pl",
        preferred_channel=Channel.SMS,
    )  # fmt: skip
    ewa_point = factories.supply_point(company, ewa, NOW, address=factories.address(postal_code="00-590"))
    krakow = factories.address(street="Długa", postal_code="30-001", city="Kraków")
    factories.supply_point(company, ewa, NOW, address=krakow)
    piotr = factories.customer(
        company, NOW, first_name="Piotr", last_name="Wiśniewski", phone="600 100 202",
        email="piotr@example.pl", preferred_channel=Channel.EMAIL,
    )  # fmt: skip
    piotr_point = factories.supply_point(company, piotr, NOW, address=factories.address(building_number="12"))
    return [(ewa, ewa_point, "600100201"), (piotr, piotr_point, "600100202")]


def issued_invoice(company) -> Invoice:
    """Jan Kowalski's February invoice (phone 601 234 567), issued by a billing run."""
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    billed = billable_contract(
        company, NOW, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1350")]}
    )
    run = billing_run_create(company=company, month=date(2026, 2, 1), issue_date=date(2026, 3, 2), now=NOW)
    billing_run_execute(run=run, now=NOW)
    return Invoice.objects.get(contract=billed.contract)


@pytest.fixture
def tour(company, reference_data, settings, monkeypatch, tmp_path):
    """A call-centre agent in every team, the outage and complaint types, two callers under an active
    outage over postal code 00-590, and a third customer with an issued invoice."""
    for target in CLOCKED:
        monkeypatch.setattr(target, FixedClock(NOW))
    settings.SMS_BACKEND = "fake"
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"
    agent = make_staff("cora", company, Role.CALL_CENTRE)
    teams = care_fixtures.teams(company)
    for team in teams.values():
        team.members.add(agent)
    where = OutageData(
        title="Cable failure on Marszałkowska",
        started_at=NOW - timedelta(hours=1),
        postal_codes="00-590, 00-591",
        expected_end_at=NOW + timedelta(hours=3),
    )
    return {
        "types": care_fixtures.ticket_types(company, teams),
        "outage": outage_open(company=company, data=where, now=NOW, made_by=agent),
        "callers": callers(company),
        "invoice": issued_invoice(company),
    }


def shown_as(page, moment: datetime) -> str:
    """A moment as the page's language writes it (DATETIME_FORMAT, Warsaw time)."""
    with translation.override(page.get_attribute("html", "lang")):
        return formats.date_format(moment.astimezone(WARSAW), "DATETIME_FORMAT")


def log_in(page, url: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{url}/login/")
    page.fill("#id_username", "cora")
    page.fill("#id_password", "s3cret-pass!")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def submit(page) -> None:
    with page.expect_navigation():
        page.click("#ticket-form button[type=submit]")


def type_chosen(page, ticket_type, first_field: str) -> None:
    """Choose the type; its form comes in by htmx in place of the type-fields box."""
    page.select_option("#id_ticket_type", str(ticket_type.pk))
    page.wait_for_selector(f'#type-fields [id="field-form.{first_field}"]')


def call_from(page, url: str, number: str, customer) -> None:
    """The phone system opens the caller look-up; one customer has the number → their registration."""
    page.goto(f"{url}/care/caller/?number={number}")
    page.wait_for_url(re.compile(rf".*/care/tickets/new/\?customer={customer.pk}&phone=.*"))
    card = page.inner_text("#customer-card")
    assert customer.display_name in card and customer.number in card
    assert page.input_value("#id_caller_phone") == customer.phone


def register_outage_call(page, url: str, tour: dict, caller: tuple, shot: bool) -> Ticket:
    customer, point, number = caller
    outage = tour["outage"]
    call_from(page, url, number, customer)
    assert outage.number in page.inner_text("#card-outages")
    box = f'#outage-offer-box input[name=outage][value="{outage.pk}"]'
    offered_at_once = page.locator(box).count() == 1  # a single point is chosen already
    if offered_at_once:
        assert not page.is_checked(box)  # not yet: the call may be about something else
    type_chosen(page, tour["types"]["outage"], "since")
    if offered_at_once:
        page.wait_for_selector(f"{box}:checked")  # an outage report ticks it
    assert page.get_attribute('[id="field-form.since"]', "data-required") == "yes"
    with page.expect_response(lambda response: "part=outage" in response.url):
        page.select_option("#id_supply_point", str(point.pk))
    offer = page.locator(
        f'#outage-offer-box input[name=outage][value="{outage.pk}"]'
    )  # re-found after a swap
    offer.wait_for()
    assert offer.is_checked()
    assert f"link to outage {outage.number}" in page.inner_text("#outage-offer-box")
    page.fill("#id_subject", "No power since the morning")

    submit(page)  # the required "Since when" left empty
    error = page.inner_text('[id="field-form.since"] .errorlist')
    assert "Since when is required." in error
    assert "has-error" in page.get_attribute('[id="field-form.since"]', "class")
    assert not page.is_visible("#field-subject .errorlist")
    assert not Ticket.objects.filter(customer=customer).exists()
    assert page.is_checked(f'#outage-offer-box input[value="{outage.pk}"]')  # the tick survives the refusal

    page.fill('[id="id_form.since"]', "about 8:15, the whole building")
    if shot:
        screenshot(page, "care-registration")
    submit(page)
    ticket = Ticket.objects.get(customer=customer)
    assert page.url == f"{url}/care/tickets/{ticket.pk}/"
    assert ticket.outage_id == outage.pk and ticket.supply_point_id == point.pk
    assert ticket.form_data == {"since": "about 8:15, the whole building"}
    linked = page.inner_text("#ticket-outage")
    assert outage.number in linked and outage.title in linked
    assert f"Linked to outage {outage.number}." in page.inner_text("ul.messages")
    if shot:
        screenshot(page, "care-ticket")
    return ticket


def inform_callers(page, url: str, tour: dict, tickets: list[Ticket], mailoutbox, sms_file) -> None:
    outage = tour["outage"]
    page.goto(f"{url}/care/outages/{outage.pk}/")
    assert page.locator("#outage-callers tr.caller").count() == 2
    page.fill("#update_note", NOTE)
    page.fill("#update_expected_end_at", "2026-03-10T18:00")
    page.check("#update_inform")
    with page.expect_navigation():
        page.click("#outage-update button[type=submit]")
    assert "2 callers informed." in page.inner_text("#outage-messages")
    assert NOTE in page.inner_text("#outage-notes")
    assert page.inner_text("#outage-expected-end") == shown_as(page, NEW_END)
    assert page.locator("#outage-letters tr.letter").count() == 2
    screenshot(page, "care-outage")

    outage.refresh_from_db()
    assert outage.expected_end_at == NEW_END
    assert OutageNote.objects.get(outage=outage).expected_end_at == NEW_END
    (first, _point, _number), (second, _point2, _number2) = tour["callers"]
    sms = Correspondence.objects.get(customer=first)
    email = Correspondence.objects.get(customer=second)
    sms_row = (sms.channel, sms.recipient, sms.delivered, sms.ticket_id)
    assert sms_row == (CorrespondenceChannel.SMS, first.phone, True, tickets[0].pk)
    email_row = (email.channel, email.recipient, email.delivered, email.ticket_id)
    assert email_row == (CorrespondenceChannel.EMAIL, "piotr@example.pl", True, tickets[1].pk)
    sent = FakeSmsSender(path=sms_file).outbox_read()
    assert [message.to for message in sent] == [first.phone]
    assert outage.number in sent[0].text and "18:00" in sent[0].text
    assert [message.to for message in mailoutbox] == [["piotr@example.pl"]]
    assert outage.number in mailoutbox[0].body and "18:00" in mailoutbox[0].body


def register_complaint(page, url: str, tour: dict) -> Ticket:
    invoice = tour["invoice"]
    customer = invoice.customer
    call_from(page, url, "601234567", customer)
    type_chosen(page, tour["types"]["complaint"], "reason")
    page.select_option('[id="id_form.reason"]', "price")
    page.select_option("#id_invoice", str(invoice.pk))
    if page.is_visible("#outage-offer-box"):
        page.uncheck("#outage-offer-box input[name=outage]")  # the point is in the outage's area too
    page.fill("#id_subject", "The February invoice is too high")
    page.fill("#id_description", "The price per kWh is not the one in my contract.")
    submit(page)
    ticket = Ticket.objects.get(customer=customer)
    assert page.url == f"{url}/care/tickets/{ticket.pk}/"
    assert ticket.invoice_id == invoice.pk and ticket.outage_id is None
    assert ticket.answer_due_on == date(2026, 3, 24)  # 14 calendar days after the call on 10 March
    assert ticket.debt_dispute_id is not None  # dunning is held while the complaint is open
    assert "14 days left" in page.inner_text("#ticket-deadline")
    assert "14 days left" in page.inner_text("#complaint-deadline")
    assert invoice.number in page.inner_text("#ticket-header")
    screenshot(page, "care-complaint")
    return ticket


@pytest.mark.django_db(transaction=True)
def test_outage_calls_are_linked_callers_informed_and_a_complaint_gets_its_deadline(
    browser_page, live_server, tour, mailoutbox, settings
):
    page, url = browser_page, live_server.url
    log_in(page, url)
    tickets = [
        register_outage_call(page, url, tour, caller, shot=index == 0)
        for index, caller in enumerate(tour["callers"])
    ]
    assert len({ticket.number for ticket in tickets}) == 2

    inform_callers(page, url, tour, tickets, mailoutbox, settings.SMS_FAKE_FILE)

    complaint = register_complaint(page, url, tour)
    page.goto(f"{url}/care/complaints/")
    row = page.inner_text(f'#complaints tr.complaint[data-ticket="{complaint.pk}"]')
    assert complaint.number in row and tour["invoice"].number in row and "14 days" in row
    screenshot(page, "care-complaints")
