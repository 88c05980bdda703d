"""Invoice PDFs from the invoice document: content, languages, number formats, offline rendering.

The PDF text is read back from WeasyPrint's own page layout (``html_layout``: every text box laid
out on the pages), which needs no PDF parser; where poppler's ``pdftotext`` is installed, one test
also reads the PDF bytes themselves.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.utils import translation
from weasyprint.formatting_structure.boxes import TextBox

from kilowatt.documents import formatting
from kilowatt.documents.invoices import (
    STYLESHEET,
    InvoiceDocumentInvalid,
    _render,
    consumption_chart,
    invoice_html_render,
    invoice_pdf_render,
)
from kilowatt.documents.pdf import RemoteResourceRefused, html_layout, html_to_pdf
from tests.documents_fixtures import correction_document, gas_document, household_g11_document


def laid_out_text(document: dict) -> str:
    """The text WeasyPrint lays out on the PDF's pages (NBSPs as spaces, whitespace collapsed)."""
    pages = html_layout(html=_render(document=document, inline_css=False), stylesheets=[STYLESHEET]).pages
    text = " ".join(
        box.text for page in pages for box in page._page_box.descendants() if isinstance(box, TextBox)
    )
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


@pytest.fixture(scope="module")
def household_text() -> str:
    return laid_out_text(household_g11_document())


def test_the_household_invoice_is_a_pdf():
    pdf = invoice_pdf_render(document=household_g11_document())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_the_household_invoice_shows_number_amount_due_account_and_vat_table(household_text):
    text = household_text
    assert "FV/000123/2026" in text
    assert "499,91 zł" in text  # amount due, Polish decimal comma
    assert "PL61 1090 1014 0000 0712 1981 2874" in text  # IBAN in groups of four
    assert "Transfer title".upper() in text or "FV/000123/2026" in text
    # the VAT table: rate, net, VAT, gross
    assert re.search(r"23% 406,43 zł 93,48 zł 499,91 zł", text)
    assert "17.03.2026" in text  # due date, Polish style
    assert "01.01.2026 – 28.02.2026" in text  # half-open period printed with its last day
    assert "12 720,000" in text  # meter reading with a thousands space
    assert "1,88 zł" in text  # excise included in the price


def test_estimated_reads_are_marked_and_actual_ones_are_not():
    html = invoice_html_render(document=household_g11_document())
    assert html.count('class="estimated"') == 1  # only the current read of February
    gas = invoice_html_render(document=gas_document())
    assert gas.count('class="estimated"') == 1  # the previous read of November


def test_lines_are_grouped_with_subtotals(household_text):
    text = household_text
    assert "205,61 zł" in text  # sales: 94.05 + 91.58 + 19.98
    assert "184,56 zł" in text  # distribution
    assert "16,26 zł" in text  # other
    document = household_g11_document()
    groups = {}
    for line in document["lines"]:
        groups[line["group"]] = groups.get(line["group"], Decimal(0)) + Decimal(line["net"])
    assert groups == {
        "sales": Decimal("205.61"),
        "distribution": Decimal("184.56"),
        "other": Decimal("16.26"),
    }
    assert sum(groups.values()) == Decimal(document["totals"]["net"])


def test_english_gas_invoice_shows_conversion_factor_and_decimal_point():
    text = laid_out_text(gas_document())
    assert "Settlement invoice" in text
    assert "FV/000311/2026" in text
    assert "PLN 1,606.61" in text
    assert "Conversionfactor(kWh/m³)" in text.replace(" ", "")  # a header may wrap anywhere
    assert "11.160" in text and "4,185.000" in text and "375.000 m³" in text
    assert "ESTIMATED READ" in text  # text-transform: uppercase
    assert "Gas fuel sales" in text
    assert "excise" not in text.lower().replace("exempt from excise duty", "")  # gas: no excise
    assert "2026-01-19" in text  # due date, ISO in English


def test_correction_shows_the_corrected_invoice_and_the_overpayment():
    text = laid_out_text(correction_document())
    assert "FK/000004/2026" in text
    assert "FV/000123/2026" in text and "03.03.2026" in text
    assert re.search(r"499,91 zł .*477,66 zł .*-22,25 zł", text)  # before, after, difference
    assert "-18,09 zł" in text
    assert "22,25 zł" in text
    assert "PL61 1090" not in text  # nothing to pay: no transfer details


def test_the_html_preview_is_self_contained_and_in_the_document_language():
    html = invoice_html_render(document=household_g11_document())
    assert html.startswith("<!doctype html>") or "<!doctype html>" in html[:200]
    assert '<html lang="pl">' in html
    assert "<style>" in html and "@page" in html
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<svg" in html and html.count("<rect") == 12  # the 12-month chart, inline


def test_svg_coordinates_use_a_decimal_point_even_in_polish():
    html = invoice_html_render(document=household_g11_document())
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert not re.search(r'(x|y|width|height)="\d+,\d', svg)


def test_the_document_language_wins_over_the_active_language():
    with translation.override("pl"):
        english = invoice_html_render(document=gas_document())
    assert "Settlement invoice" in english and "PLN\u00a01,606.61" in english
    with translation.override("en"):
        polish = invoice_html_render(document=household_g11_document())
    assert "499,91\u00a0zł" in polish
    assert translation.get_language() not in (None, "")


def test_polish_labels_come_from_the_catalogue(household_text):
    assert "Faktura VAT" in household_text
    assert "Nr FV/000123/2026" in household_text
    assert "ODCZYT SZACOWANY" in household_text
    assert "w tym akcyza" in household_text
    assert "Do zapłaty".upper() in household_text
    assert "Faktura korygująca" in laid_out_text(correction_document())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_the_pdf_bytes_carry_extractable_text(tmp_path):
    path = tmp_path / "invoice.pdf"
    path.write_bytes(invoice_pdf_render(document=household_g11_document()))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " "))
    assert "FV/000123/2026" in text
    assert "499,91 zł" in text
    assert "PL61 1090 1014 0000 0712 1981 2874" in text
    assert "Prąd Stała Cena 2026" in text  # Polish glyphs survive (DejaVu Sans, ToUnicode map)


def test_an_archival_pdf_a_can_be_asked_for():
    pdf = invoice_pdf_render(document=gas_document(), pdf_variant="pdf/a-3b")
    assert pdf.startswith(b"%PDF-")


@pytest.mark.parametrize(
    "html",
    [
        '<img src="https://example.com/logo.png">',
        '<link rel="stylesheet" href="http://example.com/style.css"><p>x</p>',
        '<p style="background: url(https://example.com/bg.png)">x</p>',
    ],
)
def test_remote_resources_are_refused(html):
    with pytest.raises(RemoteResourceRefused, match="example.com"):
        html_to_pdf(html=html)


def test_local_data_urls_are_allowed():
    pixel = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
    assert html_to_pdf(html=f'<p>Logo <img src="{pixel}"></p>').startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"schema": "kilowatt.invoice/0"}, "schema"),
        ({"number": None}, "number"),
        ({"kind": "receipt"}, "kind"),
        ({"language": "de"}, "language"),
        ({"corrected_invoice": None, "kind": "correction"}, "corrected_invoice"),
    ],
)
def test_a_malformed_document_is_refused_naming_the_field(change, field):
    document = {**household_g11_document(), **change}
    with pytest.raises(InvoiceDocumentInvalid) as error:
        invoice_html_render(document=document)
    assert error.value.field == field
    assert field in str(error.value)


def test_a_line_in_an_unknown_group_is_refused():
    document = household_g11_document()
    document["lines"][3]["group"] = "taxes"
    with pytest.raises(InvoiceDocumentInvalid, match=r"lines\[3\]\.group"):
        invoice_pdf_render(document=document)


def test_consumption_chart_scales_bars_and_flags_the_billed_months():
    document = household_g11_document()
    with translation.override("pl"):
        chart = consumption_chart(document["consumption_history"], period=document["period"])
    assert chart is not None
    bars = chart["bars"]
    assert len(bars) == 12
    tallest = max(bars, key=lambda bar: bar["height"])
    assert tallest["kwh"] == Decimal(215) and tallest["label"] == "Gru"
    assert [bar["label"] for bar in bars if bar["in_period"]] == ["Sty", "Lut"]
    assert bars[0]["year"] == "2025" and bars[10]["year"] == "2026"
    assert consumption_chart([]) is None


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        ("1234.56", "pl", "1\u00a0234,56\u00a0zł"),
        ("1234.56", "en", "PLN\u00a01,234.56"),
        ("-22.25", "pl", "-22,25\u00a0zł"),
        ("0.005", "pl", "0,01\u00a0zł"),  # half up
        ("1234567", "pl", "1\u00a0234\u00a0567,00\u00a0zł"),
    ],
)
def test_money_format(value, language, expected):
    assert formatting.money_format(value, language=language) == expected


def test_numbers_keep_their_scale_and_rates_print_as_percent():
    assert formatting.number_format("0.495000", language="pl") == "0,495000"
    assert formatting.number_format("12720.000", language="en") == "12,720.000"
    assert formatting.number_format("2.5", language="pl", places=2) == "2,50"
    assert formatting.percent_format("0.23", language="pl") == "23%"
    assert formatting.percent_format("0.085", language="pl") == "8,5%"
    assert formatting.percent_format("zw", language="pl") == "zw"
    with pytest.raises(formatting.NotANumber):
        formatting.money_format(1.5, language="pl")  # type: ignore[arg-type]


def test_dates_periods_and_bank_accounts():
    assert formatting.date_format("2026-03-01", language="pl") == "01.03.2026"
    assert formatting.date_format("2026-03-01", language="en") == "2026-03-01"
    assert formatting.period_format("2026-01-01", "2026-03-01", language="pl") == "01.01.2026 – 28.02.2026"
    assert (
        formatting.bank_account_format("PL61109010140000071219812874") == "PL61 1090 1014 0000 0712 1981 2874"
    )
    assert (
        formatting.bank_account_format("61 1090 1014 0000 0712 1981 2874")
        == "61 1090 1014 0000 0712 1981 2874"
    )
