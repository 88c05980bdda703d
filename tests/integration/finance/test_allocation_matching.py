"""Allocation of payments (oldest due first, or the invoice named in the title first), overpayments kept as
credit for later invoices, and matching of transfers by the customer number in the title and by a payer's
account seen before."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from tests import factories

from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.allocation import credits_allocate
from kilowatt.finance.models import (
    Allocation,
    AllocationOrder,
    BankTransaction,
    FinancePolicy,
    LedgerEntry,
    TransactionStatus,
)
from kilowatt.finance.operations import Posting, ledger_post_many
from kilowatt.finance.payments import clearing_assign, statement_import
from kilowatt.finance.queries import customer_balance, customer_credit_open, customer_open_debts

pytestmark = pytest.mark.django_db
D = Decimal
HEADER = "booked_on;amount;currency;title;counterparty_name;counterparty_account;account;reference\n"
PAYER = "PL50105014451000009012345678"
_ids = itertools.count(1)


@pytest.fixture
def bank_company(company):
    company.bank_account_prefix = "109010147777"
    company.save()
    return company


def _invoice(company, customer, amount, due, now, posted=None) -> LedgerEntry:
    number = f"FV/{next(_ids):06d}/2026"
    ledger_post_many(
        company=company,
        postings=[
            Posting(customer.pk, "invoice", "invoice", next(_ids), number, D(amount), posted or due, due)
        ],
        now=now,
    )
    return LedgerEntry.objects.get(document_number=number)


def _import(company, now, *rows):
    """rows: (booked_on, amount, title, payer's account, account credited)"""
    lines = [
        ";".join([on, amount, "PLN", title, "Payer", payer, account, f"R{next(_ids)}"])
        for on, amount, title, payer, account in rows
    ]
    content = (HEADER + "".join(line + "\n" for line in lines)).encode()
    return statement_import(company=company, file_name=f"s{next(_ids)}.csv", content=content, now=now)


def _settled(debit) -> Decimal:
    return sum((a.amount for a in Allocation.objects.filter(debit=debit)), D(0))


def test_oldest_due_first_whatever_the_order_of_posting(bank_company, now):
    anna = factories.customer(bank_company, now)
    newest = _invoice(bank_company, anna, "100.00", date(2026, 3, 1), now, posted=date(2026, 1, 1))
    oldest = _invoice(bank_company, anna, "100.00", date(2026, 1, 15), now, posted=date(2026, 1, 2))
    middle = _invoice(bank_company, anna, "100.00", date(2026, 2, 15), now, posted=date(2026, 1, 3))
    account = virtual_account_for(company=bank_company, customer_id=anna.pk)
    _import(bank_company, now, ("2026-03-05", "150.00", "prad", "", account))
    assert [_settled(e) for e in (oldest, middle, newest)] == [D("100.00"), D("50.00"), D("0")]
    assert [d.entry for d in customer_open_debts(customer=anna, on_date=date(2026, 3, 5))] == [middle, newest]


@pytest.mark.parametrize("order", [AllocationOrder.NAMED_FIRST, AllocationOrder.OLDEST_FIRST])
def test_the_invoice_named_in_the_title_first_when_the_company_says_so(bank_company, now, order):
    FinancePolicy.objects.create(company=bank_company, allocation_order=order)
    anna = factories.customer(bank_company, now)
    older = _invoice(bank_company, anna, "100.00", date(2026, 1, 15), now)
    named = _invoice(bank_company, anna, "80.00", date(2026, 2, 15), now)
    account = virtual_account_for(company=bank_company, customer_id=anna.pk)
    _import(bank_company, now, ("2026-03-01", "100.00", f"Zaplata {named.document_number}", "", account))
    if order == AllocationOrder.NAMED_FIRST:
        assert (_settled(named), _settled(older)) == (D("80.00"), D("20.00"))
    else:
        assert (_settled(named), _settled(older)) == (D("0"), D("100.00"))
    assert customer_balance(customer=anna) == D("80.00")


def test_named_first_also_when_matched_by_the_document_number(bank_company, now):
    FinancePolicy.objects.create(company=bank_company, allocation_order=AllocationOrder.NAMED_FIRST)
    anna = factories.customer(bank_company, now)
    older = _invoice(bank_company, anna, "100.00", date(2026, 1, 15), now)
    named = _invoice(bank_company, anna, "80.00", date(2026, 2, 15), now)
    _import(bank_company, now, ("2026-03-01", "80.00", f"FV {named.document_number}", "", ""))
    assert BankTransaction.objects.get().matched_by == "document_number"
    assert (_settled(named), _settled(older)) == (D("80.00"), D("0"))


def test_an_overpayment_stays_as_credit_and_settles_a_later_invoice(bank_company, now):
    anna, bolek = factories.customer(bank_company, now), factories.customer(bank_company, now)
    account = virtual_account_for(company=bank_company, customer_id=anna.pk)
    _import(bank_company, now, ("2026-03-01", "150.00", "z gory", "", account))
    assert customer_balance(customer=anna) == D("-150.00")
    assert customer_credit_open(customer=anna) == D("150.00")

    later = _invoice(bank_company, anna, "100.00", date(2026, 4, 15), now)
    other = _invoice(bank_company, bolek, "70.00", date(2026, 4, 15), now)  # bolek holds no credit
    assert credits_allocate(customer_ids=[anna.pk, bolek.pk], now=now) == 1
    assert _settled(later) == D("100.00") and _settled(other) == D("0")
    assert customer_credit_open(customer=anna) == D("50.00")
    assert customer_balance(customer=anna) == D("-50.00")
    assert credits_allocate(customer_ids=[anna.pk, bolek.pk], now=now) == 0  # nothing left to do


def test_matched_by_the_customer_number_in_the_title(bank_company, now):
    anna = factories.customer(bank_company, now)
    factories.customer(bank_company, now)
    debt = _invoice(bank_company, anna, "60.00", date(2026, 2, 15), now)
    result = _import(bank_company, now, ("2026-03-01", "60.00", f"klient {anna.number.lower()}", "", ""))
    assert result.matched == 1
    transfer = BankTransaction.objects.get()
    assert (transfer.customer, transfer.matched_by) == (anna, "customer_number")
    assert _settled(debt) == D("60.00")


def test_another_companys_customer_number_does_not_match(bank_company, other_company, now):
    stranger = factories.customer(other_company, now)
    result = _import(bank_company, now, ("2026-03-01", "60.00", f"klient {stranger.number}", "", ""))
    assert (result.matched, result.unmatched) == (0, 1)
    assert not LedgerEntry.objects.filter(customer=stranger).exists()


def test_matched_by_the_payers_account_seen_on_an_earlier_assigned_transfer(bank_company, now):
    anna = factories.customer(bank_company, now)
    first = _import(bank_company, now, ("2026-02-01", "40.00", "prad", PAYER, ""))
    assert first.unmatched == 1
    clearing_assign(transaction_record=BankTransaction.objects.get(), customer=anna, now=now)

    second = _import(
        bank_company, now, ("2026-03-01", "55.00", "prad za marzec", "PL50 1050 1445 1000 0090 1234 5678", "")
    )
    assert second.matched == 1
    latest = BankTransaction.objects.get(booked_on=date(2026, 3, 1))
    assert (latest.customer, latest.matched_by, latest.status) == (
        anna,
        "payer_account",
        TransactionStatus.MATCHED,
    )
    assert customer_balance(customer=anna) == D("-95.00")


def test_a_payers_account_used_by_two_customers_matches_neither(bank_company, now):
    anna, bolek = factories.customer(bank_company, now), factories.customer(bank_company, now)
    _import(
        bank_company, now, ("2026-02-01", "40.00", "a", PAYER, ""), ("2026-02-02", "30.00", "b", PAYER, "")
    )
    first, second = BankTransaction.objects.order_by("booked_on")
    clearing_assign(transaction_record=first, customer=anna, now=now)
    clearing_assign(transaction_record=second, customer=bolek, now=now)
    result = _import(bank_company, now, ("2026-03-01", "55.00", "prad", PAYER, ""))
    assert (result.matched, result.unmatched) == (0, 1)
