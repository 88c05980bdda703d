"""The payments page: import a statement, see the clearing queue, assign; company and role boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kilowatt.core.models import Role
from kilowatt.finance.models import BankTransaction, TransactionStatus
from kilowatt.finance.queries import customer_balance
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parents[3] / "docs" / "samples" / "statement.csv"


@pytest.fixture
def finance_client(client, company):
    company.bank_account_prefix = "109010147777"
    company.save()
    client.force_login(make_staff("fin", company, Role.FINANCE))
    return client


def test_import_the_sample_then_assign_from_the_queue(
    finance_client, company, now, django_assert_max_num_queries
):
    customer = factories.customer(company, now)
    upload = SimpleUploadedFile("statement.csv", SAMPLE.read_bytes())
    response = finance_client.post("/payments/", {"file": upload}, follow=True)
    page = response.content.decode()
    assert "Matched:" in page and "clearing-queue" in page
    waiting = BankTransaction.objects.filter(status=TransactionStatus.UNMATCHED).first()
    assert waiting is not None and waiting.title in page
    with django_assert_max_num_queries(12):
        finance_client.get("/payments/")
    before = customer_balance(customer=customer)  # the sample may pay this customer's virtual account too
    finance_client.post(f"/payments/{waiting.pk}/assign/", {"customer": customer.number})
    waiting.refresh_from_db()
    assert waiting.status == TransactionStatus.ASSIGNED
    assert customer_balance(customer=customer) == before - waiting.amount
    again = finance_client.post(
        "/payments/", {"file": SimpleUploadedFile("statement.csv", SAMPLE.read_bytes())}, follow=True
    ).content.decode()
    assert "already imported" in again


def test_a_broken_statement_is_named_and_nothing_is_posted(finance_client):
    bad = b"booked_on;amount\n2026-03-01;10,00\n2026-03-01;dziesiec\n"
    page = finance_client.post("/payments/", {"file": SimpleUploadedFile("x.csv", bad)}).content.decode()
    assert "line 3" in page and not BankTransaction.objects.exists()


def test_boundaries(client, finance_client, company, other_company, now):
    finance_client.post("/payments/", {"file": SimpleUploadedFile("statement.csv", SAMPLE.read_bytes())})
    waiting = BankTransaction.objects.filter(status=TransactionStatus.UNMATCHED).first()
    client.force_login(make_staff("rival-fin", other_company, Role.FINANCE))
    assert waiting.title not in client.get("/payments/").content.decode()
    assert client.post(f"/payments/{waiting.pk}/assign/", {"customer": "x"}).status_code == 404
    client.force_login(make_staff("cc", company, Role.CALL_CENTRE))
    assert client.post("/payments/", {"file": SimpleUploadedFile("s.csv", b"x")}).status_code == 403
    assert client.post(f"/payments/{waiting.pk}/assign/", {"customer": "x"}).status_code == 403
