"""Refunds of overpayments: at most the credit, approved by someone other than who asked, posted on
approval, exported once in an Elixir-O or pain.001 transfer file."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from schwifty import IBAN
from tests import factories

from kilowatt.core.errors import ValidationFailed
from kilowatt.finance.models import (
    Allocation,
    FinancePolicy,
    LedgerEntry,
    LedgerEntryKind,
    RefundStatus,
    TransferExport,
)
from kilowatt.finance.operations import Posting, credit_transfer, ledger_post_many
from kilowatt.finance.queries import customer_balance, customer_credit_open
from kilowatt.finance.refunds import refund_decide, refund_request, refundable_credit, refunds_export

pytestmark = pytest.mark.django_db
D = Decimal
DAY = date(2026, 3, 10)
COMPANY_ACCOUNT = str(IBAN.generate("PL", bank_code="10901014", account_code="0000071219812874"))
ANNA_ACCOUNT = str(IBAN.generate("PL", bank_code="10501445", account_code="1000009012345678"))
BOLEK_ACCOUNT = str(IBAN.generate("PL", bank_code="11402004", account_code="0000340212345678"))
_ids = itertools.count(1)


def _credit(company, customer, amount, now) -> None:
    ledger_post_many(
        company=company,
        postings=[
            Posting(customer.pk, "payment", "bank_transaction", next(_ids), "P", -D(amount), DAY, None)
        ],
        now=now,
    )


@pytest.fixture
def anna(company, now):
    customer = factories.customer(company, now)
    _credit(company, customer, "200.00", now)
    return customer


def test_a_refund_is_at_most_the_credit(anna, now):
    for amount in ("200.01", "0.00", "-5.00"):
        with pytest.raises(ValidationFailed) as refused:
            refund_request(
                customer=anna, amount=D(amount), account=ANNA_ACCOUNT, reason="", requested_by="ewa", now=now
            )
        assert refused.value.field == "amount"
    refund_request(
        customer=anna, amount=D("150.00"), account=ANNA_ACCOUNT, reason="", requested_by="ewa", now=now
    )
    assert refundable_credit(customer=anna) == D("50.00")  # what is requested is not refunded twice
    with pytest.raises(ValidationFailed):
        refund_request(
            customer=anna, amount=D("60.00"), account=ANNA_ACCOUNT, reason="", requested_by="ewa", now=now
        )


def test_a_refund_to_an_invalid_account_is_refused(anna, now):
    with pytest.raises(ValidationFailed) as refused:
        refund_request(
            customer=anna,
            amount=D("10.00"),
            account="PL00 1234 5678 9012 3456 7890 1234",
            reason="",
            requested_by="ewa",
            now=now,
        )
    assert refused.value.field == "account"


def test_the_requester_cannot_approve_and_approval_posts_the_refund(anna, now):
    refund = refund_request(
        customer=anna,
        amount=D("150.00"),
        account=ANNA_ACCOUNT.replace(" ", "")[2:],  # the bare NRB is accepted and stored as an IBAN
        reason="Moving out",
        requested_by="ewa",
        now=now,
    )
    assert refund.account == ANNA_ACCOUNT
    with pytest.raises(ValidationFailed):
        refund_decide(refund=refund, approve=True, decided_by="ewa", on_date=DAY, now=now)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED
    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.REFUND).exists()

    refund = refund_decide(refund=refund, approve=True, decided_by="adam", on_date=DAY, now=now)
    assert (refund.status, refund.decided_by) == (RefundStatus.APPROVED, "adam")
    entry = LedgerEntry.objects.get(kind=LedgerEntryKind.REFUND)
    assert (entry.customer, entry.amount, entry.document_id) == (anna, D("150.00"), refund.pk)
    assert sum(a.amount for a in Allocation.objects.filter(debit=entry)) == D("150.00")  # the credit pays it
    assert customer_balance(customer=anna) == D("-50.00")
    assert customer_credit_open(customer=anna) == D("50.00")
    with pytest.raises(ValidationFailed):  # decided once
        refund_decide(refund=refund, approve=True, decided_by="adam", on_date=DAY, now=now)
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.REFUND).count() == 1


def test_a_rejected_refund_posts_nothing(anna, now):
    refund = refund_request(
        customer=anna, amount=D("50.00"), account=ANNA_ACCOUNT, reason="", requested_by="ewa", now=now
    )
    refund = refund_decide(refund=refund, approve=False, decided_by="adam", on_date=DAY, now=now)
    assert refund.status == RefundStatus.REJECTED
    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.REFUND).exists()
    assert refundable_credit(customer=anna) == D("200.00")


def test_approval_refused_when_the_credit_was_used_meanwhile(company, anna, now):
    refund = refund_request(
        customer=anna, amount=D("150.00"), account=ANNA_ACCOUNT, reason="", requested_by="ewa", now=now
    )
    ledger_post_many(
        company=company,
        postings=[Posting(anna.pk, "invoice", "invoice", 1, "FV/000001/2026", D("100.00"), DAY, DAY)],
        now=now,
    )
    with pytest.raises(ValidationFailed):
        refund_decide(refund=refund, approve=True, decided_by="adam", on_date=DAY, now=now)
    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.REFUND).exists()


def _approved(customer, amount, account, now):
    refund = refund_request(
        customer=customer, amount=D(amount), account=account, reason="", requested_by="ewa", now=now
    )
    return refund_decide(refund=refund, approve=True, decided_by="adam", on_date=DAY, now=now)


def test_the_export_carries_each_approved_refund_once(company, anna, now):
    bolek = factories.customer(company, now, first_name="Bolesław", last_name="Żółć")
    _credit(company, bolek, "75.50", now)
    _approved(anna, "150.00", ANNA_ACCOUNT, now)
    _approved(bolek, "75.50", BOLEK_ACCOUNT, now)
    waiting = refund_request(
        customer=anna, amount=D("10.00"), account=ANNA_ACCOUNT, reason="", requested_by="ewa", now=now
    )  # not approved: not exported

    with pytest.raises(ValidationFailed):  # the account refunds are paid from is not set
        refunds_export(company=company, file_format="elixir", execution_date=DAY, created_by="adam", now=now)
    FinancePolicy.objects.create(company=company, refund_account=COMPANY_ACCOUNT)
    with pytest.raises(ValidationFailed):
        refunds_export(company=company, file_format="mt101", execution_date=DAY, created_by="adam", now=now)

    export = refunds_export(
        company=company, file_format="elixir", execution_date=DAY, created_by="adam", now=now
    )
    assert (export.count, export.total, export.format) == (2, D("225.50"), "elixir")
    lines = bytes(export.content).decode("cp1250").splitlines()
    assert len(lines) == 2 and all(line.startswith("110,20260310,") for line in lines)
    assert lines[0].split(",")[2] == "15000" and ANNA_ACCOUNT[2:] in lines[0]
    assert lines[1].split(",")[2] == "7550" and BOLEK_ACCOUNT[2:] in lines[1] and "Żółć" in lines[1]
    assert set(export.refunds.values_list("status", flat=True)) == {RefundStatus.EXPORTED}
    waiting.refresh_from_db()
    assert waiting.status == RefundStatus.REQUESTED and waiting.export is None

    # a second export has nothing to export, in either format
    for file_format in ("elixir", "pain001"):
        assert (
            refunds_export(
                company=company, file_format=file_format, execution_date=DAY, created_by="adam", now=now
            )
            is None
        )
    assert TransferExport.objects.count() == 1


def test_pain001_export(company, anna, now):
    FinancePolicy.objects.create(company=company, refund_account=COMPANY_ACCOUNT)
    refund = _approved(anna, "150.00", ANNA_ACCOUNT, now)
    export = refunds_export(
        company=company, file_format="pain001", execution_date=DAY, created_by="adam", now=now
    )
    xml = bytes(export.content).decode()
    assert "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09" in xml
    assert xml.count("<CdtTrfTxInf>") == 1 and f"<EndToEndId>ZW{refund.pk}</EndToEndId>" in xml
    assert '<InstdAmt Ccy="PLN">150.00</InstdAmt>' in xml and ANNA_ACCOUNT in xml
    assert export.file_name.endswith(".xml") and export.count == 1
    assert (
        refunds_export(company=company, file_format="pain001", execution_date=DAY, created_by="adam", now=now)
        is None
    )


def test_another_companys_refunds_are_not_exported(company, other_company, anna, now):
    FinancePolicy.objects.create(company=company, refund_account=COMPANY_ACCOUNT)
    FinancePolicy.objects.create(company=other_company, refund_account=COMPANY_ACCOUNT)
    _approved(anna, "150.00", ANNA_ACCOUNT, now)
    assert (
        refunds_export(
            company=other_company, file_format="elixir", execution_date=DAY, created_by="x", now=now
        )
        is None
    )
    assert refunds_export(company=company, file_format="elixir", execution_date=DAY, created_by="x", now=now)


def test_a_credit_of_one_grosz_is_refunded_and_transferred(company, now):
    """1.62 owed and 1.63 paid leave 0.01 of credit; SQLite adds the amounts as floats (0.0099999…)."""
    customers = [factories.customer(company, now) for _ in range(3)]
    for customer in customers[:2]:
        ledger_post_many(
            company=company,
            postings=[
                Posting(customer.pk, "invoice", "invoice", next(_ids), "F", D("1.62"), DAY, DAY),
                Posting(customer.pk, "payment", "bank_transaction", next(_ids), "P", D("-1.63"), DAY, None),
            ],
            now=now,
        )
    first, second, third = customers
    assert refundable_credit(customer=first) == D("0.01")
    _approved(first, "0.01", ANNA_ACCOUNT, now)
    assert customer_balance(customer=first) == D("0.00")
    credit_transfer(
        source=second, target=third, amount=D("0.01"), reason="x", made_by="ewa", on_date=DAY, now=now
    )
    assert customer_balance(customer=third) == D("-0.01")
