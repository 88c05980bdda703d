"""What one night (or one approval) does, gathered and then written in bulk: the events, notices,
fees and DSO orders of the steps taken, and the cases changed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import F, Q, Sum

from kilowatt.collections.models import (
    CaseEventKind,
    DunningActionKind,
    DunningCase,
    DunningEvent,
    DunningStep,
    GridOrder,
    Notice,
    NoticeKind,
    OrderKind,
)
from kilowatt.collections.notices import channel_for, notice_write
from kilowatt.core.bulk import rows_insert, rows_update
from kilowatt.core.models import Company
from kilowatt.core.money import HALF_GROSZ, ZERO, money_round
from kilowatt.core.numbering import number_series_take
from kilowatt.finance.allocation import credits_allocate
from kilowatt.finance.models import LedgerEntry, LedgerEntryKind
from kilowatt.finance.operations import Posting, ledger_post_many
from kilowatt.network.models import SupplyPoint

CHUNK = 5000

NOTICE_OF = {
    DunningActionKind.REMINDER: NoticeKind.REMINDER,
    DunningActionKind.DEMAND_LETTER: NoticeKind.DEMAND_LETTER,
    DunningActionKind.DISCONNECTION_NOTICE: NoticeKind.DISCONNECTION_NOTICE,
}


@dataclass
class NightWork:
    company: Company
    on_date: date
    now: datetime
    events: list[DunningEvent] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    fees: list[tuple[DunningCase, DunningStep]] = field(default_factory=list)
    orders: list[GridOrder] = field(default_factory=list)
    changed: dict[int, DunningCase] = field(default_factory=dict)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (
                "overdue",
                "opened",
                "closed",
                "blocked",
                "unblocked",
                "steps",
                "awaiting",
                "due_soon",
                "plans_broken",
            ),
            0,
        )
    )

    def event(self, case: DunningCase, kind: str, text: str = "", step=None, amount=None) -> None:
        self.events.append(
            DunningEvent(
                case=case,
                kind=kind,
                on_date=self.on_date,
                step=step,
                text=text[:500],
                amount=amount,
                created_at=self.now,
            )
        )


def next_step(case: DunningCase, steps: list[DunningStep]) -> DunningStep | None:
    position = case.step.position if case.step_id and case.step else -1
    return next((s for s in steps if s.position > position), None)


def step_take(
    *, work: NightWork, case: DunningCase, step: DunningStep, amount: Decimal, oldest_due: date
) -> None:
    """Take a step: its notice, fee or order are added to the work written at the end."""
    case.step, case.step_on, case.awaiting_approval = step, work.on_date, False
    work.changed[case.pk] = case
    work.event(case, CaseEventKind.STEP, step.name, step=step, amount=amount)
    work.counts["steps"] += 1
    kind = NOTICE_OF.get(step.action)
    if kind is not None:
        channel = channel_for(customer=case.customer, wanted=step.channel)
        if kind == NoticeKind.DISCONNECTION_NOTICE:
            channel = "letter"  # the law asks for a written notice
        notice = notice_write(
            company=work.company,
            customer=case.customer,
            kind=kind,
            channel=channel,
            amount=amount,
            due=oldest_due,
            on_date=work.on_date,
        )
        notice.case = case
        work.notices.append(notice)
    if step.fee > 0:
        work.fees.append((case, step))
    if step.action == DunningActionKind.DISCONNECTION_ORDER:
        for point_id in SupplyPoint.objects.filter(customer_id=case.customer_id).values_list("pk", flat=True):
            work.orders.append(
                GridOrder(
                    company=work.company,
                    case=case,
                    supply_point_id=point_id,
                    kind=OrderKind.DISCONNECTION,
                    ordered_on=work.on_date,
                )
            )


def _notice_items(work: NightWork) -> None:
    """Fill the letters of the night's notices with the debts they are about, read in bulk."""
    wanted = sorted({n.customer_id for n in work.notices if n.entry_id is None})
    debts: dict[int, list[dict]] = defaultdict(list)
    for start in range(0, len(wanted), CHUNK):
        rows = (
            LedgerEntry.objects.filter(
                customer_id__any_of=wanted[start : start + CHUNK], amount__gt=0, due_date__lt=work.on_date
            )
            .annotate(paid=Sum("allocations_received__amount"))
            .filter(Q(paid__isnull=True) | Q(paid__lt=F("amount") - HALF_GROSZ))
            .order_by("due_date", "pk")
            .values_list("customer_id", "document_number", "posted_on", "due_date", "amount", "paid")
        )
        for customer_id, number, posted_on, due_date, amount, paid in rows:
            debts[customer_id].append(
                {
                    "document_number": number,
                    "issued_on": posted_on.isoformat(),
                    "due_date": due_date.isoformat(),
                    "amount": str(amount),
                    "open_amount": str(money_round(amount - (paid or ZERO))),
                    "days_late": (work.on_date - due_date).days,
                }
            )
    for notice in work.notices:
        if notice.entry_id is None:
            items = debts.get(notice.customer_id, [])
            total = sum((Decimal(i["open_amount"]) for i in items), ZERO)
            notice.letter = {**notice.letter, "items": items, "totals": {"amount": str(total)}}


CASE_FIELDS = (
    "status",
    "step_id",
    "step_on",
    "awaiting_approval",
    "closed_on",
    "close_reason",
    "hold_reason",
    "overdue_at_last_run",
)


def work_write(work: NightWork) -> None:
    _notice_items(work)
    if work.fees:
        _fees_post(work)
    rows_insert(model=DunningEvent, objects=work.events)
    rows_insert(model=Notice, objects=work.notices)
    rows_insert(model=GridOrder, objects=work.orders)
    if work.orders:
        from kilowatt.collections.grid import grid_orders_send

        grid_orders_send(orders=work.orders)
    rows_update(
        model=DunningCase,
        fields=CASE_FIELDS,
        rows=[(case.pk, *(getattr(case, name) for name in CASE_FIELDS)) for case in work.changed.values()],
    )


def _fees_post(work: NightWork) -> None:
    numbers = number_series_take(
        company=work.company, document_type="dunning_fee", year=work.on_date.year, count=len(work.fees)
    )
    postings = []
    for (case, step), number in zip(work.fees, numbers, strict=True):
        posting = Posting(
            customer_id=case.customer_id,
            kind=LedgerEntryKind.FEE,
            document_type="dunning_step",
            document_id=_fee_document_id(case, step),
            document_number=number,
            amount=step.fee,
            posted_on=work.on_date,
            due_date=work.on_date + timedelta(days=14),
        )
        postings.append(posting)
    ledger_post_many(company=work.company, postings=postings, now=work.now)
    credits_allocate(customer_ids=[case.customer_id for case, _step in work.fees], now=work.now)


def _fee_document_id(case: DunningCase, step: DunningStep) -> int:
    """One fee per case and step: the ledger refuses a second posting of the same document."""
    return case.pk * 1000 + step.position
