"""Numbers, money, dates and bank accounts formatted for a person reading a document.

Separators are spelled out per language here instead of depending on Django's USE_L10N/format
settings, so a document looks the same whatever the process's settings are. Values arrive as the
strings of Decimals used by the machine-readable documents (``"1234.56"``); a float is refused.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import numberformat

from kilowatt.core.money import GROSZ

NBSP = "\u00a0"

# (decimal separator, thousands separator) per language; Polish groups with a non-breaking space.
_SEPARATORS = {"pl": (",", NBSP), "en": (".", ",")}
# Currency symbol per language, placed after (pl) or before (en) the amount.
_CURRENCY_SYMBOLS = {"pl": {"PLN": "zł"}}
_CURRENCY_BEFORE = {"en"}


class NotANumber(ValueError):
    def __init__(self, value: object) -> None:
        super().__init__(f"{value!r} is not a decimal number; documents carry numbers as Decimal strings")


def decimal_from(value: Decimal | int | str) -> Decimal:
    """A Decimal from a document value; floats are refused (money is never a float)."""
    if isinstance(value, (float, bool)):
        raise NotANumber(value)
    if isinstance(value, Decimal):
        return value
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise NotANumber(value) from None
    if not result.is_finite():
        raise NotANumber(value)
    return result


def _base_language(language: str | None) -> str:
    code = (language or "pl").split("-")[0].split("_")[0].lower()
    return code if code in _SEPARATORS else "en"


def number_format(value: Decimal | int | str, *, language: str, places: int | None = None) -> str:
    """``1234.5`` → ``"1 234,5"`` (pl) / ``"1,234.5"`` (en); ``places`` fixes the decimals (half up).

    Without ``places`` the number keeps the decimals it was written with (``"0.495000"`` stays six).
    """
    number = decimal_from(value)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    decimals = max(-number.as_tuple().exponent, 0)  # type: ignore[operator]
    decimal_sep, thousand_sep = _SEPARATORS[_base_language(language)]
    return numberformat.format(
        number,
        decimal_sep,
        decimal_pos=decimals,
        grouping=3,
        thousand_sep=thousand_sep,
        force_grouping=True,
        use_l10n=False,
    )


def money_format(value: Decimal | int | str, *, language: str, currency: str = "PLN") -> str:
    """``"1234.56"`` → ``"1 234,56 zł"`` (pl) / ``"PLN 1,234.56"`` (en); always 2 decimals."""
    language = _base_language(language)
    amount = number_format(decimal_from(value).quantize(GROSZ, rounding=ROUND_HALF_UP), language=language)
    symbol = _CURRENCY_SYMBOLS.get(language, {}).get(currency, currency)
    if language in _CURRENCY_BEFORE:
        return f"{symbol}{NBSP}{amount}"
    return f"{amount}{NBSP}{symbol}"


def percent_format(rate: Decimal | int | str, *, language: str) -> str:
    """A VAT rate given as a fraction, ``"0.23"`` → ``"23%"``; a non-numeric rate (``"zw"``) as is."""
    try:
        number = decimal_from(rate) * 100
    except NotANumber:
        return str(rate)
    number = number.normalize()
    if number.as_tuple().exponent > 0:  # type: ignore[operator]
        number = number.quantize(Decimal(1))
    return number_format(number, language=language) + "%"


def date_from(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def date_format(value: date | str, *, language: str) -> str:
    """``2026-03-01`` → ``"01.03.2026"`` (pl) / ``"2026-03-01"`` (en, ISO 8601: unambiguous)."""
    day = date_from(value)
    if _base_language(language) == "pl":
        return day.strftime("%d.%m.%Y")
    return day.isoformat()


def period_format(start: date | str, end: date | str, *, language: str) -> str:
    """A half-open period ``[start, end)`` printed with its last day: ``"01.01.2026 – 28.02.2026"``."""
    last_day = date_from(end) - timedelta(days=1)
    return f"{date_format(start, language=language)} – {date_format(last_day, language=language)}"


def bank_account_format(account: str) -> str:
    """An IBAN or NRB in groups of four: ``"PL61 1090 1014 0000 0712 1981 2874"``.

    A Polish NRB (26 digits, no country code) keeps its two check digits apart, as banks print it:
    ``"61 1090 1014 0000 0712 1981 2874"``.
    """
    compact = "".join(account.split()).upper()
    if len(compact) == 26 and compact.isdigit():
        return compact[:2] + " " + " ".join(compact[i : i + 4] for i in range(2, 26, 4))
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
