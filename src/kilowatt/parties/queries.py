"""Reads of customers."""

from __future__ import annotations

import contextlib
import re

from django.db.models import Q, QuerySet

from kilowatt.core.identifiers import InvalidIdentifier
from kilowatt.core.models import Company
from kilowatt.core.phones import phone_normalise
from kilowatt.core.text import search_fold
from kilowatt.parties.models import Customer


def customers_of_company(*, company: Company) -> QuerySet[Customer]:
    return Customer.objects.filter(company=company).select_related("address")


def customer_of_company(*, company: Company, customer_id: int) -> Customer | None:
    return (
        Customer.objects.filter(company=company, pk=customer_id)
        .select_related("address", "correspondence_address")
        .first()
    )


def customer_by_number(*, company: Company, number: str) -> Customer | None:
    return Customer.objects.filter(company=company, number=number.strip()).first()


def customers_search(*, company: Company, text: str, limit: int = 20) -> list[Customer]:
    """Customers whose NIP, PESEL, number, phone, e-mail or name matches ``text``.

    Identifiers are matched exactly through their indexes; names and cities by substring of the
    folded search text (a trigram index on PostgreSQL).
    """
    text = (text or "").strip()
    if not text:
        return []
    base = customers_of_company(company=company)
    digits = re.sub(r"[\s-]", "", text)
    if "@" in text:
        return list(base.filter(email=text.lower())[:limit])
    if digits.isdigit() or digits.startswith("+"):
        condition = Q(nip=digits) | Q(pesel=digits) | Q(number=text)
        with contextlib.suppress(InvalidIdentifier):  # not every digit string is a phone number
            condition |= Q(phone=phone_normalise(text))
        return list(base.filter(condition)[:limit])
    exact_number = list(base.filter(number=text.upper())[:1])
    if exact_number:
        return exact_number
    folded = search_fold(text)
    if len(folded) < 3:
        return list(base.filter(search_text__startswith=folded)[:limit])
    return list(base.filter(search_text__contains=folded).order_by()[:limit])
