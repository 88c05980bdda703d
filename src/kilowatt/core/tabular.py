"""Rows of an uploaded CSV (UTF-8, `;` or `,`) or XLSX file, keyed by lower-case column name."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from kilowatt.core.errors import ValidationFailed


class TableFileInvalid(ValidationFailed):
    code = "import_file_invalid"


def table_rows_read(*, content: bytes, columns: list[str], required: set[str]) -> list[dict[str, str]]:
    """Refuses the whole file (TableFileInvalid on field ``file``) when it is unreadable, lacks a
    required column or has an unknown one; empty rows are skipped."""
    try:
        if content[:2] == b"PK":
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
            values = [
                ["" if v is None else str(v).strip() for v in row]
                for row in sheet.iter_rows(values_only=True)
            ]
        else:
            text = content.decode("utf-8-sig")
            first_line = text.split("\n", 1)[0]
            delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
            values = [
                [cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
            ]
    except (UnicodeDecodeError, csv.Error, OSError, ValueError, KeyError) as exc:
        raise TableFileInvalid.single(
            "file", _("The file is neither UTF-8 CSV nor XLSX: %(error)s") % {"error": exc}
        ) from exc
    if not values:
        raise TableFileInvalid.single("file", _("The file is empty."))
    header = [name.strip().lower() for name in values[0]]
    missing = sorted(required - set(header))
    if missing:
        raise TableFileInvalid.single(
            "file", _("Missing columns: %(columns)s") % {"columns": ", ".join(missing)}
        )
    unknown = [name for name in header if name and name not in columns]
    if unknown:
        raise TableFileInvalid.single(
            "file", _("Unknown columns: %(columns)s") % {"columns": ", ".join(unknown)}
        )
    return [
        dict(zip(header, row + [""] * (len(header) - len(row)), strict=False))
        for row in values[1:]
        if any(cell for cell in row)
    ]
