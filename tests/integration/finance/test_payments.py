"""Payments from bank statements: matched by virtual account or document number, allocated oldest first,
overpayments kept as credit, the rest in the clearing queue; the same statement twice changes nothing."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections
from tests import factories

from kilowatt.core.errors import ValidationFailed
from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.allocation import ledger_allocate
from kilowatt.finance.models import Allocation, BankTransaction, LedgerEntry, TransactionStatus
from kilowatt.finance.operations import Posting, ledger_post_many
from kilowatt.finance.payments import clearing_assign, statement_import
from kilowatt.finance.queries import customer_balance, customer_overdue

pytestmark = pytest.mark.django_db
D = Decimal
SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"


@pytest.fixture
def bank_company(company):
    company.bank_account_prefix = "109010147777"
    company.save()
    return company


def _invoice(company, customer, number, amount, due, now):
    ledger_post_many(
        company=company,
        postings=[
            Posting(customer.pk, "invoice", "invoice", abs(hash(number)) % 10**9, number, D(amount), due, due)
        ],
        now=now,
    )


def _csv(rows):
    header = "booked_on;amount;currency;title;counterparty_name;counterparty_account;account;reference\n"
    return (header + "".join(";".join(r) + "\n" for r in rows)).encode()


def test_matched_by_virtual_account_then_title_and_allocated_oldest_first(bank_company, now):
    company = bank_company
    anna, bolek, cezary = (factories.customer(company, now) for _ in range(3))
    _invoice(company, anna, "FV/000001/2026", "100.00", date(2026, 1, 15), now)
    _invoice(company, anna, "FV/000002/2026", "80.00", date(2026, 2, 15), now)
    _invoice(company, bolek, "FV/000003/2026", "50.00", date(2026, 2, 15), now)
    content = _csv(
        [
            (
                "2026-03-01",
                "150,00",
                "PLN",
                "za prad",
                "Anna",
                "",
                virtual_account_for(company=company, customer_id=anna.pk),
                "REF1",
            ),
            ("2026-03-01", "50.00", "PLN", "Zaplata FV/000003/2026", "Bolek", "", "", "REF2"),
            ("2026-03-01", "99.00", "PLN", "nieznany", "Ktos", "", "", "REF3"),
            ("2026-03-01", "-20.00", "PLN", "oplata bankowa", "Bank", "", "", "REF4"),
        ]
    )
    result = statement_import(company=company, file_name="wyciag.csv", content=content, now=now)
    assert (result.matched, result.unmatched, result.outgoing) == (2, 1, 1)
    # Anna's 150 pays the older 100 in full and 50 of the 80.
    assert customer_balance(customer=anna) == D("30.00")
    assert customer_overdue(customer=anna, on_date=date(2026, 3, 1)) == D("30.00")
    assert customer_balance(customer=bolek) == D("0.00")
    queue = BankTransaction.objects.get(status=TransactionStatus.UNMATCHED)
    assert queue.reference == "REF3" and customer_balance(customer=cezary) == D("0.00")
    again = statement_import(company=company, file_name="wyciag.csv", content=content, now=now)
    assert again.already_imported and LedgerEntry.objects.filter(kind="payment").count() == 2
    clearing_assign(transaction_record=queue, customer=cezary, now=now)
    assert customer_balance(customer=cezary) == D("-99.00")  # an overpayment is kept as credit...
    _invoice(company, cezary, "FV/000004/2026", "60.00", date(2026, 4, 15), now)
    ledger_allocate(customer=cezary, now=now)
    assert customer_balance(customer=cezary) == D("-39.00")  # ...and settles the next invoice
    assert customer_overdue(customer=cezary, on_date=date(2026, 5, 1)) == D("0.00")


def test_the_same_transfer_in_another_file_is_not_paid_twice(bank_company, now):
    anna = factories.customer(bank_company, now)
    row = (
        "2026-03-01",
        "10.00",
        "PLN",
        "x",
        "Anna",
        "",
        virtual_account_for(company=bank_company, customer_id=anna.pk),
        "SAME",
    )
    statement_import(company=bank_company, file_name="a.csv", content=_csv([row]), now=now)
    result = statement_import(
        company=bank_company, file_name="b.csv", content=_csv([row, row[:7] + ("OTHER",)]), now=now
    )
    assert (result.known, result.matched) == (1, 1)
    assert customer_balance(customer=anna) == D("-20.00")


def test_a_broken_file_names_the_line_and_posts_nothing(bank_company, now):
    content = _csv(
        [
            ("2026-03-01", "10.00", "PLN", "a", "", "", "", "R1"),
            ("2026-03-01", "dziesiec", "PLN", "b", "", "", "", "R2"),
        ]
    )
    with pytest.raises(ValidationFailed) as failed:
        statement_import(company=bank_company, file_name="zly.csv", content=content, now=now)
    assert "3" in failed.value.message
    assert not BankTransaction.objects.exists()


def test_assigning_to_another_companys_customer_is_refused(bank_company, other_company, now):
    content = _csv([("2026-03-01", "10.00", "PLN", "?", "", "", "", "R9")])
    statement_import(company=bank_company, file_name="q.csv", content=content, now=now)
    stranger = factories.customer(other_company, now)
    with pytest.raises(ValidationFailed):
        clearing_assign(transaction_record=BankTransaction.objects.get(), customer=stranger, now=now)


def test_the_shipped_samples_import(bank_company, now):
    for name in ("statement-mt940.sta", "statement-camt053.xml", "statement.csv"):
        result = statement_import(
            company=bank_company, file_name=name, content=(SAMPLES / name).read_bytes(), now=now
        )
        assert result.matched + result.unmatched + result.outgoing + result.known > 0, name


@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_never_use_the_same_debt_twice(bank_company, now, reference_data):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks between two connections")
    anna = factories.customer(bank_company, now)
    _invoice(bank_company, anna, "FV/000009/2026", "100.00", date(2026, 1, 15), now)
    account = virtual_account_for(company=bank_company, customer_id=anna.pk)
    files = [_csv([("2026-03-01", "100.00", "PLN", "x", "", "", account, f"PAR{i}")]) for i in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def pay(content):
        barrier.wait()
        try:
            statement_import(company=bank_company, file_name="p.csv", content=content, now=now)
        except Exception as error:  # noqa: BLE001 - reported below: both imports must succeed
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    debt = LedgerEntry.objects.get(document_number="FV/000009/2026")
    assert sum(a.amount for a in Allocation.objects.filter(debit=debt)) == D("100.00")
    assert customer_balance(customer=anna) == D("-100.00")


def test_credit_settles_an_invoice_issued_later_by_a_billing_run(bank_company, now):
    from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list

    from kilowatt.billing.models import Invoice
    from kilowatt.billing.runs import billing_run_create, billing_run_execute

    prices = price_list(bank_company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(
        bank_company,
        now,
        prices=prices,
        reads={"all": [(date(2026, 1, 1), "10000"), (date(2026, 3, 1), "10350")]},
    )
    customer = scenario.contract.customer
    account = virtual_account_for(company=bank_company, customer_id=customer.pk)
    statement_import(
        company=bank_company,
        file_name="pre.csv",
        now=now,
        content=_csv([("2026-02-20", "500.00", "PLN", "zaliczka", "", "", account, "PRE1")]),
    )
    run = billing_run_create(
        company=bank_company, month=date(2026, 2, 1), issue_date=date(2026, 3, 2), now=now
    )
    billing_run_execute(run=run, now=now)
    invoice = Invoice.objects.get(contract=scenario.contract)
    assert customer_balance(customer=customer) == invoice.gross - D("500.00")
    assert customer_overdue(customer=customer, on_date=date(2026, 4, 1)) == D("0.00")
