"""Balances are the sum of the ledger, never a stored figure."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum

from kilowatt.core.money import ZERO, money_round
from kilowatt.finance.models import LedgerEntry
from kilowatt.parties.models import Customer


def customer_balance(*, customer: Customer) -> Decimal:
    """What the customer owes (negative: what is owed to them). Overdue amounts and ageing need the
    allocation of payments to documents, which the finance module adds."""
    total = LedgerEntry.objects.filter(customer=customer).aggregate(total=Sum("amount"))["total"]
    return money_round(total or ZERO)


def ledger_entries_of_customer(*, customer: Customer) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(customer=customer).order_by("-posted_on", "-id")
