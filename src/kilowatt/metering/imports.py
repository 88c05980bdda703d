"""Import of register reads from DSO files (CSV or XLSX; columns in docs/metering.md).

Idempotent twice over: the file's SHA-256 makes a repeated file a no-op, and every row carries an
external id (given, or derived from the row's content) so the same read in another file is unchanged.
Bad rows are reported by row and column; good rows are kept (each row is its own transaction).

A file's format is an adapter (``ReadFileFormat``): it turns the file into rows keyed by ``COLUMNS``
and the import logic does the rest, so a CSIRE/DSO XML reader is one more format registered with
``read_file_format_register``, not a change here. CSV/XLSX (``TableReadFile``) is the one format today.

A large file can run in the background: ``import_batch_begin`` records a *running* batch (or finds the
file already imported), the import fills that batch in and reports ``progress(done, total)`` as it goes,
``import_batch_progress`` writes the count for other requests to see and ``import_batch_fail`` closes a
batch that crashed. The interval import (``interval_imports``) uses the same batch functions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.models import Company, ImportBatch
from kilowatt.core.tabular import table_rows_read
from kilowatt.metering.models import MeterRead
from kilowatt.metering.operations import meter_read_record
from kilowatt.network.models import MeterRegister, SupplyPoint

IMPORT_KIND = "meter_reads"
COLUMNS = ["supply_point_code", "meter_serial", "register_code", "read_on", "value", "kind", "external_id"]
REQUIRED = {"supply_point_code", "meter_serial", "register_code", "read_on", "value"}
PROGRESS_EVERY = 500
# A running batch with no progress for this long was left by a process that died (a restarted server,
# a killed worker); the same file may then be imported again.
STALLED_AFTER = timedelta(minutes=15)
LIVE = (ImportBatch.Status.RUNNING, ImportBatch.Status.COMPLETED)

Progress = Callable[[int, int], None]


class ReadFileFormat(Protocol):
    """A kind of DSO read file. ``rows`` returns the file's reads as dicts keyed by ``COLUMNS``
    (missing optional columns may be left out) or raises ValidationFailed on field ``file`` when the
    file as a whole cannot be read; nothing is stored then."""

    first_row: int  # the number a person sees on the first read (2 under a header line)

    def accepts(self, content: bytes) -> bool:
        """Whether the file looks like this format (e.g. an XML root element)."""

    def rows(self, content: bytes) -> list[dict[str, str]]: ...


class TableReadFile:
    """CSV (UTF-8, ``;`` or ``,``) or XLSX (first sheet) with a header line of the documented columns."""

    first_row = 2

    def accepts(self, content: bytes) -> bool:
        return True  # the fallback: a file no other format claims is read as a table

    def rows(self, content: bytes) -> list[dict[str, str]]:
        return table_rows_read(content=content, columns=COLUMNS, required=REQUIRED)


_formats: list[ReadFileFormat] = []
_table = TableReadFile()


def read_file_format_register(file_format: ReadFileFormat) -> None:
    """Add a format (e.g. CSIRE XML, from a territory's ``ready()``); it is asked before CSV/XLSX."""
    _formats.append(file_format)


def read_file_format_for(content: bytes) -> ReadFileFormat:
    return next((f for f in _formats if f.accepts(content)), _table)


@dataclass
class ReadsImportResult:
    batch: ImportBatch
    already_imported: bool = False
    errors: list[dict] = field(default_factory=list)


def import_batch_done(*, company: Company, kind: str, file_hash: str) -> ImportBatch | None:
    """The running or completed batch of this file, if any (a failed one may be imported again)."""
    return ImportBatch.objects.filter(
        company=company, kind=kind, file_hash=file_hash, status__in=LIVE
    ).first()


def import_batch_of_company(*, company: Company, batch_id: int, kinds: list[str]) -> ImportBatch | None:
    """A batch of these kinds of the company, or None (another company's batch is not found)."""
    return ImportBatch.objects.filter(company=company, kind__in=kinds, pk=batch_id).first()


def import_batches_recent(*, company: Company, kind: str, limit: int = 10) -> list[ImportBatch]:
    return list(
        ImportBatch.objects.filter(company=company, kind=kind)
        .exclude(status=ImportBatch.Status.PREVIEWED)
        .defer("errors")
        .order_by("-created_at", "-pk")[:limit]
    )


def import_batch_begin(
    *,
    company: Company,
    kind: str,
    file_name: str,
    content: bytes,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> tuple[ImportBatch, bool]:
    """A new *running* batch for this file, or (the batch, True) when the file is already imported or
    being imported. A running batch that has made no progress for ``STALLED_AFTER`` is failed first."""
    file_hash = hashlib.sha256(content).hexdigest()
    done = import_batch_done(company=company, kind=kind, file_hash=file_hash)
    if (
        done is not None
        and done.status == ImportBatch.Status.RUNNING
        and (done.progress_at or done.created_at) < now - STALLED_AFTER
    ):
        import_batch_fail(
            batch_id=done.pk,
            message=_("The import stopped without finishing (no progress for 15 minutes)."),
            now=now,
        )
        done = None
    if done is not None:
        return done, True
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                company=company,
                kind=kind,
                file_name=file_name[:255],
                file_hash=file_hash,
                status=ImportBatch.Status.RUNNING,
                created_by=actor if actor is not None and actor.is_authenticated else None,
                created_at=now,
                progress_at=now,
            )
    except IntegrityError:  # the same file uploaded twice at the same moment: the first one runs
        return ImportBatch.objects.get(company=company, kind=kind, file_hash=file_hash, status__in=LIVE), True
    return batch, False


def import_batch_progress(*, batch_id: int, done: int, total: int, now: datetime) -> None:
    """Write how far a running batch is (one short UPDATE, committed at once outside a transaction)."""
    ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.RUNNING).update(
        rows_done=done, rows_total=total, progress_at=now
    )


def import_batch_fail(*, batch_id: int, message: str, now: datetime) -> None:
    """Close a running batch that could not finish; its file may be imported again."""
    ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.RUNNING).update(
        status=ImportBatch.Status.FAILED,
        errors=[{"row": 0, "column": "file", "message": str(message)}],
        finished_at=now,
    )


def import_batch_finish(
    *, batch: ImportBatch, counts: dict[str, int], errors: list[dict], now: datetime
) -> None:
    """Fill in a batch's outcome (``counts``: rows, created, unchanged, failed) and complete it; a batch
    not saved yet (an import run in the foreground) is saved now."""
    batch.rows_total = batch.rows_done = counts["rows"]
    batch.rows_created = counts["created"]
    batch.rows_unchanged = counts["unchanged"]
    batch.rows_failed = counts["failed"]
    batch.errors = errors
    batch.status = ImportBatch.Status.COMPLETED
    batch.progress_at = batch.finished_at = now
    if batch.pk is None:
        batch.save()
        return
    batch.save(
        update_fields=[
            "rows_total",
            "rows_done",
            "rows_created",
            "rows_unchanged",
            "rows_failed",
            "errors",
            "status",
            "progress_at",
            "finished_at",
        ]
    )


def import_batch_finished_at(*, batch_id: int, now: datetime) -> None:
    """Stamp when a background import really ended (the import itself knows only when it began)."""
    ImportBatch.objects.filter(pk=batch_id).update(finished_at=now, progress_at=now)


def _row_error(number: int, column: str, message: str) -> dict:
    return {"row": number, "column": column, "message": message}


def _import_row(*, company: Company, row: dict, actor, now: datetime) -> str:
    point = SupplyPoint.objects.filter(
        company=company, code=row["supply_point_code"].replace(" ", "")
    ).first()
    if point is None:
        raise ValidationFailed.single("supply_point_code", _("No such supply point."))
    register = (
        MeterRegister.objects.select_related("meter")
        .filter(meter__company=company, meter__serial_number=row["meter_serial"], code=row["register_code"])
        .first()
    )
    if register is None:
        raise ValidationFailed.single("register_code", _("No such register on this meter."))
    try:
        read_on = date.fromisoformat(row["read_on"][:10])
    except ValueError as exc:
        raise ValidationFailed.single("read_on", _("A date looks like 2026-03-31.")) from exc
    external_id = (
        row.get("external_id")
        or "row:" + hashlib.sha256("|".join(row.get(c, "") for c in COLUMNS[:6]).encode()).hexdigest()[:40]
    )
    if MeterRead.objects.filter(company=company, external_id=external_id).exists():
        return "unchanged"
    meter_read_record(
        company=company,
        supply_point=point,
        register=register,
        read_on=read_on,
        value=row["value"],
        kind=row.get("kind") or "actual",
        source="dso_file",
        external_id=external_id,
        actor=actor,
        now=now,
    )
    return "created"


def _row_errors(number: int, exc: DomainError) -> list[dict]:
    if isinstance(exc, ValidationFailed):
        return [_row_error(number, e.field or "", e.message) for e in exc.errors]
    return [_row_error(number, exc.field or "", exc.message)]


def meter_reads_import(
    *,
    company: Company,
    file_name: str,
    content: bytes,
    actor: AbstractBaseUser | None,
    now: datetime,
    progress: Progress | None = None,
    progress_every: int = PROGRESS_EVERY,
    batch: ImportBatch | None = None,
    file_format: ReadFileFormat | None = None,
) -> ReadsImportResult:
    """Import a DSO read file for the company; see the module's description.

    ``batch`` is a running batch from ``import_batch_begin`` to fill in (a background import); without
    it the file's batch is looked up (already imported: nothing happens) and created at the end.
    ``progress(done, total)`` is called before the first row, every ``progress_every`` rows and after
    the last one (before the batch is completed). The format is found from the content unless
    ``file_format`` is given. Raises ValidationFailed (field ``file``) for a file that cannot be read at
    all; nothing is stored then."""
    file_hash = hashlib.sha256(content).hexdigest()
    if batch is None:
        done = import_batch_done(company=company, kind=IMPORT_KIND, file_hash=file_hash)
        if done is not None:
            return ReadsImportResult(batch=done, already_imported=True, errors=done.errors)
    reader = file_format or read_file_format_for(content)
    rows = reader.rows(content)
    total = len(rows)
    counts = {"created": 0, "unchanged": 0}
    errors: list[dict] = []
    if progress is not None:
        progress(0, total)
    for position, row in enumerate(rows):
        number = position + reader.first_row
        try:
            with transaction.atomic():
                counts[_import_row(company=company, row=row, actor=actor, now=now)] += 1
        except DomainError as exc:
            errors.extend(_row_errors(number, exc))
        if progress is not None and (position + 1) % progress_every == 0 and position + 1 < total:
            progress(position + 1, total)
    outcome = {**counts, "rows": total, "failed": len({e["row"] for e in errors})}
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
    if progress is not None:
        progress(total, total)
    import_batch_finish(batch=batch, counts=outcome, errors=errors, now=now)
    return ReadsImportResult(batch=batch, errors=errors)
