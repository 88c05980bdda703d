from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from tests.billing_scenarios import BUSINESS, HOUSEHOLD, billable_contract, price_list

from kilowatt.billing.corrections import invoice_correct
from kilowatt.billing.models import CorrectionFlag, Invoice, InvoiceKind
from kilowatt.billing.runs import (
    billing_item_hold,
    billing_item_rerate,
    billing_run_create,
    billing_run_execute,
)
from kilowatt.core.clock import WARSAW
from kilowatt.core.operations import outbox_dispatch
from kilowatt.finance.queries import customer_balance
from kilowatt.metering.operations import meter_read_record

pytestmark = pytest.mark.django_db
D = Decimal
LATER = datetime(2026, 3, 20, 10, 0, tzinfo=WARSAW)


def _run(company, now, month, issue_date=date(2026, 3, 2)):
    run = billing_run_create(company=company, month=month, issue_date=issue_date, now=now)
    billing_run_execute(run=run, now=now)
    return run


def _read(company, scenario, day, value, supersedes=None, now=LATER, zone="all"):
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
    )


def test_settlement_correction_charges_forecasts_again(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    s = billable_contract(
        company,
        now,
        prices=prices,
        annual="2200",
        reads={"all": [(date(2026, 1, 1), "10000"), (date(2026, 3, 1), "10350")]},
    )
    s.contract.forecast_billing = True
    s.contract.save(update_fields=["forecast_billing"])
    _run(company, now, date(2026, 1, 1), date(2026, 2, 2))
    _run(company, now, date(2026, 2, 1), date(2026, 3, 2))
    forecast = Invoice.objects.get(contract=s.contract, kind=InvoiceKind.FORECAST)
    settlement = Invoice.objects.get(contract=s.contract, kind=InvoiceKind.SETTLEMENT)
    wrong = s.registers["all"].reads.get(read_on=date(2026, 3, 1))
    _read(company, s, date(2026, 3, 1), "10351", supersedes=wrong)  # +1 kWh
    corr = invoice_correct(invoice=settlement, reason="r", issue_date=date(2026, 3, 20), now=LATER)
    print("forecast gross", forecast.gross, "settlement", settlement.gross, "correction", corr.gross)
    print("balance", customer_balance(customer=s.contract.customer))
    assert corr.gross < D("5"), corr.gross  # +1 kWh should be ~1.3 zł


def test_contract_end_recorded_late_is_never_billed(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    s = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1350")]}
    )
    _run(company, now, date(2026, 2, 1))
    assert Invoice.objects.filter(contract=s.contract).count() == 1
    later = datetime(2026, 6, 10, 9, 0, tzinfo=WARSAW)
    _run(company, later, date(2026, 3, 1), date(2026, 4, 2))  # cycle 2: not due in March
    # termination is recorded after the March run: supply ended 20 March
    c = s.contract
    c.end_date = date(2026, 3, 20)
    c.save(update_fields=["end_date"])
    _read(company, s, date(2026, 3, 20), "1500", now=later)
    run = _run(company, later, date(2026, 4, 1), date(2026, 5, 4))
    print("april items", list(run.items.values_list("contract_id", "period_start", "period_end")))
    assert Invoice.objects.filter(contract=s.contract).count() == 2, "final bill 1-20 March never issued"


def test_estimated_end_then_actual_then_correction_double_counts(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    s = billable_contract(company, now, prices=prices, cycle=1, reads={"all": [(date(2026, 1, 1), "1000")]})
    _run(company, now, date(2026, 1, 1), date(2026, 2, 2))
    jan = Invoice.objects.get(contract=s.contract)
    assert jan.estimated
    r, f = _read(company, s, date(2026, 2, 1), "1300")
    print(
        "actual feb findings",
        f,
        list(s.registers["all"].reads.values_list("read_on", "value", "kind", "highest_severity")),
    )
    _read(company, s, date(2026, 3, 1), "1500")
    outbox_dispatch(now=LATER)
    assert CorrectionFlag.objects.filter(invoice=jan).exists()
    corr = invoice_correct(invoice=jan, reason="actual read", issue_date=date(2026, 3, 20), now=LATER)
    _run(company, LATER, date(2026, 2, 1), date(2026, 3, 21))
    feb = Invoice.objects.get(contract=s.contract, kind=InvoiceKind.PERIODIC, period_start=date(2026, 2, 1))
    total = jan.consumption_kwh + corr.consumption_kwh + feb.consumption_kwh
    print(
        "jan", jan.consumption_kwh, "corr", corr.consumption_kwh, "feb", feb.consumption_kwh, "total", total
    )
    assert total == D("500"), total


def test_multiplier_ignored_when_estimating_from_annual(company, now):
    prices = price_list(company, code="firma", commodity="electricity", components=BUSINESS)
    s = billable_contract(
        company,
        now,
        prices=prices,
        group="C21",
        annual="60000",
        cycle=1,
        business=True,
        capacity_kw="60",
        phases=3,
        reads={"all": [(date(2026, 1, 1), "500")]},
    )
    meter = s.registers["all"].meter
    meter.multiplier = D("40")
    meter.save(update_fields=["multiplier"])
    run = _run(company, now, date(2026, 1, 1), date(2026, 2, 2))
    print(run.items.get().findings)
    inv = Invoice.objects.get(contract=s.contract)
    print("kwh", inv.consumption_kwh, "gross", inv.gross, inv.document["readings"])
    assert inv.consumption_kwh < D("10000"), inv.consumption_kwh


def test_generic_component_shadows_group_specific(company, now):
    comps = [("energy", "all", None, "kWh", "0.9999"), *HOUSEHOLD]
    prices = price_list(company, code="dom", commodity="electricity", components=comps)
    s = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1350")]}
    )
    _run(company, now, date(2026, 2, 1))
    inv = Invoice.objects.get(contract=s.contract)
    price = inv.lines.get(component="energy").unit_price
    print("energy price used", price)
    assert price == D("0.4950"), price


def test_held_item_rerated_after_later_run(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    s = billable_contract(
        company,
        now,
        prices=prices,
        cycle=1,
        reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 2, 1), "1100"), (date(2026, 3, 1), "1300")]},
    )
    jan = billing_run_create(company=company, month=date(2026, 1, 1), issue_date=date(2026, 2, 2), now=now)
    item = jan.items.get()
    billing_item_hold(run=jan, item_id=item.pk, now=now, reason="check")
    billing_run_execute(run=jan, now=now)
    _run(company, now, date(2026, 2, 1))
    feb = Invoice.objects.get(contract=s.contract)
    print("feb run billed", feb.period_start, feb.period_end)
    billing_item_rerate(run=jan, item_id=item.pk, now=now)
    print(
        list(Invoice.objects.filter(contract=s.contract).values_list("period_start", "period_end", "gross"))
    )


def test_second_correction_consumption(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    s = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1350")]}
    )
    _run(company, now, date(2026, 2, 1))
    inv = Invoice.objects.get(contract=s.contract)
    r1 = s.registers["all"].reads.get(read_on=date(2026, 3, 1))
    r2, _ = _read(company, s, date(2026, 3, 1), "1300", supersedes=r1)
    c1 = invoice_correct(invoice=inv, reason="1", issue_date=date(2026, 3, 20), now=LATER)
    _read(company, s, date(2026, 3, 1), "1310", supersedes=r2)
    c2 = invoice_correct(invoice=inv, reason="2", issue_date=date(2026, 3, 20), now=LATER)
    print("kwh", inv.consumption_kwh, c1.consumption_kwh, c2.consumption_kwh)
    assert inv.consumption_kwh + c1.consumption_kwh + c2.consumption_kwh == D("310")


def test_meter_swap_with_removal_read(company, now):
    from kilowatt.network.operations import meter_mount_new

    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    s = billable_contract(company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000")]})
    point = s.contract.supply_point_links.get().supply_point
    new = meter_mount_new(
        supply_point=point, serial_number="NEW1", installed_on=date(2026, 2, 1), actor=None, now=now
    )
    # the DSO's swap protocol arrives after the swap was recorded: old meter's last read on the swap day
    old_read, findings = _read(company, s, date(2026, 2, 1), "1100", now=now)
    print("removal read findings", findings, old_read.highest_severity)
    reg = new.meter.registers.get()
    for day, v in ((date(2026, 2, 1), "0"), (date(2026, 3, 1), "250")):
        meter_read_record(
            company=company,
            supply_point=point,
            register=reg,
            read_on=day,
            value=v,
            kind="actual",
            source="dso",
            actor=None,
            now=now,
        )
    run = _run(company, now, date(2026, 2, 1))
    item = run.items.get()
    print(item.status, item.findings)
    inv = Invoice.objects.filter(contract=s.contract).first()
    print(inv and (inv.consumption_kwh, inv.document["readings"]))
    assert item.status == "issued"


@pytest.mark.parametrize("amount", ["NaN", "1e15"])
def test_note_bad_amount(company, now, amount):
    from kilowatt.billing.notes import accounting_note_issue
    from kilowatt.core.errors import ValidationFailed

    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    s = billable_contract(company, now, prices=prices)
    try:
        n = accounting_note_issue(
            contract=s.contract, title="x", amount=amount, issue_date=date(2026, 3, 2), now=now
        )
        print("ISSUED", n.number, repr(n.amount_due), n.document["totals"])
        n.refresh_from_db()
        print("from db", repr(n.amount_due))
    except ValidationFailed as e:
        print("clean refusal", e)
    except Exception as e:
        print("CRASH", type(e).__name__, e)


def test_stale_run_items_poison_a_batch(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    reads = {
        "all": [
            (date(2026, 1, 1), "1000"),
            (date(2026, 2, 1), "1100"),
            (date(2026, 3, 1), "1300"),
            (date(2026, 4, 1), "1400"),
        ]
    }
    a = billable_contract(company, now, prices=prices, cycle=1, reads=reads)
    b = billable_contract(company, now, prices=prices, cycle=1, reads=reads)
    later = datetime(2026, 4, 10, 9, 0, tzinfo=WARSAW)
    _run(company, later, date(2026, 1, 1), date(2026, 2, 2))
    feb = billing_run_create(company=company, month=date(2026, 2, 1), issue_date=date(2026, 3, 2), now=later)
    item = feb.items.get(contract=a.contract)
    billing_item_hold(run=feb, item_id=item.pk, now=later, reason="check")
    billing_run_execute(run=feb, now=later)
    mar = billing_run_create(company=company, month=date(2026, 3, 1), issue_date=date(2026, 4, 2), now=later)
    print("march items", list(mar.items.values_list("contract_id", "period_start", "period_end")))
    billing_item_rerate(run=feb, item_id=item.pk, now=later)  # staff release the held February bill
    try:
        billing_run_execute(run=mar, now=later)
    except Exception as e:
        print("MARCH RUN CRASH", type(e).__name__, e)
    print(
        "b invoices",
        list(Invoice.objects.filter(contract=b.contract).values_list("period_start", "period_end")),
    )
    print("mar items", list(mar.items.values_list("contract_id", "status")))


def test_forecast_switched_off_mid_cycle_never_deducted(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    s = billable_contract(company, now, prices=prices, annual="2200",
                          reads={"all": [(date(2026, 1, 1), "10000"), (date(2026, 3, 1), "10350")]})
    c = s.contract
    c.forecast_billing = True
    c.save(update_fields=["forecast_billing"])
    _run(company, now, date(2026, 1, 1), date(2026, 2, 2))
    c.forecast_billing = False
    c.save(update_fields=["forecast_billing"])
    _run(company, now, date(2026, 2, 1), date(2026, 3, 2))
    print(list(Invoice.objects.filter(contract=c).values_list("kind", "period_start", "period_end", "gross")))
    print("balance", customer_balance(customer=c.customer), "real bill 467.04")
