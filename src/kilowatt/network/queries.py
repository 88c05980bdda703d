"""Reads of supply points and meters."""

from __future__ import annotations

import re

from django.db.models import Prefetch, QuerySet

from kilowatt.core.models import Company
from kilowatt.network.models import Meter, MeterInstallation, SupplyPoint


def supply_points_of_company(*, company: Company) -> QuerySet[SupplyPoint]:
    return SupplyPoint.objects.filter(company=company).select_related(
        "customer", "dso", "tariff_group", "address"
    )


def supply_point_of_company(*, company: Company, supply_point_id: int) -> SupplyPoint | None:
    return supply_points_of_company(company=company).filter(pk=supply_point_id).first()


def supply_points_of_customer(*, customer) -> QuerySet[SupplyPoint]:
    installations = MeterInstallation.objects.filter(removed_on__isnull=True).select_related("meter")
    return (
        SupplyPoint.objects.filter(customer=customer)
        .select_related("dso", "tariff_group", "address")
        .prefetch_related(
            Prefetch("meter_installations", queryset=installations, to_attr="current_installations")
        )
    )


def supply_points_search(*, company: Company, text: str, limit: int = 20) -> list[SupplyPoint]:
    """Supply points by code (full or a leading part of 6+ digits) or legacy code."""
    compact = re.sub(r"[\s-]", "", text or "").upper()
    if len(compact) < 6:
        return []
    points = supply_points_of_company(company=company)
    exact = list(points.filter(code=compact)[:limit]) or list(points.filter(legacy_code=compact)[:limit])
    return exact or list(points.filter(code__startswith=compact).order_by("code")[:limit])


def meters_of_company(*, company: Company) -> QuerySet[Meter]:
    return Meter.objects.filter(company=company).prefetch_related("registers")


def meter_of_company(*, company: Company, meter_id: int) -> Meter | None:
    return meters_of_company(company=company).filter(pk=meter_id).first()
