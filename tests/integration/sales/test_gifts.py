"""Promotional gifts: issued by headquarters, handed over only with a contract of the organisation's scope
(and the agent's), returned or settled, never below zero on any day, counted at the period's end with the
difference recorded; who may do what; two hand-overs of the last gift at once (PostgreSQL)."""

from __future__ import annotations

import itertools
import threading
from datetime import date

import pytest
from django.db import connection

from kilowatt.catalog.models import PriceList, Product
from kilowatt.core.errors import PermissionDenied, ValidationFailed
from kilowatt.core.models import Role
from kilowatt.sales.gifts import (
    gift_hand_over,
    gift_issue,
    gift_movements,
    gift_return,
    gift_settle,
    gift_stock,
    gift_stock_levels,
    gift_stock_take,
)
from kilowatt.sales.models import Contract, Gift, GiftMovement, GiftMovementKind, GiftStockTake
from tests import factories
from tests.conftest import make_staff

MARCH_1, MARCH_5, MARCH_8, MARCH_31 = date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 8), date(2026, 3, 31)
_numbers = itertools.count(1)


def contract(company, now, *, organisation, agent=None, status="signed"):
    product = Product.objects.filter(company=company).first() or Product.objects.create(
        company=company, code="prad", name="Prąd", commodity="electricity"
    )
    prices = product.price_lists.first() or PriceList.objects.create(
        company=company, product=product, code="prad-2026", name="Prąd 2026", valid_from=MARCH_1
    )
    return Contract.objects.create(
        company=company, number=f"UM/G/{next(_numbers)}", customer=factories.customer(company, now),
        kind="comprehensive", product=product, price_list=prices, status=status, signed_on=MARCH_1,
        start_date=date(2026, 4, 1), organisation=organisation, agent=agent.user if agent else None,
        created_at=now, updated_at=now,
    )  # fmt: skip


@pytest.fixture
def setup(company, now):
    a = factories.organisation(company, now, "alfa")
    a1 = factories.organisation(company, now, "alfa-krakow", parent=a)
    b = factories.organisation(company, now, "beta")
    mug = Gift.objects.create(company=company, code="kubek", name="Kubek", unit_value="12.50")
    hq = make_staff("kamil", company, Role.SALES_MANAGER)  # channels.manage
    return a, a1, b, mug, hq


@pytest.mark.django_db
def test_issued_handed_over_returned_settled_and_never_below_zero(company, now, setup):
    a, a1, b, mug, hq = setup
    ala, celina = factories.agent(a, "ala"), factories.agent(a, "celina")
    manager = factories.agent(a, "marta", role="manager")
    own, colleagues = (
        contract(company, now, organisation=a, agent=ala),
        contract(company, now, organisation=a, agent=celina),
    )
    branch, other = contract(company, now, organisation=a1), contract(company, now, organisation=b)
    gift_issue(gift=mug, organisation=a, quantity=10, on_date=MARCH_1, actor=hq, now=now)
    gift_issue(gift=mug, organisation=a1, quantity=2, on_date=MARCH_1, actor=hq, now=now)

    handed = gift_hand_over(gift=mug, organisation=a, contract=own, on_date=MARCH_5, actor=ala.user, now=now)
    assert (handed.kind, handed.quantity, handed.contract, handed.recorded_by) == ("handed", 1, own, ala.user)
    for refused_contract, message in [
        (colleagues, "not one of yours"),  # a plain agent hands over only with their own contracts
        (other, "not one of yours"),  # another organisation's
    ]:
        with pytest.raises(ValidationFailed) as refused:
            gift_hand_over(
                gift=mug, organisation=a, contract=refused_contract, on_date=MARCH_5, actor=ala.user, now=now
            )
        assert message in refused.value.message
    with pytest.raises(ValidationFailed) as not_theirs:  # a plain agent's scope is their own organisation
        gift_hand_over(gift=mug, organisation=a1, contract=own, on_date=MARCH_5, actor=ala.user, now=now)
    assert not_theirs.value.field == "organisation"
    # The manager hands over from alfa's stock with a contract of its branch; not with beta's, even at HQ.
    gift_hand_over(
        gift=mug, organisation=a, contract=branch, quantity=2, on_date=MARCH_5, actor=manager.user, now=now
    )
    with pytest.raises(ValidationFailed) as foreign:
        gift_hand_over(gift=mug, organisation=a, contract=other, on_date=MARCH_5, actor=hq, now=now)
    assert "was not brought by" in foreign.value.message
    with pytest.raises(
        ValidationFailed
    ) as branch_stock:  # the branch's stock is not for its parent's contracts
        gift_hand_over(gift=mug, organisation=a1, contract=own, on_date=MARCH_5, actor=hq, now=now)
    assert "was not brought by" in branch_stock.value.message

    assert gift_stock(organisation=a, gift=mug) == 7
    with pytest.raises(ValidationFailed) as short:
        gift_hand_over(
            gift=mug, organisation=a, contract=own, quantity=8, on_date=MARCH_8, actor=ala.user, now=now
        )
    assert short.value.code == "out_of_stock" and "only 7" in short.value.message
    gift_return(gift=mug, organisation=a, quantity=3, on_date=MARCH_8, actor=hq, now=now, note="Koniec akcji")
    gift_settle(gift=mug, organisation=a, quantity=4, on_date=MARCH_8, actor=hq, now=now)
    assert gift_stock(organisation=a, gift=mug) == 0
    for move in (gift_return, gift_settle):
        with pytest.raises(ValidationFailed):
            move(gift=mug, organisation=a, quantity=1, on_date=MARCH_8, actor=hq, now=now)
    with pytest.raises(ValidationFailed) as zero:
        gift_issue(gift=mug, organisation=a, quantity=0, on_date=MARCH_8, actor=hq, now=now)
    assert zero.value.field == "quantity"

    [alfa, krakow] = gift_stock_levels(company=company)
    assert (alfa.organisation, alfa.issued, alfa.handed_over, alfa.returned, alfa.settled, alfa.quantity) == (
        a, 10, 3, 3, 4, 0,
    )  # fmt: skip
    assert (krakow.organisation, krakow.quantity) == (a1, 2)
    assert [level.organisation for level in gift_stock_levels(company=company, organisation_ids={a1.pk})] == [
        a1
    ]
    assert gift_movements(company=company).count() == 6


@pytest.mark.django_db
def test_a_movement_back_in_time_may_not_empty_a_later_day(company, now, setup):
    a, _a1, _b, mug, hq = setup
    ala = factories.agent(a, "ala")
    gift_issue(gift=mug, organisation=a, quantity=5, on_date=MARCH_5, actor=hq, now=now)
    gift_hand_over(gift=mug, organisation=a, contract=contract(company, now, organisation=a, agent=ala),
                   quantity=5, on_date=MARCH_8, actor=ala.user, now=now)  # fmt: skip
    # On 6 March there were 5, but taking one back then leaves 8 March at −1.
    with pytest.raises(ValidationFailed) as refused:
        gift_return(gift=mug, organisation=a, quantity=1, on_date=date(2026, 3, 6), actor=hq, now=now)
    assert refused.value.code == "out_of_stock"
    with pytest.raises(ValidationFailed):  # nor before anything was issued
        gift_settle(gift=mug, organisation=a, quantity=1, on_date=MARCH_1, actor=hq, now=now)
    assert GiftMovement.objects.count() == 2


@pytest.mark.django_db
def test_a_stock_take_records_the_difference_and_closes_the_days_counted(company, now, setup):
    a, _a1, b, mug, hq = setup
    ala = factories.agent(a, "ala")
    gift_issue(gift=mug, organisation=a, quantity=10, on_date=MARCH_1, actor=hq, now=now)
    gift_hand_over(gift=mug, organisation=a, contract=contract(company, now, organisation=a, agent=ala),
                   quantity=2, on_date=MARCH_5, actor=ala.user, now=now)  # fmt: skip
    take = gift_stock_take(gift=mug, organisation=a, counted=7, counted_on=MARCH_31, actor=hq, now=now)
    assert (take.expected, take.counted) == (8, 7)
    difference = GiftMovement.objects.get(kind=GiftMovementKind.COUNT_DIFFERENCE)
    assert (difference.quantity, difference.on_date, difference.organisation) == (-1, MARCH_31, a)
    assert gift_stock(organisation=a, gift=mug) == 7
    with pytest.raises(ValidationFailed) as closed:
        gift_issue(gift=mug, organisation=a, quantity=1, on_date=MARCH_31, actor=hq, now=now)
    assert closed.value.code == "period_closed"
    with pytest.raises(ValidationFailed) as again:
        gift_stock_take(gift=mug, organisation=a, counted=7, counted_on=MARCH_31, actor=hq, now=now)
    assert again.value.code == "period_closed"
    # A surplus at beta: nothing was expected, three were found.
    surplus = gift_stock_take(gift=mug, organisation=b, counted=3, counted_on=MARCH_31, actor=hq, now=now)
    assert (surplus.expected, surplus.counted, gift_stock(organisation=b, gift=mug)) == (0, 3, 3)
    # A count that matches records no movement.
    gift_stock_take(gift=mug, organisation=a, counted=7, counted_on=date(2026, 4, 30), actor=hq, now=now)
    assert GiftStockTake.objects.count() == 3 and GiftMovement.objects.filter(kind="difference").count() == 2
    with pytest.raises(ValidationFailed):
        gift_stock_take(gift=mug, organisation=a, counted=-1, counted_on=date(2026, 5, 31), actor=hq, now=now)


@pytest.mark.django_db
def test_only_headquarters_issue_return_settle_and_count(company, other_company, now, setup):
    a, _a1, _b, mug, hq = setup
    back_office = make_staff("bo", company, Role.BACK_OFFICE)  # no channels.manage
    manager = factories.agent(a, "marta", role="manager")
    rival = make_staff("rita", other_company, Role.ADMIN)
    for actor in (back_office, manager.user, rival):
        with pytest.raises(PermissionDenied):
            gift_issue(gift=mug, organisation=a, quantity=5, on_date=MARCH_1, actor=actor, now=now)
        with pytest.raises(PermissionDenied):
            gift_stock_take(gift=mug, organisation=a, counted=5, counted_on=MARCH_1, actor=actor, now=now)
    with pytest.raises(PermissionDenied):
        gift_hand_over(gift=mug, organisation=a, contract=contract(company, now, organisation=a),
                       on_date=MARCH_1, actor=rival, now=now)  # fmt: skip
    stranger = factories.organisation(other_company, now, "obcy")
    with pytest.raises(ValidationFailed) as foreign:
        gift_issue(gift=mug, organisation=stranger, quantity=5, on_date=MARCH_1, actor=hq, now=now)
    assert foreign.value.code == "not_found"
    assert not GiftMovement.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_hand_overs_of_the_last_gift_at_once_one_is_refused(company, now, setup, reference_data):
    a, _a1, _b, mug, hq = setup
    ala = factories.agent(a, "ala")
    first, second = (contract(company, now, organisation=a, agent=ala) for _ in range(2))
    gift_issue(gift=mug, organisation=a, quantity=1, on_date=MARCH_1, actor=hq, now=now)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def hand_over(target):
        from django.db import connections

        try:
            barrier.wait()
            gift_hand_over(
                gift=mug, organisation=a, contract=target, on_date=MARCH_5, actor=ala.user, now=now
            )
            results.append("ok")
        except ValidationFailed as refused:
            results.append(refused.code)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=hand_over, args=(target,)) for target in (first, second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(results) == ["ok", "out_of_stock"]
    assert gift_stock(organisation=a, gift=mug) == 0
