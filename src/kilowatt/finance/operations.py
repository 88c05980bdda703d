"""Postings to the customer ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from kilowatt.core.bulk import rows_insert
from kilowatt.core.models import Company
from kilowatt.finance.models import LedgerEntry


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


def ledger_post_many(*, company: Company, postings: list[Posting], now: datetime) -> list[LedgerEntry]:
    """Append postings in the caller's transaction (one statement for many documents).

    The database refuses a second posting of the same document, so a retried batch cannot post twice.
    """
    entries = [
        LedgerEntry(
            company=company,
            customer_id=p.customer_id,
            kind=p.kind,
            document_type=p.document_type,
            document_id=p.document_id,
            document_number=p.document_number,
            amount=p.amount,
            posted_on=p.posted_on,
            due_date=p.due_date,
            created_at=now,
        )
        for p in postings
    ]
    rows_insert(model=LedgerEntry, objects=entries)
    return entries
