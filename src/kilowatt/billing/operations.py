"""Issuing invoices: numbered, frozen, posted to the ledger and announced, all in one transaction.

A batch of invoices is issued in one transaction: its numbers are taken from the gap-free series
together, so a batch that dies before commit takes its numbers back with it and a batch that commits
has used every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from kilowatt.billing.document import invoice_document
from kilowatt.billing.inputs import PreparedBill
from kilowatt.billing.models import Invoice, InvoiceLine, InvoiceRead
from kilowatt.catalog.rating import Rating
from kilowatt.core.bulk import rows_copy, rows_insert
from kilowatt.core.business_days import next_business_day
from kilowatt.core.models import Company, OutboxEvent
from kilowatt.core.numbering import number_series_take
from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.allocation import credits_allocate
from kilowatt.finance.interest import interest_notes_with_invoices
from kilowatt.finance.models import LedgerEntryKind
from kilowatt.finance.operations import Posting, ledger_post_many
from kilowatt.metering.models import MeterRead, ReadKind

INVOICE_SERIES = "invoice"


@dataclass(frozen=True)
class RatedBill:
    bill: PreparedBill
    rating: Rating
    run_item_id: int | None = None


def due_date_for(*, issue_date: date, payment_term_days: int, country: str = "PL") -> date:
    """The payment term counted from the issue date, moved to the next business day."""
    return next_business_day(issue_date + timedelta(days=payment_term_days), country=country)


def invoices_issue(
    *, company: Company, rated: list[RatedBill], issue_date: date, now: datetime
) -> list[Invoice]:
    """Issue rated bills as invoices. Must run inside the caller's transaction (the batch's)."""
    if not rated:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoices_issue must run inside the batch's transaction")
    numbers = number_series_take(
        company=company, document_type=INVOICE_SERIES, year=issue_date.year, count=len(rated)
    )
    histories = _consumption_histories([r.bill.contract.pk for r in rated], issue_date)
    invoices = [
        _invoice_of(
            company=company,
            item=item,
            number=number,
            issue_date=issue_date,
            history=histories.get(item.bill.contract.pk, []),
            now=now,
        )
        for item, number in zip(rated, numbers, strict=True)
    ]
    rows_insert(model=Invoice, objects=invoices)
    _lines_store(invoices, rated)
    invoice_reads_store(company, invoices, rated, now)
    ledger_post_many(
        company=company,
        postings=[
            Posting(
                customer_id=invoice.customer_id,
                kind=LedgerEntryKind.INVOICE,
                document_type="invoice",
                document_id=invoice.pk,
                document_number=invoice.number,
                amount=invoice.amount_due,
                posted_on=issue_date,
                due_date=invoice.due_date,
            )
            for invoice in invoices
        ],
        now=now,
    )
    credits_allocate(customer_ids=[invoice.customer_id for invoice in invoices], now=now)
    interest_notes_with_invoices(
        company=company,
        customer_ids=[invoice.customer_id for invoice in invoices],
        on_date=issue_date,
        now=now,
    )
    rows_copy(
        model=OutboxEvent,
        fields=("company_id", "name", "payload", "occurred_at", "attempts", "last_error"),
        rows=[
            (
                company.pk,
                "billing.invoice.issued-v1",
                {
                    "invoice_id": invoice.pk,
                    "number": invoice.number,
                    "customer_id": invoice.customer_id,
                    "contract_id": invoice.contract_id,
                    "gross": str(invoice.gross),
                    "due_date": invoice.due_date.isoformat(),
                },
                now,
                0,
                "",
            )
            for invoice in invoices
        ],
    )
    return invoices


LINE_FIELDS = (
    "invoice_id", "position", "group", "component", "description", "zone", "period_start", "period_end",
    "quantity", "unit", "unit_price", "net", "vat_rate", "trace",
)  # fmt: skip


def _invoice_of(
    *,
    company: Company,
    item: RatedBill,
    number: str,
    issue_date: date,
    history: list[dict[str, str]],
    now: datetime,
) -> Invoice:
    """The unsaved invoice of one rated bill, with its frozen document."""
    bill, rating = item.bill, item.rating
    contract = bill.contract
    due = due_date_for(issue_date=issue_date, payment_term_days=contract.payment_term_days)
    document = invoice_document(
        bill=bill,
        rating=rating,
        number=number,
        kind=bill.kind,
        issue_date=issue_date,
        due_date=due,
        bank_account=virtual_account_for(company=company, customer_id=contract.customer_id),
        language=contract.customer.language or "pl",
        history=_with_this_bill(history, bill.period.start, rating.kwh),
    )
    assert bill.period.end is not None and bill.supply_point is not None
    return Invoice(
        company=company,
        number=number,
        kind=bill.kind,
        customer_id=contract.customer_id,
        contract=contract,
        supply_point=bill.supply_point,
        period_start=bill.period.start,
        period_end=bill.period.end,
        issue_date=issue_date,
        due_date=due,
        net=rating.net,
        vat=rating.vat_total,
        gross=rating.gross,
        amount_due=rating.gross,
        consumption_kwh=rating.kwh,
        estimated=any(r.start.estimated or r.end.estimated for r in bill.registers),
        run_item_id=item.run_item_id,
        document=document,
        issued_at=now,
    )


def _lines_store(invoices: list[Invoice], rated: list[RatedBill]) -> None:
    rows_copy(
        model=InvoiceLine,
        fields=LINE_FIELDS,
        rows=[
            (
                invoice.pk,
                position,
                line.group,
                line.component,
                printed["description"][:200],
                line.zone,
                line.period_start,
                line.period_end,
                line.quantity,
                line.unit,
                line.unit_price,
                line.net,
                line.vat_rate,
                printed["trace"],
            )  # fmt: skip
            for invoice, item in zip(invoices, rated, strict=True)
            for position, (line, printed) in enumerate(
                zip(item.rating.lines, invoice.document["lines"], strict=True), start=1
            )
        ],
    )


def invoice_reads_store(
    company: Company, invoices: list[Invoice], rated: list[RatedBill], now: datetime
) -> None:
    """Link the reads each invoice used; estimates made for it are stored as estimate reads first."""
    estimates: list[tuple[int, str, MeterRead]] = []
    links: list[tuple[int, int, str]] = []
    for index, (invoice, item) in enumerate(zip(invoices, rated, strict=True)):
        point = item.bill.supply_point
        assert point is not None
        for use in item.bill.registers:
            for role, read_point in (("start", use.start), ("end", use.end)):
                if read_point.read_id is not None:
                    links.append((invoice.pk, read_point.read_id, role))
                else:
                    estimates.append(
                        (
                            index,
                            role,
                            MeterRead(
                                company=company,
                                supply_point=point,
                                register_id=use.register_id,
                                read_on=read_point.day,
                                value=read_point.value,
                                kind=ReadKind.ESTIMATE,
                                source="billing",
                                created_at=now,
                            ),
                        )
                    )
    MeterRead.objects.bulk_create([read for _, _, read in estimates], batch_size=2000)
    links.extend((invoices[i].pk, read.pk, role) for i, role, read in estimates)
    rows_copy(model=InvoiceRead, fields=("invoice_id", "read_id", "role"), rows=links)


def _with_this_bill(history: list[dict[str, str]], start: date, kwh: Decimal) -> list[dict[str, str]]:
    """The chart ends with the invoice's own period."""
    month = start.strftime("%Y-%m")
    earlier = [entry for entry in history if entry["month"] != month]
    return [*earlier, {"month": month, "kwh": str(kwh)}][-12:]


def _consumption_histories(contract_ids: list[int], issue_date: date) -> dict[int, list[dict[str, str]]]:
    """Energy of the last 12 months billed per contract, for the chart on the invoice."""
    since = date(issue_date.year - 1, issue_date.month, 1)
    rows = (
        Invoice.objects.filter(
            contract_id__in=contract_ids, period_start__gte=since, kind__in=["periodic", "settlement"]
        )
        .annotate(month=TruncMonth("period_start"))
        .values("contract_id", "month")
        .annotate(kwh=Sum("consumption_kwh"))
        .order_by("contract_id", "month")
    )
    result: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        month = row["month"]
        label = month.strftime("%Y-%m") if hasattr(month, "strftime") else str(month)[:7]
        result.setdefault(row["contract_id"], []).append({"month": label, "kwh": str(row["kwh"])})
    return {k: v[-12:] for k, v in result.items()}
