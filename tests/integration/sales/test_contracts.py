from datetime import date
from decimal import Decimal

import pytest

from kilowatt.catalog.models import PriceList, Product
from kilowatt.core.errors import ValidationFailed
from kilowatt.sales.models import Contract
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create, contract_update
from tests import factories


@pytest.fixture
def offer(company):
    product = Product.objects.create(
        company=company, code="prad-stala", name="Prąd Stała Cena", commodity="electricity"
    )
    price_list = PriceList.objects.create(
        company=company,
        product=product,
        code="psc-2026",
        name="Prąd Stała Cena 2026",
        valid_from=date(2026, 1, 1),
    )
    return product, price_list


def contract_data(customer, points, offer, **overrides) -> ContractData:
    product, price_list = offer
    values = {
        "customer_id": customer.pk,
        "kind": "comprehensive",
        "product_id": product.pk,
        "price_list_id": price_list.pk,
        "start_date": date(2026, 4, 1),
        "supply_point_ids": [p.pk for p in points],
    }
    values.update(overrides)
    return ContractData(**values)


@pytest.mark.django_db
def test_contract_is_numbered_and_links_its_points(company, now, offer):
    customer = factories.customer(company, now)
    point = factories.supply_point(company, customer, now)
    contract = contract_create(
        company=company, data=contract_data(customer, [point], offer), actor=None, now=now
    )
    assert contract.number == "UM/000001/2026"
    assert [link.supply_point for link in contract.supply_point_links.all()] == [point]


@pytest.mark.django_db
def test_contract_refuses_foreign_points_overlaps_and_bad_terms(company, other_company, now, offer):
    customer = factories.customer(company, now)
    point = factories.supply_point(company, customer, now)
    stranger = factories.customer(company, now, pesel="02070803628", email="x@example.pl")
    foreign_point = factories.supply_point(company, stranger, now)
    with pytest.raises(ValidationFailed) as caught:
        contract_create(
            company=company,
            data=contract_data(
                customer, [foreign_point], offer, billing_cycle_months=3, end_date=date(2026, 3, 1)
            ),
            actor=None,
            now=now,
        )
    assert {e.field for e in caught.value.errors} == {"supply_point_ids", "billing_cycle_months", "end_date"}
    contract_create(company=company, data=contract_data(customer, [point], offer), actor=None, now=now)
    with pytest.raises(ValidationFailed) as caught:
        contract_create(
            company=company,
            data=contract_data(customer, [point], offer, start_date=date(2027, 1, 1)),
            actor=None,
            now=now,
        )
    assert caught.value.code == "overlap"
    rival_customer = factories.customer(other_company, now)
    with pytest.raises(ValidationFailed) as caught:
        contract_create(
            company=company, data=contract_data(rival_customer, [point], offer), actor=None, now=now
        )
    assert caught.value.field == "customer_id"
    assert Contract.objects.count() == 1


@pytest.mark.django_db
def test_life_cycle_follows_the_transition_table(company, now, offer):
    customer = factories.customer(company, now)
    point = factories.supply_point(company, customer, now)
    contract = contract_create(
        company=company, data=contract_data(customer, [point], offer), actor=None, now=now
    )
    with pytest.raises(ValidationFailed) as caught:
        contract_change_status(
            contract=contract, status="active", on_date=date(2026, 4, 1), actor=None, now=now
        )
    assert caught.value.code == "invalid_transition"
    contract = contract_change_status(
        contract=contract, status="signed", on_date=date(2026, 3, 10), actor=None, now=now
    )
    assert contract.signed_on == date(2026, 3, 10)
    with pytest.raises(ValidationFailed) as caught:
        contract_update(
            contract=contract,
            data=contract_data(customer, [point], offer, early_termination_fee=Decimal("10")),
            actor=None,
            now=now,
        )
    assert caught.value.code == "not_draft"
