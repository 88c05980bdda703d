"""Postings to the customer ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from kilowatt.core.bulk import rows_copy
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
