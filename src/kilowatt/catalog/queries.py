"""Reads of products, price lists and rates."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from django.db.models import Q, QuerySet

from kilowatt.catalog.models import (
    DayType,
    DistributionTariff,
    NationalRate,
    PriceList,
    Product,
    TimeZoneSchedule,
)
from kilowatt.core.business_days import is_business_day
from kilowatt.core.clock import WARSAW
from kilowatt.core.models import Company

CET_ALL_YEAR = timezone(timedelta(hours=1), "CET")


def valid_on(on_date: date) -> Q:
    return Q(valid_from__lte=on_date) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on_date))


def products_of_company(*, company: Company) -> QuerySet[Product]:
    return Product.objects.filter(company=company)


def price_lists_of_company(*, company: Company) -> QuerySet[PriceList]:
    return (
        PriceList.objects.filter(company=company)
        .select_related("product")
        .prefetch_related("components", "tariff_groups")
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


def time_zone_schedule_on(*, dso_id: int, tariff_group_id: int, on_date: date) -> TimeZoneSchedule | None:
    return (
        TimeZoneSchedule.objects.filter(valid_on(on_date), dso_id=dso_id, tariff_group_id=tariff_group_id)
        .prefetch_related("rules")
        .order_by("-valid_from")
        .first()
    )


def zone_at(*, schedule: TimeZoneSchedule, moment: datetime) -> str | None:
    """The zone a moment falls in, by Polish local time (or CET all year when the DSO keeps winter time)."""
    if moment.tzinfo is None:
        raise ValueError("zone_at needs a timezone-aware moment")
    local = moment.astimezone(CET_ALL_YEAR if schedule.winter_time_all_year else WARSAW)
    free_day = not is_business_day(local.date(), country="PL")
    day_type = DayType.FREE_DAY if free_day else DayType.WORKING_DAY
    for rule in schedule.rules.all():
        if rule.day_type not in (DayType.EVERY_DAY, day_type):
            continue
        if rule.months and local.month not in rule.months:
            continue
        if rule.start_hour <= local.hour < rule.end_hour:
            return rule.zone
    return None


def distribution_tariffs_listed() -> QuerySet[DistributionTariff]:
    return DistributionTariff.objects.select_related("dso", "tariff_group", "confirmed_by").prefetch_related(
        "rates"
    )


def national_rates_listed() -> QuerySet[NationalRate]:
    return NationalRate.objects.select_related("confirmed_by").order_by("kind", "band", "-valid_from")
