"""The billing API: invoices, PDFs, balances and runs, each behind its scope and its company."""

from __future__ import annotations

from datetime import date

import pytest

from kilowatt.billing.models import Invoice
from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list
from tests.functional.api.conftest import token_client

pytestmark = pytest.mark.django_db
READS = {"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1300")]}


@pytest.fixture
def billing_api(company):
    return token_client(company, scopes=("billing-run",))


@pytest.fixture
def contracts(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    return [billable_contract(company, now, prices=prices, reads=READS).contract for _ in range(3)]


def test_start_a_run_then_read_invoices_balance_and_pdf(
    billing_api, contracts, django_assert_max_num_queries
):
    started = billing_api.post(
        "/api/v1/billing-runs",
        {"month": "2026-02-01", "issue_date": "2026-03-02"},
        content_type="application/json",
    )
    assert started.status_code == 201, started.content
    run = started.json()
    assert run["status"] == "completed" and run["totals"]["issued"]["count"] == 3
    again = billing_api.post(
        "/api/v1/billing-runs",
        {"month": "2026-02-01", "issue_date": "2026-03-02"},
        content_type="application/json",
    )
    assert again.json()["id"] == run["id"] and Invoice.objects.count() == 3
    with django_assert_max_num_queries(6):
        listed = billing_api.get("/api/v1/invoices", {"customer_id": contracts[0].customer_id}).json()
    assert listed["count"] == 1
    invoice = listed["items"][0]
    detail = billing_api.get(f"/api/v1/invoices/{invoice['id']}").json()
    assert detail["document"]["number"] == invoice["number"] and detail["gross"] == invoice["gross"]
    pdf = billing_api.get(f"/api/v1/invoices/{invoice['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    balance = billing_api.get(f"/api/v1/customers/{contracts[0].customer_id}/balance").json()
    assert balance["balance"] == invoice["gross"]


def test_bad_issue_date_is_named(billing_api, contracts):
    response = billing_api.post(
        "/api/v1/billing-runs",
        {"month": "2026-02-01", "issue_date": "2026-01-15"},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == "issue_date"


def test_scopes_and_companies_are_boundaries(company, other_company, billing_api, contracts):
    billing_api.post(
        "/api/v1/billing-runs",
        {"month": "2026-02-01", "issue_date": "2026-03-02"},
        content_type="application/json",
    )
    invoice = Invoice.objects.first()
    master_data_only = token_client(company, scopes=("read", "write"))
    assert master_data_only.get("/api/v1/invoices").status_code == 403
    reader = token_client(company, scopes=("billing",))
    assert reader.get(f"/api/v1/invoices/{invoice.pk}").status_code == 200
    assert (
        reader.post(
            "/api/v1/billing-runs",
            {"month": "2026-03-01", "issue_date": "2026-04-02"},
            content_type="application/json",
        ).status_code
        == 403
    )
    rival = token_client(other_company, scopes=("billing-run",))
    assert rival.get(f"/api/v1/invoices/{invoice.pk}").status_code == 404
    assert rival.get(f"/api/v1/invoices/{invoice.pk}/pdf").status_code == 404
    assert rival.get(f"/api/v1/customers/{invoice.customer_id}/balance").status_code == 404
    assert rival.get("/api/v1/invoices").json()["count"] == 0
    assert rival.get("/api/v1/billing-runs").json()["count"] == 0
