from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kilowatt.catalog.models import NationalRate
from kilowatt.catalog.queries import distribution_tariff_on, national_rates_on, time_zone_schedule_on, zone_at
from kilowatt.network.models import Dso, TariffGroup

WARSAW = ZoneInfo("Europe/Warsaw")


def ids(dso: str, group: str) -> dict:
    return {"dso_id": Dso.objects.get(code=dso).pk, "tariff_group_id": TariffGroup.objects.get(code=group).pk}


@pytest.mark.django_db
def test_pge_g11_2026_tariff_is_loaded_and_dated():
    tariff = distribution_tariff_on(**ids("pge-dystrybucja", "G11"), on_date=date(2026, 6, 1))
    rates = {(r.component, r.zone, r.variant): r.price for r in tariff.rates.all()}
    assert rates[("variable_network", "all", "")] == Decimal("0.3469")
    assert rates[("fixed_network", "", "3f")] == Decimal("9.98")
    assert tariff.needs_confirmation
    assert distribution_tariff_on(**ids("pge-dystrybucja", "G11"), on_date=date(2027, 6, 1)) is None


@pytest.mark.django_db
def test_capacity_fee_changes_with_the_year():
    def fee(day):
        return (
            national_rates_on(country="PL", commodity="electricity", on_date=day)
            .get(kind="capacity_household", band="capacity-1200-2800")
            .price
        )

    assert fee(date(2025, 12, 31)) == Decimal("11.44")
    assert fee(date(2026, 1, 1)) == Decimal("17.18")
    assert NationalRate.objects.filter(is_reference_data=True, confirmed_at__isnull=True).count() >= 15


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("group", "moment", "zone"),
    [
        ("G12", datetime(2026, 3, 10, 13, 30), "offpeak"),
        ("G12", datetime(2026, 3, 10, 10, 0), "peak"),
        ("G12", datetime(2026, 3, 10, 23, 0), "offpeak"),
        ("G12w", datetime(2026, 3, 14, 10, 0), "offpeak"),  # Saturday
        ("G12w", datetime(2026, 11, 11, 10, 0), "offpeak"),  # Independence Day, a Wednesday
        ("G12w", datetime(2026, 11, 12, 10, 0), "peak"),
        ("G12", datetime(2026, 3, 29, 5, 30), "offpeak"),  # the spring DST change day
    ],
)
def test_zone_of_a_moment(group, moment, zone):
    schedule = time_zone_schedule_on(**ids("tauron-dystrybucja", group), on_date=moment.date())
    assert zone_at(schedule=schedule, moment=moment.replace(tzinfo=WARSAW)) == zone


@pytest.mark.django_db
def test_winter_time_all_year_shifts_summer_hours():
    schedule = time_zone_schedule_on(**ids("pge-dystrybucja", "G12"), on_date=date(2026, 7, 1))
    moment = datetime(2026, 7, 1, 6, 30, tzinfo=WARSAW)  # 05:30 CET
    assert zone_at(schedule=schedule, moment=moment) == "peak"
    schedule.winter_time_all_year = True
    assert zone_at(schedule=schedule, moment=moment) == "offpeak"
