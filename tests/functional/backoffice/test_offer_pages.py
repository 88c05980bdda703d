"""Offer and contract pages over HTTP: bounded queries, the company boundary, the permission boundary,
and refusals shown to the salesperson."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from kilowatt.core.models import Role
from kilowatt.sales.models import OfferTemplate, Opportunity
from kilowatt.sales.offers import OfferData, offer_accept, offer_create
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)


@pytest.fixture
def offer(company, now):
    seller = make_staff("seller", company, Role.SALES_MANAGER)
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    template = OfferTemplate.objects.create(company=company, code="dom", name="Dom", product=prices.product)
    customer = factories.customer(company, now)
    opportunity = Opportunity.objects.create(
        company=company, customer=customer, name="Jan", owner=seller, commodity="electricity", created_at=now
    )
    opportunity.supply_points.set([factories.supply_point(company, customer, now) for _ in range(3)])
    data = OfferData(template_id=template.pk, price_list_id=prices.pk, start_date=date(2026, 4, 1))
    return seller, offer_create(opportunity=opportunity, data=data, on_date=TODAY, actor=seller, now=now)


def test_pages_answer_in_bounded_queries(offer, now, django_assert_max_num_queries):
    seller, made = offer
    contract = offer_accept(offer=made, on_date=TODAY, actor=seller, now=now)
    client = Client()
    client.force_login(seller)
    with django_assert_max_num_queries(30):
        assert client.get(f"/opportunities/{made.opportunity_id}/").status_code == 200
    with django_assert_max_num_queries(30):
        page = client.get(f"/offers/{made.pk}/").content.decode()
    assert made.number in page and "comparison" in page
    with django_assert_max_num_queries(25):
        page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert contract.number in page and "send-for-signature" in page
    document = contract.documents.get()
    response = client.get(f"/contracts/{contract.pk}/documents/{document.pk}/")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    pdf = client.get(f"/offers/{made.pk}/versions/1/pdf/")
    assert pdf.content.startswith(b"%PDF")


def test_another_company_and_another_role_cannot_reach_them(offer, now, other_company, company):
    seller, made = offer
    contract = offer_accept(offer=made, on_date=TODAY, actor=seller, now=now)
    document = contract.documents.get()
    rival = Client()
    rival.force_login(make_staff("rival", other_company, Role.ADMIN))
    for url in (
        f"/offers/{made.pk}/",
        f"/offers/{made.pk}/versions/1/pdf/",
        f"/contracts/{contract.pk}/",
        f"/contracts/{contract.pk}/documents/{document.pk}/",
    ):
        assert rival.get(url).status_code == 404, url
    assert rival.post(f"/offers/{made.pk}/action/", {"action": "reject", "reason": "x"}).status_code == 404
    assert rival.post(f"/contracts/{contract.pk}/signature/", {"action": "start"}).status_code == 404
    billing = Client()
    billing.force_login(make_staff("bill", company, Role.BILLING))
    assert billing.get(f"/offers/{made.pk}/").status_code == 403
    assert billing.get(f"/contracts/{contract.pk}/documents/{document.pk}/").status_code == 403


def test_a_refused_offer_names_the_reason(offer, company):
    seller, made = offer
    client = Client()
    client.force_login(seller)
    response = client.post(
        f"/opportunities/{made.opportunity_id}/offers/new/",
        {"template": made.template_id, "price_list": "", "start_date": "2026-04-01"},
        follow=True,
    )
    assert "Choose the price list." in response.content.decode()
    response = client.post(f"/offers/{made.pk}/action/", {"action": "reject", "reason": ""}, follow=True)
    assert "Say why the customer rejected the offer." in response.content.decode()


def test_home_page_reminds_of_activities_due(offer, now, clock, monkeypatch):
    from datetime import timedelta

    from kilowatt.sales.opportunities import activity_add

    monkeypatch.setattr("kilowatt.interfaces.backoffice.views.system_clock", clock)
    seller, made = offer
    opportunity = made.opportunity
    activity_add(opportunity=opportunity, kind="call", subject="Call back about the offer",
                 due_at=now - timedelta(hours=1), assignee=seller, now=now)  # fmt: skip
    activity_add(opportunity=opportunity, kind="task", subject="Next month", due_at=now + timedelta(days=30),
                 assignee=seller, now=now)  # fmt: skip
    client = Client()
    client.force_login(seller)
    page = client.get("/").content.decode()
    assert "Call back about the offer" in page and "overdue" in page and "Next month" not in page
