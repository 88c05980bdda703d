"""Collection letters as PDF: content, languages, envelope window, and print batches for the post.

The text is read back from WeasyPrint's own page layout (every text box laid out on each page), so
no PDF parser is needed; the PDF bytes themselves are checked for their page count by inflating
their object streams (zlib), and, where poppler's ``pdftotext`` is installed, read as text too.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import zlib
from typing import Any

import pytest
from django.utils import translation
from weasyprint.formatting_structure.boxes import TextBox

from kilowatt.documents import letters as letters_module
from kilowatt.documents.letters import (
    STYLESHEET,
    LetterDocumentInvalid,
    letter_html_render,
    letter_pdf_render,
    letters_post_sorted,
    letters_print_batch,
    letters_print_html,
)
from kilowatt.documents.pdf import html_layout

MM = 96 / 25.4  # CSS pixels per millimetre: WeasyPrint lays pages out in CSS pixels

SENDER = {
    "name": "Kilowatt Energia S.A.",
    "address_lines": ["ul. Prosta 20", "00-850 Warszawa"],
    "nip": "5261040828",
    "bank_account": "PL61109010140000071219812874",
    "phone": "+48 22 100 20 30",
    "email": "windykacja@kilowatt.example",
}


def demand_letter(**changes: Any) -> dict[str, Any]:
    """A Polish demand for payment (wezwanie do zapłaty) of two invoices, with a reminder fee."""
    letter = {
        "schema": "kilowatt.letter/1",
        "kind": "demand",
        "number": "WZ/2026/000007",
        "issued_on": "2026-03-10",
        "place": "Warszawa",
        "language": "pl",
        "sender": copy.deepcopy(SENDER),
        "recipient": {
            "name": "Jan Kowalski",
            "address_lines": ["ul. Polna 5 m. 2"],
            "postal_code": "02-495",
            "city": "Warszawa",
        },
        "customer_number": "K/000042",
        "paragraphs": [
            "Szanowny Panie, mimo upływu terminów płatności poniższe faktury pozostają nieopłacone."
        ],
        "items": [
            {
                "document_number": "FV/000123/2026",
                "issued_on": "2026-01-03",
                "due_date": "2026-01-17",
                "amount": "1499.91",
                "open_amount": "1199.91",
                "days_late": 52,
            },
            {
                "document_number": "FV/000201/2026",
                "issued_on": "2026-02-03",
                "due_date": "2026-02-17",
                "amount": "312.40",
                "open_amount": "312.40",
                "days_late": 21,
            },
        ],
        "totals": {"amount": "1512.31", "fee": "15.00"},
        "deadline": "2026-03-24",
        "signature": ["Dział Windykacji"],
    }
    letter.update(changes)
    return letter


def reminder_letter(number: str, name: str, postal_code: str, *, language: str = "pl") -> dict[str, Any]:
    """A short one-page payment reminder for one invoice, to a given recipient."""
    return demand_letter(
        kind="reminder",
        number=number,
        language=language,
        paragraphs=[],
        recipient={
            "name": name,
            "address_lines": ["ul. Testowa 1"],
            "postal_code": postal_code,
            "city": "Miasto",
        },
        items=[
            {
                "document_number": f"FV/{number}",
                "due_date": "2026-02-17",
                "amount": "80.00",
                "open_amount": "80.00",
            }
        ],
        totals={"amount": "80.00"},
        deadline="2026-03-31",
    )


def disconnection_notice(**changes: Any) -> dict[str, Any]:
    letter = demand_letter(
        kind="disconnection_notice",
        number="PW/2026/000003",
        paragraphs=[],
        supply_point={"code": "PL0037100000012345", "address": "ul. Polna 5 m. 2, 02-495 Warszawa"},
        totals={"amount": "1512.31"},
        deadline="2026-03-24",  # 14 days after 2026-03-10
    )
    letter.update(changes)
    return letter


def interest_note_en() -> dict[str, Any]:
    return demand_letter(
        kind="interest_note",
        number="NO/2026/000011",
        language="en",
        place="Warsaw",
        paragraphs=[],
        recipient={
            "name": "Northwind Sp. z o.o.",
            "address_lines": ["ul. Morska 10"],
            "postal_code": "81-225",
            "city": "Gdynia",
        },
        items=[
            {
                "document_number": "FV/000077/2026",
                "due_date": "2026-01-20",
                "amount": "12345.67",
                "open_amount": "0.00",
                "paid_on": "2026-02-23",
                "days_late": 34,
                "interest_rate": "0.0925",
                "interest": "106.36",
            }
        ],
        totals={"amount": "0.00", "interest": "106.36"},
        deadline="2026-03-24",
    )


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def layout_pages(html: str) -> list[Any]:
    return html_layout(html=html, stylesheets=[STYLESHEET]).pages


def page_text(page: Any) -> str:
    return _normalised(
        " ".join(
            box.text for box in page._page_box.descendants(placeholders=True) if isinstance(box, TextBox)
        )
    )


def letter_text(letter: dict[str, Any]) -> str:
    return " ".join(page_text(page) for page in layout_pages(letter_html_render(letter=letter)))


def pdf_page_count(pdf: bytes) -> int:
    """Page objects in the PDF bytes, looking inside (Flate-compressed) object streams too."""
    chunks = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", chunk)) for chunk in chunks)


@pytest.fixture(scope="module")
def demand_text() -> str:
    return letter_text(demand_letter())


# --- one letter -----------------------------------------------------------------------------------


def test_a_letter_is_a_one_page_pdf():
    pdf = letter_pdf_render(letter=demand_letter())
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf_page_count(pdf) == 1


def test_the_demand_shows_number_items_amounts_fee_deadline_and_account(demand_text):
    text = demand_text
    assert "WZ/2026/000007" in text
    assert "FV/000123/2026" in text and "FV/000201/2026" in text
    assert "1 499,91 zł" in text and "1 199,91 zł" in text and "312,40 zł" in text  # Polish amounts
    assert "1 512,31 zł" in text  # outstanding
    assert "15,00 zł" in text  # fee
    assert "1 527,31 zł" in text  # total to pay: 1512.31 + 15.00
    assert "24.03.2026" in text  # deadline, Polish style
    assert "Warszawa, 10.03.2026" in text
    assert "PL61 1090 1014 0000 0712 1981 2874" in text
    assert "K/000042" in text
    assert re.search(r"FV/000123/2026 03\.01\.2026 17\.01\.2026 1 499,91 zł 1 199,91 zł 52", text)
    assert "mimo upływu terminów płatności" in text  # the letter's own paragraph


def test_labels_the_catalogue_already_has_are_polish(demand_text):
    assert "Numer klienta K/000042" in demand_text
    assert "Nr WZ/2026/000007" in demand_text
    assert "Termin płatności".upper() in demand_text.upper()
    assert "Numer rachunku do wpłaty".upper() in demand_text  # text-transform: uppercase
    assert "Zapłać do 24.03.2026" in demand_text


def _catalogue_has_letters() -> bool:
    with translation.override("pl"):
        return str(letters_module.TITLES["demand"]) != "Demand for payment"


@pytest.mark.skipif(
    not _catalogue_has_letters(),
    reason="the letters' messages are not in the Polish catalogue yet: run `make messages`, translate them",
)
def test_letters_own_labels_are_polish(demand_text):
    assert "Wezwanie do zapłaty" in demand_text
    assert "Razem do zapłaty" in demand_text
    assert "Dni opóźnienia".upper() in demand_text.upper()
    notice = letter_text(disconnection_notice())
    assert "Powiadomienie o zamiarze wstrzymania dostaw" in notice
    assert "PL0037100000012345" in notice and "24.03.2026" in notice
    assert "14 dni" in notice
    assert "Przypomnienie o płatności" in letter_text(reminder_letter("R/1", "Ewa Lis", "00-001"))


def test_the_english_interest_note_shows_interest_rate_days_and_iso_dates():
    text = letter_text(interest_note_en())
    assert "Interest note" in text
    assert "No. NO/2026/000011" in text
    assert "Customer number K/000042" in text
    assert "Warsaw, 2026-03-10" in text
    assert "PLN 12,345.67" in text and "PLN 0.00" in text
    assert "PLN 106.36" in text  # interest, item and total
    assert "9.25%" in text and "2026-02-23" in text and " 34 " in text
    assert "Pay by 2026-03-24" in text
    assert "statutory rate for late payment" in text
    assert "already paid" not in text  # an interest note is about payments made late


def test_the_notice_of_intended_disconnection_names_deadline_supply_point_and_complaint_right():
    with translation.override("en"):
        text = letter_text(disconnection_notice(language="en"))
    assert "Notice of intended suspension of supply" in text
    assert "If the amount due is not paid by 2026-03-24" in text
    assert "supply point PL0037100000012345" in text
    assert "within 14 days of receiving it" in text
    assert "PLN 1,512.31" in text


def test_the_address_sits_in_the_window_of_a_dl_envelope():
    """Right window 90 × 45 mm: the sheet shows 110–190 mm from the left and 50–84 mm from the top."""
    [page] = layout_pages(letter_html_render(letter=demand_letter()))
    boxes = {
        box.text: box for box in page._page_box.descendants(placeholders=True) if isinstance(box, TextBox)
    }
    for line in ("Jan Kowalski", "ul. Polna 5 m. 2", "02-495 Warszawa"):
        box = boxes[line]
        left, top = box.position_x / MM, box.position_y / MM
        right, bottom = left + box.width / MM, top + box.height / MM
        assert left >= 110 and right <= 190, (line, left, right)
        assert top >= 50 and bottom <= 84, (line, top, bottom)
    sender = boxes["Kilowatt Energia S.A."]
    assert sender.position_y / MM < 50  # the sender's block stays above the window


def test_paragraphs_are_text_not_markup():
    html = letter_html_render(letter=demand_letter(paragraphs=['<script>alert("x")</script> & <b>bold</b>']))
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html


def test_the_preview_is_self_contained_and_in_the_letters_language():
    with translation.override("en"):
        html = letter_html_render(letter=demand_letter())
    assert '<html lang="pl">' in html and "<style>" in html and "@page" in html
    assert "1\u00a0527,31\u00a0zł" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert translation.get_language() == "en"


# --- print batches --------------------------------------------------------------------------------


def test_a_batch_is_one_pdf_with_one_page_per_letter():
    batch = [
        reminder_letter("R/1", "Ewa Lis", "30-001"),
        reminder_letter("R/2", "Adam Wolski", "80-001"),
        reminder_letter("R/3", "Olga Kruk", "00-950"),
        reminder_letter("R/4", "Piotr Sowa", "15-001"),
        reminder_letter("R/5", "Irena Sikora", "60-001"),
    ]
    pdf = letters_print_batch(letters=batch)
    assert pdf.startswith(b"%PDF-")
    assert pdf_page_count(pdf) == len(batch)
    assert len(layout_pages(letters_print_html(letters=batch))) == len(batch)


def test_the_batch_is_sorted_by_postal_code_then_name_for_the_post():
    batch = [
        reminder_letter("R/1", "Zofia Nowak", "80-001"),
        reminder_letter("R/2", "Zenon Adamski", "00-950"),
        reminder_letter("R/3", "Łucja Wiśniewska", "80-001"),  # Ł sorts with L, before Z
        reminder_letter("R/4", "Adam Wolski", "30-001"),
        reminder_letter("R/5", "Bogdan Mazur", "00-950"),
    ]
    expected = ["Bogdan Mazur", "Zenon Adamski", "Adam Wolski", "Łucja Wiśniewska", "Zofia Nowak"]
    assert [letter["recipient"]["name"] for letter in letters_post_sorted(letters=batch)] == expected
    pages = [page_text(page) for page in layout_pages(letters_print_html(letters=batch))]
    assert len(pages) == 5
    for page, name in zip(pages, expected, strict=True):
        assert name in page
        assert sum(other in page for other in expected) == 1  # one letter per page


def test_a_long_letter_runs_on_and_the_next_starts_on_a_new_page():
    items = [
        {
            "document_number": f"FV/{i:06d}/2025",
            "due_date": "2025-06-17",
            "amount": "100.00",
            "open_amount": "100.00",
        }
        for i in range(60)
    ]
    long_letter = demand_letter(items=items, totals={"amount": "6000.00"})
    short = reminder_letter("R/9", "Zenon Zięba", "99-999")
    pages = [page_text(page) for page in layout_pages(letters_print_html(letters=[short, long_letter]))]
    assert len(pages) >= 3
    assert "Jan Kowalski" in pages[0] and "Zenon Zięba" not in " ".join(pages[:-1])
    assert "Zenon Zięba" in pages[-1] and "FV/000059/2025" not in pages[-1]
    assert "6 000,00 zł" in " ".join(pages[1:-1])


def test_a_batch_prints_each_letter_in_its_own_language():
    batch = [reminder_letter("R/1", "Anna Nowak", "00-001", language="en"), demand_letter()]
    pages = [page_text(page) for page in layout_pages(letters_print_html(letters=batch))]
    english, polish = pages
    assert "Customer number" in english and "PLN 80.00" in english and "2026-03-31" in english
    assert "Numer klienta" in polish and "1 527,31 zł" in polish and "24.03.2026" in polish


def test_the_batch_is_laid_out_as_one_document(monkeypatch):
    calls = []
    real = letters_module.html_to_pdf

    def counting(**kwargs):
        calls.append(kwargs["html"])
        return real(**kwargs)

    monkeypatch.setattr(letters_module, "html_to_pdf", counting)
    letters_print_batch(letters=[reminder_letter(f"R/{i}", f"Name {i}", f"0{i}-001") for i in range(4)])
    assert len(calls) == 1
    assert calls[0].count('<section class="letter') == 4


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_the_batch_pdf_bytes_carry_the_letters_in_post_order(tmp_path):
    batch = [
        reminder_letter("R/1", "Zofia Nowak", "80-001"),
        interest_note_en(),  # 81-225
        demand_letter(),  # 02-495
    ]
    path = tmp_path / "batch.pdf"
    path.write_bytes(letters_print_batch(letters=batch))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = [_normalised(page) for page in text.split("\f") if page.strip()]
    assert len(pages) == 3
    assert "Jan Kowalski" in pages[0] and "1 527,31 zł" in pages[0] and "24.03.2026" in pages[0]
    assert "Zofia Nowak" in pages[1] and "80,00 zł" in pages[1]
    assert "Northwind" in pages[2] and "PLN 106.36" in pages[2]
    assert "Dział Windykacji" in pages[0]  # Polish glyphs survive (DejaVu Sans, ToUnicode map)


# --- refused documents ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"schema": "kilowatt.letter/0"}, "schema"),
        ({"kind": "threat"}, "kind"),
        ({"language": "de"}, "language"),
        ({"number": ""}, "number"),
        ({"issued_on": "10.03.2026"}, "issued_on"),
        ({"totals": {"amount": "1512.30"}}, "totals.amount"),
        ({"totals": {"amount": 1512.31}}, "totals.amount"),  # a float is never money
        ({"totals": {"amount": "1512.31", "fee": "-5.00"}}, "totals.fee"),
        ({"deadline": "2026-03-01"}, "deadline"),
    ],
)
def test_a_malformed_letter_is_refused_naming_the_field(change, field):
    with pytest.raises(LetterDocumentInvalid) as error:
        letter_pdf_render(letter=demand_letter(**change))
    assert error.value.field == field
    assert field in str(error.value)


def test_missing_parts_are_named():
    letter = demand_letter()
    del letter["recipient"]["postal_code"]
    with pytest.raises(LetterDocumentInvalid, match=r"recipient\.postal_code"):
        letter_html_render(letter=letter)
    letter = demand_letter()
    del letter["items"][1]["due_date"]
    with pytest.raises(LetterDocumentInvalid, match=r"items\[1\]\.due_date"):
        letter_html_render(letter=letter)


def test_a_disconnection_notice_needs_a_deadline_at_least_14_days_out():
    letter_html_render(letter=disconnection_notice())  # exactly 14 days: accepted
    with pytest.raises(LetterDocumentInvalid, match="deadline.*2026-03-24"):
        letter_html_render(letter=disconnection_notice(deadline="2026-03-23"))
    with pytest.raises(LetterDocumentInvalid, match="deadline.*must give a deadline"):
        letter_html_render(letter=disconnection_notice(deadline=None))


def test_an_interest_note_must_add_up_and_charge_interest():
    note = interest_note_en()
    note["totals"]["interest"] = "100.00"
    with pytest.raises(LetterDocumentInvalid, match=r"totals\.interest.*106\.36"):
        letter_html_render(letter=note)
    note = interest_note_en()
    del note["items"][0]["interest"]
    del note["totals"]["interest"]
    with pytest.raises(LetterDocumentInvalid, match=r"totals\.interest"):
        letter_html_render(letter=note)


def test_a_bad_letter_in_a_batch_is_named_by_its_place_in_the_list():
    batch = [reminder_letter("R/1", "Ewa Lis", "30-001"), reminder_letter("R/2", "Adam Wolski", "80-001")]
    batch[1]["language"] = "fr"
    with pytest.raises(LetterDocumentInvalid) as error:
        letters_print_batch(letters=batch)
    assert error.value.field == "letters[1].language"
    with pytest.raises(LetterDocumentInvalid, match="at least one letter"):
        letters_print_batch(letters=[])
