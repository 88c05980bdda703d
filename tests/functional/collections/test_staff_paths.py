"""Paths staff take through the finance and collections pages that other tests do not walk: a returned
payment (with and without a reason), refunds exported to a bank file and exported again, an instalment plan
with bad and good input, a complaint recorded and closed, a night that may not be run, a leads file
uploaded twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kilowatt.collections.models import DebtDispute, InstalmentPlan
from kilowatt.core.clock import system_clock
from kilowatt.core.models import Role
from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.models import FinancePolicy, LedgerEntry, Refund, TransferExport
from kilowatt.finance.operations import Posting, ledger_post_many
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def _client(username, company, role) -> Client:
    make_staff(username, company, role)
    client = Client()
    client.login(username=username, password="s3cret-pass!")
    return client


@pytest.fixture
def banked(company):
    company.bank_account_prefix = "109010147777"
    company.save()
    return company


def _invoice(company, customer, now, amount="120.00", document_id=1):
    day, number = system_clock.today() - timedelta(days=40), f"FV/{document_id:06d}/2026"
    posting = Posting(
        customer.pk, "invoice", "invoice", document_id, number, Decimal(amount), day, day + timedelta(14)
    )
    ledger_post_many(company=company, postings=[posting], now=now)


def test_a_returned_payment_is_reversed_from_the_payments_page(banked, now):
    customer = factories.customer(banked, now)
    _invoice(banked, customer, now)
    finance = _client("fi", banked, Role.FINANCE)
    account = virtual_account_for(company=banked, customer_id=customer.pk)
    content = f"booked_on;amount;title;account;reference\n2026-03-02;120,00;prąd;{account};R1\n".encode()
    finance.post("/payments/", {"file": SimpleUploadedFile("s.csv", content)})
    transaction_id = customer.bank_transactions.get().pk
    page = finance.post(f"/payments/{transaction_id}/return/", {"reason": ""}, follow=True).content.decode()
    assert "Say why" in page and not LedgerEntry.objects.filter(kind="reversal").exists()
    finance.post(f"/payments/{transaction_id}/return/", {"reason": "Zwrot przez bank"})
    assert LedgerEntry.objects.get(kind="reversal").amount == Decimal("120.00")
    assert sum(LedgerEntry.objects.filter(customer=customer).values_list("amount", flat=True)) == Decimal(
        "120.00"
    )


def test_refunds_export_once_and_nothing_the_second_time(banked, now):
    FinancePolicy.objects.create(company=banked, refund_account="PL61109010140000071219812874")
    customer = factories.customer(banked, now)
    ledger_post_many(
        company=banked,
        postings=[
            Posting(customer.pk, "payment", "bank_transaction", 5, "P", Decimal("-50.00"), now.date(), None)
        ],
        now=now,
    )
    collector, finance = _client("co", banked, Role.COLLECTIONS), _client("fi", banked, Role.FINANCE)
    collector.post(
        f"/customers/{customer.pk}/refunds/new/",
        {"amount": "50,00", "account": "PL27114020040000300201355387"},
    )
    refund = Refund.objects.get()
    finance.post(f"/payments/refunds/{refund.pk}/", {"decision": "approve"})
    response = finance.post("/payments/refunds/export/", {"format": "elixir"})
    export = TransferExport.objects.get()
    assert response["Location"] == f"/payments/transfer-files/{export.pk}/"
    download = finance.get(response["Location"])
    assert download.status_code == 200 and b"5000" in download.content  # 50.00 PLN in grosze
    again = finance.post("/payments/refunds/export/", {"format": "elixir"}, follow=True).content.decode()
    assert "No approved refund" in again and TransferExport.objects.count() == 1
    assert collector.get(f"/payments/transfer-files/{export.pk}/").status_code == 403


def test_instalment_plan_and_complaint_from_the_customers_page(banked, now):
    customer = factories.customer(banked, now)
    _invoice(banked, customer, now, amount="300.00")
    collector = _client("co", banked, Role.COLLECTIONS)
    plan_url = f"/customers/{customer.pk}/instalment-plans/new/"
    first_due = (system_clock.today() + timedelta(days=10)).isoformat()
    bad = collector.post(plan_url, {"count": "abc", "first_due": first_due}, follow=True).content.decode()
    assert "whole numbers" in bad and not InstalmentPlan.objects.exists()
    collector.post(plan_url, {"count": "1", "first_due": first_due})
    assert not InstalmentPlan.objects.exists()  # one instalment is not a plan
    collector.post(plan_url, {"count": "3", "first_due": first_due, "grace_days": "7"})
    assert InstalmentPlan.objects.get().instalments.count() == 3
    collector.post(f"/customers/{customer.pk}/disputes/new/", {"subject": "Odczyt zawyżony"})
    dispute = DebtDispute.objects.get()
    collector.post(f"/customers/{customer.pk}/disputes/{dispute.pk}/close/", {"outcome": ""})
    dispute.refresh_from_db()
    assert dispute.closed_on is None  # an outcome is required
    collector.post(f"/customers/{customer.pk}/disputes/{dispute.pk}/close/", {"outcome": "Odczyt poprawny"})
    dispute.refresh_from_db()
    assert dispute.closed_on is not None
    page = collector.get(f"/customers/{customer.pk}/").content.decode()
    assert "Odczyt zawyżony" in page and "Instalment plan" in page


def test_a_past_night_is_refused_and_today_runs(banked):
    collector = _client("co", banked, Role.COLLECTIONS)
    yesterday = (system_clock.today() - timedelta(days=1)).isoformat()
    page = collector.post("/collections/", {"on_date": yesterday}, follow=True).content.decode()
    assert "The night can be from" in page and not banked.dunning_runs.exists()
    collector.post("/collections/", {"on_date": system_clock.today().isoformat()})
    assert banked.dunning_runs.count() == 1


def test_a_leads_file_uploaded_twice_changes_nothing(company):
    client = _client("sa", company, Role.SALES_MANAGER)
    content = b"kind;first_name;last_name;phone\nperson;Jan;Lis;601 234 567\n"
    client.post("/leads/import/", {"file": SimpleUploadedFile("a.csv", content)})
    again = client.post("/leads/import/", {"file": SimpleUploadedFile("b.csv", content)}).content.decode()
    assert "already imported" in again and company.leads.count() == 1
