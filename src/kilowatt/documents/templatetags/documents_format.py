"""Template filters formatting document values in the active language (see documents.formatting).

{% load documents_format %}
{{ line.net|money:document.currency }}  {{ reading.current_value|number }}  {{ row.rate|percent }}
{{ document.issue_date|isodate }}  {{ payment.bank_account|bank_account }}
"""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from kilowatt.documents import formatting

register = template.Library()


def _language() -> str:
    return get_language() or "pl"


@register.filter
def money(value, currency: str = "PLN") -> str:
    return formatting.money_format(value, language=_language(), currency=currency or "PLN")


@register.filter
def number(value, places=None) -> str:
    """Keeps the decimals the value was written with, unless ``places`` is given."""
    return formatting.number_format(
        value, language=_language(), places=None if places in (None, "") else int(places)
    )


@register.filter
def percent(value) -> str:
    return formatting.percent_format(value, language=_language())


@register.filter
def isodate(value) -> str:
    """An ISO date string (or a date) printed the way the active language writes dates."""
    return formatting.date_format(value, language=_language()) if value else ""


@register.filter
def bank_account(value) -> str:
    return formatting.bank_account_format(value or "")
