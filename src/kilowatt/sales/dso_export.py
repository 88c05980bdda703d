"""Files for the distributors: for each DSO, its supply points in contracts signed in a period, in the
columns that DSO expects.

A ``DsoExportLayout`` of the company names, for one DSO, the file format (``xlsx`` or ``csv``) and the
columns in order, each ``{"header": "...", "field": "<code of DSO_EXPORT_FIELDS>"}``; without one the
``DEFAULT_COLUMNS`` are used in XLSX. A row is one supply point of one contract (a
``ContractSupplyPoint``). CSV is UTF-8 with a BOM, ``;``-separated, with decimal commas (what a Polish
spreadsheet opens as it is); XLSX keeps dates as dates and numbers as numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import AuditEntry, Company
from kilowatt.core.operations import audit_record
from kilowatt.core.spreadsheets import FORMULA_STARTS, xlsx_cell
from kilowatt.core.validation import FieldErrors
from kilowatt.network.models import Dso
from kilowatt.parties.models import Address, CustomerKind
from kilowatt.sales.models import ContractStatus, ContractSupplyPoint, DsoExportLayout

FILE_FORMATS = ("xlsx", "csv")
MAX_HEADER = 100


@dataclass(frozen=True)
class ExportField:
    label: Any  # a lazy translation
    get: Callable[[ContractSupplyPoint], Any]


def _address(get: Callable[[ContractSupplyPoint], Address | None], part: str | None = None):
    def value(link: ContractSupplyPoint) -> Any:
        address = get(link)
        if address is None:
            return ""
        return str(address) if part is None else getattr(address, part)

    return value


def _customer(link: ContractSupplyPoint):
    return link.contract.customer


def _point(link: ContractSupplyPoint):
    return link.supply_point


def _address_fields(prefix: str, label: str, get) -> dict[str, ExportField]:
    parts = {
        "street": gettext_lazy("street"),
        "building_number": gettext_lazy("building number"),
        "apartment_number": gettext_lazy("apartment number"),
        "postal_code": gettext_lazy("postal code"),
        "city": gettext_lazy("city"),
    }
    fields = {f"{prefix}.address": ExportField(label, _address(get))}
    for part, part_label in parts.items():
        fields[f"{prefix}.{part}"] = ExportField(
            format_lazy("{}: {}", label, part_label), _address(get, part)
        )
    return fields


def _tax_id(link: ContractSupplyPoint) -> str:
    customer = _customer(link)
    return customer.nip if customer.kind == CustomerKind.BUSINESS else customer.pesel


DSO_EXPORT_FIELDS: dict[str, ExportField] = {
    "contract.number": ExportField(gettext_lazy("contract number"), lambda r: r.contract.number),
    "contract.kind": ExportField(gettext_lazy("contract kind"), lambda r: r.contract.get_kind_display()),
    "contract.signed_on": ExportField(gettext_lazy("signed on"), lambda r: r.contract.signed_on),
    "contract.start_date": ExportField(gettext_lazy("supply from"), lambda r: r.valid_from),
    "contract.end_date": ExportField(gettext_lazy("supply until (excluded)"), lambda r: r.valid_to),
    "contract.product": ExportField(gettext_lazy("product"), lambda r: r.contract.product.name),
    "contract.signers": ExportField(
        gettext_lazy("signing persons"), lambda r: ", ".join(s.name for s in r.contract.signers.all())
    ),
    "seller.name": ExportField(gettext_lazy("seller"), lambda r: r.contract.company.name),
    "seller.nip": ExportField(gettext_lazy("seller's NIP"), lambda r: r.contract.company.nip),
    "customer.number": ExportField(gettext_lazy("customer number"), lambda r: _customer(r).number),
    "customer.name": ExportField(gettext_lazy("customer name"), lambda r: _customer(r).display_name),
    "customer.kind": ExportField(gettext_lazy("customer kind"), lambda r: _customer(r).get_kind_display()),
    "customer.first_name": ExportField(gettext_lazy("first name"), lambda r: _customer(r).first_name),
    "customer.last_name": ExportField(gettext_lazy("last name"), lambda r: _customer(r).last_name),
    "customer.tax_id": ExportField(gettext_lazy("NIP or PESEL"), _tax_id),
    "customer.nip": ExportField(gettext_lazy("NIP"), lambda r: _customer(r).nip),
    "customer.pesel": ExportField(gettext_lazy("PESEL"), lambda r: _customer(r).pesel),
    "customer.regon": ExportField(gettext_lazy("REGON"), lambda r: _customer(r).regon),
    "customer.email": ExportField(gettext_lazy("customer's e-mail"), lambda r: _customer(r).email),
    "customer.phone": ExportField(gettext_lazy("customer's phone"), lambda r: _customer(r).phone),
    **_address_fields("customer", gettext_lazy("customer's address"), lambda r: _customer(r).address),
    "customer.correspondence_address": ExportField(
        gettext_lazy("correspondence address"),
        _address(lambda r: _customer(r).correspondence_address or _customer(r).address),
    ),
    "supply_point.code": ExportField(gettext_lazy("supply point code (PPE/PPG)"), lambda r: _point(r).code),
    "supply_point.legacy_code": ExportField(gettext_lazy("legacy DSO code"), lambda r: _point(r).legacy_code),
    "supply_point.commodity": ExportField(
        gettext_lazy("commodity"), lambda r: _point(r).get_commodity_display()
    ),
    "supply_point.dso": ExportField(gettext_lazy("DSO"), lambda r: _point(r).dso.name),
    "supply_point.area": ExportField(
        gettext_lazy("distribution area"), lambda r: _point(r).area.name if _point(r).area else ""
    ),
    "supply_point.tariff_group": ExportField(
        gettext_lazy("tariff group"), lambda r: _point(r).tariff_group.code
    ),
    "supply_point.capacity_kw": ExportField(
        gettext_lazy("contracted capacity (kW)"), lambda r: _point(r).contracted_capacity_kw
    ),
    "supply_point.phases": ExportField(gettext_lazy("phases"), lambda r: _point(r).phases),
    "supply_point.annual_consumption_kwh": ExportField(
        gettext_lazy("estimated annual consumption (kWh)"), lambda r: _point(r).annual_consumption_kwh
    ),
    **_address_fields("supply_point", gettext_lazy("supply point's address"), lambda r: _point(r).address),
}

DEFAULT_COLUMNS: list[str] = [
    "contract.number",
    "contract.signed_on",
    "contract.start_date",
    "contract.end_date",
    "seller.nip",
    "customer.name",
    "customer.tax_id",
    "customer.address",
    "supply_point.code",
    "supply_point.tariff_group",
    "supply_point.capacity_kw",
    "supply_point.annual_consumption_kwh",
    "supply_point.address",
]


def dso_export_layout_clean(*, file_format: str, columns: Any) -> list[dict[str, str]]:
    """The layout's columns as ``[{"header", "field"}]``, a missing header being the field's label.

    Raises ValidationFailed: an unknown field or a bad entry names its column (``columns[<index>]``,
    the message counting from 1)."""
    errors = FieldErrors()
    if file_format not in FILE_FORMATS:
        errors.add("file_format", _("Choose XLSX or CSV."))
    if not isinstance(columns, list) or not columns:
        errors.add("columns", _("Give at least one column, e.g. %(example)s.") % {"example": _EXAMPLE})
        errors.raise_if_any()
    cleaned = []
    for index, column in enumerate(columns):
        where = {"position": index + 1}
        if not isinstance(column, dict) or not isinstance(column.get("field", ""), str):
            errors.add(
                f"columns[{index}]",
                _("Column %(position)s: write it as %(example)s.") % {**where, "example": _EXAMPLE},
            )
            continue
        code = column.get("field", "").strip()
        header = str(column.get("header") or "").strip()
        if code not in DSO_EXPORT_FIELDS:
            errors.add(
                f"columns[{index}].field",
                _("Column %(position)s: unknown field “%(field)s”.") % {**where, "field": code},
            )
        elif len(header) > MAX_HEADER:
            errors.add(
                f"columns[{index}].header",
                _("Column %(position)s: a header has at most %(count)s characters.")
                % {**where, "count": MAX_HEADER},
            )
        else:
            cleaned.append({"header": header or str(DSO_EXPORT_FIELDS[code].label), "field": code})
    errors.raise_if_any()
    return cleaned


_EXAMPLE = '{"header": "PPE", "field": "supply_point.code"}'


@transaction.atomic
def dso_export_layout_save(
    *,
    company: Company,
    dso: Dso,
    file_format: str,
    columns: Any,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> DsoExportLayout:
    """Create or replace the company's layout for the DSO. Raises ValidationFailed."""
    cleaned = dso_export_layout_clean(file_format=file_format, columns=columns)
    layout = DsoExportLayout.objects.select_for_update().filter(company=company, dso=dso).first()
    before = {"file_format": layout.file_format, "columns": layout.columns} if layout else None
    if layout is None:
        layout = DsoExportLayout(company=company, dso=dso)
    layout.file_format, layout.columns, layout.updated_at = file_format, cleaned, now
    layout.save()
    audit_record(
        company=company,
        instance=layout,
        action=AuditEntry.Action.UPDATED if before else AuditEntry.Action.CREATED,
        before=before,
        after={"file_format": file_format, "columns": cleaned},
        actor=actor,
        at=now,
    )
    return layout


def dso_export_layout_for(*, company: Company, dso: Dso) -> tuple[str, list[dict[str, str]]]:
    """(file format, columns) of the company's layout for the DSO, or the default one."""
    layout = DsoExportLayout.objects.filter(company=company, dso=dso).first()
    if layout is not None:
        return layout.file_format, dso_export_layout_clean(
            file_format=layout.file_format, columns=layout.columns
        )
    return "xlsx", [{"header": str(DSO_EXPORT_FIELDS[code].label), "field": code} for code in DEFAULT_COLUMNS]


def dso_export_rows(
    *, company: Company, dso: Dso, signed_from: date, signed_to: date
) -> QuerySet[ContractSupplyPoint]:
    """Supply points of the DSO in the company's contracts signed in ``[signed_from, signed_to)``."""
    return (
        ContractSupplyPoint.objects.filter(
            contract__company=company,
            contract__signed_on__gte=signed_from,
            contract__signed_on__lt=signed_to,
            supply_point__dso=dso,
        )
        .exclude(contract__status=ContractStatus.DRAFT)
        .select_related(
            "contract__company",
            "contract__product",
            "contract__customer__address",
            "contract__customer__correspondence_address",
            "supply_point__dso",
            "supply_point__area",
            "supply_point__tariff_group",
            "supply_point__address",
        )
        .prefetch_related("contract__signers")
        .order_by("contract__signed_on", "contract__number", "supply_point__code")
    )


PLAIN_NUMBER = re.compile(r"[+-]?[\d ]+")  # a phone number or a signed number stays as it is


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f").replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    # A spreadsheet opening the file must not run a customer's name or address as a formula.
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def dso_export_file(*, company: Company, dso: Dso, signed_from: date, signed_to: date) -> tuple[str, bytes]:
    """(file name, content) of the DSO's file of contracts signed in ``[signed_from, signed_to)``, in the
    company's layout for that DSO (or the default). Raises ValidationFailed (an empty period, a layout
    naming an unknown field)."""
    if signed_to <= signed_from:
        raise ValidationFailed.single("signed_to", _("The period must end after it starts."))
    file_format, columns = dso_export_layout_for(company=company, dso=dso)
    getters = [DSO_EXPORT_FIELDS[column["field"]].get for column in columns]
    headers = [column["header"] for column in columns]
    rows = (
        [get(link) for get in getters]
        for link in dso_export_rows(company=company, dso=dso, signed_from=signed_from, signed_to=signed_to)
    )
    name = f"{dso.code}_{signed_from:%Y-%m-%d}_{signed_to:%Y-%m-%d}.{file_format}"
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows([_csv_text(value) for value in row] for row in rows)
        return name, buffer.getvalue().encode("utf-8-sig")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(dso.code[:31])
    sheet.append([xlsx_cell(sheet, header) for header in headers])
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    output = io.BytesIO()
    book.save(output)
    return name, output.getvalue()
