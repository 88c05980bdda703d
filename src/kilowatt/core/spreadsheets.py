"""Cells of the XLSX files Kilowatt writes: a name is text, never a formula; dates read as dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def xlsx_cell(sheet: Any, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    """A write-only cell: numbers and dates as they are, anything else (a lazy label, a name) as text."""
    if not (value is None or isinstance(value, int | float | Decimal | date | datetime | str)):
        value = str(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # a customer's or a team's name is text, never a formula
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    if bold:
        cell.font = Font(bold=True)
    return cell
