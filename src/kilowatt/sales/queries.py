"""Reads of contracts and leads."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from kilowatt.core.models import Company
from kilowatt.sales.models import Contract, ContractDocument, Lead


def contracts_of_company(*, company: Company) -> QuerySet[Contract]:
    return Contract.objects.filter(company=company).select_related("customer", "product", "price_list")


def contract_of_company(*, company: Company, contract_id: int) -> Contract | None:
    return (
        contracts_of_company(company=company)
        .prefetch_related("supply_point_links__supply_point")
        .filter(pk=contract_id)
        .first()
    )


def contracts_of_customer(*, customer) -> QuerySet[Contract]:
    return (
        Contract.objects.filter(customer=customer)
        .select_related("product", "price_list")
        .prefetch_related(
            "supply_point_links__supply_point",
            Prefetch(
                "documents", queryset=ContractDocument.objects.defer("content").order_by("created_at", "id")
            ),
        )
    )


def contracts_search(*, company: Company, text: str, limit: int = 20) -> list[Contract]:
    text = (text or "").strip().upper()
    if len(text) < 3:
        return []
    contracts = contracts_of_company(company=company)
    return list(contracts.filter(number=text)[:limit]) or list(
        contracts.filter(number__startswith=text).order_by("number")[:limit]
    )


def leads_of_company(*, company: Company, status: str = "") -> QuerySet[Lead]:
    leads = Lead.objects.filter(company=company)
    return leads.filter(status=status) if status else leads
