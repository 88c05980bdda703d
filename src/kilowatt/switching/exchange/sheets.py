"""The spreadsheet exchange (``exchange = "file"``): an XLSX of the cases to the DSO, an XLSX or CSV of
the DSO's answers back. The column headers are fixed, in Polish as DSOs write them; the answer's
headers are also accepted in English and are compared without case and diacritics.

Outgoing file, sheet "Zgłoszenia", one row per case (dates as dates, numbers as numbers):

====================================== ===============================================================
Numer sprawy                           our case number (the DSO answers with it)
Kod PPE                                supply point code
Nazwa odbiorcy                         customer's name (person) or business name
NIP                                    customer's NIP (a business; may be empty)
PESEL                                  customer's PESEL (a person; may be empty)
Adres PPE                              supply point's address
Wnioskowana data rozpoczęcia sprzedaży requested start of supply
Grupa taryfowa                         tariff group code (G11, C12a…)
Moc umowna [kW]                        contracted capacity (empty when not known)
Roczne zużycie [kWh]                   estimated annual consumption
Dotychczasowy sprzedawca               previous supplier
Wypowiedzenie przez sprzedawcę         "Tak" when we terminate the previous contract for the customer
NIP sprzedawcy                         our NIP
====================================== ===============================================================

Answer file (XLSX first sheet, or CSV in UTF-8 with ``;`` or ``,``), one row per answer; other
columns are ignored, an unknown "Odczyt …" column is refused:

=================================== ====================== ==========================================
Polish header                       English header         value
=================================== ====================== ==========================================
Numer sprawy *                      Case number            our case number
Kod PPE *                           PPE code               the case's supply point code
Wynik *                             Outcome                przyjęte / odrzucone / rozpoczęte
                                                           (accepted / rejected / started)
Data rozpoczęcia sprzedaży          Start date             needed when accepted or started
Kod odrzucenia                      Rejection code         e.g. E17 (a rejection gives it or a reason)
Przyczyna odrzucenia                Rejection reason
Numer referencyjny OSD              DSO reference
Numer licznika                      Meter serial           needed when the point has no meter yet
Odczyt all / peak / offpeak /       Reading all / …        start reading per register zone
peak_morning / peak_afternoon                              (started)
=================================== ====================== ==========================================

Dates are YYYY-MM-DD or DD.MM.YYYY (or date cells); numbers may use a decimal comma.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.writer.excel import ExcelWriter

from kilowatt.core.clock import WARSAW
from kilowatt.core.models import Company
from kilowatt.network.models import Dso
from kilowatt.switching.exchange.base import (
    ZONES,
    CaseRow,
    ExchangeFormatError,
    FormatProblem,
    LocatedAnswer,
    RawAnswer,
    answer_build,
    case_rows,
    date_parse,
    decimal_parse,
    exchange_register,
    fold,
)
from kilowatt.switching.models import SwitchCase
from kilowatt.switching.operations import DsoAnswer

OUT_SHEET = "Zgłoszenia"
ANSWER_SHEET = "Odpowiedzi"
# header, CaseRow attribute
OUT_COLUMNS = [
    ("Numer sprawy", "number"),
    ("Kod PPE", "supply_point_code"),
    ("Nazwa odbiorcy", "customer_name"),
    ("NIP", "nip"),
    ("PESEL", "pesel"),
    ("Adres PPE", "address"),
    ("Wnioskowana data rozpoczęcia sprzedaży", "requested_start"),
    ("Grupa taryfowa", "tariff_group"),
    ("Moc umowna [kW]", "capacity_kw"),
    ("Roczne zużycie [kWh]", "annual_kwh"),
    ("Dotychczasowy sprzedawca", "previous_supplier"),
    ("Wypowiedzenie przez sprzedawcę", "terminate_previous"),
    ("NIP sprzedawcy", "seller_nip"),
]
YES, NO = "Tak", "Nie"
# field, Polish header (written), other accepted headers
ANSWER_COLUMNS = [
    ("case_number", "Numer sprawy", ("case number",)),
    ("supply_point_code", "Kod PPE", ("ppe code", "supply point code", "kod pp")),
    ("outcome", "Wynik", ("outcome", "status")),
    ("start_date", "Data rozpoczęcia sprzedaży", ("start date", "data rozpoczęcia")),
    ("rejection_code", "Kod odrzucenia", ("rejection code",)),
    ("rejection_reason", "Przyczyna odrzucenia", ("rejection reason",)),
    ("dso_reference", "Numer referencyjny OSD", ("dso reference", "numer osd")),
    ("meter_serial", "Numer licznika", ("meter serial", "meter number")),
]
REQUIRED = ("case_number", "supply_point_code", "outcome")
READING_PREFIXES = ("odczyt", "reading")
POLISH_OUTCOME = {"accepted": "przyjęte", "rejected": "odrzucone", "started": "rozpoczęte"}


class _StampedZip(zipfile.ZipFile):
    """A zip whose members carry the given time instead of the machine's clock: the same data gives
    the same bytes."""

    def __init__(self, file: io.BytesIO, stamp: tuple[int, int, int, int, int, int]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self._stamp = stamp

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs) -> None:  # type: ignore[override]
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._stamp)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)


def xlsx_write(*, title: str, headers: list[str], rows: Iterable[list[Any]], stamp: datetime) -> bytes:
    """One sheet with a bold header; dates shown as YYYY-MM-DD. ``stamp`` is the file's time (no clock)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, date | datetime):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str) and cell.data_type == "f":
                # A customer's name or address starting with "=" is text, never a formula in the DSO's Excel.
                cell.data_type = "s"
    for index, header in enumerate(headers, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, len(header) + 2)
    utc = stamp.astimezone(UTC).replace(tzinfo=None)
    book.properties.created = book.properties.modified = utc
    buffer = io.BytesIO()
    archive = _StampedZip(buffer, (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second))
    ExcelWriter(book, archive).save()
    return buffer.getvalue()


def table_read(*, content: bytes) -> list[tuple[int, list[Any]]]:
    """The non-empty rows of an XLSX (first sheet) or a UTF-8 CSV, each with its row number (1 is the
    header). Raises ExchangeFormatError when the file is neither."""
    try:
        if content[:2] == b"PK":
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
            values = [list(row) for row in sheet.iter_rows(values_only=True)]
        else:
            text = content.decode("utf-8-sig")
            first = text.split("\n", 1)[0]
            delimiter = ";" if first.count(";") >= first.count(",") else ","
            values = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except (UnicodeDecodeError, csv.Error, OSError, ValueError, KeyError, zipfile.BadZipFile,
            InvalidFileException) as exc:  # fmt: skip
        raise ExchangeFormatError.single(
            None, _("The file is neither XLSX nor UTF-8 CSV: %(error)s") % {"error": exc}
        ) from exc
    rows = [
        (number, row)
        for number, row in enumerate(values, start=1)
        if any(cell is not None and str(cell).strip() for cell in row)
    ]
    if not rows:
        raise ExchangeFormatError.single(None, _("The file is empty."))
    return rows


def _cell(row: list[Any], index: int | None) -> Any:
    if index is None or index >= len(row):
        return None
    value = row[index]
    return value.strip() if isinstance(value, str) else value


def _answer_header(header: list[Any]) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    """Where each field and zone reading is; raises ExchangeFormatError for a missing column or an
    unknown zone."""
    names = {fold(cell or ""): index for index, cell in enumerate(header)}
    fields, labels = {}, {}
    for name, polish, others in ANSWER_COLUMNS:
        labels[name] = f"“{polish}”"
        found = [names[fold(h)] for h in (polish, *others) if fold(h) in names]
        if found:
            fields[name] = found[0]
    problems = [
        FormatProblem(row=1, message=_("Row 1: the column “%(column)s” is missing.") % {"column": polish})
        for name, polish, _others in ANSWER_COLUMNS
        if name in REQUIRED and name not in fields
    ]
    zones: dict[str, int] = {}
    for folded, index in names.items():
        prefix, _space, zone = folded.partition(" ")
        if prefix not in READING_PREFIXES or not zone:
            continue
        if zone not in ZONES:
            problems.append(
                FormatProblem(
                    row=1,
                    message=_("Row 1: the column “%(column)s” names no register zone; zones: %(zones)s.")
                    % {"column": header[index], "zones": ", ".join(ZONES)},
                )
            )
        zones[zone] = index
        labels[f"reading:{zone}"] = f"“{header[index]}”"
    labels["readings"] = _("the “Odczyt …” columns")
    if problems:
        raise ExchangeFormatError(problems)
    return fields, zones, labels


def answers_read(*, content: bytes) -> list[LocatedAnswer]:
    """The answers of a sheet, each with its row number. Raises ExchangeFormatError listing every
    broken row (nothing of the file is applied then)."""
    rows = table_read(content=content)
    header_number, header = rows[0]
    fields, zones, labels = _answer_header(header)
    located: list[LocatedAnswer] = []
    problems: list[FormatProblem] = []
    for number, row in rows[1:]:
        raw = RawAnswer(
            row=number,
            place=_("Row %(row)s") % {"row": number},
            labels=labels,
            values={name: _cell(row, index) for name, index in fields.items()},
            readings={zone: _cell(row, index) for zone, index in zones.items()},
        )
        answer, found = answer_build(raw)
        problems.extend(found)
        if answer is not None:
            located.append((number, answer))
    if problems:
        raise ExchangeFormatError(problems)
    return located


def answers_write(*, answers: list[DsoAnswer], stamp: datetime) -> bytes:
    """An answer file as a DSO sends it (the fake DSO writes with this), Polish outcome words."""
    zones = [zone for zone in ZONES if any(zone in a.readings for a in answers)]
    headers = [polish for _name, polish, _others in ANSWER_COLUMNS] + [f"Odczyt {zone}" for zone in zones]
    rows = [
        [
            a.case_number, a.supply_point_code, POLISH_OUTCOME.get(a.outcome, a.outcome), a.start_date,
            a.rejection_code, a.rejection_reason, a.dso_reference, a.meter_serial,
            *[a.readings.get(zone) for zone in zones],
        ]
        for a in answers
    ]  # fmt: skip
    return xlsx_write(title=ANSWER_SHEET, headers=headers, rows=rows, stamp=stamp)


def _out_value(row: CaseRow, attribute: str) -> Any:
    value = getattr(row, attribute)
    if isinstance(value, bool):
        return YES if value else NO
    return value


def outgoing_write(*, rows: list[CaseRow], stamp: datetime) -> bytes:
    return xlsx_write(
        title=OUT_SHEET,
        headers=[header for header, _attribute in OUT_COLUMNS],
        rows=[[_out_value(row, attribute) for _header, attribute in OUT_COLUMNS] for row in rows],
        stamp=stamp,
    )


def outgoing_read(*, content: bytes) -> list[tuple[int, CaseRow]]:
    """The cases of an outgoing file (what a DSO reads; the fake DSO does). Raises ExchangeFormatError."""
    rows = table_read(content=content)
    names = {fold(cell or ""): index for index, cell in enumerate(rows[0][1])}
    missing = [header for header, _attribute in OUT_COLUMNS if fold(header) not in names]
    if missing:
        raise ExchangeFormatError.single(
            1, _("Row 1: the columns %(columns)s are missing.") % {"columns": ", ".join(missing)}
        )
    read, problems = [], []
    for number, row in rows[1:]:
        values = {attribute: _cell(row, names[fold(header)]) for header, attribute in OUT_COLUMNS}
        try:
            read.append((number, _case_row(values)))
        except (ValueError, TypeError) as exc:
            problems.append(
                FormatProblem(row=number, message=_("Row %(row)s: %(error)s") % {"row": number, "error": exc})
            )
    if problems:
        raise ExchangeFormatError(problems)
    return read


def _case_row(values: dict[str, Any]) -> CaseRow:
    start = date_parse(values["requested_start"])
    if start is None:
        raise ValueError(_("the requested start of supply is empty."))
    text = {key: "" if value is None else str(value).strip() for key, value in values.items()}
    return CaseRow(
        number=text["number"],
        supply_point_code=text["supply_point_code"],
        customer_name=text["customer_name"],
        nip=text["nip"],
        pesel=text["pesel"],
        address=text["address"],
        requested_start=start,
        tariff_group=text["tariff_group"],
        capacity_kw=decimal_parse(values["capacity_kw"]),
        annual_kwh=decimal_parse(values["annual_kwh"]) or Decimal(0),
        previous_supplier=text["previous_supplier"],
        terminate_previous=fold(text["terminate_previous"]) in (fold(YES), "yes", "true", "1"),
        seller_nip=text["seller_nip"],
    )


class SheetExchange:
    """Files: XLSX of the cases out, XLSX or CSV of the answers in (the columns above)."""

    code = "file"

    def outgoing(
        self, *, company: Company, dso: Dso, cases: list[SwitchCase], now: datetime
    ) -> tuple[str, bytes]:
        local = now.astimezone(WARSAW)
        name = f"zgloszenia-{company.code}-{dso.code}-{local:%Y%m%d-%H%M%S}.xlsx"
        return name, outgoing_write(rows=case_rows(cases=cases), stamp=now)

    def answer_rows(self, *, content: bytes) -> list[LocatedAnswer]:
        return answers_read(content=content)

    def answers(self, *, content: bytes) -> list[DsoAnswer]:
        return [answer for _row, answer in self.answer_rows(content=content)]


def midnight(day: date) -> datetime:
    """The start of a day in Warsaw: the time stamped on files made for a day (no clock)."""
    return datetime.combine(day, time(0, 0), tzinfo=WARSAW)


exchange_register(code="file", exchange=SheetExchange())
