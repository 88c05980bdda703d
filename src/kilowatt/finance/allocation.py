"""Settling debts with credits: allocations, oldest due first (or the invoice a payment names first).

Allocations are rows of their own, so the ledger is never edited: an entry's open amount is its amount
less what was allocated to (or from) it. The customers concerned are locked first, in id order, so two
payments for the same customer arriving at once never use the same open debt twice, and two batches
never deadlock. When a debt is settled after its due date, the interest it bears is recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F, Q, Sum

from kilowatt.core.bulk import rows_insert, rows_insert_ids
from kilowatt.core.models import OutboxEvent
from kilowatt.core.money import HALF_GROSZ, ZERO, money_round
from kilowatt.finance.models import (
    Allocation,
    AllocationOrder,
    FinancePolicy,
    LedgerEntry,
    LedgerEntryKind,
)
from kilowatt.parties.models import Customer

CHUNK = 10000

# Debts that bear late-payment interest: interest is never charged on interest, fees or refunds.
INTEREST_BEARING = frozenset({LedgerEntryKind.INVOICE, LedgerEntryKind.CORRECTION, LedgerEntryKind.NOTE})


@dataclass(slots=True)
class OpenItem:
    entry_id: int
    customer_id: int
    kind: str
    document_number: str
    amount: Decimal  # signed, as in the ledger
    posted_on: date
    due_date: date | None
    open: Decimal  # always positive: what is left to settle


def open_items_of(*, customer_ids: Sequence[int]) -> dict[int, list[OpenItem]]:
    """Every entry of these customers not yet fully settled, debits and credits, per customer."""
    items: dict[int, list[OpenItem]] = defaultdict(list)
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start : start + CHUNK]
        debits = (
            LedgerEntry.objects.filter(customer_id__any_of=chunk, amount__gt=0)
            .annotate(settled=Sum("allocations_received__amount"))
            .filter(Q(settled__isnull=True) | Q(settled__lt=F("amount") - HALF_GROSZ))
        )
        credits = (
            LedgerEntry.objects.filter(customer_id__any_of=chunk, amount__lt=0)
            .annotate(settled=Sum("allocations_made__amount"))
            .filter(Q(settled__isnull=True) | Q(settled__lt=-F("amount") - HALF_GROSZ))
        )
        for query in (debits, credits):
            for row in query.values_list(
                "pk", "customer_id", "kind", "document_number", "amount", "posted_on", "due_date", "settled"
            ):
                pk, customer_id, kind, number, amount, posted_on, due_date, settled = row
                items[customer_id].append(
                    OpenItem(
                        pk,
                        customer_id,
                        kind,
                        number,
                        amount,
                        posted_on,
                        due_date,
                        money_round(abs(amount) - (settled or ZERO)),
                    )
                )
    return items


@dataclass(slots=True)
class Settlement:
    """An allocation made (its id is set once it is stored), with what interest needs to know about it."""

    allocation_id: int
    credit_id: int
    debit_id: int
    amount: Decimal
    customer_id: int
    debit_kind: str
    debit_amount: Decimal
    debit_due: date | None
    credit_posted_on: date
    credit_kind: str = LedgerEntryKind.PAYMENT


def _debit_order(item: OpenItem) -> tuple:
    return (item.due_date or item.posted_on, item.posted_on, item.entry_id)


def _settle(items: list[OpenItem], named: Mapping[int, Iterable[str]]) -> list[Settlement]:
    credits = sorted((i for i in items if i.amount < 0), key=lambda i: (i.posted_on, i.entry_id))
    debits = sorted((i for i in items if i.amount > 0), key=_debit_order)
    made: list[Settlement] = []
    for credit in credits:
        names = set(named.get(credit.entry_id, ()))
        ordered = (
            [d for d in debits if d.document_number in names]
            + [d for d in debits if d.document_number not in names]
            if names
            else debits
        )
        for debit in ordered:
            if credit.open == 0:
                break
            if debit.open == 0:
                continue
            amount = min(credit.open, debit.open)
            credit.open -= amount
            debit.open -= amount
            made.append(
                Settlement(
                    0,
                    credit.entry_id,
                    debit.entry_id,
                    amount,
                    debit.customer_id,
                    debit.kind,
                    debit.amount,
                    debit.due_date,
                    credit.posted_on,
                    credit.kind,
                )
            )
    return made


def _invoices_paid(items: list[OpenItem], settled: list[Settlement]) -> list[tuple[OpenItem, date]]:
    """Invoices these settlements finished settling with money the customer paid: at least one of them
    comes from a payment (or a transfer of the customer's credit) and none from a write-off; with the day
    of the last payment among them. An invoice settled only by a correction or a credit note is not paid.
    Earlier write-offs are looked for when the events are recorded (``_paid_events_record``)."""
    money_paid = (LedgerEntryKind.PAYMENT, LedgerEntryKind.TRANSFER)
    last_paid_on: dict[int, date] = {}
    written_off: set[int] = set()
    for settlement in settled:
        if settlement.credit_kind == LedgerEntryKind.WRITE_OFF:
            written_off.add(settlement.debit_id)
        if settlement.credit_kind not in money_paid:
            continue
        last_paid_on[settlement.debit_id] = max(
            settlement.credit_posted_on, last_paid_on.get(settlement.debit_id, settlement.credit_posted_on)
        )
    return [
        (item, last_paid_on[item.entry_id])
        for item in items
        if item.entry_id in last_paid_on
        and item.entry_id not in written_off
        and item.open == 0
        and item.kind == LedgerEntryKind.INVOICE
    ]


def _paid_events_record(company_id: int, paid: list[tuple[OpenItem, date]], now: datetime) -> None:
    """``finance.invoice.paid-v1`` for each invoice paid off (commissions release stages on it); not for
    one that a standing write-off settled in part (the debt was given up, not paid). Runs after the
    batch's allocations are stored."""
    if not paid:
        return
    entry_ids = sorted({item.entry_id for item, _ in paid})
    documents: dict[int, int] = {}
    written_off: set[int] = set()
    for start in range(0, len(entry_ids), CHUNK):
        chunk = entry_ids[start : start + CHUNK]
        documents.update(LedgerEntry.objects.filter(pk__any_of=chunk).values_list("pk", "document_id"))
        written_off.update(
            Allocation.objects.filter(debit_id__any_of=chunk, credit__kind=LedgerEntryKind.WRITE_OFF)
            .values("debit_id")
            .annotate(net=Sum("amount"))
            .filter(net__gt=HALF_GROSZ)  # a write-off undone since (its allocation reversed) does not count
            .values_list("debit_id", flat=True)
        )
    OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                company_id=company_id,
                name="finance.invoice.paid-v1",
                payload={
                    "ledger_entry_id": item.entry_id,
                    "invoice_id": documents[item.entry_id],
                    "customer_id": item.customer_id,
                    "number": item.document_number,
                    "paid_on": paid_on.isoformat(),
                },
                occurred_at=now,
            )
            for item, paid_on in paid
            if item.entry_id not in written_off
        ],
        batch_size=2000,
    )


def customers_lock(*, customer_ids: Sequence[int]) -> None:
    """Lock these customers' rows for the rest of the transaction, in id order (no two batches deadlock)."""
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), CHUNK):
        list(
            Customer.objects.select_for_update()
            .filter(pk__any_of=ids[start : start + CHUNK])
            .order_by("pk")
            .values_list("pk")
        )


def ledger_allocate_many(
    *, company_id: int, customer_ids: Iterable[int], now: datetime, named: Mapping[int, Iterable[str]] = {}
) -> list[Settlement]:
    """Allocate the open credits of these customers to their open debits, inside the caller's transaction.

    ``named`` maps a credit (a payment's ledger entry) to document numbers its title named: with the
    company's "named first" order those debts are settled first. Returns the allocations made (already
    stored), so the caller can charge interest on late ones.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return []
    customers_lock(customer_ids=ids)
    policy = FinancePolicy.objects.filter(company_id=company_id).first()
    if policy is None or policy.allocation_order != AllocationOrder.NAMED_FIRST:
        named = {}
    made: list[Settlement] = []
    paid: list[tuple[OpenItem, date]] = []
    for items in open_items_of(customer_ids=ids).values():
        settled = _settle(items, named)
        made.extend(settled)
        paid.extend(_invoices_paid(items, settled))
    ids = rows_insert_ids(
        model=Allocation,
        fields=("company_id", "credit_id", "debit_id", "amount", "created_at"),
        rows=[(company_id, m.credit_id, m.debit_id, m.amount, now) for m in made],
    )
    for settlement, pk in zip(made, ids, strict=True):
        settlement.allocation_id = pk
    _paid_events_record(company_id, paid, now)
    if made:
        from kilowatt.finance.interest import interest_charges_record

        interest_charges_record(company_id=company_id, settlements=made, now=now, fresh=True)
    return made


def ledger_allocate(*, customer: Customer, now: datetime, named: Mapping[int, Iterable[str]] = {}) -> int:
    """Allocate one customer's open credits (see ``ledger_allocate_many``); returns allocations made."""
    return len(
        ledger_allocate_many(company_id=customer.company_id, customer_ids=[customer.pk], now=now, named=named)
    )


def credits_allocate(*, customer_ids: list[int], now: datetime) -> int:
    """After new debts are posted: customers among these who hold unallocated credit have it settle them."""
    holding: set[int] = set()
    company_ids: dict[int, int] = {}
    for start in range(0, len(customer_ids), CHUNK):
        rows = (
            LedgerEntry.objects.filter(customer_id__any_of=customer_ids[start : start + CHUNK], amount__lt=0)
            .annotate(used=Sum("allocations_made__amount"))
            .filter(Q(used__isnull=True) | Q(used__lt=-F("amount") - HALF_GROSZ))
            .values_list("customer_id", "company_id")
            .distinct()
        )
        for customer_id, company_id in rows:
            holding.add(customer_id)
            company_ids[customer_id] = company_id
    by_company: dict[int, list[int]] = defaultdict(list)
    for customer_id in holding:
        by_company[company_ids[customer_id]].append(customer_id)
    return sum(
        len(ledger_allocate_many(company_id=company_id, customer_ids=ids, now=now))
        for company_id, ids in by_company.items()
    )


def allocations_undo(*, entry: LedgerEntry, now: datetime) -> list[Allocation]:
    """Undo every standing allocation of an entry with negative allocations (a returned payment, a reversed
    fee): what they settled is open again. Returns the undoing rows."""
    standing = Allocation.objects.filter(
        Q(credit=entry) | Q(debit=entry), amount__gt=0, reversed_by__isnull=True
    )
    undo = [
        Allocation(
            company_id=a.company_id,
            credit_id=a.credit_id,
            debit_id=a.debit_id,
            amount=-a.amount,
            reverses=a,
            created_at=now,
        )
        for a in standing
    ]
    rows_insert(model=Allocation, objects=undo)
    return undo
