"""A tender's supply points from one CSV or XLSX into one draft contract: all or nothing, every bad row
named, points the customer has linked, the same file twice a no-op."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from kilowatt.catalog.models import PriceList, Product
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import ImportBatch
from kilowatt.network.models import SupplyPoint, TariffGroup
from kilowatt.sales.mass_requests import COLUMNS, contract_points_import
from kilowatt.sales.models import ContractStatus
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = (
    "supply_point_code;commodity;dso_code;tariff_group;annual_consumption_kwh;street;building_number;"
    "postal_code;city;contracted_capacity_kw;phases"
)


@pytest.fixture
def offer(company):
    product = Product.objects.create(company=company, code="biz", name="Prąd Biznes", commodity="electricity")
    price_list = PriceList.objects.create(
        company=company, product=product, code="biz-2026", name="Biznes 2026", valid_from=date(2026, 1, 1)
    )
    return product, price_list


@pytest.fixture
def tender(company, now, offer):
    """A business customer with one point on a draft contract and one point not on it yet."""
    customer = factories.customer(company, now, **vars(factories.business_data()))
    on_contract = factories.supply_point(company, customer, now)
    spare = factories.supply_point(company, customer, now)
    product, price_list = offer
    contract = contract_create(
        company=company,
        data=ContractData(
            customer_id=customer.pk,
            kind="sales",
            product_id=product.pk,
            price_list_id=price_list.pk,
            start_date=date(2026, 5, 1),
            supply_point_ids=[on_contract.pk],
        ),
        actor=None,
        now=now,
    )
    return contract, on_contract, spare


def csv_file(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode("utf-8")


def test_csv_creates_new_points_links_known_ones_and_is_idempotent(company, now, tender, admin_user):
    contract, on_contract, spare = tender
    fresh = factories.ppe_code("5903224")
    content = csv_file(
        f"{fresh};electricity;tauron-dystrybucja;C11;12500,5;Polna;5;30-001;Kraków;40;3",
        f"{spare.code};;pge-dystrybucja;G11;2200;Marszałkowska;10;00-590;Warszawa;;1",
        f"{on_contract.code};;pge-dystrybucja;G11;2200;Marszałkowska;10;00-590;Warszawa;;",
    )
    result = contract_points_import(
        contract=contract, content=content, file_name="przetarg.csv", actor=admin_user, now=now
    )
    assert (result.errors, result.created, result.linked, result.unchanged) == ([], 1, 1, 1)
    codes = set(contract.supply_point_links.values_list("supply_point__code", flat=True))
    assert codes == {fresh, spare.code, on_contract.code}
    new_point = SupplyPoint.objects.get(code=fresh)
    assert (new_point.customer_id, new_point.dso.code, str(new_point.annual_consumption_kwh)) == (
        contract.customer_id,
        "tauron-dystrybucja",
        "12500.500",
    )
    assert new_point.phases == 3 and new_point.contracted_capacity_kw == 40
    assert result.batch.kind == f"contract_points:{contract.pk}" and result.batch.rows_created == 2
    again = contract_points_import(
        contract=contract, content=content, file_name="again.csv", actor=None, now=now
    )
    assert again.already_imported and again.batch == result.batch
    assert SupplyPoint.objects.filter(company=company).count() == 3


def test_any_bad_row_refuses_the_whole_file_naming_row_column_and_reason(company, other_company, now, tender):
    contract, _on_contract, spare = tender
    stranger = factories.customer(company, now, pesel=factories.PESELS[0], email="obcy@example.pl")
    foreign = factories.supply_point(company, stranger, now)
    good = factories.ppe_code()
    broken = good[:-1] + str((int(good[-1]) + 1) % 10)  # wrong check digit
    content = csv_file(
        f"{good};electricity;pge-dystrybucja;C11;9000;Polna;5;30-001;Kraków;;",  # row 2: fine
        f"{broken};electricity;pge-dystrybucja;C11;9000;Polna;5;30-001;Kraków;;",  # row 3
        f"{factories.ppe_code()};electricity;energa-nowhere;C11;9000;Polna;5;30-001;Kraków;;",  # row 4
        f"{factories.ppe_code()};electricity;pge-dystrybucja;W-4;;Polna;5;30-001;Kraków;;2",  # row 5
        f"{foreign.code};electricity;pge-dystrybucja;G11;2200;Polna;5;30-001;Kraków;;",  # row 6
        f"{good};electricity;pge-dystrybucja;C11;9000;Polna;5;30-001;Kraków;;",  # row 7: repeats row 2
        f"{factories.ppg_code()};gas;psg;W-3.6;30000;Polna;5;30-001;Kraków;;",  # row 8: gas
        f"{factories.ppe_code('5903224')};electricity;pge-dystrybucja;C11;9000;Polna;5;3-001;;;",  # row 9
    )
    points_before = SupplyPoint.objects.count()
    result = contract_points_import(
        contract=contract, content=content, file_name="zly.csv", actor=None, now=now
    )
    found = {(e["row"], e["column"]) for e in result.errors}
    assert {
        (3, "supply_point_code"),
        (4, "dso_code"),
        (5, "tariff_group"),
        (5, "annual_consumption_kwh"),
        (5, "phases"),
        (6, "supply_point_code"),
        (7, "supply_point_code"),
        (8, "commodity"),
        (9, "supply_point_code"),  # a PGE code… of TAURON
        (9, "postal_code"),
        (9, "city"),
    } <= found
    assert not any(e["row"] == 2 for e in result.errors)
    messages = {(e["row"], e["column"]): e["message"] for e in result.errors}
    assert "row 2" in messages[(7, "supply_point_code")]
    assert "another customer" in messages[(6, "supply_point_code")]
    assert "No DSO" in messages[(4, "dso_code")]
    assert SupplyPoint.objects.count() == points_before
    assert contract.supply_point_links.count() == 1
    batch = ImportBatch.objects.get(kind=f"contract_points:{contract.pk}")
    assert batch.status == ImportBatch.Status.FAILED and batch.rows_failed == 7
    retry = contract_points_import(
        contract=contract, content=content, file_name="zly.csv", actor=None, now=now
    )
    assert not retry.already_imported and retry.errors  # a failed file is checked again
    assert spare.pk not in contract.supply_point_links.values_list("supply_point_id", flat=True)


def test_xlsx_with_numbers_typed_as_numbers(company, now, tender):
    contract, _on_contract, _spare = tender
    book = Workbook()
    sheet = book.active
    header = ["Supply_Point_Code", "DSO_code", "tariff_group", "annual_consumption_kwh", "building_number"]
    sheet.append([*header, "postal_code", "city", "phases", "contracted_capacity_kw"])
    codes = [factories.ppe_code("5903106") for _ in range(3)]
    for code in codes:
        sheet.append([code, "enea-operator", "c11", 15000.25, 7, "60-001", "Poznań", 3, 25])
    output = io.BytesIO()
    book.save(output)
    result = contract_points_import(
        contract=contract, content=output.getvalue(), file_name="przetarg.xlsx", actor=None, now=now
    )
    assert result.errors == [] and result.created == 3
    points = SupplyPoint.objects.filter(code__in=codes)
    assert {(p.phases, str(p.annual_consumption_kwh), p.tariff_group.code) for p in points} == {
        (3, "15000.250", "C11")
    }


def test_only_a_draft_takes_points_and_files_must_be_readable(company, now, tender, offer):
    contract, _on_contract, _spare = tender
    with pytest.raises(ValidationFailed) as refused:
        contract_points_import(
            contract=contract, content=b"kod;x\n1;2\n", file_name="a.csv", actor=None, now=now
        )
    assert refused.value.field == "file" and "supply_point_code" in refused.value.message
    with pytest.raises(ValidationFailed) as refused:
        contract_points_import(contract=contract, content=csv_file(), file_name="a.csv", actor=None, now=now)
    assert refused.value.field == "file"
    contract_change_status(
        contract=contract, status=ContractStatus.SIGNED, on_date=now.date(), actor=None, now=now
    )
    with pytest.raises(ValidationFailed) as refused:
        contract_points_import(contract=contract, content=csv_file(), file_name="a.csv", actor=None, now=now)
    assert refused.value.code == "not_draft"
    assert "phases" in COLUMNS


def test_price_list_tariff_groups_bound_the_rows(company, now, tender, offer):
    contract, _on_contract, _spare = tender
    _product, price_list = offer
    price_list.tariff_groups.add(TariffGroup.objects.get(code="C11", commodity="electricity"))
    content = csv_file(
        f"{factories.ppe_code()};;pge-dystrybucja;C21;90000;Polna;5;30-001;Kraków;50;3",
        f"{factories.ppe_code()};;pge-dystrybucja;C11;9000;Polna;5;30-001;Kraków;;",
    )
    result = contract_points_import(
        contract=contract, content=content, file_name="t.csv", actor=None, now=now
    )
    assert [(e["row"], e["column"]) for e in result.errors] == [(2, "tariff_group")]
    assert "price list" in result.errors[0]["message"]
