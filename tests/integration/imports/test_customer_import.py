import io

import pytest
from openpyxl import Workbook

from kilowatt.core.errors import ValidationFailed
from kilowatt.network.imports import customers_import
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from tests import factories

HEADER = (
    "external_id;kind;first_name;last_name;business_name;pesel;nip;email;phone;street;building_number;"
    "postal_code;city;supply_point_code;commodity;dso_code;tariff_group;annual_consumption_kwh;phases"
)


def csv_file(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def wrong_check_digit() -> str:
    code = factories.ppe_code()
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def good_rows():
    return [
        f"C1;person;Jan;Kowalski;;44051401359;;jan@example.pl;601234567;Długa;5;00-950;Warszawa;"
        f"{factories.ppe_code()};electricity;pge-dystrybucja;G11;2100;1",
        f"C2;business;;;Zenit sp. z o.o.;;5260250274;biuro@zenit.pl;;Rynek;1;30-001;Kraków;"
        f"{factories.ppe_code('5903224')};electricity;tauron-dystrybucja;C11;15000;3",
    ]


@pytest.mark.django_db
def test_good_file_imports_and_a_second_import_changes_nothing(company, now):
    content = csv_file(good_rows())
    result = customers_import(
        company=company, file_name="a.csv", content=content, dry_run=False, actor=None, now=now
    )
    assert (result.batch.rows_created, result.batch.rows_failed) == (2, 0)
    assert Customer.objects.count() == 2 and SupplyPoint.objects.count() == 2
    again = customers_import(
        company=company, file_name="a.csv", content=content, dry_run=False, actor=None, now=now
    )
    assert again.already_imported and Customer.objects.count() == 2


@pytest.mark.django_db
def test_same_rows_in_another_file_are_unchanged_not_duplicated(company, now):
    rows = good_rows()
    customers_import(
        company=company, file_name="a.csv", content=csv_file(rows), dry_run=False, actor=None, now=now
    )
    result = customers_import(
        company=company, file_name="b.csv", content=csv_file(rows) + b"\n", dry_run=False, actor=None, now=now
    )
    assert (result.batch.rows_created, result.batch.rows_unchanged) == (0, 2)
    assert SupplyPoint.objects.count() == 2


@pytest.mark.django_db
def test_bad_rows_are_reported_by_row_and_column_and_good_rows_kept(company, now):
    rows = good_rows() + [
        "C3;person;Ewa;Nowak;;44051401358;;ewa@example.pl;;Krótka;2;00-950;Warszawa;;;;;;",
        f"C4;person;Ola;Lis;;;;ola@example.pl;;Krótka;2;0095;Warszawa;{factories.ppe_code()};electricity;"
        "pge-dystrybucja;G11;1000;1",
        f"C5;person;Piotr;Wolny;;;;p@example.pl;;Krótka;3;00-950;Warszawa;{wrong_check_digit()};electricity;"
        "pge-dystrybucja;G11;1000;1",
    ]
    result = customers_import(
        company=company, file_name="c.csv", content=csv_file(rows), dry_run=False, actor=None, now=now
    )
    by_row = {(e["row"], e["column"]) for e in result.errors}
    assert (4, "pesel") in by_row and (5, "postal_code") in by_row
    assert result.batch.rows_created == 2
    assert (6, "supply_point_code") in by_row
    # the customer of row 6 is rolled back with its bad supply point: the row is all or nothing
    assert set(Customer.objects.values_list("external_id", flat=True)) == {"C1", "C2"}


@pytest.mark.django_db
def test_dry_run_writes_nothing(company, now):
    result = customers_import(
        company=company, file_name="a.csv", content=csv_file(good_rows()), dry_run=True, actor=None, now=now
    )
    assert result.batch.rows_created == 2
    assert Customer.objects.count() == 0 and SupplyPoint.objects.count() == 0


@pytest.mark.django_db
def test_xlsx_is_read_like_csv(company, now):
    workbook = Workbook()
    sheet = workbook.active
    for line in [HEADER, *good_rows()]:
        sheet.append(line.split(";"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = customers_import(
        company=company, file_name="a.xlsx", content=buffer.getvalue(), dry_run=False, actor=None, now=now
    )
    assert result.batch.rows_created == 2 and not result.errors


@pytest.mark.django_db
def test_unreadable_or_incomplete_file_is_refused_whole(company, now):
    with pytest.raises(ValidationFailed, match="Missing columns"):
        customers_import(
            company=company,
            file_name="x.csv",
            content=b"kind;city\nperson;X\n",
            dry_run=False,
            actor=None,
            now=now,
        )
    with pytest.raises(ValidationFailed):
        customers_import(
            company=company, file_name="x.csv", content=b"\xff\xfe\x00bad", dry_run=False, actor=None, now=now
        )
