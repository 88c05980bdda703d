"""Balances are the sum of the ledger, never a stored figure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from kilowatt.core.money import HALF_GROSZ, ZERO, money_round
from kilowatt.finance.models import (
    BankTransaction,
    InterestNote,
    LedgerEntry,
    LedgerEntryKind,
    Refund,
    RefundStatus,
    TransactionStatus,
    TransferExport,
)
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


def customer_overdue(*, customer: Customer, on_date: date, kinds: Sequence[str] = ()) -> Decimal:
    """What the customer owes past its due dates: open amounts of debits due before ``on_date`` (of these
    ledger entry kinds only, when given)."""
    due = LedgerEntry.objects.filter(customer=customer, amount__gt=0, due_date__lt=on_date)
    if kinds:
        due = due.filter(kind__in=list(kinds))
    due = due.annotate(paid=Sum("allocations_received__amount"))
    return money_round(sum((e.amount - (e.paid or ZERO) for e in due), ZERO))


@dataclass(frozen=True)
class OpenDebt:
    entry: LedgerEntry
    open: Decimal
    days_late: int


def customer_open_debts(*, customer: Customer, on_date: date) -> list[OpenDebt]:
    """Debits not yet settled, oldest due first, with how many days each is late on ``on_date``."""
    rows = (
        LedgerEntry.objects.filter(customer=customer, amount__gt=0)
        .annotate(paid=Sum("allocations_received__amount"))
        .filter(Q(paid__isnull=True) | Q(paid__lt=F("amount") - HALF_GROSZ))
        .order_by("due_date", "posted_on", "id")
    )
    return [
        OpenDebt(
            e, money_round(e.amount - (e.paid or ZERO)), max((on_date - (e.due_date or on_date)).days, 0)
        )
        for e in rows
    ]


AGEING_BUCKETS = ((0, _("Not due")), (30, _("1–30 days")), (60, _("31–60 days")), (90, _("61–90 days")))
AGEING_LAST = _("Over 90 days")


def customer_ageing(
    *, customer: Customer, on_date: date, debts: list[OpenDebt] | None = None
) -> list[tuple[str, Decimal]]:
    """Open debts by how late they are: not due, 1–30, 31–60, 61–90, over 90 days (``debts``: read before)."""
    totals = [ZERO] * (len(AGEING_BUCKETS) + 1)
    if debts is None:
        debts = customer_open_debts(customer=customer, on_date=on_date)
    for debt in debts:
        index = next((i for i, (limit, _label) in enumerate(AGEING_BUCKETS) if debt.days_late <= limit), -1)
        totals[index] += debt.open
    labels = [str(label) for _limit, label in AGEING_BUCKETS] + [str(AGEING_LAST)]
    return list(zip(labels, totals, strict=True))


def customer_credit_open(*, customer: Customer) -> Decimal:
    """Credit not yet used to settle a debt (an overpayment)."""
    rows = (
        LedgerEntry.objects.filter(customer=customer, amount__lt=0)
        .annotate(used=Sum("allocations_made__amount"))
        .values_list("amount", "used")
    )
    return sum((-amount - (used or ZERO) for amount, used in rows), ZERO)


def payments_of_customer(*, customer: Customer) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(customer=customer, kind=LedgerEntryKind.PAYMENT).order_by(
        "-posted_on", "-id"
    )


def interest_notes_of_customer(*, customer: Customer) -> QuerySet[InterestNote]:
    return InterestNote.objects.filter(customer=customer).order_by("-issued_on", "-id")


def refunds_of_customer(*, customer: Customer) -> QuerySet[Refund]:
    return Refund.objects.filter(customer=customer).order_by("-requested_at", "-id")


def refunds_waiting(*, company) -> QuerySet[Refund]:
    return (
        Refund.objects.filter(company=company, status__in=[RefundStatus.REQUESTED, RefundStatus.APPROVED])
        .select_related("customer")
        .order_by("requested_at", "id")
    )


def transfer_exports_recent(*, company) -> QuerySet[TransferExport]:
    return TransferExport.objects.filter(company=company).defer("content").order_by("-created_at")


def payment_entry_of(*, transaction_record: BankTransaction) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(
        company_id=transaction_record.company_id,
        document_type="bank_transaction",
        document_id=transaction_record.pk,
        kind=LedgerEntryKind.PAYMENT,
    ).first()
