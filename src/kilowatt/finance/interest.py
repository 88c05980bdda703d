"""Late-payment interest: charged per debt settled after its due date, issued on interest notes.

Interest runs from the day after the due date up to and including the day the payment was posted, at the
statutory rate in force on each of those days (the table is dated; a rate change mid-way splits the
count), on a 365-day year. Consumers owe the statutory interest for late payment, businesses the
interest in commercial transactions and, where the company charges it, a flat recovery compensation
once per debt. Interest below the company's minimum is not charged yet: it waits and adds up.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from kilowatt.core.bulk import chunks, rows_copy, rows_insert
from kilowatt.core.models import Company
from kilowatt.core.money import ZERO, money_round
from kilowatt.core.numbering import number_series_take
from kilowatt.finance.allocation import INTEREST_BEARING, Settlement, credits_allocate, customers_lock
from kilowatt.finance.correspondence import letter_parties
from kilowatt.finance.models import (
    FinancePolicy,
    InterestCharge,
    InterestMode,
    InterestNote,
    InterestRateKind,
    LedgerEntryKind,
    StatutoryInterestRate,
)
from kilowatt.finance.operations import Posting, ledger_post_many
from kilowatt.parties.models import Customer, CustomerKind

DAYS_IN_YEAR = Decimal(365)
NOTE_PAYMENT_DAYS = 14
# Flat recovery compensation in commercial transactions (EUR by the debt's amount in PLN): 40 EUR up to and
# including 5,000 PLN, 70 EUR above that and below 50,000 PLN, 100 EUR from 50,000 PLN.
COMPENSATION_BANDS_EUR = ((Decimal("5000"), Decimal(40)), (Decimal("50000"), Decimal(70)))
COMPENSATION_TOP_EUR = Decimal(100)


class RateTable:
    """The dated statutory rates of one kind: the rate in force on any day."""

    def __init__(self, rows: Sequence[tuple[date, Decimal]]) -> None:
        self._starts = [start for start, _ in rows]
        self._rates = [rate for _, rate in rows]

    def segments(self, first: date, last: date) -> list[tuple[int, Decimal]]:
        """(days, rate) pieces covering the days from ``first`` to ``last`` inclusive."""
        pieces: list[tuple[int, Decimal]] = []
        day = first
        while day <= last:
            index = bisect_right(self._starts, day) - 1
            rate = self._rates[index] if index >= 0 else ZERO
            following = self._starts[index + 1] if index + 1 < len(self._starts) else None
            end = min(last, following - timedelta(days=1)) if following else last
            pieces.append(((end - day).days + 1, rate))
            day = end + timedelta(days=1)
        return pieces


def rate_tables(*, country: str) -> dict[str, RateTable]:
    rows: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for kind, valid_from, rate in StatutoryInterestRate.objects.filter(country=country).values_list(
        "kind", "valid_from", "rate"
    ):
        rows[kind].append((valid_from, rate))
    return {kind: RateTable(sorted(values)) for kind, values in rows.items()}


def interest_for(*, principal: Decimal, due_date: date, paid_on: date, table: RateTable) -> Decimal:
    """Interest on ``principal`` paid on ``paid_on`` for a debt due on ``due_date``, rounded once."""
    if paid_on <= due_date:
        return ZERO
    total = sum(
        (principal * rate * days for days, rate in table.segments(due_date + timedelta(days=1), paid_on)),
        Decimal(0),
    )
    return money_round(total / Decimal(100) / DAYS_IN_YEAR)


def recovery_compensation(*, debt: Decimal, eur_rate: Decimal) -> Decimal:
    (first_limit, first), (top_limit, middle) = COMPENSATION_BANDS_EUR
    euros = first if debt <= first_limit else middle if debt < top_limit else COMPENSATION_TOP_EUR
    return money_round(euros * eur_rate)


CHARGE_FIELDS = (
    "company_id",
    "customer_id",
    "allocation_id",
    "debit_id",
    "kind",
    "principal",
    "due_date",
    "paid_on",
    "days",
    "amount",
    "compensation",
)


def interest_charges_record(
    *, company_id: int, settlements: Iterable[Settlement], now: datetime, fresh: bool = False
) -> int:
    """Record the interest of every late settlement among these (in the caller's transaction); issue the
    notes at once when the company charges interest immediately. Returns the charges recorded."""
    late = [
        s
        for s in settlements
        # Only money paid late bears interest: a correction or a write-off cancels a debt, it does not pay it.
        if s.debit_kind in INTEREST_BEARING
        and s.credit_kind in (LedgerEntryKind.PAYMENT, LedgerEntryKind.TRANSFER)
        and s.debit_due is not None
        and s.credit_posted_on > s.debit_due
    ]
    if not fresh:  # allocations made just now have no charge yet; others may: computing again charges nothing
        charged: set[int] = set()
        for chunk in chunks([s.allocation_id for s in late]):
            charged.update(
                InterestCharge.objects.filter(allocation_id__any_of=chunk).values_list(
                    "allocation_id", flat=True
                )
            )
        late = [s for s in late if s.allocation_id not in charged]
    if not late:
        return 0
    policy = FinancePolicy.objects.filter(company_id=company_id).first() or FinancePolicy(
        company_id=company_id
    )
    if policy.interest_mode == InterestMode.NONE:
        return 0
    company = Company.objects.get(pk=company_id)
    tables = rate_tables(country=company.country or "PL")
    kinds: dict[int, str] = {}
    for chunk in chunks(sorted({s.customer_id for s in late})):
        kinds.update(Customer.objects.filter(pk__any_of=chunk).values_list("pk", "kind"))
    compensated: set[int] = set()
    if policy.recovery_compensation:
        businesses = {c for c, kind in kinds.items() if kind == CustomerKind.BUSINESS}
        for chunk in chunks(sorted({s.debit_id for s in late if s.customer_id in businesses})):
            compensated.update(
                InterestCharge.objects.filter(debit_id__any_of=chunk, compensation__gt=0)
                .exclude(note__isnull=True, allocation__reversed_by__isnull=False)
                .values_list("debit_id", flat=True)
            )
    charges = []
    for settlement in late:
        business = kinds[settlement.customer_id] == CustomerKind.BUSINESS
        kind = InterestRateKind.COMMERCIAL if business else InterestRateKind.CONSUMER
        table = tables.get(kind)
        if table is None:
            continue
        due, paid_on = settlement.debit_due, settlement.credit_posted_on
        assert due is not None
        amount = interest_for(principal=settlement.amount, due_date=due, paid_on=paid_on, table=table)
        compensation = ZERO
        debit_id = settlement.debit_id
        if business and policy.recovery_compensation and debit_id not in compensated:
            compensation = recovery_compensation(debt=settlement.debit_amount, eur_rate=policy.eur_rate)
            compensated.add(debit_id)
        if amount == 0 and compensation == 0:
            continue
        charges.append(
            (
                company_id,
                settlement.customer_id,
                settlement.allocation_id,
                debit_id,
                kind,
                settlement.amount,
                due,
                paid_on,
                (paid_on - due).days,
                amount,
                compensation,
            )
        )
    rows_copy(model=InterestCharge, fields=CHARGE_FIELDS, rows=charges)
    if charges and policy.interest_mode == InterestMode.IMMEDIATE:
        interest_notes_issue(
            company=company,
            on_date=timezone.localdate(now),
            now=now,
            customer_ids=sorted({c[1] for c in charges}),
        )
    return len(charges)


def interest_notes_issue(
    *, company: Company, on_date: date, now: datetime, customer_ids: Sequence[int] | None = None
) -> list[InterestNote]:
    """Issue a note per customer for the interest charged and not yet noted, when it reaches the company's
    minimum (a recovery compensation is always charged). Post the notes to the ledger. Must run in the
    caller's transaction (numbers are gap-free)."""
    policy = FinancePolicy.objects.filter(company=company).first() or FinancePolicy(company=company)
    # A charge whose payment was undone (returned by the bank) is not charged: the debt is open again and
    # bears interest up to the payment that settles it.
    waiting = InterestCharge.objects.filter(
        company=company, note__isnull=True, allocation__reversed_by__isnull=True
    )
    if customer_ids is not None:
        waiting = waiting.filter(customer_id__any_of=list(customer_ids))
    # The customers first, in id order (as allocation locks them), then their waiting charges: two runs at
    # once (the button and the monthly job) never note the same charges twice, and never deadlock.
    customers_lock(customer_ids=list(waiting.values_list("customer_id", flat=True).distinct()))
    charges: dict[int, list[tuple[int, Decimal, Decimal]]] = defaultdict(list)
    for pk, customer_id, amount, compensation in (
        waiting.select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", "customer_id", "amount", "compensation")
    ):
        charges[customer_id].append((pk, amount, compensation))
    totals = [
        {
            "customer_id": customer_id,
            "interest": sum((c[1] for c in rows), ZERO),
            "compensation": sum((c[2] for c in rows), ZERO),
            "charge_ids": [c[0] for c in rows],
        }
        for customer_id, rows in sorted(charges.items())
    ]
    due = [t for t in totals if t["interest"] >= policy.interest_minimum or t["compensation"] > 0]
    if not due:
        return []
    numbers = number_series_take(
        company=company, document_type="interest_note", year=on_date.year, count=len(due)
    )
    notes = [
        InterestNote(
            company=company,
            customer_id=t["customer_id"],
            number=number,
            issued_on=on_date,
            due_date=on_date + timedelta(days=NOTE_PAYMENT_DAYS),
            interest=t["interest"],
            compensation=t["compensation"],
            amount=t["interest"] + t["compensation"],
            created_at=now,
        )
        for t, number in zip(due, numbers, strict=True)
    ]
    rows_insert(model=InterestNote, objects=notes)
    for note, total in zip(notes, due, strict=True):
        InterestCharge.objects.filter(pk__any_of=total["charge_ids"]).update(note=note)
    ledger_post_many(
        company=company,
        postings=[
            Posting(
                customer_id=note.customer_id,
                kind=LedgerEntryKind.INTEREST,
                document_type="interest_note",
                document_id=note.pk,
                document_number=note.number,
                amount=note.amount,
                posted_on=on_date,
                due_date=note.due_date,
            )
            for note in notes
        ],
        now=now,
    )
    credits_allocate(customer_ids=[note.customer_id for note in notes], now=now)
    return notes


def interest_notes_with_invoices(
    *, company: Company, customer_ids: Sequence[int], on_date: date, now: datetime
) -> list[InterestNote]:
    """For a company whose policy adds interest to the next invoice: the notes of these customers, issued
    with their invoices (in the invoices' transaction)."""
    policy = FinancePolicy.objects.filter(company=company).first()
    if policy is None or policy.interest_mode != InterestMode.NEXT_INVOICE:
        return []
    return interest_notes_issue(company=company, on_date=on_date, now=now, customer_ids=customer_ids)


def interest_note_letter(*, note: InterestNote) -> dict:
    """The note as a letter document (kilowatt.letter/1) for printing: each late payment with its days
    and interest; the recovery compensation as the note's fee."""
    charges = note.charges.select_related("debit").order_by("paid_on", "pk")
    return {
        "kind": "interest_note",
        "number": note.number,
        "issued_on": note.issued_on.isoformat(),
        **letter_parties(company=note.company, customer=note.customer),
        "items": [
            {
                "document_number": charge.debit.document_number,
                "due_date": charge.due_date.isoformat(),
                "amount": str(charge.principal),
                "open_amount": "0.00",
                "days_late": charge.days,
                "paid_on": charge.paid_on.isoformat(),
                "interest": str(charge.amount),
            }
            for charge in charges
        ],
        "totals": {"amount": "0.00", "interest": str(note.interest), "fee": str(note.compensation)},
        "deadline": note.due_date.isoformat(),
    }
