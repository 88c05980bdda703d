"""Import of register reads from DSO files (CSV or XLSX; columns in docs/metering.md).

Idempotent twice over: the file's SHA-256 makes a repeated file a no-op, and every row carries an
external id (given, or derived from the row's content) so the same read in another file is unchanged.
Bad rows are reported by row and column; good rows are kept. An adapter for CSIRE/DSO XML will feed the
same ``meter_read_record`` use case.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company, ImportBatch
from kilowatt.core.tabular import table_rows_read
from kilowatt.metering.models import MeterRead
from kilowatt.metering.operations import meter_read_record
from kilowatt.network.models import MeterRegister, SupplyPoint

IMPORT_KIND = "meter_reads"
COLUMNS = ["supply_point_code", "meter_serial", "register_code", "read_on", "value", "kind", "external_id"]
REQUIRED = {"supply_point_code", "meter_serial", "register_code", "read_on", "value"}


@dataclass
class ReadsImportResult:
    batch: ImportBatch
    already_imported: bool = False
    errors: list[dict] = field(default_factory=list)


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


def meter_reads_import(
    *, company: Company, file_name: str, content: bytes, actor: AbstractBaseUser | None, now: datetime
) -> ReadsImportResult:
    file_hash = hashlib.sha256(content).hexdigest()
    done = ImportBatch.objects.filter(company=company, kind=IMPORT_KIND, file_hash=file_hash).first()
    if done is not None:
        return ReadsImportResult(batch=done, already_imported=True, errors=done.errors)
    rows = table_rows_read(content=content, columns=COLUMNS, required=REQUIRED)
    counts = {"created": 0, "unchanged": 0}
    errors: list[dict] = []
    for number, row in enumerate(rows, start=2):
        try:
            with transaction.atomic():
                counts[_import_row(company=company, row=row, actor=actor, now=now)] += 1
        except ValidationFailed as exc:
            errors.extend(_row_error(number, e.field or "", e.message) for e in exc.errors)
    batch = ImportBatch.objects.create(
        company=company,
        kind=IMPORT_KIND,
        file_name=file_name[:255],
        file_hash=file_hash,
        status=ImportBatch.Status.COMPLETED,
        rows_total=len(rows),
        rows_created=counts["created"],
        rows_unchanged=counts["unchanged"],
        rows_failed=len({e["row"] for e in errors}),
        errors=errors,
        created_by=actor,
        created_at=now,
    )
    return ReadsImportResult(batch=batch, errors=errors)
