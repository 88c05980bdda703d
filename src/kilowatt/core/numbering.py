"""Gap-free document numbers per company, document type and year."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kilowatt.core.errors import DomainError
from kilowatt.core.models import Company, NumberSeries


class NumberSeriesClosed(DomainError):
    code = "number_series_closed"


DEFAULT_PREFIXES = {
    "customer": "K",
    "contract": "UM",
    "invoice": "FV",
    "correction": "FK",
    "interest_note": "NO",
    "dunning_fee": "OP",
    "offer": "OF",
    "switch_case": "ZS",
    "commission_statement": "RP",  # rozliczenie prowizji
    "ticket": "ZG",  # zgłoszenie
    "outage": "AW",  # awaria
}


def number_series_next(*, company: Company, document_type: str, year: int) -> str:
    """Take the next number of the series, creating the series on first use.

    Must run inside the transaction that stores the numbered document: the row lock is held until
    it commits, and a rollback returns the number.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_series_next must run inside the document's transaction")
    series = _series_locked(company=company, document_type=document_type, year=year)
    if series.is_closed:
        raise NumberSeriesClosed(
            _("The number series %(type)s %(year)s is closed.") % {"type": document_type, "year": year}
        )
    number = series.next_number
    NumberSeries.objects.filter(pk=series.pk).update(next_number=number + 1)
    return series.pattern.format(prefix=series.prefix, number=number, year=year)


def _series_locked(*, company: Company, document_type: str, year: int) -> NumberSeries:
    lookup = {"company": company, "document_type": document_type, "year": year}
    series = NumberSeries.objects.select_for_update().filter(**lookup).first()
    if series is not None:
        return series
    try:
        with transaction.atomic():
            NumberSeries.objects.create(
                **lookup, prefix=DEFAULT_PREFIXES.get(document_type, document_type[:3].upper())
            )
    except IntegrityError:
        pass  # another transaction created it first; lock theirs below
    return NumberSeries.objects.select_for_update().get(**lookup)


def number_series_take(*, company: Company, document_type: str, year: int, count: int) -> list[str]:
    """Take ``count`` consecutive numbers at once (a billing batch); same rules as ``number_series_next``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_series_take must run inside the documents' transaction")
    if count <= 0:
        return []
    series = _series_locked(company=company, document_type=document_type, year=year)
    if series.is_closed:
        raise NumberSeriesClosed(
            _("The number series %(type)s %(year)s is closed.") % {"type": document_type, "year": year}
        )
    first = series.next_number
    NumberSeries.objects.filter(pk=series.pk).update(next_number=first + count)
    return [
        series.pattern.format(prefix=series.prefix, number=n, year=year) for n in range(first, first + count)
    ]
