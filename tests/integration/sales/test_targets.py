"""Sales targets: progress computed by hand for each kind of holder (channel, organisation with its
branches, agent) and each measure (supply points, MWh), filtered by commodity and product; drafts,
withdrawn contracts and contracts signed outside the period never count; the linear pace while running,
the final figure after the end; a bounded number of queries for any number of targets; who may set one."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest

from kilowatt.catalog.models import PriceList, Product
from kilowatt.channels.models import ChannelKind, SalesChannel, SalesTarget
from kilowatt.channels.operations import organisation_create
from kilowatt.channels.queries import scope_of_agent
from kilowatt.core.errors import PermissionDenied, ValidationFailed
from kilowatt.core.models import Role
from kilowatt.network.models import Dso, TariffGroup
from kilowatt.sales.models import Contract, ContractSupplyPoint
from kilowatt.sales.targets import target_create, target_progress, targets_for_partner, targets_progress
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
TODAY = date(2026, 3, 10)
_numbers = itertools.count(1)


def product(company, code):
    item = Product.objects.create(company=company, code=code, name=code.title(), commodity="electricity")
    PriceList.objects.create(company=company, product=item, code=f"{code}-2026", name=code, valid_from=MARCH)
    return item


def signed(company, now, item, *, organisation, agent=None, on, status="signed", kwh=(2200,), gas_kwh=()):
    """A contract of ``organisation`` won by ``agent`` signed ``on``, with electricity points of ``kwh``
    and gas points of ``gas_kwh`` yearly consumption."""
    customer = factories.customer(company, now)
    contract = Contract.objects.create(
        company=company, number=f"UM/{next(_numbers)}", customer=customer, kind="comprehensive",
        product=item, price_list=item.price_lists.get(), status=status, signed_on=on, start_date=APRIL,
        organisation=organisation, agent=agent.user if agent else None, created_at=now, updated_at=now,
    )  # fmt: skip
    points = [factories.supply_point(company, customer, now, annual_consumption_kwh=Decimal(k)) for k in kwh]
    points += [
        factories.supply_point(
            company,
            customer,
            now,
            code=factories.ppg_code(),
            commodity="gas",
            phases=None,
            dso_id=Dso.objects.get(code="psg").pk,
            annual_consumption_kwh=Decimal(k),
            tariff_group_id=TariffGroup.objects.get(code="W-2.1", commodity="gas").pk,
        )  # fmt: skip
        for k in gas_kwh
    ]
    for point in points:
        ContractSupplyPoint.objects.create(contract=contract, supply_point=point, valid_from=APRIL)
    return contract


@pytest.fixture
def world(company, now):
    a = factories.organisation(company, now, "alfa")
    a1 = factories.organisation(company, now, "alfa-krakow", parent=a)
    b = factories.organisation(company, now, "beta")
    hotline = SalesChannel.objects.create(
        company=company, code="hotline", name="Hotline", kind=ChannelKind.HOTLINE
    )
    h = organisation_create(company=company, channel=hotline, code="cc", name="Call centre", now=now)
    agent_a, agent_a1 = factories.agent(a, "ala"), factories.agent(a1, "olek")
    agent_b = factories.agent(b, "bartek")
    p1, p2 = product(company, "prad"), product(company, "prad-eko")
    signed(company, now, p1, organisation=a, agent=agent_a, on=date(2026, 3, 2), kwh=(2200, 3000))
    signed(company, now, p1, organisation=a1, agent=agent_a1, on=date(2026, 3, 5), status="active",
           kwh=(1500,), gas_kwh=(20000,))  # fmt: skip
    signed(company, now, p2, organisation=b, agent=agent_b, on=date(2026, 3, 3), kwh=(10000,))
    signed(company, now, p1, organisation=a, agent=agent_a, on=date(2026, 3, 7), status="draft", kwh=(4000,))
    signed(
        company, now, p1, organisation=a, agent=agent_a, on=date(2026, 3, 8), status="withdrawn", kwh=(4000,)
    )
    signed(company, now, p1, organisation=a, agent=agent_a, on=date(2026, 2, 27), kwh=(4000,))
    signed(company, now, p1, organisation=a, agent=agent_a, on=APRIL, kwh=(4000,))
    signed(company, now, p1, organisation=h, on=date(2026, 3, 4), kwh=(800,))
    signed(company, now, p1, organisation=a1, agent=agent_a1, on=date(2026, 3, 20), kwh=(700,))
    return {
        "channel": a.channel, "hotline": hotline, "a": a, "a1": a1, "b": b,
        "agent_a": agent_a, "agent_a1": agent_a1, "agent_b": agent_b, "p1": p1, "p2": p2,
    }  # fmt: skip


def target(company, *, metric="points", goal="10", start=MARCH, end=APRIL, **holder):
    return SalesTarget.objects.create(
        company=company, period_start=start, period_end=end, metric=metric, goal=Decimal(goal), **holder
    )


def test_progress_of_each_holder_and_measure_computed_by_hand(company, world):
    w = world
    cases = [
        # partners channel: contracts 1 (2 points), 2 (2), 3 (1); not the draft, the withdrawn, February,
        # 1 April (excluded end), the hotline's, nor 20 March (after the day looked at).
        (target(company, channel=w["channel"]), Decimal(5)),
        (target(company, channel=w["hotline"]), Decimal(1)),
        (target(company, channel=w["channel"], product=w["p2"]), Decimal(1)),
        # alfa with its Kraków branch: 2,200 + 3,000 + 1,500 + 20,000 kWh = 26.7 MWh; electricity only 6.7.
        (target(company, organisation=w["a"], metric="mwh", goal="100"), Decimal("26.700")),
        (
            target(company, organisation=w["a"], metric="mwh", goal="100", commodity="electricity"),
            Decimal("6.700"),
        ),
        (target(company, organisation=w["a"], commodity="gas"), Decimal(1)),
        (target(company, organisation=w["a1"]), Decimal(2)),  # the branch alone
        (target(company, organisation=w["b"], metric="mwh", goal="5"), Decimal("10.000")),
        (target(company, agent=w["agent_a"], goal="4"), Decimal(2)),
        (target(company, agent=w["agent_a1"], product=w["p1"]), Decimal(2)),
        (target(company, agent=w["agent_b"], product=w["p1"]), Decimal(0)),
    ]
    progress = targets_progress(targets=[t for t, _ in cases], on_date=TODAY)
    assert [p.achieved for p in progress] == [expected for _, expected in cases]
    channel, agent = progress[0], progress[8]
    # Day 10 of 31: 10 × 10 / 31 = 3.226 expected; 5 achieved = 50 %, ahead of the pace.
    assert (channel.status, channel.days_elapsed, channel.days_total) == ("running", 10, 31)
    assert channel.percent == Decimal("50.0") and channel.expected == Decimal("3.226")
    assert channel.expected_percent == Decimal("32.3") and channel.on_track is True
    assert (agent.percent, agent.expected, agent.on_track) == (Decimal("50.0"), Decimal("1.290"), True)
    alfa = progress[3]
    assert alfa.percent == Decimal("26.7") and alfa.expected == Decimal("32.258") and alfa.on_track is False
    assert progress[7].percent == Decimal("200.0") and progress[7].bar_percent == Decimal(100)


def test_after_the_end_the_figure_is_final(company, world):
    later = target(company, agent=world["agent_a1"], goal="3")
    final = target_progress(target=later, on_date=date(2026, 4, 15))
    # The contract of 20 March counts now: 2 + 1 points; no pace after the end.
    assert (final.status, final.achieved, final.percent, final.expected) == (
        "finished",
        3,
        Decimal("100.0"),
        None,
    )
    assert final.is_met and final.on_track and final.days_elapsed == 31
    missed = target_progress(target=target(company, agent=world["agent_b"], goal="2"), on_date=MAY)
    assert (missed.achieved, missed.is_met, missed.on_track) == (1, False, False)
    upcoming = target_progress(
        target=target(company, agent=world["agent_b"], start=APRIL, end=MAY), on_date=TODAY
    )
    assert (upcoming.status, upcoming.achieved, upcoming.on_track, upcoming.days_elapsed) == (
        "upcoming",
        0,
        None,
        0,
    )


def test_any_number_of_targets_costs_three_queries(company, world, django_assert_max_num_queries):
    targets = [target(company, organisation=world["a"], goal=str(n + 1)) for n in range(30)]
    targets += [target(company, agent=world["agent_a"], goal=str(n + 1)) for n in range(30)]
    targets += [target(company, channel=world["channel"], goal=str(n + 1)) for n in range(30)]
    with django_assert_max_num_queries(3):
        progress = targets_progress(targets=targets, on_date=TODAY)
    assert {p.achieved for p in progress} == {Decimal(4), Decimal(2), Decimal(5)}


def test_a_partner_sees_own_and_organisation_targets_a_manager_the_branches_and_agents(company, now, world):
    w = world
    own = target(company, agent=w["agent_a"])
    colleague = target(company, agent=factories.agent(w["a"], "celina"))
    organisation = target(company, organisation=w["a"])
    branch = target(company, organisation=w["a1"])
    branch_agent = target(company, agent=w["agent_a1"])
    beta = target(company, organisation=w["b"])
    target(company, channel=w["channel"])
    assert set(targets_for_partner(scope=scope_of_agent(agent=w["agent_a"]))) == {own, organisation}
    manager = factories.agent(w["a"], "marta", role="manager")
    assert set(targets_for_partner(scope=scope_of_agent(agent=manager))) == {
        own, colleague, organisation, branch, branch_agent,
    }  # fmt: skip
    assert set(targets_for_partner(scope=scope_of_agent(agent=w["agent_b"]))) == {beta}


def test_only_channel_managers_set_a_target_for_exactly_one_holder_of_the_company(
    company, other_company, now, world
):
    manager = make_staff("kamil", company, Role.SALES_MANAGER)
    values = {"period_start": MARCH, "period_end": APRIL, "metric": "points", "goal": Decimal(12)}
    made = target_create(company=company, actor=manager, organisation=world["a"], **values)
    assert (made.organisation, made.goal, made.channel) == (world["a"], Decimal(12), None)
    with pytest.raises(PermissionDenied):
        target_create(
            company=company,
            actor=make_staff("bo", company, Role.BACK_OFFICE),
            agent=world["agent_a"],
            **values,
        )
    with pytest.raises(ValidationFailed) as two:
        target_create(
            company=company, actor=manager, organisation=world["a"], agent=world["agent_a"], **values
        )
    assert two.value.field == "holder"
    stranger = factories.organisation(other_company, now, "obcy")
    with pytest.raises(ValidationFailed) as foreign:
        target_create(company=company, actor=manager, organisation=stranger, **values)
    assert foreign.value.code == "not_found"
    with pytest.raises(ValidationFailed) as fraction:
        target_create(
            company=company, actor=manager, agent=world["agent_a"], **{**values, "goal": Decimal("2.5")}
        )
    assert fraction.value.field == "goal"
    with pytest.raises(ValidationFailed) as backwards:
        target_create(
            company=company, actor=manager, agent=world["agent_a"], **{**values, "period_end": MARCH}
        )
    assert backwards.value.field == "period_end"
    assert SalesTarget.objects.count() == 1
