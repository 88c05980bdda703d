"""Correction invoices: the same period rated again from today's data, issued as before → after.

The correction carries every line of the state it corrects with its sign reversed ("before") and every
line of the new rating ("after"), so its totals are the difference; VAT is the difference per rate. It
names the corrected invoice, the reason, and resolves the correction flags raised on it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kilowatt.billing.document import invoice_document
from kilowatt.billing.inputs import BillTarget, PreparedBill, bills_prepare
from kilowatt.billing.models import CorrectionFlag, Invoice, InvoiceKind, InvoiceLine
from kilowatt.billing.operations import RatedBill, due_date_for, invoice_reads_store
from kilowatt.billing.runs import forecast_deductions
from kilowatt.catalog.rating import Rating, rate, settle
from kilowatt.core.clock import WARSAW
from kilowatt.core.errors import DomainError
from kilowatt.core.models import OutboxEvent
from kilowatt.core.money import ZERO
from kilowatt.core.numbering import number_series_next
from kilowatt.core.periods import Period
from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.models import LedgerEntry, LedgerEntryKind

CORRECTION_SERIES = "correction"
SIDE_LABELS = {"before": gettext_lazy("before correction"), "after": gettext_lazy("after correction")}


class CorrectionRefused(DomainError):
    code = "correction_refused"


@dataclass(frozen=True)
class _Difference:
    before_lines: list[InvoiceLine]
    before_totals: dict[str, str]
    before_kwh: Decimal
    vat_rows: list[tuple[Decimal, Decimal, Decimal]]
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    def totals(self) -> dict[str, str]:
        return {"net": str(self.net), "vat": str(self.vat), "gross": str(self.gross)}


@transaction.atomic
def invoice_correct(*, invoice: Invoice, reason: str, issue_date: date, now: datetime) -> Invoice:
    """Issue the correction of a periodic or settlement invoice. Raises CorrectionRefused."""
    invoice = Invoice.objects.select_for_update().select_related("company", "contract").get(pk=invoice.pk)
    if invoice.kind not in (InvoiceKind.PERIODIC, InvoiceKind.SETTLEMENT):
        raise CorrectionRefused(_("Only a periodic or settlement invoice is corrected this way."))
    if not reason.strip():
        raise CorrectionRefused(_("Give the reason for the correction."), field="reason")
    bill, after = _rerated(invoice, now)
    difference = _difference(invoice, after)
    if (
        difference.net == 0
        and difference.vat == 0
        and [(line.component, line.zone, line.quantity) for line in difference.before_lines]
        == [(line.component, line.zone, line.quantity) for line in after.lines]
    ):
        raise CorrectionRefused(_("Rated again from today's data, the invoice comes out the same."))
    company, contract = invoice.company, bill.contract
    number = number_series_next(company=company, document_type=CORRECTION_SERIES, year=issue_date.year)
    due = due_date_for(issue_date=issue_date, payment_term_days=contract.payment_term_days)
    document = _correction_document(invoice, bill, after, difference, number, reason.strip(), issue_date, due)
    correction = Invoice.objects.create(
        company=company,
        number=number,
        kind=InvoiceKind.CORRECTION,
        customer_id=invoice.customer_id,
        contract=contract,
        supply_point=invoice.supply_point,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        issue_date=issue_date,
        due_date=due,
        net=difference.net,
        vat=difference.vat,
        gross=difference.gross,
        amount_due=difference.gross,
        consumption_kwh=after.kwh - difference.before_kwh,
        estimated=any(r.start.estimated or r.end.estimated for r in bill.registers),
        corrects=invoice,
        correction_reason=reason.strip()[:300],
        document=document,
        issued_at=now,
    )
    _correction_store(correction, bill, after, now)
    CorrectionFlag.objects.filter(invoice=invoice, resolved_by__isnull=True).update(resolved_by=correction)
    return correction


def _rerated(invoice: Invoice, now: datetime) -> tuple[PreparedBill, Rating]:
    [bill] = bills_prepare(
        targets=[
            BillTarget(invoice.contract_id, Period(invoice.period_start, invoice.period_end), invoice.kind)
        ],
        today=now.astimezone(WARSAW).date(),
    )
    if bill.request is None or bill.blocked:
        raise CorrectionRefused("; ".join(f.message for f in bill.findings if f.blocks))
    after = rate(bill.request)
    if after.problems:
        raise CorrectionRefused(_("The period cannot be rated again: a price or tariff is missing."))
    if invoice.kind == InvoiceKind.SETTLEMENT:
        period = (invoice.period_start, invoice.period_end)
        deductions = forecast_deductions(periods={invoice.contract_id: period}).get(invoice.contract_id, [])
        after = settle(after, deductions, period=bill.period)
    return bill, after


def _difference(invoice: Invoice, after: Rating) -> _Difference:
    """What the correction changes: the state in force (the invoice, or its latest correction's "after")
    against the new rating. VAT before is taken from the issued documents, never recomputed."""
    corrections = list(invoice.corrections.order_by("issued_at", "id"))
    if not corrections:
        lines = list(invoice.lines.all())
        totals = {key: invoice.document["totals"][key] for key in ("net", "vat", "gross")}
    else:
        lines = [line for line in corrections[-1].lines.all() if line.trace.get("side") == "after"]
        totals = _totals_after(corrections[-1])
    before: dict[Decimal, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for document in [invoice.document, *(c.document for c in corrections)]:
        for row in document["vat"]:
            before[Decimal(row["rate"])][0] += Decimal(row["net"])
            before[Decimal(row["rate"])][1] += Decimal(row["vat"])
    vat_rows = [
        (rate_, after.vat.get(rate_, (ZERO, ZERO))[0] - net, after.vat.get(rate_, (ZERO, ZERO))[1] - vat)
        for rate_, (net, vat) in (
            (r, tuple(before.get(r, [ZERO, ZERO]))) for r in sorted(set(before) | set(after.vat))
        )
    ]
    return _Difference(
        before_lines=lines,
        before_totals=totals,
        before_kwh=invoice.consumption_kwh + sum((c.consumption_kwh for c in corrections), Decimal("0.000")),
        vat_rows=vat_rows,
        net=sum((row[1] for row in vat_rows), ZERO),
        vat=sum((row[2] for row in vat_rows), ZERO),
    )


def _correction_document(
    invoice: Invoice,
    bill: PreparedBill,
    after: Rating,
    difference: _Difference,
    number: str,
    reason: str,
    issue_date: date,
    due: date,
) -> dict[str, Any]:
    contract = bill.contract
    language = contract.customer.language or "pl"
    document = invoice_document(
        bill=bill,
        rating=after,
        number=number,
        kind=InvoiceKind.CORRECTION,
        issue_date=issue_date,
        due_date=due,
        bank_account=virtual_account_for(company=invoice.company, customer_id=contract.customer_id),
        language=language,
        history=invoice.document.get("consumption_history", []),
        amount_due=difference.gross,
    )
    with translation.override(language):
        document["lines"] = [
            *(_printed(line, "before", negate=True) for line in difference.before_lines),
            *(
                {
                    **printed,
                    "description": f"{printed['description']} ({SIDE_LABELS['after']})",
                    "trace": {**printed["trace"], "side": "after"},
                }
                for printed in document["lines"]
            ),
        ]
    document["vat"] = [
        {"rate": str(rate_), "net": str(net), "vat": str(vat), "gross": str(net + vat)}
        for rate_, net, vat in difference.vat_rows
    ]
    document["totals"] = difference.totals()
    document["corrected_invoice"] = {
        "number": invoice.number,
        "issue_date": invoice.issue_date.isoformat(),
        "ksef_number": None,
        "reason": reason,
        "before": difference.before_totals,
        "difference": difference.totals(),
    }
    return document


def _correction_store(correction: Invoice, bill: PreparedBill, rating: Rating, now: datetime) -> None:
    """Lines, reads used, the ledger posting and the event of a correction just created."""
    _store_lines(correction, correction.document["lines"])
    # Its reads (estimates stored as such): the next bill continues from where the correction ends.
    invoice_reads_store(correction.company, [correction], [RatedBill(bill, rating)], now)
    LedgerEntry.objects.create(
        company=correction.company,
        customer_id=correction.customer_id,
        kind=LedgerEntryKind.CORRECTION,
        document_type="invoice",
        document_id=correction.pk,
        document_number=correction.number,
        amount=correction.amount_due,
        posted_on=correction.issue_date,
        due_date=correction.due_date,
        created_at=now,
    )
    OutboxEvent.objects.create(
        company=correction.company,
        name="billing.invoice.corrected-v1",
        occurred_at=now,
        payload={
            "invoice_id": correction.pk,
            "number": correction.number,
            "corrects_id": correction.corrects_id,
            "gross": str(correction.gross),
        },
    )


def _printed(line: InvoiceLine, side: str, *, negate: bool) -> dict[str, Any]:
    sign = -1 if negate else 1
    return {
        "group": line.group,
        "component": line.component,
        "description": f"{line.description} ({SIDE_LABELS[side]})",
        "zone": line.zone,
        "period_start": line.period_start.isoformat(),
        "period_end": line.period_end.isoformat(),
        "quantity": str(sign * line.quantity),
        "unit": line.unit,
        "unit_price": str(line.unit_price),
        "net": str(sign * line.net),
        "vat_rate": str(line.vat_rate),
        "trace": {**line.trace, "side": side},
    }


def _totals_after(correction: Invoice) -> dict[str, str]:
    corrected = correction.document["corrected_invoice"]
    return {
        key: str(Decimal(corrected["before"][key]) + Decimal(corrected["difference"][key]))
        for key in ("net", "vat", "gross")
    }


def _store_lines(correction: Invoice, lines: list[dict[str, Any]]) -> None:
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=correction,
            position=position,
            group=line["group"],
            component=line["component"],
            description=line["description"][:200],
            zone=line["zone"],
            period_start=line["period_start"],
            period_end=line["period_end"],
            quantity=Decimal(line["quantity"]),
            unit=line["unit"],
            unit_price=Decimal(line["unit_price"]),
            net=Decimal(line["net"]),
            vat_rate=Decimal(line["vat_rate"]),
            trace=line["trace"],
        )
        for position, line in enumerate(lines, start=1)
    )
