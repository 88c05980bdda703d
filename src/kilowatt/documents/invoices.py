"""Invoices printed from their machine-readable JSON document ("kilowatt.invoice/1").

Billing builds the document when it issues an invoice and keeps it; this module only reads it, so
a PDF can be printed again years later, in the document's language, without touching billing.
See docs/documents.md for the fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.dates import MONTHS_3
from django.utils.translation import gettext_lazy as _

from kilowatt.documents.formatting import NotANumber, date_from, decimal_from, period_format
from kilowatt.documents.pdf import html_to_pdf

SCHEMA = "kilowatt.invoice/1"
LANGUAGES = ("pl", "en")
TEMPLATE = "documents/invoice.html"
STYLESHEET = Path(__file__).resolve().parent / "templates" / "documents" / "invoice.css"

TITLES = {
    "periodic": _("VAT invoice"),
    "forecast": _("Forecast invoice"),
    "settlement": _("Settlement invoice"),
    "correction": _("Corrective invoice"),
    "note": _("Accounting note"),
}
LINE_GROUPS = ("sales", "distribution", "other")
GROUP_TITLES = {
    ("sales", "electricity"): _("Electricity sales"),
    ("sales", "gas"): _("Gas fuel sales"),
    ("distribution", "electricity"): _("Distribution services"),
    ("distribution", "gas"): _("Distribution services"),
    ("other", "electricity"): _("Other charges"),
    ("other", "gas"): _("Other charges"),
}
# The same messages as network.Zone and sales.ContractKind, so the catalogue already has them.
ZONES = {
    "all": _("All day"),
    "peak": _("Peak (day)"),
    "offpeak": _("Off-peak (night)"),
    "peak_morning": _("Morning peak"),
    "peak_afternoon": _("Afternoon peak"),
}
CONTRACT_KINDS = {
    "comprehensive": _("Comprehensive (sales and distribution)"),
    "sales": _("Sales only"),
    "distribution": _("Distribution"),
}
COMMODITIES = {"electricity": _("Electricity"), "gas": _("Gas fuel")}
UNITS = {"month": _("mth"), "kW·month": _("kW·mth"), "m3": "m³"}

REQUIRED = (
    "number",
    "kind",
    "language",
    "issue_date",
    "sale_date",
    "due_date",
    "period",
    "currency",
    "seller",
    "buyer",
    "lines",
    "vat",
    "totals",
    "amount_due",
)  # fmt: skip  (an accounting note has no supply point)
CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM = 480, 120, 14, 100


class InvoiceDocumentInvalid(ValueError):
    """The invoice document does not follow kilowatt.invoice/1; the message names the field."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        super().__init__(f"invoice document, field {field!r}: {reason}")


def _check(document: Mapping[str, Any]) -> None:
    if document.get("schema") != SCHEMA:
        raise InvoiceDocumentInvalid("schema", f"expected {SCHEMA!r}, got {document.get('schema')!r}")
    for field in REQUIRED:
        if field not in document or document[field] is None:
            raise InvoiceDocumentInvalid(field, "missing")
    if document["kind"] not in TITLES:
        raise InvoiceDocumentInvalid("kind", f"{document['kind']!r} is not one of {', '.join(TITLES)}")
    if document["language"] not in LANGUAGES:
        raise InvoiceDocumentInvalid("language", f"{document['language']!r} is not one of pl, en")
    for index, line in enumerate(document["lines"]):
        if line.get("group") not in LINE_GROUPS:
            reason = f"{line.get('group')!r} is not one of {', '.join(LINE_GROUPS)}"
            raise InvoiceDocumentInvalid(f"lines[{index}].group", reason)
    if document["kind"] == "correction" and not document.get("corrected_invoice"):
        raise InvoiceDocumentInvalid("corrected_invoice", "a correction must name the invoice it corrects")


def _sum(values: Iterable[Any], field: str) -> Decimal:
    total = Decimal("0.00")
    for value in values:
        try:
            total += decimal_from(value)
        except NotANumber as error:
            raise InvoiceDocumentInvalid(field, str(error)) from None
    return total


def _line_groups(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    commodity = (document.get("supply_point") or {}).get("commodity", "electricity")
    language = document["language"]
    groups = []
    for group in LINE_GROUPS:
        lines = [
            {
                **line,
                "period": period_format(line["period_start"], line["period_end"], language=language)
                if line.get("period_start") and line.get("period_end")
                else "",
                "unit_label": UNITS.get(line.get("unit", ""), line.get("unit", "")),
            }
            for line in document["lines"]
            if line["group"] == group
        ]
        if lines:
            title = GROUP_TITLES.get((group, commodity), GROUP_TITLES[(group, "electricity")])
            groups.append(
                {
                    "key": group,
                    "title": title,
                    "lines": lines,
                    "net": _sum((x["net"] for x in lines), "lines"),
                }
            )
    return groups


def _readings(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    readings = []
    for reading in document.get("readings") or []:
        zone, unit = reading.get("zone", ""), reading.get("unit", "")
        readings.append({**reading, "zone_label": ZONES.get(zone, zone), "unit_label": UNITS.get(unit, unit)})
    return readings


def consumption_chart(
    history: Iterable[Mapping[str, Any]], *, period: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """Bars of a monthly consumption chart (the last 12 months), geometry for an inline SVG.

    Returns None when there is no history. Labels are short month names in the active language;
    months that overlap the billed ``period`` (half-open) are flagged ``in_period``.
    """
    months = list(history)[-12:]
    if not months:
        return None
    values = [max(decimal_from(month["kwh"]), Decimal(0)) for month in months]
    peak = max(values) or Decimal(1)
    slot = CHART_WIDTH / 12
    bar_width = slot * 0.62
    usable = CHART_BOTTOM - CHART_TOP
    bars = []
    for index, (month, value) in enumerate(zip(months, values, strict=True)):
        year, month_number = (int(part) for part in month["month"].split("-")[:2])
        height = float(value / peak) * usable
        x = index * slot + (slot - bar_width) / 2
        label = str(MONTHS_3[month_number]).capitalize()
        bars.append(
            {
                "x": round(x, 2),
                "y": round(CHART_BOTTOM - height, 2),
                "width": round(bar_width, 2),
                "height": round(height, 2),
                "center": round(x + bar_width / 2, 2),
                "value_y": round(CHART_BOTTOM - height - 2, 2),
                "label": label,
                "year": f"{year}" if index == 0 or month_number == 1 else "",
                "kwh": value.quantize(Decimal(1)),
                "in_period": _overlaps(year, month_number, period),
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "baseline": CHART_BOTTOM,
        "month_y": CHART_BOTTOM + 9,
        "year_y": CHART_BOTTOM + 17,
        "bars": bars,
    }


def _overlaps(year: int, month: int, period: Mapping[str, str] | None) -> bool:
    if not period:
        return False
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    return first < date_from(period["end"]) and date_from(period["start"]) < after


def _correction(document: Mapping[str, Any]) -> dict[str, Any] | None:
    corrected = document.get("corrected_invoice")
    if not corrected:
        return None
    before, difference = corrected["before"], corrected["difference"]
    after = {
        key: decimal_from(before[key]) + decimal_from(difference[key]) for key in ("net", "vat", "gross")
    }
    return {**corrected, "after": after}


def invoice_context(document: Mapping[str, Any]) -> dict[str, Any]:
    """What the template needs: the document as is plus grouped lines, chart bars and labels."""
    _check(document)
    language = document["language"]
    period = document["period"]
    amount_due = _sum([document["amount_due"]], "amount_due")
    readings = _readings(document)
    return {
        "document": document,
        "title": TITLES[document["kind"]],
        "period": period_format(period["start"], period["end"], language=language),
        "readings": readings,
        "has_conversion": any(reading.get("conversion_factor") for reading in readings),
        "has_estimated": any(r.get("previous_estimated") or r.get("current_estimated") for r in readings),
        "groups": _line_groups(document),
        "commodity": COMMODITIES.get((document.get("supply_point") or {}).get("commodity", ""), ""),
        "contract_kind": CONTRACT_KINDS.get((document.get("contract") or {}).get("kind", ""), ""),
        "amount_due": amount_due,
        "amount_due_abs": abs(amount_due),
        "chart": consumption_chart(document.get("consumption_history") or [], period=period),
        "correction": _correction(document),
    }


def invoice_html_render(*, document: Mapping[str, Any]) -> str:
    """The invoice as self-contained HTML (styles inline), in the document's language: for previews.

    Raises InvoiceDocumentInvalid.
    """
    return _render(document=document, inline_css=True)


def _render(*, document: Mapping[str, Any], inline_css: bool) -> str:
    _check(document)
    with translation.override(document["language"]):
        context = invoice_context(document)
        return render_to_string(TEMPLATE, {**context, "inline_css": inline_css})


def invoice_pdf_render(*, document: Mapping[str, Any], pdf_variant: str | None = None) -> bytes:
    """The invoice as an A4 PDF in the document's language.

    ``pdf_variant="pdf/a-3b"`` makes an archival PDF/A. Raises InvoiceDocumentInvalid.
    """
    html = _render(document=document, inline_css=False)
    return html_to_pdf(html=html, stylesheets=[STYLESHEET], pdf_variant=pdf_variant)
