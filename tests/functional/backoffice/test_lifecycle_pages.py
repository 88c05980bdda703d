"""Back office pages of a contract after signing: an annex made and signed, a termination computed then
confirmed, a cession, renewal offers from the list of contracts ending soon, the documents downloaded;
another company reaches none of it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.test import Client

from kilowatt.core.clock import system_clock
from kilowatt.sales.models import (
    AnnexStatus,
    Contract,
    ContractDocumentKind,
    ContractTermination,
    Offer,
    OfferTemplate,
)
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list

pytestmark = pytest.mark.django_db
CHEAPER = [("energy", "all", "G11", "kWh", "0.4500"), ("handling_fee", "", None, "month", "9.99")]


def _client(user) -> Client:
    client = Client()
    client.login(username=user.username, password="s3cret-pass!")
    return client


def _contract(company, now, prices, *, end=None, fee="0", per_month="0") -> Contract:
    customer = factories.customer(company, now)
    point = factories.supply_point(company, customer, now)
    data = ContractData(
        customer_id=customer.pk,
        kind="comprehensive",
        product_id=prices.product_id,
        price_list_id=prices.pk,
        start_date=date(2026, 1, 1),
        end_date=end,
        supply_point_ids=[point.pk],
        early_termination_fee=Decimal(fee),
    )
    contract = contract_create(company=company, data=data, actor=None, now=now)
    Contract.objects.filter(pk=contract.pk).update(early_termination_fee_per_month=Decimal(per_month))
    for status in ("signed", "active"):
        contract_change_status(
            contract=contract, status=status, on_date=date(2026, 1, 1), actor=None, now=now
        )
    contract.refresh_from_db()
    return contract


@pytest.fixture
def prices(company):
    return price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)


def test_an_annex_is_made_signed_and_its_file_downloaded(company, now, back_office_user, prices):
    cheaper = price_list(
        company, code="dom", commodity="electricity", components=CHEAPER, valid_from=date(2025, 12, 1)
    )
    contract = _contract(company, now, prices)
    client, today = _client(back_office_user), system_clock.today()
    assert client.get(f"/contracts/{contract.pk}/changes/").status_code == 200
    page = client.post(f"/contracts/{contract.pk}/annexes/new/",
                       {"kind": "price", "effective_from": today.isoformat()}).content.decode()  # fmt: skip
    assert 'id="field-price_list"' in page and "Choose the price list." in page
    day = (today + timedelta(days=10)).isoformat()
    response = client.post(
        f"/contracts/{contract.pk}/annexes/new/",
        {"kind": "price", "effective_from": day, "price_list": cheaper.pk},
    )
    annex = contract.annexes.get()
    assert response["Location"] == f"/contracts/{contract.pk}/annexes/{annex.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert annex.number in page and 'id="annex-sign"' in page
    action = f"/contracts/{contract.pk}/annexes/{annex.pk}/action/"
    client.post(action, {"action": "sign", "on_date": today.isoformat()})
    annex.refresh_from_db()
    assert annex.status == AnnexStatus.SIGNED and contract.price_terms.count() == 2
    assert "only a draft" in client.post(action, {"action": "cancel"}, follow=True).content.decode()
    document = contract.documents.get(kind=ContractDocumentKind.ANNEX)
    download = client.get(f"/contracts/{contract.pk}/documents/{document.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF") and document.file_name in download["Content-Disposition"]
    overview = client.get(f"/contracts/{contract.pk}/changes/").content.decode()
    assert annex.number in overview and cheaper.name in overview


def test_a_termination_shows_the_penalty_before_it_is_confirmed(company, now, back_office_user, prices):
    today = system_clock.today()
    # Notice of 30 days from today; the contract ends exactly 12 months after that: 100 + 12 × 10 = 220.
    end = today + timedelta(days=30) + relativedelta(months=12)
    contract = _contract(company, now, prices, end=end, fee="100", per_month="10")
    client = _client(back_office_user)
    form = {"initiated_by": "customer", "received_on": today.isoformat(), "reason": "Moving"}
    page = client.post(f"/contracts/{contract.pk}/termination/", form).content.decode()
    assert 'id="termination-penalty"' in page and "220.00" in page and 'name="confirm"' in page
    assert not ContractTermination.objects.exists()
    response = client.post(f"/contracts/{contract.pk}/termination/", {**form, "confirm": "1"})
    assert response["Location"] == f"/contracts/{contract.pk}/changes/"
    termination = ContractTermination.objects.get(contract=contract)
    assert termination.penalty == Decimal("220.00") and termination.months_left == 12
    refused = client.post(f"/contracts/{contract.pk}/termination/", {**form, "confirm": "1"}).content.decode()
    assert "only a signed contract or one in force can change" in refused


def test_a_cession_from_the_page(company, now, back_office_user, prices):
    contract = _contract(company, now, prices)
    heir = factories.customer(company, now, first_name="Anna", last_name="Nowak")
    client, day = _client(back_office_user), (system_clock.today() + timedelta(days=5)).isoformat()
    page = client.post(f"/contracts/{contract.pk}/cession/", {"new_customer": "NOPE", "effective_from": day})
    assert "Customer not found." in page.content.decode()
    response = client.post(
        f"/contracts/{contract.pk}/cession/", {"new_customer": heir.number, "effective_from": day}
    )
    new = Contract.objects.get(customer=heir)
    assert response["Location"] == f"/contracts/{new.pk}/"
    contract.refresh_from_db()
    assert contract.end_date == date.fromisoformat(day) and contract.cession.new_contract == new
    assert new.supply_point_links.get().supply_point.customer == heir


def test_contracts_ending_and_renewal_offers(company, now, back_office_user, prices):
    today = system_clock.today()
    template = OfferTemplate.objects.create(
        company=company, code="dom-12", name="Dom 12", product=prices.product, term_months=12
    )
    first = _contract(company, now, prices, end=today + timedelta(days=20))
    second = _contract(company, now, prices, end=today + timedelta(days=40))
    later = _contract(company, now, prices, end=today + timedelta(days=200))
    client = _client(back_office_user)
    page = client.get("/contracts/ending/?days=60").content.decode()
    assert first.number in page and second.number in page and later.number not in page
    form = {"days": "60", "template": template.pk, "price_list": prices.pk, "owner": back_office_user.pk}
    response = client.post("/contracts/ending/renewals/", {**form, "contract": first.pk})
    offer = Offer.objects.get(opportunity__renewal_of=first)
    assert response["Location"] == f"/offers/{offer.pk}/"
    assert offer.versions.get().current_contract == first
    response = client.post("/contracts/ending/renewals/", form, follow=True)
    assert "Renewal offers prepared: 1." in response.content.decode()
    assert Offer.objects.filter(opportunity__renewal_of=second).exists()
    assert first.number not in client.get("/contracts/ending/?days=60").content.decode()


def test_another_company_reaches_nothing(company, now, back_office_user, rival_user, other_company, prices):
    contract = _contract(company, now, prices)
    theirs = _contract(other_company, now, price_list(other_company, code="dom", commodity="electricity",
                                                      components=HOUSEHOLD))  # fmt: skip
    document = contract.documents.create(
        kind=ContractDocumentKind.ATTACHMENT,
        file_name="a.pdf",
        content=b"%PDF-1.7",
        sha256="0" * 64,
        created_at=now,
    )
    day = system_clock.today().isoformat()
    rival = _client(rival_user)
    base = f"/contracts/{contract.pk}"
    for url in (f"{base}/changes/", f"{base}/annexes/new/", f"{base}/cession/", f"{base}/termination/",
                f"{base}/documents/{document.pk}/"):  # fmt: skip
        assert rival.get(url).status_code == 404, url
    assert (
        rival.post(f"{base}/termination/", {"initiated_by": "company", "received_on": day}).status_code == 404
    )
    assert rival.post(f"{base}/annexes/new/", {"kind": "billing", "effective_from": day}).status_code == 404
    # A document is reached only through its own contract, even within the rival's company.
    assert rival.get(f"/contracts/{theirs.pk}/documents/{document.pk}/").status_code == 404
    assert rival.post("/contracts/ending/renewals/", {"contract": contract.pk}).status_code == 404
    assert not contract.annexes.exists() and not ContractTermination.objects.exists()
    own = _client(back_office_user)
    assert own.get(f"{base}/documents/{document.pk}/").content == b"%PDF-1.7"
