"""Supplier switching in the demo, in a real Chromium: two contracts signed with the built-in one-time code
open their switch cases; staff generate the documents, complete the steps and send both cases to the
local fake DSO, which accepts one and rejects the other (its customer's name says "Odrzuć"). The rejected
case shows the DSO's reason and is submitted again; when the start date has come the fake DSO reports
the start of supply: the point is supplied, the contract in force from that date and billed from it."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest

from kilowatt.billing.runs import billing_run_create
from kilowatt.catalog.models import PriceList
from kilowatt.core.clock import WARSAW, FixedClock, system_clock
from kilowatt.core.identifiers import gsrn18_with_check_digit
from kilowatt.core.models import Role
from kilowatt.core.periods import month_start
from kilowatt.interfaces.cli.demo_data import demo_data_generate
from kilowatt.interfaces.cli.demo_sales import demo_offers_setup
from kilowatt.interfaces.cli.demo_switching import demo_switching_setup
from kilowatt.network.models import SupplyPointStatus
from kilowatt.sales.contracting import signers_for
from kilowatt.sales.models import Contract, ContractSigner, ContractStatus
from kilowatt.sales.operations import ContractData, contract_create
from kilowatt.switching.models import CaseStatus, StepCode, SwitchCase, SwitchProcess
from kilowatt.switching.operations import deadline_after
from tests import factories
from tests.conftest import make_staff
from tests.functional.conftest import BROWSER_MARKS

pytestmark = BROWSER_MARKS


@pytest.fixture
def demo_company(company, reference_data, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.SMS_BACKEND = "fake"
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"
    now = system_clock.now()
    demo_data_generate(company=company, customers=5, seed=3, now=now)
    demo_offers_setup(company=company, now=now)
    assert demo_switching_setup(company=company, now=now) > 0
    assert demo_switching_setup(company=company, now=now) == 0  # once
    assert SwitchProcess.objects.filter(
        company=company, dso__code="pge-dystrybucja", exchange="fake"
    ).exists()
    return company


def _draft(company, *, last_name: str, start: date, number: int) -> Contract:
    """A new customer's draft contract for a point at PGE Dystrybucja not supplied by us yet."""
    now = system_clock.now()
    customer = factories.customer(company, now, first_name="Ewa", last_name=last_name)
    code = gsrn18_with_check_digit(f"5905435{9_000_000_000 + number:010d}")  # past the demo's codes
    point = factories.supply_point(company, customer, now, code=code, annual_consumption_kwh=3200)
    assert point.status == SupplyPointStatus.PROSPECT
    prices = PriceList.objects.get(company=company, code="prad-stala-cena-2026")
    contract = contract_create(
        company=company,
        data=ContractData(customer_id=customer.pk, kind="comprehensive", product_id=prices.product_id,
                          price_list_id=prices.pk, start_date=start, supply_point_ids=[point.pk],
                          billing_cycle_months=1),
        actor=None, now=now,
    )  # fmt: skip
    signers = signers_for(customer=customer)
    for signer in signers:
        signer.contract = contract
    ContractSigner.objects.bulk_create(signers)
    return contract


def _sign(page, url: str, contract: Contract, settings) -> None:
    page.goto(f"{url}/contracts/{contract.pk}/")
    with page.expect_navigation():
        page.click("#send-for-signature")
    code = factories.one_time_code(settings.SMS_FAKE_FILE.read_text())
    page.fill("#signature-pending input[name=code]", code)
    with page.expect_navigation():
        page.click("#signature-pending button[type=submit]:has-text('Sign')")
    assert page.inner_text("#contract-status") == "Signed"


def _submit(page, url: str, case: SwitchCase) -> None:
    """Generate the documents and complete the manual steps: the case waits at the submission step."""
    page.goto(f"{url}/switching/cases/{case.pk}/")
    assert "Termination notice sent to the previous supplier" in page.inner_text("#case-steps")
    with page.expect_navigation():
        page.click("#generate-documents")
    documents = page.inner_text("#documents")
    assert "Power of attorney" in documents and "Termination notice to the previous supplier" in documents
    pdf = page.request.get(url + page.get_attribute("a.document-power_of_attorney", "href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    for _step in range(3):  # documents, termination notice, distribution agreement
        with page.expect_navigation():
            page.click("#complete-step button[type=submit]")
    assert page.inner_text("#current-step") == "Submitted to the DSO"
    # Our printout is not the customer's signature: the signed power of attorney is attached as a scan.
    assert "Power of attorney" in page.inner_text("#missing-documents")
    page.select_option("#document-upload select[name=code]", "power_of_attorney")
    page.set_input_files(
        "#document-upload input[name=file]",
        files=[
            {
                "name": "pelnomocnictwo-podpisane.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.7 scan",
            }
        ],
    )
    with page.expect_navigation():
        page.click("#document-upload button[type=submit]")
    assert page.query_selector("#missing-documents") is None


@pytest.mark.django_db(transaction=True)
def test_signed_contracts_switch_through_the_fake_dso(
    browser_page, live_server, demo_company, settings, monkeypatch
):
    company = demo_company
    make_staff("bo", company, Role.BACK_OFFICE)
    today = system_clock.today()
    start = month_start(today, offset=1)
    accepted_contract = _draft(company, last_name="Zmieniająca", start=start, number=1)
    rejected_contract = _draft(company, last_name="Odrzućkiewicz", start=start, number=2)
    page, url = browser_page, live_server.url
    page.goto(f"{url}/login/")
    page.fill("#id_username", "bo")
    page.fill("#id_password", "s3cret-pass!")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")

    _sign(page, url, accepted_contract, settings)
    _sign(page, url, rejected_contract, settings)
    good = SwitchCase.objects.get(contract=accepted_contract)  # opened by the outbox on commit
    bad = SwitchCase.objects.get(contract=rejected_contract)
    assert good.status == bad.status == CaseStatus.OPEN and good.requested_start == start

    page.goto(f"{url}/")
    with page.expect_navigation():
        page.click("header nav a:has-text('Switching')")
    assert good.number in page.inner_text("#cases") and bad.number in page.inner_text("#cases")
    _submit(page, url, good)
    _submit(page, url, bad)

    dso = good.supply_point.dso_id
    page.goto(f"{url}/switching/")
    with page.expect_navigation():
        page.click(f"#dso-{dso} button.send-cases")
    assert "2 case(s) sent" in page.inner_text("ul.messages")
    with page.expect_navigation():
        page.click(f"#dso-{dso} button.fake-answer")
    assert "2 answers applied." in page.inner_text("#import-result-1")
    good.refresh_from_db()
    expected_start = max(start, deadline_after(start=today, days=2, kind="working"))
    assert good.status == CaseStatus.ACCEPTED and good.start_date == expected_start

    page.goto(f"{url}/switching/cases/{bad.pk}/")
    assert page.inner_text("#case-status") == "Rejected by the DSO"
    rejection = page.inner_text("#rejection")
    assert "Brak umowy dystrybucyjnej (GUD)" in rejection and "E17" in rejection
    page.fill("#resubmit input[name=note]", "GUD podpisana")
    with page.expect_navigation():
        page.click("#resubmit button[type=submit]")
    assert page.inner_text("#case-status") == "In preparation"
    assert page.inner_text("#current-step") == "Submitted to the DSO"
    assert "E17" in page.inner_text("#step-verification")  # the rejection stays in the step's note
    with page.expect_navigation():
        page.click("#send-case button[type=submit]")
    assert page.inner_text("#case-status") == "Submitted to the DSO"
    bad.refresh_from_db()
    assert bad.submissions == 2

    # Later: the start date has come, and the fake DSO reports the start of supply with the reading.
    later = datetime.combine(good.start_date + timedelta(days=1), time(10), tzinfo=WARSAW)
    monkeypatch.setattr("kilowatt.interfaces.backoffice.switching.system_clock", FixedClock(later))
    page.goto(f"{url}/switching/")
    with page.expect_navigation():
        page.click(f"#dso-{dso} button.fake-answer")
    results = page.inner_text("main")
    assert "answer applied" in results or "answers applied" in results
    good.refresh_from_db()
    assert good.status == CaseStatus.COMPLETED, results
    page.goto(f"{url}/switching/cases/{good.pk}/")
    assert page.inner_text("#case-status") == "Supply started"
    assert "Done" in page.inner_text(f"#step-{StepCode.SUPPLY_START}")

    good.supply_point.refresh_from_db()
    accepted_contract.refresh_from_db()
    assert good.supply_point.status == SupplyPointStatus.ACTIVE
    assert accepted_contract.status == ContractStatus.ACTIVE
    assert accepted_contract.start_date == good.start_date
    assert accepted_contract.supply_point_links.get().valid_from == good.start_date

    page.goto(f"{url}/customers/{accepted_contract.customer_id}/")
    panel = page.inner_text("#panel-switching")
    assert "Switched: we supply this point since" in panel and good.number in panel
    with page.expect_navigation():
        page.click("#panel-switching a.switch-case")
    assert re.search(rf"/switching/cases/{good.pk}/$", page.url)

    run = billing_run_create(
        company=company, month=good.start_date, issue_date=later.date(), now=system_clock.now()
    )
    item = run.items.get(contract=accepted_contract)  # billed from the start of supply
    assert item.period_start == good.start_date
    assert not run.items.filter(contract=rejected_contract).exists()
