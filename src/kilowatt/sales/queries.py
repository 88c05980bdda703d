"""Reads of contracts and leads."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from kilowatt.core.models import Company
from kilowatt.sales.models import (
    Campaign,
    Contract,
    ContractDocument,
    ContractStatus,
    ContractSupplyPoint,
    Lead,
    LeadStatus,
    Offer,
    OfferStatus,
)


def contracts_of_company(*, company: Company) -> QuerySet[Contract]:
    return Contract.objects.filter(company=company).select_related(
        "customer", "product", "price_list", "offer_version__offer", "opportunity"
    )


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


@dataclass(frozen=True)
class CampaignResults:
    """What a campaign brought: leads, conversions, offers, contracts, yearly volume and expected margin,
    and what each contract cost."""

    leads: int
    converted: int
    offers: int
    offers_accepted: int
    contracts_signed: int
    volume_mwh: Decimal
    expected_margin: Decimal
    cost: Decimal

    @property
    def conversion_percent(self) -> Decimal | None:
        return _percent(self.converted, self.leads)

    @property
    def cost_per_contract(self) -> Decimal | None:
        if not self.contracts_signed:
            return None
        return (self.cost / self.contracts_signed).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def profit(self) -> Decimal:
        return self.expected_margin - self.cost


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


SIGNED_STATUSES = (
    ContractStatus.SIGNED,
    ContractStatus.ACTIVE,
    ContractStatus.TERMINATED,
    ContractStatus.ENDED,
)


def campaign_results(*, campaign: Campaign) -> CampaignResults:
    """Counted over the campaign's leads and the opportunities, offers and contracts that came of them.
    Volume is the supply points' annual estimate; margin is volume × the price list's expected margin."""
    leads = Lead.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"), converted=Count("pk", filter=Q(status=LeadStatus.CONVERTED))
    )
    offers = Offer.objects.filter(opportunity__campaign=campaign).aggregate(
        total=Count("pk"), accepted=Count("pk", filter=Q(status=OfferStatus.ACCEPTED))
    )
    signed = Contract.objects.filter(opportunity__campaign=campaign, status__in=SIGNED_STATUSES)
    links = ContractSupplyPoint.objects.filter(contract__in=signed).values_list(
        "supply_point__annual_consumption_kwh", "contract__price_list__expected_margin_per_mwh"
    )
    volume = sum((kwh / 1000 for kwh, _margin in links), Decimal(0))
    margin = sum((kwh / 1000 * margin for kwh, margin in links), Decimal(0))
    return CampaignResults(
        leads=leads["total"],
        converted=leads["converted"],
        offers=offers["total"],
        offers_accepted=offers["accepted"],
        contracts_signed=signed.count(),
        volume_mwh=volume.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP),
        expected_margin=margin.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        cost=campaign.cost,
    )


def campaigns_with_counts(*, company: Company) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(company=company)
        .annotate(
            lead_count=Count("leads", distinct=True),
            converted_count=Count("leads", filter=Q(leads__status=LeadStatus.CONVERTED), distinct=True),
        )
        .order_by("-starts_on", "name")
    )
