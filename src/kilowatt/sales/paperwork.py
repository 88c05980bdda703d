"""The documents of sales, frozen as plain dicts and printed by ``documents.agreements``: the offer,
the contract (and, for the life-cycle module, annexes and terminations), and the files kept for them."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kilowatt.catalog.models import PriceComponentKind, PriceList
from kilowatt.core.models import Company
from kilowatt.documents.agreements import agreement_pdf_render, offer_pdf_render
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Address, Customer
from kilowatt.sales.models import (
    Contract,
    ContractAnnex,
    ContractDocument,
    ContractKind,
    ContractTemplate,
    OfferVersion,
)

BASIS_LABELS = {
    "interval": gettext_lazy("measured interval data of the last 12 months"),
    "zones": gettext_lazy("consumption per zone from the customer's bill"),
    "annual": gettext_lazy("annual estimate split by the standard load profile"),
}


def _address_lines(address: Address | None) -> list[str]:
    if address is None:
        return []
    number = address.building_number + (f"/{address.apartment_number}" if address.apartment_number else "")
    street = f"{address.street} {number}" if address.street else f"{address.city} {number}"
    return [street, f"{address.postal_code} {address.city}"]


def company_party(company: Company) -> dict[str, Any]:
    lines = [line for line in (company.street, f"{company.postal_code} {company.city}".strip()) if line]
    return {"name": company.name, "address_lines": lines, "nip": company.nip}


def customer_party(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.display_name,
        "number": customer.number,
        "nip": customer.nip,
        "pesel": customer.pesel,
        "address_lines": _address_lines(customer.correspondence_address or customer.address),
    }


UNIT_LABELS = {"month": gettext_lazy("month"), "kWh": "kWh", "kW": "kW"}


def price_rows(price_list: PriceList, tariff_group_ids: set[int] | None = None) -> list[dict[str, Any]]:
    labels = dict(PriceComponentKind.choices)
    rows = []
    for component in price_list.components.all().order_by("kind", "zone"):
        if tariff_group_ids is not None and component.tariff_group_id not in (None, *tariff_group_ids):
            continue
        rows.append(
            {
                "label": str(labels.get(component.kind, component.kind)),
                "zone": component.zone,
                "unit": str(UNIT_LABELS.get(component.unit, component.unit)),
                "unit_price": component.unit_price,
            }
        )
    return rows


def _place(company: Company) -> str:
    return company.city or company.name


def offer_document(*, version: OfferVersion, issued_on: date) -> dict[str, Any]:
    """The offer version as the customer sees it."""
    offer = version.offer
    opportunity = offer.opportunity
    comparison = version.comparison
    template = offer.template
    with translation.override(offer.language):
        points = [
            {**row, "basis_label": str(BASIS_LABELS.get(row["basis"], row["basis"]))}
            for row in comparison.get("points", [])
        ]
        intro = template.intro_en if offer.language == "en" else template.intro_pl
        groups = {row["tariff_group_id"] for row in _point_groups(version)}
        prices = price_rows(version.price_list, groups)
    return {
        "number": offer.number,
        "version": version.version,
        "issued_on": issued_on,
        "place": _place(offer.company),
        "valid_until": version.valid_until,
        "company": company_party(offer.company),
        "customer": customer_party(opportunity.customer),
        "intro": intro,
        "product": template.product.name,
        "start_date": version.start_date,
        "end_date": version.end_date,
        "payment_term_days": version.payment_term_days,
        "billing_cycle_months": version.billing_cycle_months,
        "prices": prices,
        "year": [date.fromisoformat(d) for d in comparison["year"]],
        "distribution_included": comparison.get("distribution_included", False),
        "points": points,
        "offer_gross": version.offer_gross,
        "current": comparison.get("current"),
        "saving": version.saving,
        "saving_percent": version.saving_percent,
        "competitors": comparison.get("competitors", []),
    }


def _point_groups(version: OfferVersion) -> list[dict]:
    ids = [row["supply_point_id"] for row in version.comparison.get("points", [])]
    return list(SupplyPoint.objects.filter(pk__in=ids).values("tariff_group_id"))


def offer_pdf(*, version: OfferVersion, issued_on: date) -> bytes:
    return offer_pdf_render(
        offer=offer_document(version=version, issued_on=issued_on), language=version.offer.language
    )


def contract_document_data(*, contract: Contract, issued_on: date) -> dict[str, Any]:
    """What a contract's body template may use: company, customer, contract, signers, supply_points,
    prices, place, issued_on."""
    links = contract.supply_point_links.select_related("supply_point__address", "supply_point__tariff_group")
    points = [link.supply_point for link in links]
    return {
        "company": company_party(contract.company),
        "customer": customer_party(contract.customer),
        "contract": {
            "number": contract.number,
            "kind": contract.kind,
            "kind_label": str(ContractKind(contract.kind).label),
            "commodity": contract.product.commodity or (points[0].commodity if points else ""),
            "product": contract.product.name,
            "start_date": contract.start_date,
            "end_date": contract.end_date,
            "billing_cycle_months": contract.billing_cycle_months,
            "payment_term_days": contract.payment_term_days,
            "notice_period_days": contract.notice_period_days,
            "early_termination_fee": contract.early_termination_fee,
            "early_termination_fee_per_month": contract.early_termination_fee_per_month,
        },
        "signers": [{"name": s.name, "role": s.role} for s in contract.signers.all()],
        "supply_points": [
            {
                "code": p.code,
                "address": str(p.address),
                "tariff_group": p.tariff_group.code,
                "annual_kwh": p.annual_consumption_kwh,
            }
            for p in points
        ],
        "prices": price_rows(contract.price_list, {p.tariff_group_id for p in points}),
        "place": _place(contract.company),
        "issued_on": issued_on,
    }


def document_body(*, company: Company, kind: str, language: str) -> str | None:
    """The company's own wording of a document kind, or None for the wording shipped with Kilowatt."""
    row = ContractTemplate.objects.filter(company=company, kind=kind, language=language).first()
    return row.body if row else None


def document_store(
    *,
    contract: Contract,
    kind: str,
    file_name: str,
    content: bytes,
    actor: AbstractBaseUser | None,
    now: datetime,
    annex: ContractAnnex | None = None,
) -> ContractDocument:
    return ContractDocument.objects.create(
        contract=contract,
        annex=annex,
        kind=kind,
        file_name=file_name,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        created_at=now,
        created_by=actor,
    )


def file_name_of(number: str, suffix: str = "") -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in number)
    return f"{safe}{suffix}.pdf"


def contract_document_issue(
    *, contract: Contract, issued_on: date, actor: AbstractBaseUser | None, now: datetime
) -> ContractDocument:
    """Print the contract from the company's template (in the customer's language) and keep the file."""
    language = contract.customer.language if contract.customer.language in ("pl", "en") else "pl"
    with translation.override(language):
        title = _("Contract %(number)s") % {"number": contract.number}
        context = contract_document_data(contract=contract, issued_on=issued_on)
    pdf = agreement_pdf_render(
        kind="contract",
        language=language,
        body=document_body(company=contract.company, kind="contract", language=language),
        context=context,
        title=title,
        author=contract.company.name,
    )
    return document_store(
        contract=contract,
        kind="contract",
        file_name=file_name_of(contract.number),
        content=pdf,
        actor=actor,
        now=now,
    )
