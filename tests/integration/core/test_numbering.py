import threading

import pytest
from django.db import connection, transaction

from kilowatt.core.models import Company, NumberSeries
from kilowatt.core.numbering import NumberSeriesClosed, number_series_next


@pytest.mark.django_db
def test_numbers_follow_each_other_per_company_type_and_year(company, other_company):
    with transaction.atomic():
        first = number_series_next(company=company, document_type="invoice", year=2026)
        second = number_series_next(company=company, document_type="invoice", year=2026)
        other = number_series_next(company=other_company, document_type="invoice", year=2026)
        next_year = number_series_next(company=company, document_type="invoice", year=2027)
    assert (first, second, other, next_year) == (
        "FV/000001/2026",
        "FV/000002/2026",
        "FV/000001/2026",
        "FV/000001/2027",
    )


@pytest.mark.django_db
def test_a_rolled_back_document_gives_its_number_back(company):
    with pytest.raises(RuntimeError), transaction.atomic():
        number_series_next(company=company, document_type="invoice", year=2026)
        raise RuntimeError("document failed")
    with transaction.atomic():
        assert number_series_next(company=company, document_type="invoice", year=2026) == "FV/000001/2026"


@pytest.mark.django_db(transaction=True)
def test_numbering_outside_a_transaction_is_refused(company):
    with pytest.raises(RuntimeError):
        number_series_next(company=company, document_type="invoice", year=2026)


@pytest.mark.django_db
def test_closed_series_refuses(company):
    NumberSeries.objects.create(company=company, document_type="invoice", year=2025, is_closed=True)
    with pytest.raises(NumberSeriesClosed), transaction.atomic():
        number_series_next(company=company, document_type="invoice", year=2025)


@pytest.mark.django_db(transaction=True)
def test_concurrent_issue_is_gap_free_and_unique_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency are a PostgreSQL matter; SQLite serialises writers")
    company = Company.objects.create(code="conc", name="Concurrent")
    numbers: list[str] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def issue(n: int) -> None:
        try:
            for _ in range(n):
                with transaction.atomic():
                    number = number_series_next(company=company, document_type="invoice", year=2026)
                with lock:
                    numbers.append(number)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(15,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(numbers) == [f"FV/{i:06d}/2026" for i in range(1, 91)]
