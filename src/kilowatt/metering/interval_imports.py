"""Import of DSO interval files (CSV or XLSX; columns in docs/metering.md, section "Interval series").

One row is one interval: ``supply_point_code``, its start as ``timestamp`` (ISO 8601 with a UTC offset)
or as ``day`` + ``interval`` (1-based number within the Polish day: 1–96, 1–92 on the spring DST day,
1–100 on the autumn one), ``value_kwh`` (at most 3 decimals), and optionally ``direction``
(import/export), ``resolution_minutes`` (15 or 60) and ``quality`` (A actual / E estimated).

Rows are read in chunks; a day is stored (through ``interval_days_store_bulk``) as soon as all its
intervals have arrived, so a large file makes progress as it goes and ``progress(done, total)`` reports
rows. A bad row is reported by row, column and reason and left out; a day with intervals still missing
at the end of the file is reported and not stored. A repeated interval is reported and ignored (the
first one counts). Idempotent: the same file again is a no-op (SHA-256 in ``ImportBatch``), and the
same days in another file are unchanged; different values for a stored day are a correction (a new
revision). In the background the import fills in a running batch from ``import_batch_begin`` (see
``kilowatt.metering.imports``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from kilowatt.core.models import Company, ImportBatch
from kilowatt.core.tabular import TableFileInvalid, table_rows_read
from kilowatt.metering.imports import import_batch_done, import_batch_finish
from kilowatt.metering.intervals import (
    CORRECTED,
    CREATED,
    RESOLUTIONS,
    UNCHANGED,
    IntervalDayInput,
    interval_days_store_bulk,
    interval_locate,
    interval_rules_active,
    interval_start_local,
    intervals_in_day,
    kwh_to_wh,
)
from kilowatt.metering.models import IntervalQuality, Severity
from kilowatt.network.models import Direction, SupplyPoint

IMPORT_KIND = "interval_series"
SOURCE = "dso_file"
COLUMNS = [
    "supply_point_code",
    "timestamp",
    "day",
    "interval",
    "value_kwh",
    "direction",
    "resolution_minutes",
    "quality",
]
REQUIRED = {"supply_point_code", "value_kwh"}
QUALITY_CODES = {"": IntervalQuality.ACTUAL, "A": IntervalQuality.ACTUAL, "E": IntervalQuality.ESTIMATED}


@dataclass
class IntervalsImportResult:
    batch: ImportBatch
    already_imported: bool = False
    errors: list[dict] = field(default_factory=list)
    days_created: int = 0
    days_unchanged: int = 0
    days_corrected: int = 0


class _RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = str(message)


@dataclass
class _Day:
    expected: int
    first_row: int
    position_column: str
    values: np.ndarray = field(init=False)
    rows: np.ndarray = field(init=False)  # row number per interval, 0 where none yet
    quality: bytearray = field(init=False)
    filled: int = 0

    def __post_init__(self) -> None:
        self.values = np.zeros(self.expected, dtype=np.int64)
        self.rows = np.zeros(self.expected, dtype=np.int64)
        self.quality = bytearray([IntervalQuality.ACTUAL]) * self.expected


def _row_error(number: int, column: str, message: str) -> dict:
    return {"row": number, "column": column, "message": str(message)}


def _unit(resolution_minutes: int) -> str:
    return _("quarter-hours") if resolution_minutes == 15 else _("hours")


def _position(row: dict[str, str], resolution_minutes: int) -> tuple[date, int, str]:
    """(day, 0-based interval, the column that gave it)."""
    stamp = row.get("timestamp", "")
    if stamp:
        try:
            instant = datetime.fromisoformat(stamp.replace(" ", "T", 1))
        except ValueError as exc:
            raise _RowError(
                "timestamp", _("A timestamp looks like 2026-03-29T03:00:00+02:00 (ISO 8601 with offset).")
            ) from exc
        if instant.tzinfo is None:
            raise _RowError("timestamp", _("The timestamp needs its UTC offset, e.g. +01:00 or Z."))
        try:
            day, index = interval_locate(instant=instant, resolution_minutes=resolution_minutes)
        except ValueError as exc:
            raise _RowError(
                "timestamp",
                _("The timestamp is not the start of a %(minutes)s-minute interval.")
                % {"minutes": resolution_minutes},
            ) from exc
        return day, index, "timestamp"
    if not row.get("day") and not row.get("interval"):
        raise _RowError("timestamp", _("Give the timestamp, or the day and the interval number."))
    try:
        day = date.fromisoformat(row.get("day", ""))
    except ValueError as exc:
        raise _RowError("day", _("A date looks like 2026-03-31.")) from exc
    expected = intervals_in_day(day=day, resolution_minutes=resolution_minutes)
    try:
        number = int(row.get("interval", ""))
    except ValueError:
        number = 0
    if not 1 <= number <= expected:
        raise _RowError(
            "interval",
            _("%(day)s has intervals 1 to %(expected)s (%(unit)s in Europe/Warsaw).")
            % {"day": day.isoformat(), "expected": expected, "unit": _unit(resolution_minutes)},
        )
    return day, number - 1, "interval"


def _parse(
    row: dict[str, str], points: dict[str, int], resolution_default: int
) -> tuple[tuple[int, date, str, int], int, int, int, str]:
    """((point id, day, direction, resolution), interval index, Wh, quality byte, position column)."""
    point = points.get(row["supply_point_code"].replace(" ", ""))
    if point is None:
        raise _RowError("supply_point_code", _("No such supply point."))
    direction = (row.get("direction") or Direction.IMPORT).lower()
    if direction not in Direction.values:
        raise _RowError("direction", _("Direction is import or export."))
    resolution = row.get("resolution_minutes") or str(resolution_default)
    if resolution not in {str(r) for r in RESOLUTIONS}:
        raise _RowError("resolution_minutes", _("Resolution is 15 or 60 minutes."))
    resolution_minutes = int(resolution)
    day, index, column = _position(row, resolution_minutes)
    try:
        wh = kwh_to_wh(value=row.get("value_kwh", ""))
    except ValueError as exc:
        raise _RowError(
            "value_kwh", _("Enter the energy in kWh as a number with at most 3 decimals.")
        ) from exc
    if wh < 0:
        raise _RowError("value_kwh", _("Energy is zero or more; export goes in its own direction."))
    quality = QUALITY_CODES.get((row.get("quality") or "").upper()[:1])
    if quality is None:
        raise _RowError("quality", _("Quality is A (actual) or E (estimated)."))
    return (point, day, direction, resolution_minutes), index, wh, quality, column


def _supply_points(company: Company, rows: list[dict[str, str]]) -> dict[str, int]:
    codes = sorted({row["supply_point_code"].replace(" ", "") for row in rows})
    found: dict[str, int] = {}
    for offset in range(0, len(codes), 500):
        found.update(
            SupplyPoint.objects.filter(company=company, code__in=codes[offset : offset + 500]).values_list(
                "code", "pk"
            )
        )
    return found


def interval_series_import(
    *,
    company: Company,
    file_name: str,
    content: bytes,
    actor: AbstractBaseUser | None,
    now: datetime,
    resolution_minutes: int = 15,
    chunk_rows: int = 20_000,
    progress: Callable[[int, int], None] | None = None,
    batch: ImportBatch | None = None,
) -> IntervalsImportResult:
    """Import a DSO interval file for the company; see the module's description. ``resolution_minutes``
    is used for rows without a ``resolution_minutes`` column. ``batch`` is a running batch from
    ``import_batch_begin`` to fill in (a background import); without it the file's batch is looked up
    (already imported: nothing happens) and created at the end. Raises TableFileInvalid for a file that
    is not a table of these columns (nothing is stored then)."""
    file_hash = hashlib.sha256(content).hexdigest()
    if batch is None:
        done = import_batch_done(company=company, kind=IMPORT_KIND, file_hash=file_hash)
        if done is not None:
            return IntervalsImportResult(batch=done, already_imported=True, errors=done.errors)
    rows = table_rows_read(content=content, columns=COLUMNS, required=REQUIRED)
    if rows and "timestamp" not in rows[0] and not {"day", "interval"} <= rows[0].keys():
        raise TableFileInvalid.single(
            "file", _("Give either the column timestamp or the columns day and interval.")
        )
    points = _supply_points(company, rows)
    rules = interval_rules_active(company=company)
    result = IntervalsImportResult(batch=None)  # type: ignore[arg-type]
    errors: list[dict] = []
    open_days: dict[tuple, _Day] = {}
    closed_days: dict[tuple, int] = {}  # key → first row of a day already handed to the store
    rows_by_outcome = {CREATED: 0, CORRECTED: 0, UNCHANGED: 0}
    total = len(rows)

    def store(ready: list[tuple[tuple, _Day]]) -> None:
        if not ready:
            return
        stored = interval_days_store_bulk(
            company=company,
            days=[
                IntervalDayInput(
                    supply_point_id=key[0],
                    day=key[1],
                    direction=key[2],
                    resolution_minutes=key[3],
                    values_wh=buffer.values,
                    quality=bytes(buffer.quality),
                    file_hash=file_hash,
                )
                for key, buffer in ready
            ],
            source=SOURCE,
            now=now,
            rules=rules,
            chunk_size=len(ready),
        )
        for position, findings in stored.failures:
            buffer = ready[position][1]
            errors.extend(
                _row_error(buffer.first_row, "value_kwh", f.message)
                for f in findings
                if f.severity == Severity.ERROR
            )
        for position, outcome in stored.outcomes:
            rows_by_outcome[outcome] += ready[position][1].expected
        result.days_created += stored.created
        result.days_unchanged += stored.unchanged
        result.days_corrected += stored.corrected

    for offset in range(0, total, chunk_rows):
        ready: list[tuple[tuple, _Day]] = []
        for number, row in enumerate(rows[offset : offset + chunk_rows], start=offset + 2):
            try:
                key, index, wh, quality, column = _parse(row, points, resolution_minutes)
            except _RowError as exc:
                errors.append(_row_error(number, exc.column, exc.message))
                continue
            if key in closed_days:
                errors.append(
                    _row_error(
                        number,
                        column,
                        _("This interval was already given (the day starts on row %(row)s).")
                        % {"row": closed_days[key]},
                    )
                )
                continue
            buffer = open_days.get(key)
            if buffer is None:
                expected = intervals_in_day(day=key[1], resolution_minutes=key[3])
                buffer = open_days[key] = _Day(expected=expected, first_row=number, position_column=column)
            if buffer.rows[index]:
                errors.append(
                    _row_error(
                        number,
                        column,
                        _("This interval was already given on row %(row)s.")
                        % {"row": int(buffer.rows[index])},
                    )
                )
                continue
            buffer.values[index] = wh
            buffer.rows[index] = number
            buffer.quality[index] = quality
            buffer.filled += 1
            if buffer.filled == buffer.expected:
                ready.append((key, open_days.pop(key)))
                closed_days[key] = buffer.first_row
        store(ready)
        if progress is not None:
            progress(min(offset + chunk_rows, total), total)
    for key, buffer in open_days.items():
        missing = np.flatnonzero(buffer.rows == 0)
        first = interval_start_local(day=key[1], resolution_minutes=key[3], index=int(missing[0]))
        errors.append(
            _row_error(
                buffer.first_row,
                buffer.position_column,
                _(
                    "%(day)s has %(expected)s %(unit)s in Europe/Warsaw; %(missing)s are missing "
                    "(the first is number %(number)s, %(time)s), so the day was not stored."
                )
                % {
                    "day": key[1].isoformat(),
                    "expected": buffer.expected,
                    "unit": _unit(key[3]),
                    "missing": int(missing.size),
                    "number": int(missing[0]) + 1,
                    "time": first.strftime("%H:%M %Z"),
                },
            )
        )
    errors.sort(key=lambda e: e["row"])
    stored_rows = rows_by_outcome[CREATED] + rows_by_outcome[CORRECTED]
    if batch is None:
        batch = ImportBatch(
            company=company,
            kind=IMPORT_KIND,
            file_name=file_name[:255],
            file_hash=file_hash,
            status=ImportBatch.Status.RUNNING,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            created_at=now,
        )
    import_batch_finish(
        batch=batch,
        counts={
            "rows": total,
            "created": stored_rows,
            "unchanged": rows_by_outcome[UNCHANGED],
            "failed": total - stored_rows - rows_by_outcome[UNCHANGED],
        },
        errors=errors,
        now=now,
    )
    result.batch = batch
    result.errors = errors
    if progress is not None and total == 0:
        progress(0, 0)
    return result
