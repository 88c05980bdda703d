"""Interval days: exact round trips on DST days, idempotent storage, corrections, bulk path, company
boundaries, and the DSO file import."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from kilowatt.core.periods import Period
from kilowatt.core.tabular import TableFileInvalid
from kilowatt.metering.interval_imports import interval_series_import
from kilowatt.metering.intervals import (
    IntervalDayInput,
    IntervalDayInvalid,
    interval_day_store,
    interval_days_store_bulk,
    interval_series,
    interval_starts_utc,
    interval_totals_by_day,
    interval_totals_by_month,
    intervals_in_day,
)
from kilowatt.metering.models import IntervalDay, ValidationRule
from kilowatt.network.models import Direction
from tests import factories

pytestmark = pytest.mark.django_db

SPRING, AUTUMN, NORMAL = date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 30)


@pytest.fixture
def point(company, now):
    return factories.supply_point(company, factories.customer(company, now), now)


@pytest.fixture
def rival_point(other_company, now):
    return factories.supply_point(other_company, factories.customer(other_company, now), now)


def day_values(day: date, resolution: int = 15, seed: int = 0) -> np.ndarray:
    count = intervals_in_day(day=day, resolution_minutes=resolution)
    return np.random.default_rng(seed + day.toordinal()).integers(0, 900, count, dtype=np.int64)


def store(company, point, day, values, now, **extra):
    return interval_day_store(
        company=company,
        supply_point=point,
        day=day,
        resolution_minutes=extra.pop("resolution_minutes", 15),
        direction=extra.pop("direction", Direction.IMPORT),
        values_wh=values,
        source="test",
        now=now,
        **extra,
    )


@pytest.mark.parametrize(("day", "count"), [(SPRING, 92), (AUTUMN, 100), (NORMAL, 96)])
def test_a_day_round_trips_exactly_with_its_dst_length(company, point, now, day, count):
    values = day_values(day)
    values[0] = 2**53 + 1  # beyond what a float holds exactly
    stored = store(company, point, day, values, now)
    assert stored.outcome == "created" and stored.interval_day.interval_count == count
    row = IntervalDay.objects.get()
    assert row.total_wh == int(values.sum()) and len(bytes(row.values)) == 8 * count
    starts, read = interval_series(
        company=company, supply_point=point, period=Period(day, day + timedelta(days=1))
    )
    assert read.dtype == np.int64 and read.tolist() == values.tolist()
    assert starts.tolist() == interval_starts_utc(day=day, resolution_minutes=15).tolist()


@pytest.mark.parametrize(("day", "count"), [(SPRING, 23), (AUTUMN, 25), (NORMAL, 24)])
def test_hourly_days_have_23_25_or_24_values(company, point, now, day, count):
    stored = store(company, point, day, [1000] * count, now, resolution_minutes=60)
    assert stored.interval_day.interval_count == count
    with pytest.raises(IntervalDayInvalid) as error:
        store(company, point, day, [1000] * (count + 1), now, resolution_minutes=60)
    assert day.isoformat() in error.value.message and str(count) in error.value.message


def test_a_normal_day_of_values_on_the_spring_day_is_refused_by_name(company, point, now):
    with pytest.raises(IntervalDayInvalid) as error:
        store(company, point, SPRING, [10] * 96, now)
    assert error.value.field == "values_wh" and error.value.code == "interval_count"
    assert error.value.message == ("2026-03-29 has 92 quarter-hours in Europe/Warsaw; 96 values were given.")
    assert not IntervalDay.objects.exists()


def test_negative_and_float_values_are_refused(company, point, now):
    values = [10] * 96
    values[5] = -1
    with pytest.raises(IntervalDayInvalid) as error:
        store(company, point, NORMAL, values, now)
    assert error.value.code == "interval_negative"
    with pytest.raises(IntervalDayInvalid) as error:
        store(company, point, NORMAL, [0.5] * 96, now)
    assert error.value.field == "values_wh"
    assert not IntervalDay.objects.exists()


def test_same_values_again_change_nothing_and_other_values_are_a_new_revision(company, point, now):
    values = day_values(AUTUMN)
    first = store(company, point, AUTUMN, values, now)
    again = store(company, point, AUTUMN, values.copy(), now + timedelta(hours=1))
    assert again.outcome == "unchanged" and again.interval_day.pk == first.interval_day.pk
    assert IntervalDay.objects.count() == 1
    corrected = values.copy()
    corrected[50] += 7
    second = store(company, point, AUTUMN, corrected, now, quality="A" * 50 + "E" + "A" * 49)
    assert second.outcome == "corrected" and second.interval_day.revision == 2
    assert second.interval_day.supersedes_id == first.interval_day.pk
    assert second.interval_day.estimated_count == 1
    assert IntervalDay.objects.count() == 2  # append-only: the first delivery is kept
    period = Period(AUTUMN, AUTUMN + timedelta(days=1))
    assert interval_series(company=company, supply_point=point, period=period).values_wh.tolist() == (
        corrected.tolist()
    )
    assert store(company, point, AUTUMN, corrected, now, quality="A" * 50 + "E" + "A" * 49).outcome == (
        "unchanged"
    )


def test_a_spike_is_stored_with_a_warning(company, point, now):
    values = np.full(96, 100, dtype=np.int64)
    values[40] = 9000
    stored = store(company, point, NORMAL, values, now)
    assert [f.rule_code for f in stored.findings] == ["interval_spike"]
    assert stored.interval_day.highest_severity == "warning"
    assert stored.interval_day.findings[0]["code"] == "interval_spike"
    ValidationRule.objects.create(company=company, code="interval_spike", severity="warning", is_active=False)
    assert store(company, point, NORMAL, values + 1, now).findings == []


def test_directions_and_resolutions_are_separate_series(company, point, now):
    store(company, point, NORMAL, [1] * 96, now)
    store(company, point, NORMAL, [2] * 96, now, direction=Direction.EXPORT)
    store(company, point, NORMAL, [3] * 24, now, resolution_minutes=60)
    period = Period(NORMAL, NORMAL + timedelta(days=1))
    exported = interval_series(company=company, supply_point=point, period=period, direction="export")
    assert exported.values_wh.sum() == 192
    hourly = interval_series(company=company, supply_point=point, period=period, resolution_minutes=60)
    assert hourly.values_wh.tolist() == [3] * 24


def test_series_and_totals_over_a_half_open_period(company, point, now):
    days = [date(2026, 3, 27) + timedelta(days=i) for i in range(8)]  # 27 Mar – 3 Apr, spring DST inside
    for day in days:
        store(company, point, day, day_values(day), now)
    period = Period(date(2026, 3, 28), date(2026, 4, 2))  # 28, 29, 30, 31 Mar, 1 Apr
    starts, values = interval_series(company=company, supply_point=point, period=period)
    assert len(values) == 96 + 92 + 96 + 96 + 96
    assert np.all(np.diff(starts).astype(int) == 900)  # contiguous in UTC across the DST change
    daily = interval_totals_by_day(company=company, supply_point=point, period=period)
    assert sorted(daily) == days[1:6] and sum(daily.values()) == int(values.sum())
    monthly = interval_totals_by_month(company=company, supply_point=point, period=period)
    assert monthly == {
        date(2026, 3, 1): sum(int(day_values(d).sum()) for d in days[1:5]),
        date(2026, 4, 1): int(day_values(days[5]).sum()),
    }


def test_a_company_cannot_store_or_read_another_companys_supply_point(
    company, other_company, point, rival_point, now
):
    with pytest.raises(IntervalDayInvalid) as error:
        store(company, rival_point, NORMAL, [1] * 96, now)
    assert error.value.field == "supply_point_id" and error.value.code == "not_found"
    store(other_company, rival_point, NORMAL, [5] * 96, now)
    period = Period(NORMAL, NORMAL + timedelta(days=1))
    assert interval_series(company=company, supply_point=rival_point, period=period).values_wh.size == 0
    assert interval_totals_by_day(company=company, supply_point=rival_point, period=period) == {}
    bulk = interval_days_store_bulk(
        company=company,
        days=[IntervalDayInput(rival_point.pk, NORMAL, 15, "import", [9] * 96)],
        source="test",
        now=now,
    )
    assert bulk.stored == 0 and bulk.failures[0][1][0].rule_code == "supply_point_unknown"
    assert list(IntervalDay.objects.values_list("company_id", flat=True)) == [other_company.pk]


def test_bulk_path_creates_skips_corrects_and_reports(company, point, now):
    second = factories.supply_point(company, factories.customer(company, now), now)
    days = [
        IntervalDayInput(p.pk, day, 15, "import", day_values(day, seed=p.pk))
        for p in (point, second)
        for day in (SPRING, NORMAL, AUTUMN)
    ]
    progress = []
    result = interval_days_store_bulk(
        company=company,
        days=days,
        source="test",
        now=now,
        chunk_size=4,
        progress=lambda *a: progress.append(a),
    )
    assert (result.created, result.unchanged, result.corrected, result.failures) == (6, 0, 0, [])
    assert progress == [(4, 6), (6, 6)]
    bad = day_values(NORMAL)
    bad[3] = -2
    changed = day_values(SPRING, seed=point.pk) + 1
    again = interval_days_store_bulk(
        company=company,
        days=[
            *days,
            IntervalDayInput(point.pk, SPRING, 15, "import", changed),
            IntervalDayInput(point.pk, date(2026, 5, 1), 15, "import", bad),
            IntervalDayInput(point.pk, SPRING, 15, "import", [1] * 96),
        ],
        source="test",
        now=now,
    )
    assert (again.created, again.unchanged, again.corrected) == (0, 6, 0)
    # the corrected spring day conflicts with the same day given earlier in the same call
    assert [(position, findings[0].rule_code) for position, findings in again.failures] == [
        (6, "interval_twice"),
        (7, "interval_negative"),
        (8, "interval_count"),
    ]
    fix = interval_days_store_bulk(
        company=company, days=[IntervalDayInput(point.pk, SPRING, 15, "import", changed)], source="t", now=now
    )
    assert fix.corrected == 1
    period = Period(SPRING, SPRING + timedelta(days=1))
    assert interval_series(company=company, supply_point=point, period=period).values_wh.tolist() == (
        changed.tolist()
    )
    assert IntervalDay.objects.filter(day=SPRING, supply_point=point).count() == 2


# --- file import --------------------------------------------------------------------------------


def timestamp_rows(code: str, day: date, values, resolution: int = 15) -> list[str]:
    starts = interval_starts_utc(day=day, resolution_minutes=resolution)
    rows = []
    for start, value in zip(starts, values, strict=True):
        instant = datetime.fromtimestamp(int(start.astype(int)), tz=UTC).astimezone(
            __import__("zoneinfo").ZoneInfo("Europe/Warsaw")
        )
        rows.append(f"{code};{instant.isoformat()};{value / 1000:.3f}")
    return rows


def test_a_file_with_timestamps_imports_dst_days_once(company, point, now):
    spring, autumn = day_values(SPRING), day_values(AUTUMN)
    lines = [
        "supply_point_code;timestamp;value_kwh",
        *timestamp_rows(point.code, SPRING, spring),
        *timestamp_rows(point.code, AUTUMN, autumn),
    ]
    content = "\n".join(lines).encode()
    progress = []
    result = interval_series_import(
        company=company,
        file_name="pomiary.csv",
        content=content,
        actor=None,
        now=now,
        chunk_rows=50,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert result.errors == [] and result.days_created == 2
    assert (result.batch.rows_total, result.batch.rows_created, result.batch.rows_failed) == (192, 192, 0)
    assert progress[0] == (50, 192) and progress[-1] == (192, 192) and len(progress) == 4
    whole = Period(SPRING, AUTUMN + timedelta(days=1))
    values = interval_series(company=company, supply_point=point, period=whole).values_wh
    assert values.tolist() == spring.tolist() + autumn.tolist()
    again = interval_series_import(company=company, file_name="p.csv", content=content, actor=None, now=now)
    assert again.already_imported and IntervalDay.objects.count() == 2
    reordered = "\n".join([lines[0], *reversed(lines[1:])]).encode()
    other = interval_series_import(company=company, file_name="r.csv", content=reordered, actor=None, now=now)
    assert (other.days_created, other.days_unchanged, other.batch.rows_unchanged) == (0, 2, 192)
    assert IntervalDay.objects.count() == 2


def test_a_file_with_day_and_interval_numbers_and_hourly_export(company, point, now):
    lines = ["supply_point_code;day;interval;value_kwh;direction;resolution_minutes;quality"]
    lines += [f"{point.code};2026-10-25;{i};0,5;export;60;{'E' if i == 3 else 'A'}" for i in range(1, 26)]
    result = interval_series_import(
        company=company, file_name="h.csv", content="\n".join(lines).encode(), actor=None, now=now
    )
    assert result.errors == [] and result.days_created == 1
    row = IntervalDay.objects.get()
    assert (row.direction, row.resolution_minutes, row.interval_count, row.total_wh) == (
        "export",
        60,
        25,
        12500,
    )
    assert row.estimated_count == 1 and bytes(row.quality)[2:3] == b"E"


def test_bad_rows_are_reported_by_row_and_column_and_good_days_kept(company, point, rival_point, now):
    good = [f"{point.code};2026-03-30;{i};0.1" for i in range(1, 97)]
    spring = [f"{point.code};2026-03-29;{i};0.2" for i in range(1, 93) if i != 9]
    lines = [
        "supply_point_code;day;interval;value_kwh",
        *good,  # rows 2–97
        f"{point.code};2026-03-29;93;0.1",  # row 98: the spring day has 92 quarter-hours
        f"{point.code};2026-03-30;5;0.1",  # row 99: repeated interval of a stored day
        f"{rival_point.code};2026-03-30;1;0.1",  # row 100: another company's point
        f"{point.code};30.03.2026;1;0.1",  # row 101: bad date
        f"{point.code};2026-03-31;1;0.1234",  # row 102: too many decimals
        f"{point.code};2026-03-31;2;-1",  # row 103: negative
        *spring,  # rows 104–194: the spring day without its 9th quarter-hour
    ]
    result = interval_series_import(
        company=company, file_name="bad.csv", content="\n".join(lines).encode(), actor=None, now=now
    )
    found = {(e["row"], e["column"]) for e in result.errors}
    assert found == {
        (98, "interval"),
        (99, "interval"),
        (100, "supply_point_code"),
        (101, "day"),
        (102, "value_kwh"),
        (103, "value_kwh"),
        (104, "interval"),
    }
    by_row = {e["row"]: e["message"] for e in result.errors}
    assert "2026-03-29 has intervals 1 to 92" in by_row[98]
    assert "row 2" in by_row[99]
    assert "2026-03-29 has 92 quarter-hours" in by_row[104] and "number 9, 03:00 CEST" in by_row[104]
    assert result.days_created == 1 and list(IntervalDay.objects.values_list("day", flat=True)) == [NORMAL]
    assert (result.batch.rows_created, result.batch.rows_failed) == (96, len(lines) - 1 - 96)


def test_timestamps_need_an_offset_and_the_grid(company, point, now):
    lines = [
        "supply_point_code;timestamp;value_kwh",
        f"{point.code};2026-03-30T00:00:00;0.1",
        f"{point.code};2026-03-30T00:05:00+02:00;0.1",
        f"{point.code};yesterday;0.1",
    ]
    result = interval_series_import(
        company=company, file_name="t.csv", content="\n".join(lines).encode(), actor=None, now=now
    )
    assert [(e["row"], e["column"]) for e in result.errors] == [
        (2, "timestamp"),
        (3, "timestamp"),
        (4, "timestamp"),
    ]
    assert "offset" in result.errors[0]["message"]


def test_a_file_without_a_time_column_is_refused(company, point, now):
    with pytest.raises(TableFileInvalid):
        interval_series_import(
            company=company,
            file_name="x.csv",
            content=f"supply_point_code;value_kwh\n{point.code};1".encode(),
            actor=None,
            now=now,
        )


def test_the_sample_file_imports(company, now):
    from pathlib import Path

    content = (Path(__file__).resolve().parents[3] / "docs" / "samples" / "intervals.csv").read_bytes()
    code = content.decode().splitlines()[1].split(";")[0]
    point = factories.supply_point(company, factories.customer(company, now), now, code=code)
    result = interval_series_import(
        company=company, file_name="intervals.csv", content=content, actor=None, now=now
    )
    assert result.errors == [] and result.days_created == 1
    assert IntervalDay.objects.get(supply_point=point).interval_count == 23


def test_bulk_path_keeps_warnings_with_the_day(company, point, now):
    spiky = np.full(100, 50, dtype=np.int64)
    spiky[10] = 20_000
    result = interval_days_store_bulk(
        company=company,
        days=[IntervalDayInput(point.pk, AUTUMN, 15, "import", spiky, quality="E" * 100)],
        source="test",
        now=now,
    )
    assert result.created == 1
    row = IntervalDay.objects.get()
    assert row.highest_severity == "warning" and row.estimated_count == 100
    assert [f["code"] for f in row.findings] == ["interval_spike"]
    assert bytes(row.values) == spiky.astype("<i8").tobytes()


def test_bulk_path_falls_back_to_one_day_at_a_time_after_a_conflict(
    company, point, rival_point, now, monkeypatch
):
    from django.db import IntegrityError

    from kilowatt.metering import intervals

    def conflict(rows):
        raise IntegrityError("a concurrent writer stored the day first")

    store(company, point, SPRING, [7] * 92, now)
    monkeypatch.setattr(intervals, "_insert", conflict)
    result = interval_days_store_bulk(
        company=company,
        days=[
            IntervalDayInput(point.pk, SPRING, 15, "import", [7] * 92),
            IntervalDayInput(point.pk, NORMAL, 15, "import", [8] * 96),
            IntervalDayInput(point.pk, AUTUMN, 15, "import", [8] * 96),
            IntervalDayInput(rival_point.pk, NORMAL, 15, "import", [8] * 96),
        ],
        source="test",
        now=now,
    )
    assert (result.created, result.unchanged) == (1, 1)
    assert [(p, f[0].rule_code) for p, f in result.failures] == [
        (2, "interval_count"),
        (3, "supply_point_unknown"),
    ]
