"""Files for the DSOs: the supply points of one DSO in contracts signed in a half-open period, in the
company's layout (XLSX or CSV) or the default one, with a query count that does not grow with rows."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kilowatt.catalog.models import PriceList, Product
from kilowatt.core.errors import ValidationFailed
from kilowatt.network.models import Dso
from kilowatt.sales.dso_export import (
    DEFAULT_COLUMNS,
    DSO_EXPORT_FIELDS,
    dso_export_file,
    dso_export_layout_clean,
    dso_export_layout_save,
)
from kilowatt.sales.models import ContractSigner, ContractStatus, DsoExportLayout
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create
from tests import factories

pytestmark = pytest.mark.django_db

PGE = "pge-dystrybucja"
TAURON = "tauron-dystrybucja"


@pytest.fixture
def offer(company):
    product = Product.objects.create(company=company, code="biz", name="Prąd Biznes", commodity="electricity")
    price_list = PriceList.objects.create(
        company=company, product=product, code="biz-2026", name="Biznes 2026", valid_from=date(2026, 1, 1)
    )
    return product, price_list


def signed_contract(company, now, offer, customer, points, signed_on: date | None):
    product, price_list = offer
    contract = contract_create(
        company=company,
        data=ContractData(
            customer_id=customer.pk,
            kind="sales",
            product_id=product.pk,
            price_list_id=price_list.pk,
            start_date=date(2026, 5, 1),
            supply_point_ids=[p.pk for p in points],
        ),
        actor=None,
        now=now,
    )
    ContractSigner.objects.create(contract=contract, first_name="Ewa", last_name="Nowak", role="prezes")
    if signed_on is not None:
        contract_change_status(
            contract=contract, status=ContractStatus.SIGNED, on_date=signed_on, actor=None, now=now
        )
    return contract


def point(company, customer, now, dso: str, **overrides):
    prefix = Dso.objects.get(code=dso).gs1_prefix
    return factories.supply_point(
        company,
        customer,
        now,
        code=factories.ppe_code(prefix),
        dso_id=Dso.objects.get(code=dso).pk,
        **overrides,
    )


@pytest.fixture
def contracts(company, now, offer):
    business = factories.customer(company, now, **vars(factories.business_data()))
    person = factories.customer(company, now, pesel=factories.PESELS[0])
    pge_a = point(company, business, now, PGE, contracted_capacity_kw=Decimal("40.5"))
    tauron = point(company, business, now, TAURON)
    pge_b = point(company, person, now, PGE)
    first = signed_contract(company, now, offer, business, [pge_a, tauron], date(2026, 3, 2))
    second = signed_contract(company, now, offer, person, [pge_b], date(2026, 3, 31))
    outside = point(company, person, now, PGE)
    signed_contract(company, now, offer, person, [outside], date(2026, 4, 1))  # the period's end: excluded
    signed_contract(company, now, offer, person, [point(company, person, now, PGE)], None)  # a draft
    return first, second, pge_a, pge_b


def test_default_layout_is_xlsx_with_one_row_per_point_of_the_dso(company, contracts):
    first, second, pge_a, pge_b = contracts
    dso = Dso.objects.get(code=PGE)
    name, content = dso_export_file(
        company=company, dso=dso, signed_from=date(2026, 3, 1), signed_to=date(2026, 4, 1)
    )
    assert name == "pge-dystrybucja_2026-03-01_2026-04-01.xlsx"
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(str(DSO_EXPORT_FIELDS[code].label) for code in DEFAULT_COLUMNS)
    assert len(rows) == 3
    column = {code: index for index, code in enumerate(DEFAULT_COLUMNS)}
    assert rows[1][column["contract.number"]] == first.number
    assert rows[1][column["supply_point.code"]] == pge_a.code
    assert rows[1][column["customer.tax_id"]] == "5260250274"
    assert rows[1][column["supply_point.capacity_kw"]] == 40.5
    assert rows[1][column["contract.signed_on"]].date() == date(2026, 3, 2)
    assert rows[2][column["customer.tax_id"]] == factories.PESELS[0]
    assert rows[2][column["supply_point.code"]] == pge_b.code
    assert "Warszawa" in rows[2][column["supply_point.address"]]


def test_company_layout_in_csv_and_xlsx(company, now, contracts):
    first, _second, pge_a, _pge_b = contracts
    dso = Dso.objects.get(code=PGE)
    columns = [
        {"header": "PPE", "field": "supply_point.code"},
        {"header": "Umowa", "field": "contract.number"},
        {"field": "supply_point.annual_consumption_kwh"},
        {"header": "Podpisali", "field": "contract.signers"},
        {"header": "Od", "field": "contract.start_date"},
    ]
    dso_export_layout_save(company=company, dso=dso, file_format="csv", columns=columns, actor=None, now=now)
    name, content = dso_export_file(
        company=company, dso=dso, signed_from=date(2026, 3, 1), signed_to=date(2026, 3, 3)
    )
    assert name.endswith(".csv") and content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines == [
        "PPE;Umowa;estimated annual consumption (kWh);Podpisali;Od",
        f"{pge_a.code};{first.number};2200;Ewa Nowak;2026-05-01",
    ]
    dso_export_layout_save(
        company=company, dso=dso, file_format="xlsx", columns=columns[:2], actor=None, now=now
    )
    assert DsoExportLayout.objects.filter(company=company).count() == 1
    _name, content = dso_export_file(
        company=company, dso=dso, signed_from=date(2026, 3, 1), signed_to=date(2026, 3, 3)
    )
    sheet = load_workbook(io.BytesIO(content)).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["PPE", "Umowa"],
        [pge_a.code, first.number],
    ]


def test_layout_errors_name_the_column(company):
    with pytest.raises(ValidationFailed) as refused:
        dso_export_layout_clean(
            file_format="pdf",
            columns=[
                {"header": "PPE", "field": "supply_point.code"},
                {"header": "X", "field": "shoe.size"},
                "PPE",
            ],
        )
    errors = {e.field: e.message for e in refused.value.errors}
    assert set(errors) == {"file_format", "columns[1].field", "columns[2]"}
    assert "Column 2" in errors["columns[1].field"] and "shoe.size" in errors["columns[1].field"]
    with pytest.raises(ValidationFailed):
        dso_export_layout_clean(file_format="csv", columns=[])


def test_a_formula_in_a_name_stays_text_and_empty_periods_are_refused(company, now, offer):
    customer = factories.customer(
        company, now, **vars(factories.business_data(business_name='=HYPERLINK("http://x")'))
    )
    signed_contract(company, now, offer, customer, [point(company, customer, now, PGE)], date(2026, 3, 5))
    dso = Dso.objects.get(code=PGE)
    _name, content = dso_export_file(
        company=company, dso=dso, signed_from=date(2026, 3, 1), signed_to=date(2026, 4, 1)
    )
    cell = load_workbook(io.BytesIO(content)).active.cell(
        row=2, column=DEFAULT_COLUMNS.index("customer.name") + 1
    )
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    with pytest.raises(ValidationFailed) as refused:
        dso_export_file(company=company, dso=dso, signed_from=date(2026, 4, 1), signed_to=date(2026, 4, 1))
    assert refused.value.field == "signed_to"


def test_queries_do_not_grow_with_rows(company, other_company, now, offer, django_assert_max_num_queries):
    dso = Dso.objects.get(code=PGE)
    columns = [{"field": code} for code in DSO_EXPORT_FIELDS]  # every field, every relation
    dso_export_layout_save(company=company, dso=dso, file_format="xlsx", columns=columns, actor=None, now=now)

    def add_contracts(count: int) -> None:
        for _ in range(count):
            customer = factories.customer(company, now, first_name="Ola")
            signed_contract(
                company, now, offer, customer, [point(company, customer, now, PGE)], date(2026, 3, 9)
            )

    add_contracts(2)
    with django_assert_max_num_queries(4):
        _name, few = dso_export_file(
            company=company, dso=dso, signed_from=date(2026, 3, 1), signed_to=date(2026, 4, 1)
        )
    add_contracts(8)
    with django_assert_max_num_queries(4):
        _name, many = dso_export_file(
            company=company, dso=dso, signed_from=date(2026, 3, 1), signed_to=date(2026, 4, 1)
        )
    assert load_workbook(io.BytesIO(many)).active.max_row == 11
    rival_name, rival = dso_export_file(
        company=other_company, dso=dso, signed_from=date(2026, 3, 1), signed_to=date(2026, 4, 1)
    )
    assert load_workbook(io.BytesIO(rival)).active.max_row == 1  # only the header
