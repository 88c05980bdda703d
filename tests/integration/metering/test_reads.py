from datetime import date
from decimal import Decimal

import pytest

from kilowatt.core.errors import ValidationFailed
from kilowatt.metering.models import MeterRead, ValidationRule
from kilowatt.metering.operations import meter_read_record
from kilowatt.network.operations import meter_mount_new
from tests import factories


@pytest.fixture
def point_with_meter(company, now):
    point = factories.supply_point(
        company, factories.customer(company, now), now, annual_consumption_kwh="3650"
    )
    installation = meter_mount_new(
        supply_point=point, serial_number="M1", installed_on=date(2025, 1, 1), actor=None, now=now
    )
    return point, installation.meter.registers.get()


def record(company, now, point, register, day, value, **extra):
    return meter_read_record(
        company=company,
        supply_point=point,
        register=register,
        read_on=day,
        value=value,
        kind=extra.pop("kind", "actual"),
        source="dso",
        actor=None,
        now=now,
        **extra,
    )


@pytest.mark.django_db
def test_a_plausible_read_passes_and_gets_its_consumption(company, now, point_with_meter):
    point, register = point_with_meter
    record(company, now, point, register, date(2026, 1, 1), "1000")
    read, findings = record(company, now, point, register, date(2026, 3, 1), "1590")
    assert findings == [] and read.consumption == Decimal("590.000") and read.highest_severity == ""


@pytest.mark.django_db
def test_lower_read_is_an_error_and_a_nearly_full_dial_is_a_rollover(company, now, point_with_meter):
    point, register = point_with_meter
    record(company, now, point, register, date(2026, 1, 1), "1000")
    read, findings = record(company, now, point, register, date(2026, 2, 1), "900")
    assert [f.rule_code for f in findings] == ["negative_consumption"] and read.highest_severity == "error"
    record(company, now, point, register, date(2026, 3, 1), "999950")
    read, findings = record(company, now, point, register, date(2026, 3, 20), "30")
    assert read.consumption == Decimal("80.000") and [f.rule_code for f in findings] == ["meter_rollover"]


@pytest.mark.django_db
def test_implausible_dated_before_and_not_installed(company, now, point_with_meter):
    point, register = point_with_meter
    record(company, now, point, register, date(2026, 1, 1), "1000")
    _, findings = record(company, now, point, register, date(2026, 1, 11), "1500")  # 500 kWh in 10 days
    assert "implausible_consumption" in {f.rule_code for f in findings}
    _, findings = record(company, now, point, register, date(2025, 12, 1), "1600")
    assert "read_before_last" in {f.rule_code for f in findings}
    _, findings = record(company, now, point, register, date(2024, 6, 1), "1700")
    assert "meter_not_installed" in {f.rule_code for f in findings}


@pytest.mark.django_db
def test_rules_are_data_per_company(company, now, point_with_meter):
    point, register = point_with_meter
    ValidationRule.objects.create(company=company, code="negative_consumption", severity="warning")
    record(company, now, point, register, date(2026, 1, 1), "1000")
    read, findings = record(company, now, point, register, date(2026, 2, 1), "900")
    assert read.highest_severity == "warning" and [f.rule_code for f in findings] == ["negative_consumption"]


@pytest.mark.django_db
def test_same_external_id_is_stored_once_and_bad_input_is_refused(
    company, other_company, now, point_with_meter
):
    point, register = point_with_meter
    first, _ = record(company, now, point, register, date(2026, 1, 1), "1000", external_id="dso-1")
    again, _ = record(company, now, point, register, date(2026, 1, 1), "1000", external_id="dso-1")
    assert first == again and MeterRead.objects.count() == 1
    with pytest.raises(ValidationFailed) as caught:
        record(company, now, point, register, date(2026, 1, 2), "-5")
    assert caught.value.field == "value"
    with pytest.raises(ValidationFailed) as caught:
        record(other_company, now, point, register, date(2026, 1, 2), "5")
    assert caught.value.field == "register_id" and MeterRead.objects.count() == 1


@pytest.mark.django_db
def test_consumption_far_above_the_meters_own_last_year_is_a_warning(company, now, point_with_meter):
    point, register = point_with_meter
    record(company, now, point, register, date(2025, 3, 1), "1000")
    record(company, now, point, register, date(2026, 1, 1), "1306")  # about 1 kWh a day
    _, findings = record(company, now, point, register, date(2026, 2, 1), "1500")  # 194 kWh in 31 days
    history = [f for f in findings if f.rule_code == "implausible_against_history"]
    assert history and history[0].severity == "warning" and "last year" in history[0].message


@pytest.mark.django_db
def test_a_register_of_a_zone_the_tariff_lacks_is_an_error(company, now, point_with_meter):
    from kilowatt.network.models import MeterRegister

    point, register = point_with_meter
    peak = MeterRegister.objects.create(meter=register.meter, code="1.8.1", zone="peak")
    _, findings = record(company, now, point, peak, date(2026, 1, 1), "10")
    assert [f.rule_code for f in findings if f.severity == "error"] == ["missing_zone"]
