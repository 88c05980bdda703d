"""Quarter-hour and hourly interval series: Polish calendar days, DST, compact storage, checks, reads.

A day is a calendar day in Europe/Warsaw. Its length comes from the UTC instants of its two midnights,
so the last Sunday of March has 92 quarter-hours (23 hours) and the last Sunday of October 100 (25
hours); nothing here lists DST dates. Interval ``i`` (0-based) of a day starts ``i × resolution`` after
the day's UTC start, so the doubled 02:00–03:00 hour of October is two distinct intervals.

Values are exact integers in Wh (kWh × 1000), stored as one blob of little-endian int64 per
``IntervalDay``; floats are refused, not rounded.

Sections: pure helpers · checks (findings with code, severity and message, rules as data) ·
use cases (``interval_day_store``, ``interval_days_store_bulk``) · reads (``interval_series``, totals).

Corrections are append-only: storing different values for a day that already has values creates the
next revision, which supersedes the previous one; the same values again change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company
from kilowatt.core.periods import InvalidPeriod, Period
from kilowatt.core.validation import FieldErrors
from kilowatt.metering.models import IntervalDay, IntervalQuality, Severity, ValidationRule
from kilowatt.metering.operations import SEVERITY_ORDER, Finding
from kilowatt.network.models import Direction, SupplyPoint

WARSAW = ZoneInfo("Europe/Warsaw")
RESOLUTIONS = (15, 60)
WH_PER_KWH = 1000
_WH = np.dtype("<i8")


class IntervalDayInvalid(ValidationFailed):
    code = "interval_day_invalid"


# --- pure helpers -------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=WARSAW).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=WARSAW).astimezone(UTC)
    return start, end


def day_bounds_utc(*, day: date) -> tuple[datetime, datetime]:
    """The UTC instants of the day's local midnight and of the next one: the day is ``[start, end)``."""
    return _bounds(day)


def _check_resolution(resolution_minutes: int) -> None:
    if resolution_minutes not in RESOLUTIONS:
        raise ValueError(f"resolution must be 15 or 60 minutes, not {resolution_minutes!r}")


@lru_cache(maxsize=16384)
def _count(day: date, resolution_minutes: int) -> int:
    _check_resolution(resolution_minutes)
    start, end = _bounds(day)
    return int((end - start).total_seconds()) // (resolution_minutes * 60)


def intervals_in_day(*, day: date, resolution_minutes: int) -> int:
    """92/96/100 quarter-hours or 23/24/25 hours in a Europe/Warsaw calendar day."""
    return _count(day, resolution_minutes)


@lru_cache(maxsize=4096)
def _starts(day: date, resolution_minutes: int) -> np.ndarray:
    start, _end = _bounds(day)
    first = np.datetime64(start.replace(tzinfo=None), "s")
    steps = np.arange(_count(day, resolution_minutes), dtype=np.int64) * (resolution_minutes * 60)
    starts = first + steps.astype("timedelta64[s]")
    starts.flags.writeable = False
    return starts


def interval_starts_utc(*, day: date, resolution_minutes: int) -> np.ndarray:
    """The UTC start of every interval of the day as ``datetime64[s]`` (numpy's naive UTC); read-only."""
    return _starts(day, resolution_minutes)


def interval_start_local(*, day: date, resolution_minutes: int, index: int) -> datetime:
    """The aware Europe/Warsaw start of interval ``index`` (0-based), e.g. for messages."""
    start, _end = _bounds(day)
    return (start + timedelta(minutes=resolution_minutes * index)).astimezone(WARSAW)


def interval_locate(*, instant: datetime, resolution_minutes: int) -> tuple[date, int]:
    """The Polish day and 0-based interval index of an interval starting at ``instant`` (aware).

    Raises ValueError for a naive instant or one that is not on the resolution's grid.
    """
    _check_resolution(resolution_minutes)
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive instant")
    day = instant.astimezone(WARSAW).date()
    start, _end = _bounds(day)
    seconds = (instant - start).total_seconds()
    step = resolution_minutes * 60
    if seconds % step:
        raise ValueError("not on the grid")
    return day, int(seconds // step)


def values_as_array(values_wh: np.ndarray | Sequence[int]) -> np.ndarray:
    """Wh values as a 1-D int64 array; floats, decimals and anything not integral are refused."""
    array = np.asarray(values_wh)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise TypeError("interval values are a 1-D sequence of integers in Wh")
    if array.dtype.kind == "u" and array.size and int(array.max()) > np.iinfo(np.int64).max:
        raise TypeError("interval value out of the int64 range")
    return array.astype(np.int64, copy=False)


def values_pack(*, values_wh: np.ndarray | Sequence[int]) -> bytes:
    """Little-endian int64 bytes of the values (8 bytes each)."""
    return values_as_array(values_wh).astype(_WH, copy=False).tobytes()


def values_unpack(*, data: bytes | memoryview) -> np.ndarray:
    """The int64 array of a packed blob (a read-only view when the blob is bytes)."""
    return np.frombuffer(bytes(data) if isinstance(data, memoryview) else data, dtype=_WH).astype(
        np.int64, copy=False
    )


def kwh_to_wh(*, value: Decimal | str | int) -> int:
    """Exact Wh of a kWh amount with at most 3 decimals; raises ValueError otherwise (never rounds)."""
    if isinstance(value, float):
        raise ValueError("float")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError("not a number") from exc
    if not number.is_finite():
        raise ValueError("not a number")
    wh = number * WH_PER_KWH
    if wh != wh.to_integral_value():
        raise ValueError("more than 3 decimals")
    return int(wh)


def wh_to_kwh(*, wh: int) -> Decimal:
    return (Decimal(int(wh)) / WH_PER_KWH).quantize(Decimal("0.001"))


def _quality_bytes(quality: bytes | str | None, count: int) -> bytes:
    """Normalised quality: ``b""`` when every interval is actual, else one byte per interval."""
    if quality is None or quality == "" or quality == b"":
        return b""
    data = quality.encode("ascii") if isinstance(quality, str) else bytes(quality)
    if len(data) != count or any(byte not in IntervalQuality.CODES for byte in set(data)):
        raise ValueError("quality")
    return b"" if data.count(IntervalQuality.ACTUAL) == count else data


# --- checks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntervalContext:
    day: date
    resolution_minutes: int
    values_wh: np.ndarray
    missing: np.ndarray | None = None  # bool per expected interval, True where no value was given

    @property
    def expected(self) -> int:
        return intervals_in_day(day=self.day, resolution_minutes=self.resolution_minutes)


def _label(context: IntervalContext, index: int) -> str:
    start = interval_start_local(day=context.day, resolution_minutes=context.resolution_minutes, index=index)
    return _("interval %(number)s (%(time)s)") % {
        "number": index + 1,
        "time": start.strftime("%H:%M %Z"),
    }


def _wrong_count(context: IntervalContext, params: dict) -> str | None:
    given = int(context.values_wh.size)
    if given == context.expected:
        return None
    unit = _("quarter-hours") if context.resolution_minutes == 15 else _("hours")
    return _("%(day)s has %(expected)s %(unit)s in Europe/Warsaw; %(given)s values were given.") % {
        "day": context.day.isoformat(),
        "expected": context.expected,
        "unit": unit,
        "given": given,
    }


def _negative(context: IntervalContext, params: dict) -> str | None:
    negative = np.flatnonzero(context.values_wh < 0)
    if not negative.size:
        return None
    first = int(negative[0])
    return _("%(count)s negative values on %(day)s, the first at %(interval)s: %(value)s Wh.") % {
        "count": int(negative.size),
        "day": context.day.isoformat(),
        "interval": _label(context, first),
        "value": int(context.values_wh[first]),
    }


def _missing(context: IntervalContext, params: dict) -> str | None:
    if context.missing is None or not context.missing.any():
        return None
    gaps = np.flatnonzero(context.missing)
    return _("%(count)s of %(expected)s intervals of %(day)s are missing, the first is %(interval)s.") % {
        "count": int(gaps.size),
        "expected": context.expected,
        "day": context.day.isoformat(),
        "interval": _label(context, int(gaps[0])),
    }


def _spike_params(params: dict) -> tuple[Fraction, int]:
    return Fraction(str(params.get("factor", "10"))), int(params.get("min_wh", 1000))


def _spike(context: IntervalContext, params: dict) -> str | None:
    values = context.values_wh
    if not values.size:
        return None
    factor, min_wh = _spike_params(params)
    total = int(values.sum())
    # value > factor × mean  ⇔  value × n × den > num × total (exact integers)
    spikes = (values * (values.size * factor.denominator) > factor.numerator * total) & (values > min_wh)
    hits = np.flatnonzero(spikes)
    if not hits.size:
        return None
    top = int(hits[np.argmax(values[hits])])
    return _("%(interval)s of %(day)s has %(value)s Wh, more than %(factor)s× the day's mean.") % {
        "interval": _label(context, top),
        "day": context.day.isoformat(),
        "value": int(values[top]),
        "factor": params.get("factor", "10"),
    }


INTERVAL_RULES: dict[str, Callable[[IntervalContext, dict], str | None]] = {
    "interval_count": _wrong_count,
    "interval_negative": _negative,
    "interval_missing": _missing,
    "interval_spike": _spike,
}

# count, negative and missing are always errors (a day so wrong is not stored); the spike rule is tunable
# per company with a ``ValidationRule`` row of code ``interval_spike`` (severity, factor, min_wh, active).
FIXED_RULES = [
    ("interval_count", Severity.ERROR, {}),
    ("interval_negative", Severity.ERROR, {}),
    ("interval_missing", Severity.ERROR, {}),
]
INTERVAL_DEFAULT_RULES = [
    *FIXED_RULES,
    ("interval_spike", Severity.WARNING, {"factor": "10", "min_wh": 1000}),
]


def interval_rules_active(*, company: Company) -> list[tuple[str, str, dict]]:
    """The rules interval days of the company are checked against."""
    tuned = ValidationRule.objects.filter(company=company, code="interval_spike").first()
    if tuned is None:
        return list(INTERVAL_DEFAULT_RULES)
    if not tuned.is_active:
        return list(FIXED_RULES)
    return [*FIXED_RULES, ("interval_spike", tuned.severity, tuned.parameters)]


def interval_day_check(
    *,
    day: date,
    resolution_minutes: int,
    values_wh: np.ndarray | Sequence[int],
    missing: np.ndarray | None = None,
    rules: Iterable[tuple[str, str, dict]] | None = None,
) -> list[Finding]:
    """Findings of a day's values (pure): wrong count for the day (DST), negatives, gaps, spikes."""
    context = IntervalContext(day, resolution_minutes, values_as_array(values_wh), missing)
    findings = []
    for code, severity, parameters in INTERVAL_DEFAULT_RULES if rules is None else rules:
        if code == "interval_spike" and context.values_wh.size != context.expected:
            continue  # a spike means little on a day of the wrong length
        if message := INTERVAL_RULES[code](context, parameters):
            findings.append(Finding(code, severity, message))
    return findings


def _highest(findings: Iterable[Finding]) -> str:
    return max((f.severity for f in findings), key=SEVERITY_ORDER.index, default="")


# --- use cases ----------------------------------------------------------------------------------

CREATED, UNCHANGED, CORRECTED = "created", "unchanged", "corrected"


@dataclass(frozen=True)
class IntervalDayStored:
    interval_day: IntervalDay
    outcome: str  # created, unchanged or corrected (a new revision)
    findings: list[Finding]


def _current(*, supply_point_id: int, day: date, direction: str, resolution_minutes: int, lock: bool):
    rows = IntervalDay.objects.filter(
        supply_point_id=supply_point_id, day=day, direction=direction, resolution_minutes=resolution_minutes
    ).order_by("-revision")
    return (rows.select_for_update() if lock else rows).first()


def _same(row: IntervalDay, values: bytes, quality: bytes) -> bool:
    return bytes(row.values) == values and bytes(row.quality) == quality


@transaction.atomic
def interval_day_store(
    *,
    company: Company,
    supply_point: SupplyPoint,
    day: date,
    resolution_minutes: int,
    direction: str,
    values_wh: np.ndarray | Sequence[int],
    source: str,
    now: datetime,
    quality: bytes | str | None = None,
    file_hash: str = "",
    rules: Iterable[tuple[str, str, dict]] | None = None,
) -> IntervalDayStored:
    """Store one day of interval values (Wh) of a supply point, checked against the rules.

    The same values (and quality) again: unchanged. Different values: a new revision superseding the
    current one (``corrected``). Raises IntervalDayInvalid (fields ``supply_point_id``, ``direction``,
    ``resolution_minutes``, ``values_wh``, ``quality``) when the day is not stored: another company's
    supply point, the wrong number of values for the day, negatives, floats.
    """
    errors = FieldErrors()
    if supply_point.company_id != company.pk:
        errors.add("supply_point_id", _("Supply point not found."), code="not_found")
    if direction not in Direction.values:
        errors.add("direction", _("Direction is import or export."))
    if resolution_minutes not in RESOLUTIONS:
        errors.add("resolution_minutes", _("Resolution is 15 or 60 minutes."))
    try:
        values = values_as_array(values_wh)
    except TypeError:
        errors.add("values_wh", _("Interval values are whole numbers of Wh."))
        values = None
    if errors.errors:
        raise IntervalDayInvalid(errors.errors)
    findings = interval_day_check(
        day=day,
        resolution_minutes=resolution_minutes,
        values_wh=values,
        rules=interval_rules_active(company=company) if rules is None else rules,
    )
    for finding in findings:
        if finding.severity == Severity.ERROR:
            errors.add("values_wh", finding.message, code=finding.rule_code)
    try:
        quality_data = _quality_bytes(quality, int(values.size))
    except ValueError:
        errors.add("quality", _("Quality is one letter per interval: A (actual) or E (estimated)."))
    if errors.errors:
        raise IntervalDayInvalid(errors.errors)
    data = values_pack(values_wh=values)
    current = _current(
        supply_point_id=supply_point.pk,
        day=day,
        direction=direction,
        resolution_minutes=resolution_minutes,
        lock=True,
    )
    if current is not None and _same(current, data, quality_data):
        return IntervalDayStored(current, UNCHANGED, findings)
    row = IntervalDay.objects.create(
        company=company,
        supply_point=supply_point,
        day=day,
        resolution_minutes=resolution_minutes,
        direction=direction,
        revision=1 if current is None else current.revision + 1,
        values=data,
        interval_count=int(values.size),
        total_wh=int(values.sum()),
        quality=quality_data,
        estimated_count=quality_data.count(IntervalQuality.ESTIMATED),
        highest_severity=_highest(findings),
        findings=[_finding_json(f) for f in findings],
        source=source,
        file_hash=file_hash,
        supersedes=current,
        created_at=now,
    )
    return IntervalDayStored(row, CREATED if current is None else CORRECTED, findings)


def _finding_json(finding: Finding) -> dict:
    return {"code": finding.rule_code, "severity": finding.severity, "message": finding.message[:300]}


@dataclass(frozen=True)
class IntervalDayInput:
    """One day for the bulk path; ``values_wh`` as int64 (a list of ints is accepted)."""

    supply_point_id: int
    day: date
    resolution_minutes: int
    direction: str
    values_wh: np.ndarray | Sequence[int]
    quality: bytes | str | None = None
    file_hash: str = ""


@dataclass
class BulkStoreResult:
    created: int = 0
    unchanged: int = 0
    corrected: int = 0
    # (position in the input, findings that kept the day out); the other days were stored
    failures: list[tuple[int, list[Finding]]] = field(default_factory=list)
    # (position in the input, outcome) of every day, in input order
    outcomes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.created + self.corrected


_COPY_COLUMNS = [
    "company_id",
    "supply_point_id",
    "day",
    "resolution_minutes",
    "direction",
    "revision",
    "values",
    "interval_count",
    "total_wh",
    "quality",
    "estimated_count",
    "highest_severity",
    "findings",
    "source",
    "file_hash",
    "supersedes_id",
    "created_at",
]


def _fail(code: str, message: str) -> list[Finding]:
    return [Finding(code, Severity.ERROR, message)]


def _vector_check(
    prepared: list[tuple[int, IntervalDayInput, np.ndarray]], rules: list[tuple[str, str, dict]]
) -> dict[int, list[Finding]]:
    """Checks of many days of the right length at once; only the days a vector test flags get the
    message-writing per-day check. Returns findings by input position (days without findings absent)."""
    spike = next((r for r in rules if r[0] == "interval_spike"), None)
    found: dict[int, list[Finding]] = {}
    by_length: dict[int, list[tuple[int, IntervalDayInput, np.ndarray]]] = {}
    for item in prepared:
        by_length.setdefault(item[2].size, []).append(item)
    for length, items in by_length.items():
        matrix = np.stack([values for _pos, _item, values in items])
        flagged = (matrix < 0).any(axis=1)
        if spike is not None:
            factor, min_wh = _spike_params(spike[2])
            totals = matrix.sum(axis=1, keepdims=True)
            scaled = matrix * (length * factor.denominator) > factor.numerator * totals
            flagged |= (scaled & (matrix > min_wh)).any(axis=1)
        for row in np.flatnonzero(flagged):
            position, item, values = items[row]
            found[position] = interval_day_check(
                day=item.day, resolution_minutes=item.resolution_minutes, values_wh=values, rules=rules
            )
    return found


def _existing(company: Company, keys: set[tuple]) -> dict[tuple, tuple[int, int, bytes, bytes]]:
    """Current (id, revision, values, quality) per (supply point id, day, direction, resolution)."""
    found: dict[tuple, tuple[int, int, bytes, bytes]] = {}
    points = sorted({k[0] for k in keys})
    days = [k[1] for k in keys]
    for offset in range(0, len(points), 500):
        rows = IntervalDay.objects.filter(
            company=company,
            supply_point_id__in=points[offset : offset + 500],
            day__gte=min(days),
            day__lte=max(days),
        ).values_list(
            "id", "supply_point_id", "day", "direction", "resolution_minutes", "revision", "values", "quality"
        )
        for pk, point, day, direction, resolution, revision, values, quality in rows.iterator(2000):
            key = (point, day, direction, resolution)
            if key in keys and (key not in found or found[key][1] < revision):
                found[key] = (pk, revision, bytes(values), bytes(quality))
    return found


def _insert(rows: list[dict]) -> None:
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(IntervalDay._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in _COPY_COLUMNS)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c == "findings" else row[c] for c in _COPY_COLUMNS])
    else:
        IntervalDay.objects.bulk_create((IntervalDay(**row) for row in rows), batch_size=500)


def _store_chunk(
    *,
    company: Company,
    items: list[tuple[int, IntervalDayInput]],
    owned: set[int],
    rules: list[tuple[str, str, dict]],
    source: str,
    now: datetime,
    result: BulkStoreResult,
) -> None:
    prepared: list[tuple[int, IntervalDayInput, np.ndarray]] = []
    quality_of: dict[int, bytes] = {}
    for position, item in items:
        if item.supply_point_id not in owned:
            result.failures.append((position, _fail("supply_point_unknown", _("Supply point not found."))))
            continue
        if item.direction not in Direction.values or item.resolution_minutes not in RESOLUTIONS:
            result.failures.append(
                (position, _fail("interval_key", _("Direction is import or export; resolution 15 or 60.")))
            )
            continue
        try:
            values = values_as_array(item.values_wh)
        except TypeError:
            result.failures.append(
                (position, _fail("interval_type", _("Interval values are whole numbers of Wh.")))
            )
            continue
        expected = intervals_in_day(day=item.day, resolution_minutes=item.resolution_minutes)
        if values.size != expected:
            context = IntervalContext(item.day, item.resolution_minutes, values)
            result.failures.append((position, _fail("interval_count", _wrong_count(context, {}) or "")))
            continue
        try:
            quality_of[position] = _quality_bytes(item.quality, expected)
        except ValueError:
            result.failures.append(
                (
                    position,
                    _fail(
                        "interval_quality",
                        _("Quality is one letter per interval: A (actual) or E (estimated)."),
                    ),
                )
            )
            continue
        prepared.append((position, item, values))
    findings_of = _vector_check(prepared, rules)
    accepted = []
    for position, item, values in prepared:
        findings = findings_of.get(position, [])
        if any(f.severity == Severity.ERROR for f in findings):
            result.failures.append((position, findings))
        else:
            accepted.append((position, item, values, findings))
    if not accepted:
        return
    keys = {(i.supply_point_id, i.day, i.direction, i.resolution_minutes) for _p, i, _v, _f in accepted}
    existing = _existing(company, keys)
    rows: list[dict] = []
    seen: dict[tuple, bytes] = {}
    for position, item, values, findings in accepted:
        key = (item.supply_point_id, item.day, item.direction, item.resolution_minutes)
        data = values_pack(values_wh=values)
        quality = quality_of[position]
        if key in seen:
            if seen[key] == data + quality:
                result.unchanged += 1
                result.outcomes.append((position, UNCHANGED))
            else:
                result.failures.append(
                    (position, _fail("interval_twice", _("The same day is given twice with other values.")))
                )
            continue
        seen[key] = data + quality
        current = existing.get(key)
        if current is not None and current[2] == data and current[3] == quality:
            result.unchanged += 1
            result.outcomes.append((position, UNCHANGED))
            continue
        rows.append(
            {
                "company_id": company.pk,
                "supply_point_id": item.supply_point_id,
                "day": item.day,
                "resolution_minutes": item.resolution_minutes,
                "direction": item.direction,
                "revision": 1 if current is None else current[1] + 1,
                "values": data,
                "interval_count": int(values.size),
                "total_wh": int(values.sum()),
                "quality": quality,
                "estimated_count": quality.count(IntervalQuality.ESTIMATED),
                "highest_severity": _highest(findings),
                "findings": [_finding_json(f) for f in findings],
                "source": source,
                "file_hash": item.file_hash,
                "supersedes_id": None if current is None else current[0],
                "created_at": now,
            }
        )
        if current is None:
            result.created += 1
        else:
            result.corrected += 1
        result.outcomes.append((position, CREATED if current is None else CORRECTED))
    _insert(rows)


def interval_days_store_bulk(
    *,
    company: Company,
    days: Sequence[IntervalDayInput],
    source: str,
    now: datetime,
    rules: Iterable[tuple[str, str, dict]] | None = None,
    chunk_size: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> BulkStoreResult:
    """Store many days at once with the same checks and outcomes as ``interval_day_store``.

    Days that fail (another company's supply point, wrong count for the day, negatives…) are listed in
    ``failures`` by input position and the others are stored. Checks run vectorised; rows go in with
    COPY on PostgreSQL and ``bulk_create`` elsewhere, one transaction per chunk of ``chunk_size`` days.
    When a concurrent writer stored one of the days first, the chunk is redone one day at a time.
    ``progress(done, total)`` is called after every chunk with counts of days.
    """
    rules = interval_rules_active(company=company) if rules is None else list(rules)
    point_ids = sorted({d.supply_point_id for d in days})
    owned: set[int] = set()
    for offset in range(0, len(point_ids), 500):
        owned.update(
            SupplyPoint.objects.filter(company=company, pk__in=point_ids[offset : offset + 500]).values_list(
                "pk", flat=True
            )
        )
    result = BulkStoreResult()
    indexed = list(enumerate(days))
    for offset in range(0, len(indexed), chunk_size):
        chunk = indexed[offset : offset + chunk_size]
        partial = BulkStoreResult()
        try:
            with transaction.atomic():
                _store_chunk(
                    company=company,
                    items=chunk,
                    owned=owned,
                    rules=rules,
                    source=source,
                    now=now,
                    result=partial,
                )
        except IntegrityError:
            partial = BulkStoreResult()
            points = {p.pk: p for p in SupplyPoint.objects.filter(company=company, pk__in=owned)}
            for position, item in chunk:
                point = points.get(item.supply_point_id)
                if point is None:
                    partial.failures.append(
                        (position, _fail("supply_point_unknown", _("Supply point not found.")))
                    )
                    continue
                try:
                    stored = interval_day_store(
                        company=company,
                        supply_point=point,
                        day=item.day,
                        resolution_minutes=item.resolution_minutes,
                        direction=item.direction,
                        values_wh=item.values_wh,
                        source=source,
                        now=now,
                        quality=item.quality,
                        file_hash=item.file_hash,
                        rules=rules,
                    )
                except ValidationFailed as exc:
                    partial.failures.append(
                        (position, [Finding(e.code, Severity.ERROR, e.message) for e in exc.errors])
                    )
                    continue
                setattr(partial, stored.outcome, getattr(partial, stored.outcome) + 1)
                partial.outcomes.append((position, stored.outcome))
        result.created += partial.created
        result.unchanged += partial.unchanged
        result.corrected += partial.corrected
        result.failures.extend(partial.failures)
        result.outcomes.extend(partial.outcomes)
        if progress is not None:
            progress(min(offset + chunk_size, len(indexed)), len(indexed))
    result.failures.sort(key=lambda f: f[0])
    result.outcomes.sort()
    return result


# --- reads --------------------------------------------------------------------------------------


class IntervalSeries(NamedTuple):
    starts_utc: np.ndarray  # datetime64[s], UTC start of each interval
    values_wh: np.ndarray  # int64 Wh


def _closed(period: Period) -> date:
    if period.end is None:
        raise InvalidPeriod("an interval series needs a period with an end")
    return period.end


def interval_days_current(
    *,
    company: Company,
    supply_point: SupplyPoint,
    period: Period,
    direction: str = Direction.IMPORT,
    resolution_minutes: int = 15,
):
    """The current revision of each stored day in ``[period.start, period.end)``, by day. Another
    company's supply point has no days (the query is scoped to ``company``)."""
    return IntervalDay.objects.filter(
        company=company,
        supply_point=supply_point,
        direction=direction,
        resolution_minutes=resolution_minutes,
        day__gte=period.start,
        day__lt=_closed(period),
        superseded_by__isnull=True,
    ).order_by("day")


def interval_series(
    *,
    company: Company,
    supply_point: SupplyPoint,
    period: Period,
    direction: str = Direction.IMPORT,
    resolution_minutes: int = 15,
) -> IntervalSeries:
    """UTC interval starts and Wh values over the half-open day period; days not stored are gaps (the
    instants say where), and the data of another company's supply point is never returned."""
    rows = interval_days_current(
        company=company,
        supply_point=supply_point,
        period=period,
        direction=direction,
        resolution_minutes=resolution_minutes,
    ).values_list("day", "values")
    starts, values = [], []
    for day, data in rows:
        starts.append(interval_starts_utc(day=day, resolution_minutes=resolution_minutes))
        values.append(values_unpack(data=data))
    if not starts:
        return IntervalSeries(np.empty(0, dtype="datetime64[s]"), np.empty(0, dtype=np.int64))
    return IntervalSeries(np.concatenate(starts), np.concatenate(values))


def interval_totals_by_day(
    *,
    company: Company,
    supply_point: SupplyPoint,
    period: Period,
    direction: str = Direction.IMPORT,
    resolution_minutes: int = 15,
) -> dict[date, int]:
    """Wh per stored day (from the stored day totals, without unpacking the values)."""
    return dict(
        interval_days_current(
            company=company,
            supply_point=supply_point,
            period=period,
            direction=direction,
            resolution_minutes=resolution_minutes,
        ).values_list("day", "total_wh")
    )


def interval_totals_by_month(
    *,
    company: Company,
    supply_point: SupplyPoint,
    period: Period,
    direction: str = Direction.IMPORT,
    resolution_minutes: int = 15,
) -> dict[date, int]:
    """Wh per calendar month (keyed by the month's first day) of the stored days within the period."""
    rows = (
        interval_days_current(
            company=company,
            supply_point=supply_point,
            period=period,
            direction=direction,
            resolution_minutes=resolution_minutes,
        )
        .annotate(month=TruncMonth("day"))
        .order_by()
        .values("month")
        .annotate(total=Sum("total_wh"))
        .values_list("month", "total")
    )
    return {month: int(total) for month, total in sorted(rows)}
