"""Defects found in review, each as the scenario that showed it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from tests.billing_scenarios import BUSINESS, HOUSEHOLD, billable_contract, price_list

from kilowatt.billing.corrections import invoice_correct
from kilowatt.billing.models import BillingRunItem, CorrectionFlag, Invoice, InvoiceKind, ItemStatus
from kilowatt.billing.notes import accounting_note_issue
from kilowatt.billing.runs import billing_item_rerate, billing_run_create, billing_run_execute
from kilowatt.catalog.models import PriceComponent
from kilowatt.core.clock import WARSAW
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.operations import outbox_dispatch
from kilowatt.finance.queries import customer_balance
from kilowatt.metering.operations import meter_read_record
from kilowatt.network.operations import meter_mount_new
from kilowatt.sales.models import Contract

pytestmark = pytest.mark.django_db
D = Decimal
LATER = datetime(2026, 6, 20, 10, 0, tzinfo=WARSAW)


def _run(company, now, month, issue_date):
    """Runs happen after the reads of the scenario were taken (the fixture's clock says 10 March)."""
    run = billing_run_create(company=company, month=month, issue_date=issue_date, now=LATER)
    billing_run_execute(run=run, now=LATER)
    return run


def _read(company, scenario, day, value, *, now=LATER, supersedes=None, zone="all"):
    point = scenario.contract.supply_point_links.get().supply_point
    return meter_read_record(
        company=company,
        supply_point=point,
        register=scenario.registers[zone],
        read_on=day,
        value=value,
        kind="actual",
        source="dso",
        actor=None,
        now=now,
        supersedes=supersedes,
    )[0]


@pytest.fixture
def prices(company):
    return price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)


def test_correcting_a_settlement_keeps_its_forecasts_deducted(company, now, prices):
    scenario = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "10000"), (date(2026, 3, 1), "10350")]}
    )
    Contract.objects.filter(pk=scenario.contract.pk).update(forecast_billing=True)
    _run(company, now, date(2026, 1, 1), date(2026, 2, 2))
    _run(company, now, date(2026, 2, 1), date(2026, 3, 2))
    settlement = Invoice.objects.get(contract=scenario.contract, kind=InvoiceKind.SETTLEMENT)
    wrong = scenario.registers["all"].reads.get(read_on=date(2026, 3, 1))
    _read(company, scenario, date(2026, 3, 1), "10351", supersedes=wrong)
    correction = invoice_correct(invoice=settlement, reason="+1 kWh", issue_date=date(2026, 3, 20), now=LATER)
    # One kWh more: energy 0.4950 + variable 0.3469 + quality 0.0331 + OZE 0.0073 + cogeneration 0.0030
    # = 0.8853 net, about 1.09 gross — not the forecast charged again.
    assert D("0") < correction.gross < D("2")
    assert correction.consumption_kwh == D("1.000")


def test_estimates_are_made_in_dial_units_on_a_meter_with_a_multiplier(company, now):
    business = price_list(company, code="firma", commodity="electricity", components=BUSINESS)
    scenario = billable_contract(
        company,
        now,
        prices=business,
        group="C21",
        annual="60000",
        cycle=1,
        business=True,
        capacity_kw="60",
        phases=3,
        multiplier="40",
        reads={"all": [(date(2026, 1, 1), "100")]},
    )
    _run(company, now, date(2026, 1, 1), date(2026, 2, 2))
    invoice = Invoice.objects.get(contract=scenario.contract)
    # January of the business profile: 60,000 kWh × 0.088 = 5,280 kWh, i.e. 132 dial units × 40.
    assert invoice.consumption_kwh == D("5280.000")


def test_forecasts_are_settled_even_after_forecast_billing_is_switched_off(company, now, prices):
    scenario = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "10000"), (date(2026, 3, 1), "10350")]}
    )
    Contract.objects.filter(pk=scenario.contract.pk).update(forecast_billing=True)
    _run(company, now, date(2026, 1, 1), date(2026, 2, 2))
    Contract.objects.filter(pk=scenario.contract.pk).update(forecast_billing=False)
    _run(company, now, date(2026, 2, 1), date(2026, 3, 2))
    assert Invoice.objects.get(contract=scenario.contract, kind=InvoiceKind.SETTLEMENT)
    assert customer_balance(customer=scenario.contract.customer) == D("467.04")


def test_a_contract_end_recorded_late_still_gets_its_last_bill(company, now, prices):
    scenario = billable_contract(
        company,
        now,
        prices=prices,
        reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1300"), (date(2026, 3, 20), "1400")]},
    )
    _run(company, now, date(2026, 2, 1), date(2026, 3, 2))
    _run(company, now, date(2026, 3, 1), date(2026, 4, 2))
    Contract.objects.filter(pk=scenario.contract.pk).update(end_date=date(2026, 3, 20), status="terminated")
    _run(company, now, date(2026, 4, 1), date(2026, 5, 4))
    last = Invoice.objects.filter(contract=scenario.contract).order_by("period_start").last()
    assert (last.period_start, last.period_end, last.consumption_kwh) == (
        date(2026, 3, 1),
        date(2026, 3, 20),
        D("100.000"),
    )


def test_an_actual_read_replacing_a_billed_estimate_is_settled_once(company, now, prices):
    scenario = billable_contract(
        company, now, prices=prices, annual="3650", cycle=1, reads={"all": [(date(2026, 1, 1), "1000")]}
    )
    _run(company, now, date(2026, 1, 1), date(2026, 2, 2))
    january = Invoice.objects.get(contract=scenario.contract)
    assert january.estimated
    _read(company, scenario, date(2026, 2, 1), "1200", now=datetime(2026, 2, 3, tzinfo=WARSAW))
    _read(company, scenario, date(2026, 3, 1), "1500", now=datetime(2026, 3, 3, tzinfo=WARSAW))
    outbox_dispatch(now=LATER)
    assert not CorrectionFlag.objects.exists()
    _run(company, now, date(2026, 2, 1), date(2026, 3, 2))
    total = sum(i.consumption_kwh for i in Invoice.objects.filter(contract=scenario.contract))
    assert total == D("500.000")


def test_a_run_made_while_an_earlier_month_was_held_bills_only_what_is_left(company, now, prices):
    scenario = billable_contract(
        company,
        now,
        prices=prices,
        cycle=1,
        reads={
            "all": [
                (date(2026, 1, 1), "1000"),
                (date(2026, 2, 1), "900"),
                (date(2026, 3, 1), "1300"),
                (date(2026, 4, 1), "1400"),
            ]
        },
    )
    _run(company, now, date(2026, 1, 1), date(2026, 2, 2))
    january = BillingRunItem.objects.get(contract=scenario.contract, run__period_start=date(2026, 1, 1))
    assert january.status == ItemStatus.HELD
    march = billing_run_create(
        company=company, month=date(2026, 3, 1), issue_date=date(2026, 4, 2), now=LATER
    )
    assert march.items.get().period_start == date(2026, 1, 1)  # made while January was held
    wrong = scenario.registers["all"].reads.get(read_on=date(2026, 2, 1))
    _read(company, scenario, date(2026, 2, 1), "1100", supersedes=wrong, now=now)
    billing_item_rerate(run=january.run, item_id=january.pk, now=LATER)
    billing_run_execute(run=march, now=LATER)
    periods = sorted(
        Invoice.objects.filter(contract=scenario.contract).values_list("period_start", "period_end")
    )
    assert periods == [(date(2026, 1, 1), date(2026, 2, 1)), (date(2026, 2, 1), date(2026, 4, 1))]
    # Re-rating an item whose period a later run has billed skips it instead of failing.
    february = billing_run_create(
        company=company, month=date(2026, 2, 1), issue_date=date(2026, 3, 2), now=now
    )
    assert not february.items.exists()


def test_a_price_for_the_tariff_group_wins_over_one_for_every_group(company, now, prices):
    PriceComponent.objects.create(
        price_list=prices, kind="energy", zone="all", tariff_group=None, unit="kWh", unit_price=D("0.9999")
    )
    scenario = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1100")]}
    )
    _run(company, now, date(2026, 2, 1), date(2026, 3, 2))
    assert Invoice.objects.get(contract=scenario.contract).lines.get(component="energy").unit_price == D(
        "0.4950"
    )


def test_the_removal_read_on_the_day_of_a_meter_swap_is_accepted(company, now, prices):
    scenario = billable_contract(company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000")]})
    point = scenario.contract.supply_point_links.get().supply_point
    meter_mount_new(
        supply_point=point, serial_number="NEW1", installed_on=date(2026, 2, 1), actor=None, now=now
    )
    read = _read(company, scenario, date(2026, 2, 1), "1100")
    assert read.highest_severity != "error"


def test_a_supply_point_without_phases_is_held_when_the_charge_depends_on_them(company, now, prices):
    scenario = billable_contract(
        company,
        now,
        prices=prices,
        phases=None,
        reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1100")]},
    )
    run = _run(company, now, date(2026, 2, 1), date(2026, 3, 2))
    item = run.items.get(contract=scenario.contract)
    assert item.status == ItemStatus.HELD and item.findings[0]["code"] == "no_phases"


@pytest.mark.parametrize("amount", ["NaN", "1e15", "Infinity"])
def test_note_amounts_that_are_not_money_are_refused(company, now, prices, amount):
    contract = billable_contract(company, now, prices=prices).contract
    with pytest.raises(ValidationFailed) as failed:
        accounting_note_issue(
            contract=contract, title="x", amount=amount, issue_date=date(2026, 3, 10), now=now
        )
    assert failed.value.field == "amount"


def test_a_first_bill_far_above_the_annual_estimate_is_held_and_can_be_approved(company, now, prices):
    from kilowatt.billing.runs import billing_item_approve

    scenario = billable_contract(
        company,
        now,
        prices=prices,
        annual="1200",
        reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "3000")]},
    )
    run = _run(company, now, date(2026, 2, 1), date(2026, 3, 2))
    item = run.items.get(contract=scenario.contract)
    # 2,000 kWh in 59 days against 1,200 kWh a year (194 kWh expected): held, approvable.
    assert item.status == ItemStatus.HELD and item.findings[0]["code"] == "implausible_energy"
    assert billing_item_approve(run=run, item_id=item.pk, now=LATER) == 1
    assert Invoice.objects.get(contract=scenario.contract).consumption_kwh == D("2000.000")
