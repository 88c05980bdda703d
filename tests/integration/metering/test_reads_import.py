from datetime import date

import pytest

from kilowatt.metering.imports import meter_reads_import
from kilowatt.metering.models import MeterRead
from kilowatt.network.operations import meter_mount_new
from tests import factories


@pytest.fixture
def point(company, now):
    point = factories.supply_point(company, factories.customer(company, now), now)
    meter_mount_new(
        supply_point=point, serial_number="M9", installed_on=date(2025, 1, 1), actor=None, now=now
    )
    return point


def csv(point, *rows):
    header = "supply_point_code;meter_serial;register_code;read_on;value"
    return "\n".join([header, *(f"{point.code};{r}" for r in rows)]).encode()


@pytest.mark.django_db
def test_reads_file_imports_once_and_reports_bad_rows(company, now, point):
    content = csv(
        point,
        "M9;1.8.0;2026-01-01;1000",
        "M9;1.8.0;2026-02-01;1210",
        "M9;1.8.9;2026-02-01;5",
        "M9;1.8.0;01.03.2026;1300",
        "M9;1.8.0;2026-03-01;abc",
    )
    result = meter_reads_import(company=company, file_name="reads.csv", content=content, actor=None, now=now)
    assert result.batch.rows_created == 2
    assert {(e["row"], e["column"]) for e in result.errors} == {
        (4, "register_code"),
        (5, "read_on"),
        (6, "value"),
    }
    assert MeterRead.objects.get(read_on=date(2026, 2, 1)).consumption == 210
    again = meter_reads_import(company=company, file_name="reads.csv", content=content, actor=None, now=now)
    assert again.already_imported and MeterRead.objects.count() == 2
    other_file = meter_reads_import(
        company=company,
        file_name="b.csv",
        content=csv(point, "M9;1.8.0;2026-02-01;1210", "M9;1.8.0;2026-03-01;1400"),
        actor=None,
        now=now,
    )
    assert (other_file.batch.rows_created, other_file.batch.rows_unchanged) == (1, 1)


@pytest.mark.django_db
def test_reads_of_another_company_are_refused(company, other_company, now, point):
    result = meter_reads_import(
        company=other_company,
        file_name="r.csv",
        content=csv(point, "M9;1.8.0;2026-01-01;1000"),
        actor=None,
        now=now,
    )
    assert result.errors[0]["column"] == "supply_point_code" and MeterRead.objects.count() == 0
