"""Collection letters (reminder, demand for payment, notice of intended disconnection, interest note).

Collections freezes each letter as a plain dict, the *letter document*, when it sends the letter;
this module only reads it, so a letter can be printed again later in its own language. One letter
is printed with ``letter_pdf_render``; a day's letters for the post with ``letters_print_batch``:
one PDF, one HTML document laid out once, every letter starting on a new page, sorted by the
recipient's postal code and then name (the order a bulk-mail discount asks for), the address
placed where the window of a DL envelope shows it (see letter.css).

The letter document (``"kilowatt.letter/1"``); amounts are Decimal strings (``"1234.56"``, never
floats), dates ISO strings (``"2026-03-10"``); keys marked ``?`` may be left out::

    {
      "schema"?: "kilowatt.letter/1",
      "kind": "reminder" | "demand" | "disconnection_notice" | "interest_note" | "complaint_answer",
      "number": "WZ/2026/000123",           # the letter's own number
      "issued_on": "2026-03-10",
      "place": "Warszawa",                   # printed before the date: "Warszawa, 10.03.2026"
      "language": "pl" | "en",
      "currency"?: "PLN",
      "sender": {
        "name": "Kilowatt Energia S.A.",
        "address_lines": ["ul. Prosta 20", "00-850 Warszawa"],
        "nip": "5261040828",
        "bank_account": "PL61109010140000071219812874",   # IBAN or NRB, printed in groups of four
        "phone"?: "+48 22 100 20 30", "email"?: "windykacja@example.pl",
      },
      "recipient": {
        "name": "Jan Kowalski",
        "address_lines": ["ul. Polna 5 m. 2"],    # street lines, without the postal code and city
        "postal_code": "02-495",
        "city": "Warszawa",
        "country"?: "POLSKA",                    # last line, for mail abroad
      },
      "customer_number": "K/000042",
      "payment_title"?: "K/000042",             # transfer title; the customer number by default
      "title"?: "Wezwanie do zapłaty",           # the kind's standard title by default
      "paragraphs"?: ["…", "…"],                 # body text; a standard opening by default
      "supply_point"?: {"code": "PL0037…", "address": "ul. Polna 5 m. 2, 02-495 Warszawa"},
      "items": [
        {"document_number": "FV/000123/2026", "issued_on"?: "2026-03-03",
         "due_date": "2026-03-17", "amount": "499.91", "open_amount": "199.91",
         "days_late"?: 31, "paid_on"?: "2026-04-20", "interest_rate"?: "0.0925", "interest"?: "1.57"},
      ],
      "totals": {"amount": "199.91", "fee"?: "0.00", "interest"?: "1.57"},
      "deadline"?: "2026-03-31",                 # pay by; required for a disconnection notice
      "signature"?: ["Dział Windykacji", "Kilowatt Energia S.A."],
    }

A complaint answer carries no amounts (``"items": []``, ``"totals": {"amount": "0.00"}``); its
``paragraphs`` say the decision and its reasons.

``totals.amount`` is the sum of the items' open amounts and ``totals.interest`` the sum of their
interest; the letter asks for ``amount + fee + interest``. A notice of intended disconnection gives
the customer at least ``DISCONNECTION_NOTICE_DAYS`` (14) days after the letter's date to pay.
Errors name the field: ``LetterDocumentInvalid``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kilowatt.documents.formatting import NotANumber, date_from, decimal_from
from kilowatt.documents.pdf import html_to_pdf

SCHEMA = "kilowatt.letter/1"
LANGUAGES = ("pl", "en")
TEMPLATE = "documents/letter.html"
STYLESHEET = Path(__file__).resolve().parent / "templates" / "documents" / "letter.css"
DISCONNECTION_NOTICE_DAYS = 14

TITLES = {
    "reminder": _("Payment reminder"),
    "demand": _("Demand for payment"),
    "disconnection_notice": _("Notice of intended suspension of supply"),
    "interest_note": _("Interest note"),
    "complaint_answer": _("Answer to your complaint"),
}
OPENINGS = {
    "reminder": _(
        "According to our records the documents listed below have not been paid in full by their "
        "due date. Perhaps the payment slipped your mind: please pay the amount due."
    ),
    "demand": _(
        "Despite the due dates having passed, the documents listed below remain unpaid. We hereby "
        "demand payment of the amount due."
    ),
    "disconnection_notice": _(
        "The documents listed below have not been paid although their due dates have passed by at "
        "least 30 days."
    ),
    "interest_note": _(
        "The documents listed below were paid after their due dates. We charge statutory interest "
        "for late payment as set out below."
    ),
    "complaint_answer": _("We have considered your complaint and answer it as follows."),
}
REQUIRED = (
    "kind",
    "number",
    "issued_on",
    "place",
    "language",
    "sender",
    "recipient",
    "customer_number",
    "items",
    "totals",
)
SENDER_REQUIRED = ("name", "address_lines", "nip", "bank_account")
RECIPIENT_REQUIRED = ("name", "address_lines", "postal_code", "city")
ITEM_REQUIRED = ("document_number", "due_date", "amount", "open_amount")


class LetterDocumentInvalid(ValueError):
    """The letter document does not follow kilowatt.letter/1; the message names the field."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"letter document, field {field!r}: {reason}")


def _missing(value: Any) -> bool:
    return value is None or value == "" or value == []


def _amount(value: Any, field: str) -> Decimal:
    try:
        return decimal_from(value)
    except NotANumber as error:
        raise LetterDocumentInvalid(field, str(error)) from None


def _date(value: Any, field: str) -> date:
    try:
        return date_from(value)
    except (TypeError, ValueError):
        raise LetterDocumentInvalid(field, f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


def _require(document: Mapping[str, Any], keys: Sequence[str], prefix: str = "") -> None:
    for key in keys:
        if _missing(document.get(key)):
            raise LetterDocumentInvalid(prefix + key, "missing")


def _lines(value: Any, field: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise LetterDocumentInvalid(field, "expected a list of lines")
    return [str(line) for line in value]


def _check_parties(letter: Mapping[str, Any]) -> None:
    for party, keys in (("sender", SENDER_REQUIRED), ("recipient", RECIPIENT_REQUIRED)):
        if not isinstance(letter[party], Mapping):
            raise LetterDocumentInvalid(party, "expected an object")
        _require(letter[party], keys, f"{party}.")
        _lines(letter[party]["address_lines"], f"{party}.address_lines")


def _item_sums(items: Any) -> tuple[Decimal, Decimal | None]:
    """The sum of the items' open amounts and of their interest (None when no item has interest)."""
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise LetterDocumentInvalid("items", "expected a list")
    open_total, interest_total = Decimal("0.00"), None
    for index, item in enumerate(items):
        prefix = f"items[{index}]."
        if not isinstance(item, Mapping):
            raise LetterDocumentInvalid(f"items[{index}]", "expected an object")
        _require(item, ITEM_REQUIRED, prefix)
        _date(item["due_date"], prefix + "due_date")
        _amount(item["amount"], prefix + "amount")
        open_total += _amount(item["open_amount"], prefix + "open_amount")
        if not _missing(item.get("interest")):
            interest = _amount(item["interest"], prefix + "interest")
            interest_total = (interest_total or Decimal("0.00")) + interest
        for key in ("issued_on", "paid_on"):
            if not _missing(item.get(key)):
                _date(item[key], prefix + key)
    return open_total, interest_total


def letter_check(*, letter: Mapping[str, Any]) -> None:
    """Refuse a letter document that does not follow kilowatt.letter/1 or whose totals do not add up.

    Raises LetterDocumentInvalid naming the field.
    """
    if letter.get("schema", SCHEMA) != SCHEMA:
        raise LetterDocumentInvalid("schema", f"expected {SCHEMA!r}, got {letter.get('schema')!r}")
    _require(letter, [key for key in REQUIRED if key != "items"])
    if letter.get("items") is None:
        raise LetterDocumentInvalid("items", "missing")
    if letter["kind"] not in TITLES:
        raise LetterDocumentInvalid("kind", f"{letter['kind']!r} is not one of {', '.join(TITLES)}")
    if letter["language"] not in LANGUAGES:
        raise LetterDocumentInvalid("language", f"{letter['language']!r} is not one of pl, en")
    issued_on = _date(letter["issued_on"], "issued_on")
    _check_parties(letter)
    open_total, interest_total = _item_sums(letter["items"])
    totals = letter["totals"]
    if not isinstance(totals, Mapping):
        raise LetterDocumentInvalid("totals", "expected an object")
    _require(totals, ["amount"], "totals.")
    if _amount(totals["amount"], "totals.amount") != open_total:
        reason = f"{totals['amount']} is not the sum of the items' open amounts ({open_total})"
        raise LetterDocumentInvalid("totals.amount", reason)
    if not _missing(totals.get("fee")) and _amount(totals["fee"], "totals.fee") < 0:
        raise LetterDocumentInvalid("totals.fee", "a fee cannot be negative")
    if interest_total is not None:
        stated = _amount(totals.get("interest") or "0", "totals.interest")
        if stated != interest_total:
            reason = f"{totals.get('interest')} is not the sum of the items' interest ({interest_total})"
            raise LetterDocumentInvalid("totals.interest", reason)
    elif not _missing(totals.get("interest")):
        _amount(totals["interest"], "totals.interest")
    if letter["kind"] == "interest_note" and interest_total is None and _missing(totals.get("interest")):
        raise LetterDocumentInvalid("totals.interest", "an interest note must charge interest")
    deadline = None if _missing(letter.get("deadline")) else _date(letter["deadline"], "deadline")
    if letter["kind"] == "disconnection_notice":
        earliest = issued_on + timedelta(days=DISCONNECTION_NOTICE_DAYS)
        if deadline is None:
            raise LetterDocumentInvalid("deadline", "a notice of intended disconnection must give a deadline")
        if deadline < earliest:
            reason = (
                f"{deadline.isoformat()} is less than {DISCONNECTION_NOTICE_DAYS} days after the letter "
                f"({issued_on.isoformat()}); the earliest is {earliest.isoformat()}"
            )
            raise LetterDocumentInvalid("deadline", reason)
    elif deadline is not None and deadline < issued_on:
        raise LetterDocumentInvalid("deadline", f"{deadline.isoformat()} is before the letter's date")


def letter_context(letter: Mapping[str, Any]) -> dict[str, Any]:
    """What the template needs for one letter: the document as is plus totals, columns and labels."""
    letter_check(letter=letter)
    totals = letter["totals"]
    amount = decimal_from(totals["amount"])
    fee = decimal_from(totals["fee"]) if not _missing(totals.get("fee")) else None
    interest = decimal_from(totals["interest"]) if not _missing(totals.get("interest")) else None
    items = letter["items"]
    recipient = letter["recipient"]
    return {
        "letter": letter,
        "language": letter["language"],
        "currency": letter.get("currency") or "PLN",
        "title": letter.get("title") or TITLES[letter["kind"]],
        "paragraphs": letter.get("paragraphs") or [OPENINGS[letter["kind"]]],
        "recipient_lines": [
            recipient["name"],
            *_lines(recipient["address_lines"], "recipient.address_lines"),
            f"{recipient['postal_code']} {recipient['city']}",
            *([recipient["country"]] if recipient.get("country") else []),
        ],
        "return_address": ", ".join([letter["sender"]["name"], *letter["sender"]["address_lines"]]),
        "payment_title": letter.get("payment_title") or letter["customer_number"],
        "items": items,
        "columns": {
            key: any(not _missing(item.get(key)) for item in items)
            for key in ("issued_on", "days_late", "paid_on", "interest_rate", "interest")
        },
        "amount": amount,
        "fee": fee if fee else None,
        "interest": interest,
        "total": amount + (fee or 0) + (interest or 0),
        "deadline": letter.get("deadline") or None,
        "signature": letter.get("signature") or [letter["sender"]["name"]],
    }


def _name_key(name: str) -> str:
    """A name compared without case or accents ("Łukasz" next to "Lukas", not after "Zenon")."""
    decomposed = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def _post_key(letter: Mapping[str, Any]) -> tuple[int, str, str, str]:
    recipient = letter["recipient"]
    postal_code = "".join(char for char in str(recipient.get("postal_code") or "") if char.isalnum())
    name = str(recipient.get("name") or "")
    return (0 if postal_code else 1, postal_code.upper(), _name_key(name), str(letter.get("number") or ""))


def letters_post_sorted(*, letters: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The letters in the order the post wants them: by recipient postal code, then name, then number."""
    return sorted(letters, key=_post_key)


def _checked(letters: Sequence[Mapping[str, Any]]) -> None:
    if not letters:
        raise LetterDocumentInvalid("letters", "a print batch needs at least one letter")
    for index, letter in enumerate(letters):
        try:
            letter_check(letter=letter)
        except LetterDocumentInvalid as error:
            raise LetterDocumentInvalid(f"letters[{index}].{error.field}", error.reason) from None


def _render(*, letters: Sequence[Mapping[str, Any]], inline_css: bool) -> str:
    language = letters[0]["language"]
    with translation.override(language):
        contexts = [letter_context(letter) for letter in letters]
        return render_to_string(
            TEMPLATE, {"letters": contexts, "language": language, "inline_css": inline_css}
        )


def letter_html_render(*, letter: Mapping[str, Any]) -> str:
    """One letter as self-contained HTML (styles inline), in the letter's language: for previews.

    Raises LetterDocumentInvalid.
    """
    letter_check(letter=letter)
    return _render(letters=[letter], inline_css=True)


def letter_pdf_render(*, letter: Mapping[str, Any]) -> bytes:
    """One letter as an A4 PDF in the letter's language. Raises LetterDocumentInvalid."""
    letter_check(letter=letter)
    return html_to_pdf(html=_render(letters=[letter], inline_css=False), stylesheets=[STYLESHEET])


def letters_print_html(*, letters: Sequence[Mapping[str, Any]]) -> str:
    """The HTML of a print batch (sorted for the post, one letter after another, styles linked).

    Raises LetterDocumentInvalid naming the letter by its index in ``letters``.
    """
    _checked(letters)
    return _render(letters=letters_post_sorted(letters=letters), inline_css=False)


def letters_print_batch(*, letters: Sequence[Mapping[str, Any]]) -> bytes:
    """Many letters as ONE PDF for printing and posting, each starting on a new page.

    The letters are sorted by the recipient's postal code, then name (``letters_post_sorted``);
    each is printed in its own language. The batch is one HTML document laid out once, which is far
    faster than rendering the letters one by one and merging them; split runs of many thousands of
    letters into batches to bound the memory a layout takes. Raises LetterDocumentInvalid naming the
    letter by its index in ``letters``.
    """
    return html_to_pdf(html=letters_print_html(letters=letters), stylesheets=[STYLESHEET])
