"""Reads of billing: runs, their items, invoices."""

from __future__ import annotations

from django.db.models import QuerySet

from kilowatt.billing.models import BillingRun, BillingRunItem, CorrectionFlag, Invoice
from kilowatt.core.models import Company
from kilowatt.parties.models import Customer


def billing_runs_of_company(*, company: Company) -> QuerySet[BillingRun]:
    return BillingRun.objects.filter(company=company).select_related("started_by")


def billing_run_of_company(*, company: Company, run_id: int) -> BillingRun | None:
    return billing_runs_of_company(company=company).filter(pk=run_id).first()


def billing_run_items(*, run: BillingRun, status: str = "") -> QuerySet[BillingRunItem]:
    items = (
        BillingRunItem.objects.filter(run=run)
        .select_related("contract__customer", "invoice")
        .prefetch_related("contract__supply_point_links__supply_point")
    )
    return items.filter(status=status) if status else items


def invoices_of_company(*, company: Company) -> QuerySet[Invoice]:
    return Invoice.objects.filter(company=company).select_related("customer", "contract", "supply_point")


def invoice_of_company(*, company: Company, invoice_id: int) -> Invoice | None:
    return invoices_of_company(company=company).filter(pk=invoice_id).first()


def correction_flags_of_invoice(*, invoice: Invoice) -> QuerySet[CorrectionFlag]:
    return invoice.correction_flags.select_related("resolved_by").order_by("-flagged_at")


def corrections_of_invoice(*, invoice: Invoice) -> QuerySet[Invoice]:
    return invoice.corrections.defer("document").order_by("issued_at")


def invoices_of_customer(*, customer: Customer) -> QuerySet[Invoice]:
    invoices = Invoice.objects.filter(customer=customer).select_related("supply_point").defer("document")
    return invoices.order_by("-issue_date", "-id")
