"""Corrections staff make to the ledger: a payment returned by the bank reversed (its allocations undone,
the original entries untouched), part of a debt written off, credit moved between two accounts."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from tests import factories

from kilowatt.core.errors import ValidationFailed
from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.allocation import credits_allocate
from kilowatt.finance.models import Adjustment, Allocation, LedgerEntry, LedgerEntryKind
from kilowatt.finance.operations import (
    Posting,
    credit_transfer,
    debt_write_off,
    ledger_entry_reverse,
    ledger_post_many,
)
from kilowatt.finance.payments import statement_import
from kilowatt.finance.queries import customer_balance, customer_open_debts, customer_overdue

pytestmark = pytest.mark.django_db
D = Decimal
DAY = date(2026, 3, 10)
_ids = itertools.count(1)


@pytest.fixture
def bank_company(company):
    company.bank_account_prefix = "109010147777"
    company.save()
    return company


def _invoice(company, customer, amount, due, now) -> LedgerEntry:
    number = f"FV/{next(_ids):06d}/2026"
    ledger_post_many(
        company=company,
        postings=[Posting(customer.pk, "invoice", "invoice", next(_ids), number, D(amount), due, due)],
        now=now,
    )
    return LedgerEntry.objects.get(document_number=number)


def _pay(company, customer, amount, on, now) -> LedgerEntry:
    account = virtual_account_for(company=company, customer_id=customer.pk)
    reference = f"R{next(_ids)}"
    content = (
        "booked_on;amount;currency;title;counterparty_name;counterparty_account;account;reference\n"
        f"{on.isoformat()};{amount};PLN;prad;Payer;;{account};{reference}\n"
    )
    statement_import(company=company, file_name=f"{reference}.csv", content=content.encode(), now=now)
    return LedgerEntry.objects.get(kind=LedgerEntryKind.PAYMENT, document_number=reference)


def _snapshot():
    return {
        "entries": list(LedgerEntry.objects.order_by("pk").values_list("pk", "kind", "amount", "posted_on")),
        "allocations": list(Allocation.objects.order_by("pk").values_list("pk", "credit", "debit", "amount")),
    }


def test_a_returned_payment_reopens_the_invoices_it_paid(bank_company, now):
    anna = factories.customer(bank_company, now)
    first = _invoice(bank_company, anna, "100.00", date(2026, 1, 15), now)
    second = _invoice(bank_company, anna, "80.00", date(2026, 2, 15), now)
    payment = _pay(bank_company, anna, "150.00", date(2026, 3, 1), now)
    assert customer_balance(customer=anna) == D("30.00")
    before = _snapshot()

    reversal = ledger_entry_reverse(
        entry=payment, reason="Returned: account closed", made_by="anna", on_date=DAY, now=now
    )

    assert (reversal.kind, reversal.amount, reversal.reverses) == (
        LedgerEntryKind.REVERSAL,
        D("150.00"),
        payment,
    )
    after = _snapshot()
    # nothing stored before was changed: the ledger and the allocations only grew
    assert after["entries"][: len(before["entries"])] == before["entries"]
    assert after["allocations"][: len(before["allocations"])] == before["allocations"]
    undone = Allocation.objects.filter(reverses__isnull=False)
    assert sorted((a.debit_id, a.amount) for a in undone) == [
        (first.pk, D("-100.00")),
        (second.pk, D("-50.00")),
    ]
    assert all(a.reverses.amount == -a.amount and a.reverses.credit == payment for a in undone)
    assert customer_balance(customer=anna) == D("180.00")
    assert customer_overdue(customer=anna, on_date=DAY) == D("180.00")
    assert [(d.entry, d.open) for d in customer_open_debts(customer=anna, on_date=DAY)] == [
        (first, D("100.00")),
        (second, D("80.00")),
    ]
    adjustment = Adjustment.objects.get(kind=Adjustment.Kind.REVERSAL)
    assert (adjustment.entry, adjustment.made_by, adjustment.reason) == (
        payment,
        "anna",
        "Returned: account closed",
    )

    with pytest.raises(ValidationFailed):
        ledger_entry_reverse(entry=payment, reason="again", made_by="anna", on_date=DAY, now=now)
    with pytest.raises(ValidationFailed):
        ledger_entry_reverse(entry=reversal, reason="undo the undo", made_by="anna", on_date=DAY, now=now)
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.REVERSAL).count() == 1
    assert customer_balance(customer=anna) == D("180.00")

    # the next payment settles the reopened invoices, oldest first
    _pay(bank_company, anna, "100.00", DAY, now)
    assert [(d.entry, d.open) for d in customer_open_debts(customer=anna, on_date=DAY)] == [
        (second, D("80.00"))
    ]


def test_a_reversal_needs_a_reason(bank_company, now):
    anna = factories.customer(bank_company, now)
    payment = _pay(bank_company, anna, "10.00", date(2026, 3, 1), now)
    with pytest.raises(ValidationFailed) as refused:
        ledger_entry_reverse(entry=payment, reason="  ", made_by="anna", on_date=DAY, now=now)
    assert refused.value.field == "reason"
    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.REVERSAL).exists()
    assert not Adjustment.objects.exists()


def test_reversing_an_invoice_frees_the_payment_as_credit(bank_company, now):
    anna = factories.customer(bank_company, now)
    invoice = _invoice(bank_company, anna, "100.00", date(2026, 1, 15), now)
    _pay(bank_company, anna, "100.00", date(2026, 1, 10), now)
    ledger_entry_reverse(entry=invoice, reason="Issued in error", made_by="anna", on_date=DAY, now=now)
    assert customer_balance(customer=anna) == D("-100.00")
    assert customer_open_debts(customer=anna, on_date=DAY) == []
    later = _invoice(bank_company, anna, "60.00", date(2026, 4, 15), now)
    credits_allocate(customer_ids=[anna.pk], now=now)
    assert sum(a.amount for a in Allocation.objects.filter(debit=later)) == D("60.00")


def test_part_of_a_debt_written_off(bank_company, now):
    anna = factories.customer(bank_company, now)
    debt = _invoice(bank_company, anna, "100.00", date(2026, 1, 15), now)
    _pay(bank_company, anna, "20.00", date(2026, 2, 1), now)

    credit = debt_write_off(
        entry=debt, amount=D("30.00"), reason="Goodwill", made_by="anna", on_date=DAY, now=now
    )
    assert (credit.kind, credit.amount, credit.customer) == (LedgerEntryKind.WRITE_OFF, D("-30.00"), anna)
    assert Allocation.objects.get(credit=credit).debit == debt
    assert customer_balance(customer=anna) == D("50.00")
    assert [d.open for d in customer_open_debts(customer=anna, on_date=DAY)] == [D("50.00")]
    assert Adjustment.objects.get(kind=Adjustment.Kind.WRITE_OFF).amount == D("30.00")

    for amount, reason in ((D("50.01"), "too much"), (D("0"), "nothing"), (D("10.00"), " ")):
        with pytest.raises(ValidationFailed):
            debt_write_off(entry=debt, amount=amount, reason=reason, made_by="anna", on_date=DAY, now=now)
    payment = LedgerEntry.objects.get(kind=LedgerEntryKind.PAYMENT)
    with pytest.raises(ValidationFailed):
        debt_write_off(entry=payment, amount=D("1.00"), reason="x", made_by="anna", on_date=DAY, now=now)
    debt_write_off(
        entry=debt, amount=D("50.00"), reason="Uncollectable", made_by="anna", on_date=DAY, now=now
    )
    assert customer_balance(customer=anna) == D("0.00")
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.WRITE_OFF).count() == 2


def test_credit_moved_between_two_accounts(bank_company, other_company, now):
    source, target = factories.customer(bank_company, now), factories.customer(bank_company, now)
    _pay(bank_company, source, "100.00", date(2026, 2, 1), now)
    owed = _invoice(bank_company, target, "60.00", date(2026, 2, 15), now)

    out, into = credit_transfer(
        source=source,
        target=target,
        amount=D("60.00"),
        reason="Same household",
        made_by="anna",
        on_date=DAY,
        now=now,
    )
    assert (out.customer, out.amount, into.customer, into.amount) == (source, D("60.00"), target, D("-60.00"))
    assert customer_balance(customer=source) == D("-40.00")
    assert customer_balance(customer=target) == D("0.00")
    assert sum(a.amount for a in Allocation.objects.filter(debit=owed)) == D("60.00")
    adjustment = Adjustment.objects.get(kind=Adjustment.Kind.TRANSFER)
    assert (adjustment.customer, adjustment.counterpart, adjustment.amount) == (source, target, D("60.00"))

    stranger = factories.customer(other_company, now)
    refusals = [
        (target, D("40.01")),  # more than the credit left
        (target, D("0.00")),
        (source, D("10.00")),  # to itself
        (stranger, D("10.00")),  # another company's account
    ]
    before = _snapshot()
    for to, amount in refusals:
        with pytest.raises(ValidationFailed):
            credit_transfer(
                source=source, target=to, amount=amount, reason="x", made_by="anna", on_date=DAY, now=now
            )
    with pytest.raises(ValidationFailed) as no_reason:
        credit_transfer(
            source=source, target=target, amount=D("1.00"), reason=" ", made_by="anna", on_date=DAY, now=now
        )
    assert no_reason.value.field == "reason"
    with pytest.raises(ValidationFailed):  # the target has no credit to give back
        credit_transfer(
            source=target, target=source, amount=D("1.00"), reason="x", made_by="anna", on_date=DAY, now=now
        )
    assert _snapshot() == before
    assert not LedgerEntry.objects.filter(customer=stranger).exists()
