"""The sales tour of the demo in a real Chromium: the tour's lead is converted, gets a supply point and an
offer that shows its saving against the current tariff and a competitor, is accepted, the contract is
signed with the built-in one-time code, and the customer's 360° page shows it with its PDFs."""

from __future__ import annotations

import re

import pytest

from kilowatt.catalog.models import PriceList
from kilowatt.core.clock import system_clock
from kilowatt.core.models import Role
from kilowatt.interfaces.cli.demo_data import demo_data_generate
from kilowatt.interfaces.cli.demo_sales import demo_offers_setup
from kilowatt.sales.models import Contract, ContractStatus, Lead, OfferVersion
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
    return company


@pytest.mark.django_db(transaction=True)
def test_lead_to_signed_contract(browser_page, live_server, demo_company, settings):
    company = demo_company
    make_staff("sam", company, Role.SALES_MANAGER)
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", "s3cret-pass!")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    lead = Lead.objects.get(company=company, last_name="Przykładowa")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    page.fill("#id_street", "Piotrkowska")
    page.fill("#id_building_number", "100")
    page.fill("#id_postal_code", "90-001")
    page.click("button:has-text('Convert')")
    page.wait_for_url(re.compile(r".*/opportunities/\d+/$"))

    page.click("#new-point")
    page.fill("#id_code", factories.ppe_code("5905435"))
    page.select_option("#id_dso_id", label="PGE Dystrybucja S.A.")
    page.select_option("#id_tariff_group_id", label="G11")
    page.fill("#id_annual_consumption_kwh", "3200")
    page.select_option("#id_phases", "1")
    with page.expect_navigation():
        page.click("button:has-text('Save')")
    assert "G11" in page.inner_text("#opportunity-points")

    template = "Stała Cena na 2 lata (Prąd Stała Cena 2026)"
    page.select_option("#offer-form select[name=template]", label=template)
    prices = PriceList.objects.get(company=company, code="prad-stala-cena-2026")
    page.select_option("#offer-form select[name=price_list]", str(prices.pk))
    with page.expect_navigation():
        page.click("#offer-form button[type=submit]")
    assert re.search(r"/offers/\d+/$", page.url), page.inner_text("main")
    version = OfferVersion.objects.get(offer__opportunity__customer__last_name="Przykładowa")
    assert version.saving is not None and version.saving > 0
    comparison = page.inner_text("#version-1 table.comparison")
    assert "PGE Obrót" in comparison and "Tauron" in comparison  # the current tariff and a competitor
    assert f"{version.saving_percent}" in comparison
    pdf = page.request.get(f"{live_server.url}/offers/{version.offer_id}/versions/1/pdf/")
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    with page.expect_navigation():
        page.click("#accept-offer")
    assert re.search(r"/contracts/\d+/$", page.url), page.inner_text("main")
    contract = Contract.objects.get(offer_version=version)
    page.click("#send-for-signature")
    code = factories.one_time_code(settings.SMS_FAKE_FILE.read_text())
    page.fill("#signature-pending input[name=code]", code)
    page.click("#signature-pending button[type=submit]:has-text('Sign')")
    assert page.inner_text("#contract-status") == "Signed"
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SIGNED

    page.goto(f"{live_server.url}/customers/{contract.customer_id}/")
    panel = page.inner_text("body")
    assert contract.number in panel and "Signed contract (PDF)" in panel
    signed = page.request.get(live_server.url + page.get_attribute("a.document-signed_contract", "href"))
    assert signed.ok and signed.body().startswith(b"%PDF")
