"""Invoices, balances and billing runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router, Schema

from kilowatt.billing.queries import (
    billing_run_of_company,
    billing_runs_of_company,
    invoice_of_company,
    invoices_of_company,
)
from kilowatt.billing.runs import billing_run_totals
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import NotFound, ValidationFailed
from kilowatt.core.permissions import RUN_BILLING, VIEW_BILLING
from kilowatt.documents.invoices import invoice_pdf_render
from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.queries import (
    customer_ageing,
    customer_balance,
    customer_credit_open,
    customer_open_debts,
)
from kilowatt.interfaces.api.common import Page, paginate, require
from kilowatt.interfaces.cli.billing import billing_runs_start_for_month, dispatcher
from kilowatt.parties.queries import customer_of_company

router = Router(tags=["billing"])


class InvoiceOut(Schema):
    id: int
    number: str
    kind: str
    customer_id: int
    contract_id: int
    supply_point_id: int | None
    period_start: date
    period_end: date
    issue_date: date
    due_date: date
    net: Decimal
    vat: Decimal
    gross: Decimal
    amount_due: Decimal
    consumption_kwh: Decimal
    estimated: bool
    corrects_id: int | None


class InvoiceDetailOut(InvoiceOut):
    document: dict


class InvoicePage(Page):
    items: list[InvoiceOut]


class InvoiceFilters(Schema):
    customer_id: int | None = None
    contract_id: int | None = None
    kind: str = ""
    issued_from: date | None = None
    issued_to: date | None = None
    page: int = 1
    page_size: int = 50


class OpenItemOut(Schema):
    document_number: str
    kind: str
    posted_on: date
    due_date: date | None
    amount: Decimal
    open: Decimal
    days_late: int


class AgeingOut(Schema):
    bucket: str
    amount: Decimal


class BalanceOut(Schema):
    customer_id: int
    balance: Decimal
    overdue: Decimal
    credit: Decimal
    currency: str = "PLN"
    bank_account: str
    ageing: list[AgeingOut]
    open_items: list[OpenItemOut]


class RunIn(Schema):
    month: date
    issue_date: date


class RunOut(Schema):
    id: int
    period_start: date
    period_end: date
    issue_date: date
    status: str
    batches: int
    totals: dict[str, dict[str, Decimal | int]]

    @staticmethod
    def resolve_totals(obj) -> dict:
        return billing_run_totals(run=obj)


class RunPage(Page):
    items: list[RunOut]


@router.get("/invoices", response=InvoicePage, summary="List invoices (newest first)")
def list_invoices(request: HttpRequest, filters: Query[InvoiceFilters]):
    require(request, VIEW_BILLING)
    queryset = (
        invoices_of_company(company=request.actor.company).defer("document").order_by("-issue_date", "-id")
    )
    for name in ("customer_id", "contract_id", "kind"):
        if getattr(filters, name):
            queryset = queryset.filter(**{name: getattr(filters, name)})
    if filters.issued_from:
        queryset = queryset.filter(issue_date__gte=filters.issued_from)
    if filters.issued_to:
        queryset = queryset.filter(issue_date__lt=filters.issued_to)
    items, page = paginate(queryset, page=filters.page, page_size=filters.page_size)
    return {**page, "items": items}


def _invoice(request: HttpRequest, invoice_id: int):
    invoice = invoice_of_company(company=request.actor.company, invoice_id=invoice_id)
    if invoice is None:
        raise NotFound("Invoice not found.")
    return invoice


@router.get("/invoices/{invoice_id}", response=InvoiceDetailOut, summary="Read an invoice with its document")
def read_invoice(request: HttpRequest, invoice_id: int):
    require(request, VIEW_BILLING)
    return _invoice(request, invoice_id)


@router.get("/invoices/{invoice_id}/pdf", summary="The invoice as PDF", response={200: None})
def invoice_pdf(request: HttpRequest, invoice_id: int):
    require(request, VIEW_BILLING)
    invoice = _invoice(request, invoice_id)
    response = HttpResponse(invoice_pdf_render(document=invoice.document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number.replace("/", "-")}.pdf"'
    return response


@router.get(
    "/customers/{customer_id}/balance",
    response=BalanceOut,
    summary="A customer's ledger balance, overdue amount, ageing and open items",
)
def read_balance(request: HttpRequest, customer_id: int):
    require(request, VIEW_BILLING)
    customer = customer_of_company(company=request.actor.company, customer_id=customer_id)
    if customer is None:
        raise NotFound("Customer not found.")
    today = system_clock.today()
    debts = customer_open_debts(customer=customer, on_date=today)
    return {
        "customer_id": customer.pk,
        "balance": customer_balance(customer=customer),
        "overdue": sum((d.open for d in debts if d.days_late > 0), Decimal("0.00")),
        "credit": customer_credit_open(customer=customer),
        "bank_account": virtual_account_for(company=request.actor.company, customer_id=customer.pk),
        "ageing": [
            {"bucket": bucket, "amount": amount}
            for bucket, amount in customer_ageing(customer=customer, on_date=today, debts=debts)
        ],
        "open_items": [
            {
                "document_number": d.entry.document_number,
                "kind": d.entry.kind,
                "posted_on": d.entry.posted_on,
                "due_date": d.entry.due_date,
                "amount": d.entry.amount,
                "open": d.open,
                "days_late": d.days_late,
            }
            for d in debts
        ],
    }


@router.get("/billing-runs", response=RunPage, summary="List billing runs")
def list_runs(request: HttpRequest, page: int = 1, page_size: int = 50):
    require(request, VIEW_BILLING)
    items, meta = paginate(
        billing_runs_of_company(company=request.actor.company), page=page, page_size=page_size
    )
    return {**meta, "items": items}


@router.get("/billing-runs/{run_id}", response=RunOut, summary="Read a billing run with its totals")
def read_run(request: HttpRequest, run_id: int):
    require(request, VIEW_BILLING)
    run = billing_run_of_company(company=request.actor.company, run_id=run_id)
    if run is None:
        raise NotFound("Billing run not found.")
    return run


@router.post("/billing-runs", response={201: RunOut}, summary="Start or resume the billing run of a month")
def start_run(request: HttpRequest, payload: RunIn):
    """Idempotent by nature: a month has one run per company; posting it again resumes it."""
    require(request, RUN_BILLING)
    if payload.issue_date < payload.month.replace(day=1):
        raise ValidationFailed.single("issue_date", "Invoices of a month cannot be issued before it begins.")
    [run] = billing_runs_start_for_month(
        month=payload.month,
        issue_date=payload.issue_date,
        companies=[request.actor.company],
        dispatch=dispatcher(),
        actor=request.actor.user,
    )
    run.refresh_from_db()
    return JsonResponse(RunOut.model_validate(run).model_dump(mode="json"), status=201)
