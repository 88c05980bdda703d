"""XLSX cells Kilowatt writes: text that looks like a formula stays text; numbers, dates and labels keep
their kind."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from kilowatt.core.spreadsheets import xlsx_cell


def test_formula_like_text_is_text_and_numbers_dates_and_labels_keep_their_kind():
    sheet = Workbook(write_only=True).create_sheet("x")
    for text in ("=HYPERLINK(\"http://x\")", "+48 600", "-1+1", "@SUM(A1)"):
        assert xlsx_cell(sheet, text).data_type == "s"
    assert xlsx_cell(sheet, Decimal("12.50")).data_type == "n"
    assert xlsx_cell(sheet, date(2026, 3, 1)).number_format == "yyyy-mm-dd"
    assert xlsx_cell(sheet, gettext_lazy("Closed")).value == "Closed"
    assert xlsx_cell(sheet, "Team", bold=True).font.bold
