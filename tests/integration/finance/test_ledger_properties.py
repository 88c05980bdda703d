"""Properties of the ledger after any sequence of operations: invoices posted, statements imported, payments
returned, debts written off, credit transferred, refunds approved, interest notes issued.

After every operation: each customer's balance is what the operations put on it, every entry's open amount
is between 0 and its amount, no allocation exceeds either side or joins two customers, an undoing allocation
undoes exactly one allocation, and no customer holds open credit next to an open debt.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests import factories

from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.allocation import INTEREST_BEARING, credits_allocate
from kilowatt.finance.interest import interest_notes_issue
from kilowatt.finance.models import (
    Allocation,
    AllocationOrder,
    FinancePolicy,
    InterestCharge,
    InterestMode,
    InterestNote,
    LedgerEntry,
    LedgerEntryKind,
)
from kilowatt.finance.operations import (
    Posting,
    credit_transfer,
    debt_write_off,
    ledger_entry_reverse,
    ledger_post_many,
)
from kilowatt.finance.payments import statement_import
from kilowatt.finance.queries import customer_balance, customer_open_debts
from kilowatt.finance.refunds import refund_decide, refund_request, refundable_credit
from kilowatt.parties.operations import customer_create

pytestmark = pytest.mark.django_db
D = Decimal
CENT = D("0.01")
START = date(2026, 1, 1)
CUSTOMERS = 3
HEADER = "booked_on;amount;currency;title;counterparty_name;counterparty_account;account;reference\n"
REFUND_ACCOUNT = "PL50105014451000009012345678"
_ids = itertools.count(1)

customer_index = st.integers(0, CUSTOMERS - 1)
money = st.integers(1, 50_000).map(lambda cents: D(cents) / 100)
day = st.integers(0, 90)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), customer_index, money, day),
        st.tuples(st.just("pay"), st.one_of(customer_index, st.none()), money, day),
        st.tuples(st.just("reverse"), st.integers(0, 20), day),
        st.tuples(st.just("write_off"), st.integers(0, 20), money),
        st.tuples(st.just("transfer"), customer_index, customer_index, money),
        st.tuples(st.just("refund"), customer_index, money),
        st.tuples(st.just("interest"), day),
    ),
    min_size=1,
    max_size=12,
)
policies = st.fixed_dictionaries(
    {
        "interest_mode": st.sampled_from([InterestMode.IMMEDIATE, InterestMode.MONTHLY]),
        "interest_minimum": st.sampled_from([D("0.01"), D("10.00")]),
        "allocation_order": st.sampled_from([AllocationOrder.OLDEST_FIRST, AllocationOrder.NAMED_FIRST]),
        "recovery_compensation": st.booleans(),
    }
)


class Model:
    """What the operations should have put on each customer's account, apart from interest notes."""

    def __init__(self, company, customers, now):
        self.company, self.customers, self.now = company, customers, now
        self.expected: dict[int, Decimal] = defaultdict(lambda: D("0.00"))
        self.invoices: list[str] = []

    def invoice(self, who: int, amount: Decimal, offset: int) -> None:
        customer = self.customers[who]
        number = f"FV/{next(_ids):06d}/2026"
        due = START + timedelta(days=offset)
        ledger_post_many(
            company=self.company,
            postings=[
                Posting(
                    customer.pk, "invoice", "invoice", next(_ids), number, amount, due - timedelta(14), due
                )
            ],
            now=self.now,
        )
        credits_allocate(customer_ids=[customer.pk], now=self.now)
        self.invoices.append(number)
        self.expected[customer.pk] += amount

    def pay(self, who: int | None, amount: Decimal, offset: int) -> None:
        account = (
            virtual_account_for(company=self.company, customer_id=self.customers[who].pk)
            if who is not None
            else ""
        )
        title = f"za {self.invoices[-1]}" if self.invoices and offset % 2 else "prad"
        reference = f"R{next(_ids)}"
        booked = (START + timedelta(days=offset)).isoformat()
        row = f"{booked};{amount};PLN;{title};;;{account};{reference}"
        content = f"{HEADER}{row}\n"
        result = statement_import(
            company=self.company, file_name=f"{reference}.csv", content=content.encode(), now=self.now
        )
        if result.matched:
            payment = LedgerEntry.objects.get(kind=LedgerEntryKind.PAYMENT, document_number=reference)
            self.expected[payment.customer_id] -= amount

    def reverse(self, pick: int, offset: int) -> None:
        payments = list(
            LedgerEntry.objects.filter(
                company=self.company, kind=LedgerEntryKind.PAYMENT, reversed_by__isnull=True
            ).order_by("pk")
        )
        if payments:
            payment = payments[pick % len(payments)]
            ledger_entry_reverse(
                entry=payment,
                reason="returned",
                made_by="ewa",
                on_date=START + timedelta(days=offset),
                now=self.now,
            )
            self.expected[payment.customer_id] -= payment.amount

    def write_off(self, pick: int, amount: Decimal) -> None:
        debts = [d for c in self.customers for d in customer_open_debts(customer=c, on_date=START)]
        if debts:
            debt = debts[pick % len(debts)]
            amount = min(amount, debt.open)
            debt_write_off(
                entry=debt.entry, amount=amount, reason="x", made_by="ewa", on_date=START, now=self.now
            )
            self.expected[debt.entry.customer_id] -= amount

    def transfer(self, source: int, target: int, amount: Decimal) -> None:
        credit = -customer_balance(customer=self.customers[source])
        if source != target and credit > 0:
            amount = min(amount, credit)
            credit_transfer(
                source=self.customers[source],
                target=self.customers[target],
                amount=amount,
                reason="x",
                made_by="ewa",
                on_date=START,
                now=self.now,
            )
            self.expected[self.customers[source].pk] += amount
            self.expected[self.customers[target].pk] -= amount

    def refund(self, who: int, amount: Decimal) -> None:
        customer = self.customers[who]
        available = refundable_credit(customer=customer)
        if available > 0:
            amount = min(amount, available)
            refund = refund_request(
                customer=customer,
                amount=amount,
                account=REFUND_ACCOUNT,
                reason="",
                requested_by="ewa",
                now=self.now,
            )
            refund_decide(refund=refund, approve=True, decided_by="adam", on_date=START, now=self.now)
            self.expected[customer.pk] += amount

    def interest(self, offset: int) -> None:
        interest_notes_issue(company=self.company, on_date=START + timedelta(days=offset), now=self.now)


def _sum(entries) -> Decimal:
    """A sum of amounts to the grosz (SQLite adds decimals as floats)."""
    return D(entries.aggregate(s=Sum("amount"))["s"] or 0).quantize(CENT)


def _check(model: Model) -> None:
    notes = dict(
        InterestNote.objects.filter(company=model.company)
        .values("customer_id")
        .annotate(s=Sum("amount"))
        .values_list("customer_id", "s")
    )
    notes = {customer_id: D(amount).quantize(CENT) for customer_id, amount in notes.items()}
    for customer in model.customers:
        assert customer_balance(customer=customer) == model.expected[customer.pk] + notes.get(
            customer.pk, D(0)
        )
    total = _sum(LedgerEntry.objects.filter(company=model.company))
    assert total == sum(model.expected.values(), D(0)) + sum(notes.values(), D(0))
    interest = LedgerEntry.objects.filter(company=model.company, kind=LedgerEntryKind.INTEREST)
    assert _sum(interest) == sum(notes.values(), D(0))

    received, made = defaultdict(lambda: D(0)), defaultdict(lambda: D(0))
    entries = {e.pk: e for e in LedgerEntry.objects.filter(company=model.company)}
    for allocation in Allocation.objects.filter(company=model.company).select_related("reverses"):
        credit, debit = entries[allocation.credit_id], entries[allocation.debit_id]
        assert credit.amount < 0 < debit.amount and credit.customer_id == debit.customer_id
        if allocation.reverses is not None:
            original = allocation.reverses
            assert (original.credit_id, original.debit_id, -original.amount) == (
                allocation.credit_id,
                allocation.debit_id,
                allocation.amount,
            )
        received[debit.pk] += allocation.amount
        made[credit.pk] += allocation.amount
    open_credit, open_debit = set(), set()
    for entry in entries.values():
        used = received[entry.pk] if entry.amount > 0 else made[entry.pk]
        assert D(0) <= used <= abs(entry.amount), (entry.kind, entry.amount, used)
        if used < abs(entry.amount):
            (open_debit if entry.amount > 0 else open_credit).add(entry.customer_id)
    assert not open_credit & open_debit, "a customer holds open credit next to an open debt"
    for charge in InterestCharge.objects.filter(company=model.company).select_related("debit"):
        assert charge.debit.kind in INTEREST_BEARING and charge.paid_on > charge.due_date
        assert charge.amount >= 0 and charge.principal > 0


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(policy=policies, steps=operations)
def test_the_ledger_adds_up_after_any_operations(company, now, policy, steps):
    with transaction.atomic():
        company.bank_account_prefix = "109010147777"
        company.save()
        FinancePolicy.objects.update_or_create(company=company, defaults=policy)
        customers = [factories.customer(company, now) for _ in range(CUSTOMERS - 1)]
        customers.append(
            customer_create(company=company, data=factories.business_data(), actor=None, now=now)
        )
        model = Model(company, customers, now)
        for name, *arguments in steps:
            getattr(model, name)(*arguments)
            _check(model)
        transaction.set_rollback(True)
