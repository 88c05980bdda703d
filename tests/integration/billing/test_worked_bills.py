"""Worked bills computed by hand from the 2026 reference tariffs, matched to the grosz through a real run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.billing_scenarios import BUSINESS, GAS, HOUSEHOLD, billable_contract, price_list

from kilowatt.billing.models import Invoice, ItemStatus
from kilowatt.billing.runs import billing_run_create, billing_run_execute
from kilowatt.catalog.models import DistributionTariff
from kilowatt.finance.models import LedgerEntry

pytestmark = pytest.mark.django_db

D = Decimal


def _run(company, now, month):
    run = billing_run_create(company=company, month=month, issue_date=date(2026, 3, 2), now=now)
    billing_run_execute(run=run, now=now)
    return run


def _lines(invoice):
    return {
        (line.component, line.zone): (line.quantity, line.unit_price, line.net)
        for line in invoice.lines.all()
    }


def test_g11_two_month_household_bill(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(
        company,
        now,
        prices=prices,
        group="G11",
        annual="2200",
        reads={"all": [(date(2026, 1, 1), "10000"), (date(2026, 3, 1), "10350")]},
    )
    run = _run(company, now, date(2026, 2, 1))
    item = run.items.get()
    assert item.status == ItemStatus.ISSUED, item.findings
    invoice = Invoice.objects.get(contract=scenario.contract)
    # By hand, PGE Dystrybucja G11 2026, 1-phase, 2-month billing, 2200 kWh a year (band 1200–2800):
    # energy 350 × 0.4950 = 173.25; handling fee 2 × 9.99 = 19.98;
    # fixed 2 × 5.50 = 11.00; variable 350 × 0.3469 = 121.415 → 121.42; quality 350 × 0.0331 = 11.585 → 11.59;
    # OZE 350 × 0.0073 = 2.555 → 2.56; cogeneration 350 × 0.0030 = 1.05; capacity 2 × 17.18 = 34.36;
    # subscription (2-month) 2 × 2.25 = 4.50. Net 379.71; VAT 23 % of 379.71 = 87.3333 → 87.33; gross 467.04.
    lines = _lines(invoice)
    assert lines[("energy", "all")][2] == D("173.25")
    assert lines[("variable_network", "all")][2] == D("121.42")
    assert lines[("quality", "")][2] == D("11.59")
    assert lines[("capacity_household", "capacity-1200-2800")][2] == D("34.36")
    assert lines[("distribution_subscription", "")][2] == D("4.50")
    assert (invoice.net, invoice.vat, invoice.gross) == (D("379.71"), D("87.33"), D("467.04"))
    assert invoice.period_start == date(2026, 1, 1) and invoice.period_end == date(2026, 3, 1)
    # 2026-03-02 + 14 days = 2026-03-16, a Monday.
    assert invoice.due_date == date(2026, 3, 16)
    ledger = LedgerEntry.objects.get(document_type="invoice", document_id=invoice.pk)
    assert ledger.amount == D("467.04") and ledger.customer_id == invoice.customer_id
    assert invoice.document["totals"] == {"net": "379.71", "vat": "87.33", "gross": "467.04"}
    assert [r["consumption"] for r in invoice.document["readings"]] == ["350.000"]


def test_g12w_two_month_household_bill(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(
        company,
        now,
        prices=prices,
        group="G12w",
        annual="3000",
        reads={
            "peak": [(date(2026, 1, 1), "5000"), (date(2026, 3, 1), "5210")],
            "offpeak": [(date(2026, 1, 1), "3000"), (date(2026, 3, 1), "3190")],
        },
    )
    _run(company, now, date(2026, 2, 1))
    invoice = Invoice.objects.get(contract=scenario.contract)
    # PGE G12w 2026, band > 2800 kWh: energy peak 210 × 0.5690 = 119.49, off-peak 190 × 0.3890 = 73.91;
    # handling 19.98; fixed 2 × 6.40 = 12.80;
    # variable peak 210 × 0.4350 = 91.35, off-peak 190 × 0.1210 = 22.99;
    # quality 400 × 0.0331 = 13.24; OZE 400 × 0.0073 = 2.92; cogeneration 400 × 0.0030 = 1.20;
    # capacity 2 × 24.05 = 48.10; subscription 2 × 2.25 = 4.50. Net 410.48, VAT 94.4104 → 94.41, gross 504.89.
    lines = _lines(invoice)
    assert lines[("energy", "peak")][2] == D("119.49")
    assert lines[("energy", "offpeak")][2] == D("73.91")
    assert lines[("variable_network", "offpeak")][2] == D("22.99")
    assert lines[("capacity_household", "capacity-gt2800")][2] == D("48.10")
    assert (invoice.net, invoice.vat, invoice.gross) == (D("410.48"), D("94.41"), D("504.89"))


def test_gas_w2_two_month_bill(company, now):
    prices = price_list(company, code="gaz", commodity="gas", components=GAS)
    scenario = billable_contract(
        company,
        now,
        prices=prices,
        group="W-2.1",
        commodity="gas",
        dso="psg",
        annual="8000",
        reads={"all": [(date(2026, 1, 1), "1000.000"), (date(2026, 3, 1), "1123.456")]},
    )
    _run(company, now, date(2026, 2, 1))
    invoice = Invoice.objects.get(contract=scenario.contract)
    # 123.456 m³ × 11.1600 kWh/m³ (PSG 2026) = 1377.769 → 1378 kWh (whole kWh).
    # fuel 1378 × 0.2390 = 329.342 → 329.34; subscription 2 × 8.50 = 17.00; fixed network 2 × 14.98 = 29.96;
    # variable network 1378 × 0.05996 = 82.62488 → 82.62. Net 458.92, VAT 105.5516 → 105.55, gross 564.47.
    reading = invoice.document["readings"][0]
    assert (reading["consumption"], reading["conversion_factor"], reading["energy_kwh"]) == (
        "123.456",
        "11.1600",
        "1378",
    )
    lines = _lines(invoice)
    assert lines[("fuel", "all")] == (D("1378.0000"), D("0.239000"), D("329.34"))
    assert lines[("variable_network", "all")][2] == D("82.62")
    assert (invoice.net, invoice.vat, invoice.gross) == (D("458.92"), D("105.55"), D("564.47"))


def test_c21_business_monthly_bill(company, now):
    prices = price_list(company, code="firma", commodity="electricity", components=BUSINESS)
    scenario = billable_contract(
        company,
        now,
        prices=prices,
        group="C21",
        annual="60000",
        cycle=1,
        business=True,
        capacity_kw="60",
        phases=3,
        reads={"all": [(date(2026, 1, 1), "20000"), (date(2026, 2, 1), "25000")]},
    )
    _run(company, now, date(2026, 1, 1))
    invoice = Invoice.objects.get(contract=scenario.contract)
    # PGE C21 2026: energy 5000 × 0.5890 = 2945.00; handling 29.00; fixed 60 kW × 1 month × 9.30 = 558.00;
    # variable 5000 × 0.2160 = 1080.00; quality 165.50; OZE 36.50; cogeneration 15.00;
    # capacity (other customers): 5000 × 0.62 (profile share of working days 7–22) = 3100 kWh;
    # 3100 × 0.2194 = 680.14;
    # subscription (1-month) 40.00. Net 5549.14, VAT 1276.3022 → 1276.30, gross 6825.44.
    lines = _lines(invoice)
    assert lines[("fixed_network", "")] == (D("60.0000"), D("9.300000"), D("558.00"))
    assert lines[("capacity_other", "")] == (D("3100.0000"), D("0.219400"), D("680.14"))
    assert (invoice.net, invoice.vat, invoice.gross) == (D("5549.14"), D("1276.30"), D("6825.44"))


def _variable_rate_rises_on_1_february():
    old = DistributionTariff.objects.get(dso__code="pge-dystrybucja", tariff_group__code="G11")
    old.valid_to = date(2026, 2, 1)
    old.save()
    new = DistributionTariff.objects.create(
        dso=old.dso,
        tariff_group=old.tariff_group,
        name="PGE G11 from Feb",
        valid_from=date(2026, 2, 1),
        valid_to=date(2027, 1, 1),
    )
    for rate in old.rates.all():
        rate.pk, rate.tariff = None, new
        if rate.component == "variable_network":
            rate.price = D("0.4000")
        rate.save()


def test_a_price_change_splits_by_the_read_taken_on_that_day(company, now):
    _variable_rate_rises_on_1_february()
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(
        company,
        now,
        prices=prices,
        reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 2, 1), "1100"), (date(2026, 3, 1), "1350")]},
    )
    _run(company, now, date(2026, 2, 1))
    invoice = Invoice.objects.get(contract=scenario.contract)
    variable = sorted(
        (line.period_start, line.quantity, line.net)
        for line in invoice.lines.filter(component="variable_network")
    )
    # January as read: 100 kWh × 0.3469 = 34.69; February: 250 kWh × 0.4000 = 100.00.
    assert variable == [
        (date(2026, 1, 1), D("100.0000"), D("34.69")),
        (date(2026, 2, 1), D("250.0000"), D("100.00")),
    ]
    assert len(invoice.document["readings"]) == 2


def test_without_a_read_a_price_change_splits_by_days(company, now):
    _variable_rate_rises_on_1_february()
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1350")]}
    )
    _run(company, now, date(2026, 2, 1))
    invoice = Invoice.objects.get(contract=scenario.contract)
    variable = sorted(
        (line.period_start, line.quantity, line.net)
        for line in invoice.lines.filter(component="variable_network")
    )
    # 350 kWh over 59 days: January's 31 days = 183.898 kWh × 0.3469 = 63.79;
    # February the rest, 166.102 × 0.4 = 66.44.
    assert variable == [
        (date(2026, 1, 1), D("183.8980"), D("63.79")),
        (date(2026, 2, 1), D("166.1020"), D("66.44")),
    ]
    energy = invoice.lines.get(component="energy")
    assert energy.quantity == D("350.0000") and energy.net == D("173.25")


def test_gas_factor_of_an_area_with_the_dso_wide_row_filling_its_gaps(company, now):
    from kilowatt.catalog.models import GasConversionFactor
    from kilowatt.network.models import DistributionArea, Dso, SupplyPoint

    psg = Dso.objects.get(code="psg")
    area = DistributionArea.objects.create(dso=psg, code="tarnow", name="Tarnów")
    GasConversionFactor.objects.create(
        dso=psg, area=area, factor=D("11.0000"), valid_from=date(2026, 1, 1), valid_to=date(2026, 2, 1)
    )
    prices = price_list(company, code="gaz", commodity="gas", components=GAS)
    scenario = billable_contract(
        company,
        now,
        prices=prices,
        group="W-2.1",
        commodity="gas",
        dso="psg",
        annual="8000",
        reads={"all": [(date(2026, 1, 1), "1000.000"), (date(2026, 3, 1), "1100.000")]},
    )
    SupplyPoint.objects.filter(contract_links__contract=scenario.contract).update(area=area)
    _run(company, now, date(2026, 2, 1))
    reading = Invoice.objects.get(contract=scenario.contract).document["readings"][0]
    # January's 31 days at the area's 11.0000, February's 28 at PSG's 11.1600:
    # (31 × 11.0000 + 28 × 11.1600) / 59 = 11.0759; 100 m³ → 1107.59 → 1108 kWh.
    assert (reading["conversion_factor"], reading["energy_kwh"]) == ("11.0759", "1108")
