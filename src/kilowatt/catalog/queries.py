"""Reads of products, price lists and rates."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from kilowatt.catalog.models import DistributionTariff, NationalRate, PriceList, Product
from kilowatt.core.models import Company


def valid_on(on_date: date) -> Q:
    return Q(valid_from__lte=on_date) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on_date))


def products_of_company(*, company: Company) -> QuerySet[Product]:
    return Product.objects.filter(company=company)


def price_lists_of_company(*, company: Company) -> QuerySet[PriceList]:
    return PriceList.objects.filter(company=company).select_related("product").prefetch_related(
        "components", "tariff_groups"
    )


def distribution_tariff_on(*, dso_id: int, tariff_group_id: int, on_date: date) -> DistributionTariff | None:
    return (
        DistributionTariff.objects.filter(valid_on(on_date), dso_id=dso_id, tariff_group_id=tariff_group_id)
        .prefetch_related("rates")
        .order_by("-valid_from")
        .first()
    )


def national_rates_on(*, country: str, commodity: str, on_date: date) -> QuerySet[NationalRate]:
    return NationalRate.objects.filter(valid_on(on_date), country=country, commodity=commodity)
