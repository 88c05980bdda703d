"""Bad input holds the contract with a finding that names it and the reason; the run goes on for the rest
and nothing already issued is touched."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list

from kilowatt.billing.models import Invoice, ItemStatus
from kilowatt.billing.runs import billing_run_create, billing_run_execute
from kilowatt.catalog.models import DistributionTariff
from kilowatt.finance.models import LedgerEntry
from kilowatt.metering.operations import meter_read_record

pytestmark = pytest.mark.django_db

JAN_MAR = {"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1300")]}


def _run(company, now, month=date(2026, 2, 1), issue_date=date(2026, 3, 2)):
    run = billing_run_create(company=company, month=month, issue_date=issue_date, now=now)
    billing_run_execute(run=run, now=now)
    return run


def _held(run, contract):
    item = run.items.get(contract=contract)
    assert item.status == ItemStatus.HELD
    return " ".join(f["message"] for f in item.findings)


@pytest.fixture
def prices(company):
    return price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)


def test_a_read_in_the_future_holds_the_contract_and_the_rest_is_issued(company, now, prices):
    good = billable_contract(company, now, prices=prices, reads=JAN_MAR)
    bad = billable_contract(company, now, prices=prices, reads=JAN_MAR)
    meter_read_record(
        company=company,
        supply_point=bad.contract.supply_point_links.get().supply_point,
        register=bad.registers["all"],
        read_on=date(2026, 4, 20),
        value="1500",
        kind="actual",
        source="dso",
        actor=None,
        now=now,
    )
    run = _run(company, now)
    message = _held(run, bad.contract)
    assert bad.contract.number in message and "2026-04-20" in message and "in the future" in message
    assert run.items.get(contract=good.contract).status == ItemStatus.ISSUED
    assert not Invoice.objects.filter(contract=bad.contract).exists()


def test_a_price_list_with_a_gap_names_the_price_list_and_the_days(company, now):
    short = price_list(
        company, code="krotki", commodity="electricity", components=HOUSEHOLD, valid_to=date(2026, 2, 15)
    )
    scenario = billable_contract(company, now, prices=short, reads=JAN_MAR)
    message = _held(_run(company, now), scenario.contract)
    assert short.code in message and "2026-02-15 – 2026-02-28" in message and "active energy" in message


def test_a_contract_with_no_distribution_tariff_for_part_of_the_period(company, now, prices):
    DistributionTariff.objects.filter(dso__code="pge-dystrybucja", tariff_group__code="G11").update(
        valid_from=date(2026, 2, 1)
    )
    scenario = billable_contract(company, now, prices=prices, reads=JAN_MAR)
    message = _held(_run(company, now), scenario.contract)
    assert "PGE Dystrybucja" in message and "G11" in message and "2026-01-01 – 2026-01-31" in message


def test_a_read_that_failed_validation_holds_the_contract(company, now, prices):
    scenario = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 2, 1), "900")]}
    )
    message = _held(_run(company, now), scenario.contract)
    assert "2026-02-01" in message and "failed validation" in message


def test_missing_zone_register_holds_the_contract(company, now, prices):
    scenario = billable_contract(
        company,
        now,
        prices=prices,
        group="G12w",
        reads={"peak": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1100")]},
    )
    scenario.registers["offpeak"].delete()
    message = _held(_run(company, now), scenario.contract)
    assert "offpeak" in message and "G12w" in message


def test_a_second_run_of_the_month_changes_nothing_already_issued(company, now, prices):
    scenario = billable_contract(company, now, prices=prices, reads=JAN_MAR)
    first = _run(company, now)
    invoice = Invoice.objects.get(contract=scenario.contract)
    again = _run(company, now)
    assert again.pk == first.pk
    assert Invoice.objects.filter(contract=scenario.contract).count() == 1
    assert LedgerEntry.objects.filter(document_id=invoice.pk).count() == 1
    assert Invoice.objects.get(pk=invoice.pk).document == invoice.document


def test_missing_end_read_is_estimated_from_the_annual_estimate_and_labelled(company, now, prices):
    scenario = billable_contract(
        company, now, prices=prices, annual="3650", reads={"all": [(date(2026, 1, 1), "1000")]}
    )
    _run(company, now)
    invoice = Invoice.objects.get(contract=scenario.contract)
    reading = invoice.document["readings"][0]
    assert reading["current_estimated"] is True and reading["previous_estimated"] is False
    # January and February under the household profile: 3650 × (0.100 + 0.088) = 686.2 kWh.
    assert Decimal(reading["consumption"]) == Decimal("686.200")
    assert invoice.estimated
    # The document is in the customer's language, Polish by default.
    assert invoice.document["language"] == "pl"
    assert any("szacowane" in note for note in invoice.document["notes"])
