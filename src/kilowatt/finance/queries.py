"""Balances are the sum of the ledger, never a stored figure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum

from kilowatt.core.money import ZERO, money_round
from kilowatt.finance.models import BankTransaction, LedgerEntry, TransactionStatus
from kilowatt.parties.models import Customer


def customer_balance(*, customer: Customer) -> Decimal:
    """What the customer owes (negative: what is owed to them). Overdue amounts and ageing need the
    allocation of payments to documents, which the finance module adds."""
    total = LedgerEntry.objects.filter(customer=customer).aggregate(total=Sum("amount"))["total"]
    return money_round(total or ZERO)


def ledger_entries_of_customer(*, customer: Customer) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(customer=customer).order_by("-posted_on", "-id")


def bank_transactions_waiting(*, company) -> QuerySet[BankTransaction]:
    """The clearing queue: transfers no customer was found for, oldest first."""
    return BankTransaction.objects.filter(company=company, status=TransactionStatus.UNMATCHED).order_by(
        "booked_on", "id"
    )


def bank_transactions_recent(*, company) -> QuerySet[BankTransaction]:
    return (
        BankTransaction.objects.filter(company=company)
        .exclude(status=TransactionStatus.UNMATCHED)
        .select_related("customer")
        .order_by("-booked_on", "-id")
    )


def bank_transaction_of_company(*, company, transaction_id: int) -> BankTransaction | None:
    return BankTransaction.objects.filter(company=company, pk=transaction_id).first()


def customer_overdue(*, customer: Customer, on_date: date) -> Decimal:
    """What the customer owes past its due dates: open amounts of debits due before ``on_date``."""
    due = LedgerEntry.objects.filter(customer=customer, amount__gt=0, due_date__lt=on_date).annotate(
        paid=Sum("allocations_received__amount")
    )
    return sum((e.amount - (e.paid or ZERO) for e in due), ZERO)
