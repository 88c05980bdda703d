"""Polish calendar days of interval data: DST lengths, instants, packing, checks (no database)."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kilowatt.metering.intervals import (
    WARSAW,
    day_bounds_utc,
    interval_day_check,
    interval_locate,
    interval_starts_utc,
    intervals_in_day,
    kwh_to_wh,
    values_pack,
    values_unpack,
)

SPRING = date(2026, 3, 29)  # last Sunday of March 2026: 02:00 CET → 03:00 CEST
AUTUMN = date(2026, 10, 25)  # last Sunday of October 2026: 03:00 CEST → 02:00 CET
NORMAL = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("day", "quarter_hours", "hours"),
    [(SPRING, 92, 23), (AUTUMN, 100, 25), (NORMAL, 96, 24), (date(2026, 3, 28), 96, 24)],
)
def test_a_polish_day_has_92_96_or_100_quarter_hours(day, quarter_hours, hours):
    assert intervals_in_day(day=day, resolution_minutes=15) == quarter_hours
    assert intervals_in_day(day=day, resolution_minutes=60) == hours
    assert len(interval_starts_utc(day=day, resolution_minutes=15)) == quarter_hours


@pytest.mark.parametrize("year", range(2024, 2031))
def test_each_year_has_one_short_and_one_long_day_on_the_last_sundays(year):
    lengths = {}
    day = date(year, 1, 1)
    while day.year == year:
        lengths[day] = intervals_in_day(day=day, resolution_minutes=15)
        day += timedelta(days=1)
    short = [d for d, n in lengths.items() if n == 92]
    long = [d for d, n in lengths.items() if n == 100]
    assert len(short) == 1 and len(long) == 1
    assert short[0].month == 3 and short[0].weekday() == 6 and (short[0] + timedelta(days=7)).month == 4
    assert long[0].month == 10 and long[0].weekday() == 6 and (long[0] + timedelta(days=7)).month == 11
    assert all(n == 96 for d, n in lengths.items() if d not in (short[0], long[0]))


@pytest.mark.parametrize("day", [SPRING, AUTUMN, NORMAL])
@pytest.mark.parametrize("resolution", [15, 60])
def test_interval_starts_cover_the_day_in_equal_utc_steps(day, resolution):
    starts = interval_starts_utc(day=day, resolution_minutes=resolution)
    start, end = day_bounds_utc(day=day)
    assert starts[0] == np.datetime64(start.replace(tzinfo=None), "s")
    assert starts[-1] + np.timedelta64(resolution * 60, "s") == np.datetime64(end.replace(tzinfo=None), "s")
    assert set(np.diff(starts).astype(int)) == {resolution * 60}
    assert start.astimezone(WARSAW).hour == 0 and end.astimezone(WARSAW).hour == 0


def test_the_doubled_autumn_hour_is_two_distinct_intervals():
    starts = interval_starts_utc(day=AUTUMN, resolution_minutes=60)
    local = [datetime.fromtimestamp(int(s.astype(int)), tz=UTC).astimezone(WARSAW) for s in starts]
    assert [t.strftime("%H %Z") for t in local[1:5]] == ["01 CEST", "02 CEST", "02 CET", "03 CET"]


def test_the_missing_spring_hour_does_not_exist():
    local = [
        datetime.fromtimestamp(int(s.astype(int)), tz=UTC).astimezone(WARSAW).hour
        for s in interval_starts_utc(day=SPRING, resolution_minutes=60)
    ]
    assert 2 not in local and local[:3] == [0, 1, 3]


@pytest.mark.parametrize("day", [SPRING, AUTUMN, NORMAL])
def test_every_interval_start_locates_back_to_its_day_and_index(day):
    for index, start in enumerate(interval_starts_utc(day=day, resolution_minutes=15)):
        instant = datetime.fromtimestamp(int(start.astype(int)), tz=UTC)
        assert interval_locate(instant=instant.astimezone(WARSAW), resolution_minutes=15) == (day, index)


def test_locating_refuses_naive_and_off_grid_instants():
    with pytest.raises(ValueError):
        interval_locate(instant=datetime(2026, 3, 29, 3, 0), resolution_minutes=15)
    with pytest.raises(ValueError):
        interval_locate(instant=datetime(2026, 3, 29, 3, 5, tzinfo=WARSAW), resolution_minutes=15)


@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=100))
def test_pack_unpack_is_exact(values):
    data = values_pack(values_wh=values)
    assert len(data) == 8 * len(values)
    assert values_unpack(data=data).tolist() == values
    assert values_unpack(data=memoryview(data)).tolist() == values


def test_pack_is_little_endian_int64_and_refuses_floats():
    assert values_pack(values_wh=[1, 256]) == b"\x01" + b"\x00" * 7 + b"\x00\x01" + b"\x00" * 6
    with pytest.raises(TypeError):
        values_pack(values_wh=[1.5, 2.0])
    with pytest.raises(TypeError):
        values_pack(values_wh=np.array([1.0]))


def test_kwh_converts_to_exact_wh():
    assert kwh_to_wh(value="0.125") == 125
    assert kwh_to_wh(value="1,5") == 1500
    assert kwh_to_wh(value="12345678.001") == 12345678001
    for bad in ["0.0005", "abc", "NaN", ""]:
        with pytest.raises(ValueError):
            kwh_to_wh(value=bad)
    with pytest.raises(ValueError):
        kwh_to_wh(value=0.1)  # type: ignore[arg-type]


def test_a_normal_days_count_on_the_spring_day_is_an_error_naming_the_day():
    findings = interval_day_check(day=SPRING, resolution_minutes=15, values_wh=[100] * 96)
    assert [(f.rule_code, f.severity) for f in findings] == [("interval_count", "error")]
    assert "2026-03-29" in findings[0].message and "92" in findings[0].message and "96" in findings[0].message
    assert interval_day_check(day=SPRING, resolution_minutes=15, values_wh=[100] * 92) == []
    assert interval_day_check(day=AUTUMN, resolution_minutes=60, values_wh=[100] * 25) == []
    assert interval_day_check(day=AUTUMN, resolution_minutes=60, values_wh=[100] * 24)[0].rule_code == (
        "interval_count"
    )


def test_negatives_gaps_and_spikes_are_found():
    values = np.full(92, 100, dtype=np.int64)
    values[2] = -5
    negative = interval_day_check(day=SPRING, resolution_minutes=15, values_wh=values)
    assert [f.rule_code for f in negative] == ["interval_negative"]
    assert "interval 3 (00:30 CET)" in negative[0].message and "-5 Wh" in negative[0].message

    missing = np.zeros(92, dtype=bool)
    missing[8] = True  # the ninth quarter-hour of the spring day starts at 03:00 CEST
    gaps = interval_day_check(
        day=SPRING, resolution_minutes=15, values_wh=np.full(92, 1, dtype=np.int64), missing=missing
    )
    assert [f.rule_code for f in gaps] == ["interval_missing"]
    assert "03:00 CEST" in gaps[0].message

    spiky = np.full(96, 100, dtype=np.int64)
    spiky[40] = 5000
    spikes = interval_day_check(day=NORMAL, resolution_minutes=15, values_wh=spiky)
    assert [(f.rule_code, f.severity) for f in spikes] == [("interval_spike", "warning")]
    assert "interval 41" in spikes[0].message
    calm = interval_day_check(
        day=NORMAL,
        resolution_minutes=15,
        values_wh=spiky,
        rules=[("interval_spike", "warning", {"factor": "100", "min_wh": 1000})],
    )
    assert calm == []
