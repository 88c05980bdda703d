from datetime import date
from decimal import Decimal

import pytest

from kilowatt.core.errors import ValidationFailed
from kilowatt.network.models import Dso, MeterInstallation, SupplyPoint, TariffGroup
from kilowatt.network.operations import (
    RegisterData,
    meter_create,
    meter_install,
    meter_remove,
    supply_point_update,
)
from kilowatt.network.queries import supply_points_search
from tests import factories


@pytest.mark.django_db
def test_supply_point_gets_its_capacity_fee_band(company, now):
    customer = factories.customer(company, now)
    point = factories.supply_point(company, customer, now, annual_consumption_kwh="2200")
    assert point.consumption_band == "capacity-1200-2800"
    data = factories.supply_point_data(code=point.code, annual_consumption_kwh="450")
    assert (
        supply_point_update(supply_point=point, data=data, actor=None, now=now).consumption_band
        == "capacity-lt500"
    )


@pytest.mark.django_db
def test_gas_point_gets_its_w_group_band(company, now):
    customer = factories.customer(company, now)
    point = factories.supply_point(
        company,
        customer,
        now,
        code=factories.ppg_code(),
        commodity="gas",
        dso_id=Dso.objects.get(code="psg").pk,
        tariff_group_id=TariffGroup.objects.get(code="W-2.1").pk,
        annual_consumption_kwh=Decimal("9000"),
    )
    assert point.consumption_band == "gas-W2"


@pytest.mark.django_db
def test_bad_code_wrong_dso_and_code_in_use_are_refused_with_the_field(company, now):
    customer = factories.customer(company, now)
    good = factories.supply_point(company, customer, now)
    bad_check = good.code[:-1] + str((int(good.code[-1]) + 1) % 10)
    cases = {
        bad_check: "check digit",
        factories.ppe_code("5903224"): "does not belong",
        good.code: "already in use",
    }
    for code, message in cases.items():
        with pytest.raises(ValidationFailed) as caught:
            factories.supply_point(company, customer, now, code=code)
        assert caught.value.field == "code" and message in caught.value.message
    assert SupplyPoint.objects.count() == 1


@pytest.mark.django_db
def test_tariff_group_must_match_commodity_and_numbers_must_be_numbers(company, now):
    customer = factories.customer(company, now)
    with pytest.raises(ValidationFailed) as caught:
        factories.supply_point(
            company,
            customer,
            now,
            tariff_group_id=TariffGroup.objects.get(code="W-1.1").pk,
            annual_consumption_kwh="abc",
            phases=2,
        )
    assert {e.field for e in caught.value.errors} == {"tariff_group_id", "annual_consumption_kwh", "phases"}


@pytest.mark.django_db
def test_meter_install_history(company, now):
    customer = factories.customer(company, now)
    point = factories.supply_point(company, customer, now)
    registers = [RegisterData(code="1.8.1", zone="peak"), RegisterData(code="1.8.2", zone="offpeak")]
    old = meter_create(
        company=company, serial_number="A1", commodity="electricity", registers=registers, actor=None, now=now
    )
    new = meter_create(
        company=company, serial_number="B2", commodity="electricity", registers=registers, actor=None, now=now
    )
    meter_install(meter=old, supply_point=point, installed_on=date(2020, 1, 1), actor=None, now=now)
    with pytest.raises(ValidationFailed):
        meter_install(meter=new, supply_point=point, installed_on=date(2019, 1, 1), actor=None, now=now)
    meter_install(meter=new, supply_point=point, installed_on=date(2026, 2, 1), actor=None, now=now)
    history = list(MeterInstallation.objects.filter(supply_point=point).order_by("installed_on"))
    assert [(i.meter.serial_number, i.removed_on) for i in history] == [
        ("A1", date(2026, 2, 1)),
        ("B2", None),
    ]
    meter_remove(installation=history[1], removed_on=date(2026, 5, 1), actor=None, now=now)
    with pytest.raises(ValidationFailed):
        meter_create(
            company=company,
            serial_number="A1",
            commodity="electricity",
            registers=registers,
            actor=None,
            now=now,
        )


@pytest.mark.django_db
def test_supply_point_search_by_code_and_prefix_within_company(company, other_company, now):
    point = factories.supply_point(company, factories.customer(company, now), now)
    assert supply_points_search(company=company, text=point.code) == [point]
    assert point in supply_points_search(company=company, text=point.code[:12])
    assert supply_points_search(company=other_company, text=point.code) == []
