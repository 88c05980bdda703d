"""Postings to the customer ledger, and the corrections staff make: reversals, write-offs, transfers.

Nothing is edited: each correction is an adjustment (who, when, why) and the entries it posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from kilowatt.core.bulk import rows_copy
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company
from kilowatt.core.money import ZERO, is_money, money_round
from kilowatt.finance.allocation import allocations_undo, ledger_allocate_many
from kilowatt.finance.models import Adjustment, Allocation, LedgerEntry, LedgerEntryKind
from kilowatt.parties.models import Customer


@dataclass(frozen=True)
class Posting:
    customer_id: int
    kind: str
    document_type: str
    document_id: int
    document_number: str
    amount: Decimal
    posted_on: date
    due_date: date | None


def ledger_post_many(*, company: Company, postings: list[Posting], now: datetime) -> None:
    """Append postings in the caller's transaction (one statement for many documents).

    The database refuses a second posting of the same document, so a retried batch cannot post twice.
    """
    rows_copy(
        model=LedgerEntry,
        fields=(
            "company_id",
            "customer_id",
            "kind",
            "document_type",
            "document_id",
            "document_number",
            "amount",
            "posted_on",
            "due_date",
            "created_at",
        ),  # fmt: skip
        rows=[
            (
                company.pk,
                p.customer_id,
                p.kind,
                p.document_type,
                p.document_id,
                p.document_number,
                p.amount,
                p.posted_on,
                p.due_date,
                now,
            )  # fmt: skip
            for p in postings
        ],
    )


def _entry_locked(entry: LedgerEntry) -> LedgerEntry:
    Customer.objects.select_for_update().filter(pk=entry.customer_id).first()
    return LedgerEntry.objects.get(pk=entry.pk)


def _adjustment_post(adjustment: Adjustment, postings: list[Posting], now: datetime) -> list[LedgerEntry]:
    entries = [
        LedgerEntry(
            company_id=adjustment.company_id,
            customer_id=p.customer_id,
            kind=p.kind,
            document_type=p.document_type,
            document_id=adjustment.pk,
            document_number=p.document_number,
            amount=p.amount,
            posted_on=p.posted_on,
            due_date=p.due_date,
            created_at=now,
        )
        for p in postings
    ]
    LedgerEntry.objects.bulk_create(entries)
    return entries


@transaction.atomic
def ledger_entry_reverse(
    *, entry: LedgerEntry, reason: str, made_by: str, on_date: date, now: datetime
) -> LedgerEntry:
    """Undo a posting: its allocations are undone, an opposite entry is posted and settles it. The original
    stays in the ledger; a payment returned by the bank is reversed this way."""
    entry = _entry_locked(entry)
    if entry.kind == LedgerEntryKind.REVERSAL or hasattr(entry, "reversed_by"):
        raise ValidationFailed.single("entry", _("This entry is already reversed or is itself a reversal."))
    written_off = Allocation.objects.filter(
        debit=entry, credit__kind=LedgerEntryKind.WRITE_OFF, amount__gt=0, reversed_by__isnull=True
    )
    if written_off.exists():
        raise ValidationFailed.single(
            "entry", _("Part of this debt is written off: reverse the write-off first.")
        )
    if not reason.strip():
        raise ValidationFailed.single("reason", _("Say why the entry is reversed."))
    Adjustment.objects.create(
        company_id=entry.company_id,
        kind=Adjustment.Kind.REVERSAL,
        customer_id=entry.customer_id,
        entry=entry,
        amount=-entry.amount,
        reason=reason.strip()[:300],
        made_by=made_by,
        made_on=on_date,
        created_at=now,
    )
    allocations_undo(entry=entry, now=now)
    reversal = LedgerEntry.objects.create(
        company_id=entry.company_id,
        customer_id=entry.customer_id,
        kind=LedgerEntryKind.REVERSAL,
        document_type=entry.document_type,
        document_id=entry.document_id,
        document_number=entry.document_number,
        amount=-entry.amount,
        posted_on=on_date,
        due_date=on_date if entry.amount < 0 else None,
        reverses=entry,
        created_at=now,
    )
    debit, credit = (reversal, entry) if entry.amount < 0 else (entry, reversal)
    Allocation.objects.create(
        company_id=entry.company_id, credit=credit, debit=debit, amount=abs(entry.amount), created_at=now
    )
    ledger_allocate_many(company_id=entry.company_id, customer_ids=[entry.customer_id], now=now)
    return reversal


@transaction.atomic
def debt_write_off(
    *, entry: LedgerEntry, amount: Decimal, reason: str, made_by: str, on_date: date, now: datetime
) -> LedgerEntry:
    """Write off (part of) a debt that will not be collected: a credit posted and settling that debt."""
    entry = _entry_locked(entry)
    open_amount = entry.amount - money_round(  # SQLite sums decimals as floats: back to the grosz
        Allocation.objects.filter(debit=entry).aggregate(s=Sum("amount"))["s"] or ZERO
    )
    if entry.amount <= 0:
        raise ValidationFailed.single("entry", _("Only a debt is written off."))
    if not is_money(amount) or amount <= 0 or amount > open_amount:
        raise ValidationFailed.single(
            "amount", _("Write off more than 0 and at most the open %(open)s.") % {"open": open_amount}
        )
    if not reason.strip():
        raise ValidationFailed.single("reason", _("Say why the debt is written off."))
    adjustment = Adjustment.objects.create(
        company_id=entry.company_id,
        kind=Adjustment.Kind.WRITE_OFF,
        customer_id=entry.customer_id,
        entry=entry,
        amount=amount,
        reason=reason.strip()[:300],
        made_by=made_by,
        made_on=on_date,
        created_at=now,
    )
    (credit,) = _adjustment_post(
        adjustment,
        [
            Posting(
                entry.customer_id,
                LedgerEntryKind.WRITE_OFF,
                "write_off",
                0,
                entry.document_number,
                -amount,
                on_date,
                None,
            )
        ],
        now,
    )
    Allocation.objects.create(
        company_id=entry.company_id, credit=credit, debit=entry, amount=amount, created_at=now
    )
    return credit


@transaction.atomic
def credit_transfer(
    *,
    source: Customer,
    target: Customer,
    amount: Decimal,
    reason: str,
    made_by: str,
    on_date: date,
    now: datetime,
) -> tuple[LedgerEntry, LedgerEntry]:
    """Move credit (an overpayment) from one account of the company to another: a debit on the source,
    a credit on the target, both pointing at one adjustment."""
    if source.company_id != target.company_id or source.pk == target.pk:
        raise ValidationFailed.single("target", _("Choose another account of the same company."))
    if not reason.strip():
        raise ValidationFailed.single("reason", _("Say why the credit is transferred."))
    for customer_id in sorted((source.pk, target.pk)):
        Customer.objects.select_for_update().filter(pk=customer_id).first()
    balance = money_round(LedgerEntry.objects.filter(customer=source).aggregate(s=Sum("amount"))["s"] or ZERO)
    if not is_money(amount) or amount <= 0 or amount > -balance:
        raise ValidationFailed.single(
            "amount",
            _("Transfer more than 0 and at most the credit of %(credit)s.") % {"credit": max(-balance, ZERO)},
        )
    adjustment = Adjustment.objects.create(
        company_id=source.company_id,
        kind=Adjustment.Kind.TRANSFER,
        customer=source,
        counterpart=target,
        amount=amount,
        reason=reason.strip()[:300],
        made_by=made_by,
        made_on=on_date,
        created_at=now,
    )
    label = _("Transfer %(source)s → %(target)s") % {"source": source.number, "target": target.number}
    out, into = _adjustment_post(
        adjustment,
        [
            Posting(
                source.pk, LedgerEntryKind.TRANSFER, "transfer_out", 0, label[:40], amount, on_date, on_date
            ),
            Posting(
                target.pk, LedgerEntryKind.TRANSFER, "transfer_in", 0, label[:40], -amount, on_date, None
            ),
        ],
        now,
    )
    ledger_allocate_many(company_id=source.company_id, customer_ids=[source.pk, target.pk], now=now)
    return out, into
