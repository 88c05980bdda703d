"""The signer's own page: the link and code arrive by SMS; the page shows the document and takes the code,
without a login; a tampered link is 404; the audit page records the signer's own address."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from kilowatt.core.models import Role
from kilowatt.sales.models import ContractStatus, OfferTemplate, Opportunity
from kilowatt.sales.offers import OfferData, offer_accept, offer_create
from kilowatt.sales.signatures import signature_request_start
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(company, now, settings, tmp_path):
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"
    settings.SITE_URL = "https://kilowatt.example.pl"
    seller = make_staff("seller", company, Role.SALES_MANAGER)
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    template = OfferTemplate.objects.create(company=company, code="dom", name="Dom", product=prices.product)
    customer = factories.customer(company, now, phone="601234567", language="en")
    opportunity = Opportunity.objects.create(
        company=company, customer=customer, name="Jan", owner=seller, commodity="electricity", created_at=now
    )
    opportunity.supply_points.set([factories.supply_point(company, customer, now)])
    data = OfferData(template_id=template.pk, price_list_id=prices.pk, start_date=date(2026, 4, 1))
    offer = offer_create(opportunity=opportunity, data=data, on_date=date(2026, 3, 10), actor=seller, now=now)
    return offer_accept(offer=offer, on_date=date(2026, 3, 10), actor=seller, now=now)


def test_the_customer_signs_on_their_own_page(contract, now, settings, clock, monkeypatch):
    monkeypatch.setattr("kilowatt.interfaces.signing.system_clock", clock)
    signature_request_start(contract=contract, now=now)
    sms = settings.SMS_FAKE_FILE.read_text()
    link = re.search(r"https://kilowatt\.example\.pl(/sign/[^/\s\"]+/)", sms).group(1)
    code = factories.one_time_code(sms)
    client = Client(enforce_csrf_checks=True)
    page = client.get(link)
    assert page.status_code == 200 and contract.number in page.content.decode()
    assert client.get(f"{link}document/").content.startswith(b"%PDF")
    assert client.get(link.replace("/sign/", "/sign/x")).status_code == 404
    token = page.cookies["csrftoken"].value
    wrong = client.post(
        link, {"code": "000000" if code != "000000" else "111111", "csrfmiddlewaretoken": token}
    )
    assert "Wrong code" in wrong.content.decode()
    assert client.post(link, {"code": code}).status_code == 403  # CSRF enforced
    done = client.post(link, {"code": code, "csrfmiddlewaretoken": token}, REMOTE_ADDR="83.1.2.3")
    assert "You have signed the contract" in done.content.decode()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SIGNED
    party = contract.signature_requests.get().parties.get()
    assert party.ip_address == "83.1.2.3"
