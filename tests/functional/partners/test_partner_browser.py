"""An agent's sale in front of the customer, in a real Chromium at tablet size (1024×768): sign in to the
partner portal, type in the lead, convert it, add the customer's supply point, calculate the offer (its
saving against what the customer pays now), accept it, send the signing code and type in the code the
customer received: the contract is signed, its switch of supplier is under way and the agent sees the
first commission stage."""

from __future__ import annotations

import os
import re
from datetime import date
from decimal import Decimal

import pytest

from kilowatt.commissions.models import CommissionRate, CommissionScheme, CommissionStage, SchemeAssignment
from kilowatt.network.models import Dso
from kilowatt.sales.models import Contract, ContractStatus, OfferVersion
from kilowatt.switching.setup import process_usual_create
from tests import factories
from tests.functional.conftest import BROWSER_MARKS
from tests.functional.partners.test_sales_pages import catalogue, fixed_clock  # noqa: F401

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True)
def test_an_agent_sells_on_a_tablet(
    browser_page,
    live_server,
    company,
    now,
    reference_data,
    catalogue,  # noqa: F811
    settings,
    tmp_path,
):
    settings.SMS_BACKEND = "fake"
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"
    partner = factories.organisation(company, now, "alfa")
    factories.agent(partner, "ola")
    scheme = CommissionScheme.objects.create(
        company=company, code="std", name="Standard", basis="point", business_share=Decimal("70"),
        valid_from=date(2026, 1, 1),
    )  # fmt: skip
    CommissionRate.objects.create(scheme=scheme, rate=Decimal("200"))
    CommissionStage.objects.create(scheme=scheme, trigger="signed", share=Decimal("30"))
    CommissionStage.objects.create(scheme=scheme, trigger="supply_started", share=Decimal("70"))
    SchemeAssignment.objects.create(
        company=company, scheme=scheme, channel=partner.channel, valid_from=date(2026, 1, 1)
    )
    process_usual_create(
        company=company, dso=Dso.objects.get(code="pge-dystrybucja"), commodity="electricity"
    )
    page = browser_page
    page.set_viewport_size({"width": 1024, "height": 768})

    page.goto(f"{live_server.url}/partners/login/")
    page.fill("#id_username", "ola")
    page.fill("#id_password", "s3cret-pass!")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/partners/")

    page.click("#panel-leads a:has-text('New lead')")
    page.fill("#id_first_name", "Marta")
    page.fill("#id_last_name", "Tabletowa")
    page.fill("#id_phone", "605 111 222")
    page.fill("#id_city", "Łódź")
    page.fill("#id_annual_consumption_kwh", "3100")
    with page.expect_navigation():
        page.click("#lead-form button[type=submit]")
    assert "Marta Tabletowa" in page.inner_text("h1")

    page.fill("#id_address_street", "Piotrkowska")
    page.fill("#id_address_building_number", "100")
    page.fill("#id_address_postal_code", "90-001")
    with page.expect_navigation():
        page.click("#convert")
    assert re.search(r"/partners/opportunities/\d+/$", page.url), page.inner_text("main")

    page.click("#new-point")
    page.fill("#id_code", factories.ppe_code("5905435"))
    page.select_option("#id_dso_id", label="PGE Dystrybucja S.A.")
    page.select_option("#id_tariff_group_id", label="G11")
    page.select_option("#id_phases", "1")
    assert page.input_value("#id_annual_consumption_kwh").startswith("3100")
    with page.expect_navigation():
        page.click("#point-form button[type=submit]")
    assert "G11" in page.inner_text("#opportunity-points")

    page.select_option("#id_template_id", label="Dom 2026 (dom)")
    with page.expect_navigation():
        page.click("#make-offer")
    assert re.search(r"/partners/offers/\d+/$", page.url), page.inner_text("main")
    version = OfferVersion.objects.get(offer__opportunity__customer__last_name="Tabletowa")
    assert version.saving > 0
    assert f"{version.saving_percent} %" in page.inner_text("#saving")
    assert "Tauron" in page.inner_text("#version-1 table.comparison")
    pdf = page.request.get(live_server.url + page.get_attribute("#offer-pdf-1", "href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    with page.expect_navigation():
        page.click("#accept-offer")
    assert re.search(r"/partners/contracts/\d+/$", page.url), page.inner_text("main")
    contract = Contract.objects.get(offer_version=version)
    with page.expect_navigation():
        page.click("#send-for-signature")
    code = factories.one_time_code(settings.SMS_FAKE_FILE.read_text())
    page.fill("#signature-pending input[name=code]", code)
    with page.expect_navigation():
        page.click("#signature-pending button.confirm-code")
    assert page.inner_text("#contract-status") == "Signed"
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SIGNED
    assert "Being prepared by us: preparing the documents" in page.inner_text("#contract-switch")
    signed = page.request.get(live_server.url + page.get_attribute("a.document-signed_contract", "href"))
    assert signed.ok and signed.body().startswith(b"%PDF")
    # The signature released the first stage: 30 % of 200 PLN, of which the agent's 70 %.
    page.goto(f"{live_server.url}/partners/commissions/?month=2026-03")
    assert contract.number in page.inner_text("#entries") and "42.00" in page.inner_text("#entries")
    if os.path.isdir("test-results"):
        page.screenshot(path="test-results/partner-contract-signed.png", full_page=True)
