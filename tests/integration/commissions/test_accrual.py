"""Commission accrued from events: amounts worked by hand (two points, stages 30/40/30, participants 60/40,
80 % business share), the most specific rate, each stage once however often its event comes, clawback on
early termination, withdrawal and a cancelled switch (once; a DSO's rejection corrected and submitted again
claws back nothing), nothing accrued after a clawback, billed bases on invoices paid with money only (not
cancelled by a correction nor written off), only agents of the contract's organisation tree paid, and which
scheme pays (organisation, the one above it, the channel)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kilowatt.commissions.models import CommissionEntry, EntryKind
from kilowatt.commissions.queries import entries_total, period_total, scheme_for_contract
from kilowatt.commissions.rules import stage_shares_check
from kilowatt.core.clock import WARSAW
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import OutboxEvent
from kilowatt.core.operations import event_record, outbox_dispatch
from kilowatt.sales.lifecycle.terminations import contract_terminate
from kilowatt.switching.models import SwitchCase
from kilowatt.switching.operations import (
    DsoAnswer,
    answer_apply,
    case_cancel,
    case_resubmit,
    case_submitted,
    case_withdraw,
)
from tests import factories
from tests.integration.commissions import builders
from tests.integration.commissions.builders import START, D

pytestmark = pytest.mark.django_db

RATES = (
    {"rate": "30.00"},  # anything
    {"rate": "99.00", "customer_kind": "business"},  # not a business: never applies here
    {"rate": "52.00", "band_from_kwh": D("3000")},  # any product from 3 MWh: less specific than the next
)


@pytest.fixture
def setup(company, now):
    prices = builders.prices(company)
    alpha = factories.organisation(company, now, "alpha")
    anna = factories.agent(alpha, "anna").user
    bartek = factories.agent(alpha, "bartek").user
    band = {"band_from_kwh": D("3000"), "band_to_kwh": D("10000")}
    rates = (
        *RATES,
        {"rate": "45.50", "product": prices.product},
        {"rate": "61.00", "product": prices.product, **band},
    )
    scheme = builders.scheme(company, rates=rates)
    builders.assign(scheme, organisation=alpha)
    sale = builders.sale(
        company, now, prices, organisation=alpha, participants=[(anna, "60"), (bartek, "40")]
    )
    return sale, anna, bartek, alpha, prices


def amounts(contract, **filters) -> dict:
    """{(point index, agent username or 'own'): [amounts in order]} of a contract's entries."""
    points = {
        link.supply_point_id: i
        for i, link in enumerate(contract.supply_point_links.order_by("supply_point_id"))
    }
    result: dict = {}
    for entry in (
        CommissionEntry.objects.filter(contract=contract, **filters).select_related("agent").order_by("id")
    ):
        who = entry.agent.username if entry.agent else "own"
        result.setdefault((points.get(entry.supply_point_id), who), []).append(entry.amount)
    return result


def test_stages_accrue_by_hand_worked_amounts(setup, now):
    sale, anna, bartek, alpha, _prices = setup
    point1, point2 = sale.points
    # Rates: point 1 (2,200 kWh) takes the product's 45.50 PLN/MWh; point 2 (3,700 kWh) the product's band
    # from 3 to 10 MWh, 61.00 (two conditions beat one). Commission: 2.2 × 45.50 = 100.10 and
    # 3.7 × 61.00 = 225.70.
    builders.sign(sale, now)
    # Signature, 30 %: 30.03 and 67.71. Split 48 / 32 / 20 % (80 % business × 60/40, 20 % own part):
    # 3003 gr → 1441.44 / 960.96 / 600.6 → floors 1441, 960, 600 and the 2 gr left to the largest remainders
    # (.96 and .6): 14.41 / 9.61 / 6.01. 6771 gr → 3250.08 / 2166.72 / 1354.2 → 3250, 2166, 1354, 1 gr left
    # to .72: 32.50 / 21.67 / 13.54.
    assert amounts(sale.contract) == {
        (0, "anna"): [D("14.41")], (0, "bartek"): [D("9.61")], (0, "own"): [D("6.01")],
        (1, "anna"): [D("32.50")], (1, "bartek"): [D("21.67")], (1, "own"): [D("13.54")],
    }  # fmt: skip
    entry = CommissionEntry.objects.get(contract=sale.contract, supply_point=point2, agent=anna)
    assert (entry.base, entry.rate, entry.occurred_on) == (D("3.700"), D("61.0000"), date(2026, 3, 10))
    assert entry.organisation == alpha and entry.kind == EntryKind.ACCRUAL and entry.stage.trigger == "signed"
    assert entry.description == "Contract signed: 30 % of the commission"
    # Start of supply of point 1 only, 40 % of 100.10 = 40.04: 1921.92 / 1281.28 / 800.8 → +1 to .92 and .8.
    builders.start_supply(sale, point1, now)
    assert amounts(sale.contract, stage__trigger="supply_started") == {
        (0, "anna"): [D("19.22")], (0, "bartek"): [D("12.81")], (0, "own"): [D("8.01")],
    }  # fmt: skip
    # Point 2 starts: 40 % of 225.70 = 90.28: 4333.44 / 2888.96 / 1805.6 → +1 to .96 and .6.
    builders.start_supply(sale, point2, now)
    assert amounts(sale.contract, stage__trigger="supply_started", supply_point=point2) == {
        (1, "anna"): [D("43.33")], (1, "bartek"): [D("28.89")], (1, "own"): [D("18.06")],
    }  # fmt: skip
    # The last 30 % once two invoices are paid: nothing after the first one.
    builders.paid_invoice(sale, now, paid_on=date(2026, 5, 20))
    assert not CommissionEntry.objects.filter(contract=sale.contract, stage__trigger="invoices_paid").exists()
    builders.paid_invoice(sale, now, paid_on=date(2026, 6, 22), period_start=date(2026, 5, 1))
    third = amounts(sale.contract, stage__trigger="invoices_paid")
    assert third[(0, "anna")] == [D("14.41")] and third[(1, "own")] == [D("13.54")]
    assert set(
        CommissionEntry.objects.filter(stage__trigger="invoices_paid").values_list("occurred_on", flat=True)
    ) == {date(2026, 6, 22)}
    # In all: 100.10 + 225.70 = 325.80 (each point's stages sum to its commission here), of which anna
    # 14.41 + 32.50 + 19.22 + 43.33 + 14.41 + 32.50 = 156.37.
    entries = CommissionEntry.objects.filter(contract=sale.contract)
    assert entries.count() == 18 and entries_total(entries=entries) == D("325.80")
    assert entries_total(entries=entries.filter(agent=anna)) == D("156.37")
    assert entries_total(entries=entries.filter(agent__isnull=True)) == D("65.17")
    # The commission of a period is the sum of its entries.
    assert period_total(
        company=sale.contract.company, period_start=date(2026, 3, 1), period_end=date(2026, 4, 1)
    ) == (D("30.03") + D("67.71"))


def test_every_event_delivered_again_creates_nothing(setup, now):
    sale, *_ = setup
    builders.sign(sale, now)
    builders.start_supply(sale, sale.points[0], now)
    builders.paid_invoice(sale, now, paid_on=date(2026, 5, 20))
    builders.paid_invoice(sale, now, paid_on=date(2026, 6, 22), period_start=date(2026, 5, 1))
    before = list(CommissionEntry.objects.order_by("id").values_list("key", "amount"))
    assert len(before) == 15
    # Every event again (as after a crash between handling and marking), and copies of them (a publisher
    # sending twice): nothing new.
    events = list(OutboxEvent.objects.all())
    OutboxEvent.objects.update(dispatched_at=None)
    for event in events:
        event_record(company=event.company, name=event.name, payload=event.payload, occurred_at=now)
    assert outbox_dispatch(now=now) == 2 * len(events)
    assert list(CommissionEntry.objects.order_by("id").values_list("key", "amount")) == before


def test_early_termination_claws_back_once_and_nothing_accrues_after(setup, now):
    sale, anna, *_ = setup
    builders.sign(sale, now)
    for point in sale.points:
        builders.start_supply(sale, point, now)
    accrued = list(CommissionEntry.objects.filter(contract=sale.contract))
    assert len(accrued) == 12
    later = now + timedelta(days=100)
    # Notice received 15 June, supply ends 15 July: within 12 months of the start of supply (1 April).
    contract_terminate(contract=sale.contract, initiated_by="customer", received_on=date(2026, 6, 15),
                       reason="", actor=None, now=later)  # fmt: skip
    outbox_dispatch(now=later)
    clawbacks = CommissionEntry.objects.filter(contract=sale.contract, kind=EntryKind.CLAWBACK)
    assert clawbacks.count() == 12
    assert {c.reverses_id for c in clawbacks} == {e.pk for e in accrued}
    assert all(c.amount == -c.reverses.amount and c.agent_id == c.reverses.agent_id for c in clawbacks)
    assert {c.occurred_on for c in clawbacks} == {date(2026, 6, 15)}
    assert entries_total(entries=CommissionEntry.objects.filter(contract=sale.contract)) == D("0.00")
    # The termination again: no second clawback.
    OutboxEvent.objects.filter(name="sales.contract.terminated-v1").update(dispatched_at=None)
    outbox_dispatch(now=later)
    assert clawbacks.count() == 12
    # The last invoices are still paid: no stage accrues for a contract clawed back.
    builders.paid_invoice(sale, later, paid_on=date(2026, 7, 20))
    builders.paid_invoice(sale, later, paid_on=date(2026, 8, 20), period_start=date(2026, 5, 1))
    assert CommissionEntry.objects.filter(contract=sale.contract).count() == 24
    assert not CommissionEntry.objects.filter(stage__trigger="invoices_paid").exists()


def test_a_termination_after_the_clawback_period_keeps_the_commission(company, now):
    prices = builders.prices(company)
    alpha = factories.organisation(company, now, "alpha")
    anna = factories.agent(alpha, "anna").user
    builders.assign(builders.scheme(company, clawback_months=2, rates=[{"rate": "100"}]), organisation=alpha)
    sale = builders.sale(
        company, now, prices, organisation=alpha, participants=[(anna, "100")], annuals=["1000"]
    )
    builders.sign(sale, now)
    builders.start_supply(sale, sale.points[0], now)
    later = now + timedelta(days=100)
    # Supply ends 15 July, after 1 June (two months from the start of supply on 1 April): kept.
    contract_terminate(contract=sale.contract, initiated_by="customer", received_on=date(2026, 6, 15),
                       reason="", actor=None, now=later)  # fmt: skip
    outbox_dispatch(now=later)
    assert not CommissionEntry.objects.filter(kind=EntryKind.CLAWBACK).exists()
    # 1 MWh × 100 = 100.00: 30 % + 40 % so far, split 80 / 20; the last 30 % still comes with 2 paid invoices.
    builders.paid_invoice(sale, later, paid_on=date(2026, 7, 20))
    builders.paid_invoice(sale, later, paid_on=date(2026, 8, 20), period_start=date(2026, 5, 1))
    assert entries_total(entries=CommissionEntry.objects.filter(contract=sale.contract)) == D("100.00")
    assert entries_total(entries=CommissionEntry.objects.filter(agent=anna)) == D("80.00")


def _resubmitted_and_started(sale, point, now):
    """The rejected case of ``point`` is corrected, submitted again, accepted and supply starts."""
    case = case_resubmit(case=SwitchCase.objects.get(supply_point=point), actor=None, now=now)
    case = case_submitted(case=case, now=now)
    case = answer_apply(
        case=case, answer=DsoAnswer(case.number, point.code, "accepted", start_date=START), now=now
    )
    answer_apply(case=case, answer=DsoAnswer(case.number, point.code, "started", start_date=START,
                 meter_serial="M-1", readings={"all": D("10")}), now=now)  # fmt: skip
    outbox_dispatch(now=now)


def test_a_rejected_switch_submitted_again_keeps_and_pays_every_stage(setup, now):
    sale, anna, *_ = setup
    point1, point2 = sale.points
    builders.sign(sale, now)
    builders.reject_switch(sale, point1, now)  # the DSO rejects a correctable error (E17)
    assert OutboxEvent.objects.filter(name="switching.switch.failed-v1").exists()
    assert not CommissionEntry.objects.filter(kind=EntryKind.CLAWBACK).exists()
    # The case is fixed and submitted again; supply starts at both points: both accrue their stage.
    _resubmitted_and_started(sale, point1, now)
    builders.start_supply(sale, point2, now)
    started = CommissionEntry.objects.filter(stage__trigger="supply_started")
    assert set(started.values_list("supply_point", flat=True)) == {point1.pk, point2.pk}
    # And the last 30 % with two paid invoices: every stage of both points, 100.10 + 225.70 (see above).
    builders.paid_invoice(sale, now, paid_on=date(2026, 5, 20))
    builders.paid_invoice(sale, now, paid_on=date(2026, 6, 22), period_start=date(2026, 5, 1))
    entries = CommissionEntry.objects.filter(contract=sale.contract)
    assert entries.count() == 18 and not entries.filter(kind=EntryKind.CLAWBACK).exists()
    assert entries_total(entries=entries) == D("325.80")


def test_a_cancelled_switch_claws_back_that_point_once_even_when_the_event_comes_twice(setup, now):
    sale, anna, *_ = setup
    point1, point2 = sale.points
    builders.sign(sale, now)
    builders.reject_switch(sale, point1, now)
    later = now + timedelta(days=20)
    case_cancel(case=SwitchCase.objects.get(supply_point=point1), reason="No agreement with the DSO",
                actor=None, now=later)  # fmt: skip
    outbox_dispatch(now=later)
    clawbacks = CommissionEntry.objects.filter(kind=EntryKind.CLAWBACK)
    assert clawbacks.count() == 3 and set(clawbacks.values_list("supply_point", flat=True)) == {point1.pk}
    assert {c.occurred_on for c in clawbacks} == {later.astimezone(WARSAW).date()}
    assert entries_total(entries=CommissionEntry.objects.filter(supply_point=point1)) == D("0.00")
    assert entries_total(entries=CommissionEntry.objects.filter(supply_point=point2)) == D("67.71")
    cancelled = OutboxEvent.objects.get(name="switching.case.cancelled-v1")
    OutboxEvent.objects.filter(pk=cancelled.pk).update(dispatched_at=None)
    event_record(company=cancelled.company, name=cancelled.name, payload=cancelled.payload, occurred_at=later)
    outbox_dispatch(now=later)
    assert clawbacks.count() == 3
    # The other point still starts and earns its stage; the cancelled one earns nothing more.
    builders.start_supply(sale, point2, later)
    started = CommissionEntry.objects.filter(stage__trigger="supply_started")
    assert set(started.values_list("supply_point", flat=True)) == {point2.pk}


def test_a_switch_cancelled_after_the_clawback_period_keeps_the_commission(company, now):
    prices = builders.prices(company)
    alpha = factories.organisation(company, now, "alpha")
    anna = factories.agent(alpha, "anna").user
    builders.assign(builders.scheme(company, clawback_months=1, rates=[{"rate": "100"}]), organisation=alpha)
    sale = builders.sale(
        company, now, prices, organisation=alpha, participants=[(anna, "100")], annuals=["1000"]
    )
    builders.sign(sale, now)  # 10 March: the period ends 10 April
    later = datetime(2026, 4, 20, 10, 0, tzinfo=WARSAW)
    case_cancel(case=SwitchCase.objects.get(contract=sale.contract), reason="The customer changed their mind",
                actor=None, now=later)  # fmt: skip
    outbox_dispatch(now=later)
    assert not CommissionEntry.objects.filter(kind=EntryKind.CLAWBACK).exists()


def test_a_withdrawal_claws_back_everything(setup, now):
    sale, *_ = setup
    builders.sign(sale, now)
    case = SwitchCase.objects.filter(contract=sale.contract).first()
    case_withdraw(case=case, sent_on=date(2026, 3, 20), actor=None, now=now + timedelta(days=10))
    outbox_dispatch(now=now + timedelta(days=10))
    assert CommissionEntry.objects.filter(kind=EntryKind.CLAWBACK).count() == 6
    assert entries_total(entries=CommissionEntry.objects.all()) == D("0.00")


def test_billed_bases_accrue_on_each_paid_invoice_for_the_agent_of_the_contract(company, now):
    prices = builders.prices(company)
    alpha = factories.organisation(company, now, "alpha")
    anna = factories.agent(alpha, "anna").user
    percent = builders.scheme(
        company, code="percent", basis="percent_billed", stages=(), rates=[{"rate": "2.5"}]
    )
    builders.assign(percent, organisation=alpha)
    sale = builders.sale(company, now, prices, organisation=alpha, agent=anna, annuals=["2200"])
    builders.sign(sale, now)
    assert not CommissionEntry.objects.exists()  # nothing on signature: billed bases accrue on payment
    invoice = builders.paid_invoice(sale, now, paid_on=date(2026, 5, 20), net="1234.56", point=sale.points[0])
    # 2.5 % of 1,234.56 = 30.864 → 30.86; the contract's agent (no opportunity) gets 80 %: 3086 gr → 2468.8
    # and 617.2 → 2468 + 617 and the grosz left to .8: 24.69 and 6.17.
    rows = dict(CommissionEntry.objects.filter(invoice=invoice).values_list("agent__username", "amount"))
    assert rows == {"anna": D("24.69"), None: D("6.17")}
    assert CommissionEntry.objects.get(invoice=invoice, agent=anna).base == D("1234.560")
    OutboxEvent.objects.update(dispatched_at=None)
    outbox_dispatch(now=now)
    assert CommissionEntry.objects.count() == 2


def test_per_mwh_billed_and_a_sale_without_agents_goes_to_the_organisation(company, now):
    prices = builders.prices(company)
    alpha = factories.organisation(company, now, "alpha")
    mwh = builders.scheme(company, code="mwh", basis="mwh_billed", stages=(), rates=[{"rate": "12.00"}])
    builders.assign(mwh, organisation=alpha)
    sale = builders.sale(company, now, prices, organisation=alpha, annuals=["2200"])
    builders.sign(sale, now)
    builders.paid_invoice(sale, now, paid_on=date(2026, 5, 20), kwh="1850.4")
    # 1.850 MWh × 12.00 = 22.20, all of it the organisation's own part (no one to share it).
    [entry] = CommissionEntry.objects.all()
    assert (entry.agent, entry.amount, entry.base) == (None, D("22.20"), D("1.850"))


def test_the_scheme_of_the_organisation_else_the_one_above_else_the_channel(company, now):
    prices = builders.prices(company)
    alpha = factories.organisation(company, now, "alpha")
    branch = factories.organisation(company, now, "alpha-krk", parent=alpha)
    beta = factories.organisation(company, now, "beta")
    channel_scheme = builders.scheme(company, code="channel", rates=[{"rate": "1"}])
    alpha_scheme = builders.scheme(company, code="alpha", rates=[{"rate": "2"}])
    old = builders.scheme(company, code="old", rates=[{"rate": "3"}])
    builders.assign(channel_scheme, channel=alpha.channel)
    builders.assign(alpha_scheme, organisation=alpha, valid_from=date(2026, 2, 1))
    builders.assign(old, organisation=alpha, valid_from=date(2025, 1, 1), valid_to=date(2026, 2, 1))
    on_branch = builders.sale(company, now, prices, organisation=branch).contract
    on_beta = builders.sale(company, now, prices, organisation=beta).contract
    assert scheme_for_contract(contract=on_branch, on_date=date(2026, 3, 10)) == alpha_scheme
    assert scheme_for_contract(contract=on_branch, on_date=date(2026, 1, 10)) == old
    assert scheme_for_contract(contract=on_beta, on_date=date(2026, 3, 10)) == channel_scheme
    own_staff = builders.sale(company, now, prices, organisation=None).contract
    assert scheme_for_contract(contract=own_staff, on_date=date(2026, 3, 10)) is None
    builders.sign(builders.Sale(own_staff, []), now)
    assert not CommissionEntry.objects.filter(contract=own_staff).exists()


def test_stage_shares_must_sum_to_100_for_staged_bases():
    stage_shares_check(basis="point", shares=[D("30"), D("40"), D("30")])
    stage_shares_check(basis="percent_billed", shares=[])
    with pytest.raises(ValidationFailed) as refused:
        stage_shares_check(basis="mwh_contracted", shares=[D("30"), D("40")])
    assert refused.value.field == "stages" and "70" in refused.value.message
    with pytest.raises(ValidationFailed):
        stage_shares_check(basis="mwh_billed", shares=[D("100")])
