"""Forecast invoices inside a longer billing cycle, then a settlement that nets to the real bill."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list

from kilowatt.billing.models import Invoice, InvoiceKind
from kilowatt.billing.runs import billing_run_create, billing_run_execute
from kilowatt.finance.queries import customer_balance

pytestmark = pytest.mark.django_db
D = Decimal


def _run(company, now, month, issue_date):
    run = billing_run_create(company=company, month=month, issue_date=issue_date, now=now)
    billing_run_execute(run=run, now=now)
    return run


def test_forecast_then_settlement_adds_up_to_the_real_bill(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(
        company,
        now,
        prices=prices,
        annual="2200",
        reads={"all": [(date(2026, 1, 1), "10000"), (date(2026, 3, 1), "10350")]},
    )
    contract = scenario.contract
    contract.forecast_billing = True
    contract.save(update_fields=["forecast_billing"])

    _run(company, now, date(2026, 1, 1), date(2026, 2, 2))
    forecast = Invoice.objects.get(contract=contract)
    assert forecast.kind == InvoiceKind.FORECAST
    assert (forecast.period_start, forecast.period_end) == (date(2026, 1, 1), date(2026, 2, 1))
    # January under the household profile: 2200 kWh × 0.100 = 220 kWh, no reads.
    assert forecast.consumption_kwh == D("220.000") and forecast.document["readings"] == []
    assert forecast.lines.get(component="energy").quantity == D("220.0000")

    _run(company, now, date(2026, 2, 1), date(2026, 3, 2))
    settlement = Invoice.objects.get(contract=contract, kind=InvoiceKind.SETTLEMENT)
    assert (settlement.period_start, settlement.period_end) == (date(2026, 1, 1), date(2026, 3, 1))
    deduction = settlement.lines.get(component="forecast_deduction")
    assert deduction.net == -forecast.net and forecast.number in deduction.description
    # The real two-month bill is the worked G11 bill: 467.04 gross.
    assert forecast.gross + settlement.gross == D("467.04")
    assert forecast.net + settlement.net == D("379.71") and forecast.vat + settlement.vat == D("87.33")
    assert customer_balance(customer=contract.customer) == D("467.04")


def test_without_forecast_billing_a_two_month_cycle_bills_once(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "10000"), (date(2026, 3, 1), "10350")]}
    )
    january = _run(company, now, date(2026, 1, 1), date(2026, 2, 2))
    assert not january.items.exists()
    _run(company, now, date(2026, 2, 1), date(2026, 3, 2))
    assert Invoice.objects.get(contract=scenario.contract).kind == InvoiceKind.PERIODIC
