"""A campaign's effectiveness and profitability counted from its leads, offers and signed contracts; the
campaign pages, scoped to the company."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from kilowatt.core.models import Role
from kilowatt.parties.operations import AddressData
from kilowatt.sales.leads import LeadData, lead_create
from kilowatt.sales.models import Campaign, OfferTemplate
from kilowatt.sales.offers import OfferData, offer_accept, offer_create
from kilowatt.sales.opportunities import lead_convert
from kilowatt.sales.queries import campaign_results
from kilowatt.sales.signatures import signature_code_confirm, signature_request_start
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)


def test_campaign_counts_leads_offers_contracts_volume_and_margin(
    company, other_company, now, settings, tmp_path
):
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"
    seller = make_staff("seller", company, Role.SALES_MANAGER)
    campaign = Campaign.objects.create(company=company, code="wiosna", name="Wiosna", cost=Decimal("1000.00"))
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    prices.expected_margin_per_mwh = Decimal("80.00")
    prices.save()
    template = OfferTemplate.objects.create(company=company, code="dom", name="Dom", product=prices.product)
    leads = [
        lead_create(
            company=company,
            data=LeadData(first_name="Ewa", last_name=f"Maj{n}", phone=f"60123456{n}", campaign="wiosna"),
            now=now,
        )
        for n in range(4)
    ]
    for lead in leads[:2]:
        address = AddressData(street="Polna", building_number="1", postal_code="00-950", city="Warszawa")
        opportunity = lead_convert(lead=lead, address=address, owner=seller, actor=seller, now=now)
        point = factories.supply_point(
            company, opportunity.customer, now, annual_consumption_kwh=Decimal("2500")
        )
        opportunity.supply_points.set([point])
        offer = offer_create(
            opportunity=opportunity,
            data=OfferData(template_id=template.pk, price_list_id=prices.pk, start_date=date(2026, 4, 1)),
            on_date=TODAY, actor=seller, now=now,
        )  # fmt: skip
        if lead is leads[0]:
            contract = offer_accept(offer=offer, on_date=TODAY, actor=seller, now=now)
            party = signature_request_start(contract=contract, now=now).parties.get()
            code = factories.one_time_code(settings.SMS_FAKE_FILE.read_text())
            signature_code_confirm(party=party, code=code, ip_address=None, user_agent="", now=now)
    results = campaign_results(campaign=campaign)
    assert (results.leads, results.converted, results.offers, results.offers_accepted) == (4, 2, 2, 1)
    assert results.contracts_signed == 1 and results.volume_mwh == Decimal("2.500")
    assert results.expected_margin == Decimal("200.00")  # 2.5 MWh × 80 PLN/MWh
    assert results.cost_per_contract == Decimal("1000.00") and results.profit == Decimal("-800.00")
    assert results.conversion_percent == Decimal("50.0")

    client = Client()
    client.force_login(seller)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Maj0" in page and "2.500" in page.replace(",", ".")
    assert "Wiosna" in client.get("/campaigns/").content.decode()
    client.force_login(make_staff("billing", company, Role.BILLING))  # works no leads: no campaigns
    assert client.get("/campaigns/").status_code == 403
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 403
    client.force_login(make_staff("rival", other_company, Role.ADMIN))
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 404
    assert "Wiosna" not in client.get("/campaigns/").content.decode()
