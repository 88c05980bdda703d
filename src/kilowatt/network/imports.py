"""Import of customers with their supply points from CSV or XLSX (columns in docs/imports.md).

Each row is written in its own savepoint: a bad row is reported (row, column, reason) and rolled
back while the good rows stay. A dry run validates everything and writes nothing. The same file
(SHA-256) imported twice changes nothing the second time; rows whose customer or supply point already
exists are counted as unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company, ImportBatch
from kilowatt.core.tabular import table_rows_read
from kilowatt.network.models import Dso, SupplyPoint, TariffGroup
from kilowatt.network.operations import SupplyPointData, supply_point_create
from kilowatt.parties.models import Customer
from kilowatt.parties.operations import (
    ADDRESS_FIELDS,
    CUSTOMER_FIELDS,
    AddressData,
    CustomerData,
    customer_create,
)

IMPORT_KIND = "customers_supply_points"
CUSTOMER_COLUMNS = ["external_id", *CUSTOMER_FIELDS]
ADDRESS_COLUMNS = list(ADDRESS_FIELDS)
POINT_COLUMNS = [
    "supply_point_code",
    "commodity",
    "dso_code",
    "tariff_group",
    "annual_consumption_kwh",
    "contracted_capacity_kw",
    "phases",
    "legacy_code",
]
COLUMNS = CUSTOMER_COLUMNS + ADDRESS_COLUMNS + POINT_COLUMNS
REQUIRED_COLUMNS = {"kind", "building_number", "postal_code", "city"}
# Domain field names → the file's column names, so errors name what the user sees.
FIELD_TO_COLUMN = {
    "code": "supply_point_code",
    "dso_id": "dso_code",
    "tariff_group_id": "tariff_group",
    **{f"address.{c}": c for c in ADDRESS_COLUMNS},
}


@dataclass
class ImportResult:
    batch: ImportBatch
    already_imported: bool = False
    errors: list[dict] = field(default_factory=list)


class _DryRun(Exception):
    pass


def import_rows_read(*, content: bytes) -> list[dict[str, str]]:
    return table_rows_read(content=content, columns=COLUMNS, required=REQUIRED_COLUMNS)


def _existing_customer(company: Company, row: dict) -> Customer | None:
    for key in ("external_id", "pesel", "nip"):
        value = row.get(key, "").replace("-", "").replace(" ", "")
        if value:
            found = Customer.objects.filter(company=company, **{key: value}).first()
            if found:
                return found
    return None


def _import_row(*, company: Company, row: dict, actor, now: datetime) -> str:
    """Write one row; return 'created' or 'unchanged'. Raises ValidationFailed."""
    address = AddressData(**{c: row.get(c, "") for c in ADDRESS_COLUMNS})
    customer = _existing_customer(company, row)
    created = False
    if customer is None:
        values = {c: row.get(c, "") for c in CUSTOMER_COLUMNS}
        values["preferred_channel"] = values["preferred_channel"] or ("email" if values["email"] else "paper")
        customer = customer_create(
            company=company, data=CustomerData(address=address, **values), actor=actor, now=now
        )
        created = True
    code = row.get("supply_point_code", "").replace(" ", "")
    if code:
        existing = SupplyPoint.objects.filter(company=company, code=code).first()
        if existing is not None and existing.customer_id == customer.pk:
            return "created" if created else "unchanged"
        dso = Dso.objects.filter(code=row.get("dso_code", "")).first()
        commodity = row.get("commodity", "") or "electricity"
        group = TariffGroup.objects.filter(code=row.get("tariff_group", ""), commodity=commodity).first()
        supply_point_create(
            company=company,
            customer=customer,
            actor=actor,
            now=now,
            data=SupplyPointData(
                code=code,
                commodity=commodity,
                dso_id=dso.pk if dso else None,
                tariff_group_id=group.pk if group else None,
                annual_consumption_kwh=row.get("annual_consumption_kwh", ""),
                contracted_capacity_kw=row.get("contracted_capacity_kw") or None,
                phases=int(row["phases"]) if row.get("phases", "").isdigit() else None,
                legacy_code=row.get("legacy_code", ""),
                address=address,
            ),
        )
        created = True
    return "created" if created else "unchanged"


def customers_import(
    *,
    company: Company,
    file_name: str,
    content: bytes,
    dry_run: bool,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> ImportResult:
    """Import (or, with ``dry_run``, only check) a file of customers and supply points."""
    file_hash = hashlib.sha256(content).hexdigest()
    done = ImportBatch.objects.filter(
        company=company, kind=IMPORT_KIND, file_hash=file_hash, status=ImportBatch.Status.COMPLETED
    ).first()
    if done is not None and not dry_run:
        return ImportResult(batch=done, already_imported=True, errors=done.errors)
    rows = import_rows_read(content=content)
    counts = {"created": 0, "unchanged": 0}
    errors: list[dict] = []
    try:
        with transaction.atomic():
            for number, row in enumerate(rows, start=2):  # row 1 is the header
                try:
                    with transaction.atomic():
                        counts[_import_row(company=company, row=row, actor=actor, now=now)] += 1
                except ValidationFailed as exc:
                    errors.extend(
                        {
                            "row": number,
                            "column": FIELD_TO_COLUMN.get(e.field or "", e.field),
                            "message": e.message,
                        }
                        for e in exc.errors
                    )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    batch = ImportBatch.objects.create(
        company=company,
        kind=IMPORT_KIND,
        file_name=file_name[:255],
        file_hash=file_hash,
        status=ImportBatch.Status.PREVIEWED if dry_run else ImportBatch.Status.COMPLETED,
        rows_total=len(rows),
        rows_created=counts["created"],
        rows_unchanged=counts["unchanged"],
        rows_failed=len({e["row"] for e in errors}),
        errors=errors,
        created_by=actor,
        created_at=now,
    )
    return ImportResult(batch=batch, errors=errors)
