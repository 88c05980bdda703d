"""Promotional gifts: stock issued from headquarters to partner organisations, handed to customers with a
contract, returned or settled when unused, and counted at a period's end.

An organisation's stock of a gift is the signed sum of its movements (``GIFT_STOCK_SIGN``); it never goes
below zero, on any day: every movement locks the organisation's row, then checks the stock from its date
on. A stock take compares the counted quantity with what the movements say on that day and records the
difference as a ``COUNT_DIFFERENCE`` movement; the days up to a stock take are closed to new movements.

Headquarters (staff with *channels.manage*) issue, take back, settle and count; a gift is handed over by
the organisation's people (or headquarters), only with a contract of the organisation (or its branches)
and, for a partner user, of their own scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from kilowatt.channels.models import Organisation
from kilowatt.channels.queries import PartnerScope, agent_of_user, organisation_subtree, scope_of_agent
from kilowatt.core.errors import PermissionDenied, ValidationFailed
from kilowatt.core.models import Company
from kilowatt.core.permissions import MANAGE_CHANNELS
from kilowatt.core.queries import permissions_in_company
from kilowatt.sales.models import (
    GIFT_STOCK_SIGN,
    Contract,
    ContractStatus,
    Gift,
    GiftMovement,
    GiftMovementKind,
    GiftStockTake,
)
from kilowatt.sales.scope import contracts_in_scope

__all__ = [
    "GiftStock",
    "gift_hand_over",
    "gift_issue",
    "gift_movements",
    "gift_return",
    "gift_settle",
    "gift_stock",
    "gift_stock_levels",
    "gift_stock_take",
    "gift_stock_takes",
    "gifts_of_company",
]

MAX_NOTE = 300
_OUT = [kind for kind, sign in GIFT_STOCK_SIGN.items() if sign < 0]


def _signed() -> Case:
    return Case(When(kind__in=_OUT, then=-F("quantity")), default=F("quantity"), output_field=IntegerField())


# --- reads ----------------------------------------------------------------------------------------


def gifts_of_company(*, company: Company, active_only: bool = True) -> QuerySet[Gift]:
    gifts = Gift.objects.filter(company=company)
    return gifts.filter(is_active=True) if active_only else gifts


def gift_stock(*, organisation: Organisation, gift: Gift, on_date: date | None = None) -> int:
    """The organisation's stock of the gift (at the end of ``on_date``, or now)."""
    movements = GiftMovement.objects.filter(organisation=organisation, gift=gift)
    if on_date is not None:
        movements = movements.filter(on_date__lte=on_date)
    return movements.aggregate(stock=Coalesce(Sum(_signed()), Value(0)))["stock"]


@dataclass(frozen=True)
class GiftStock:
    """One organisation's stock of one gift, with the movements that make it up."""

    organisation: Organisation
    gift: Gift
    issued: int
    handed_over: int
    returned: int
    settled: int
    difference: int

    @property
    def quantity(self) -> int:
        return self.issued - self.handed_over - self.returned - self.settled + self.difference


def gift_stock_levels(
    *, company: Company, organisation_ids: frozenset[int] | set[int] | None = None
) -> list[GiftStock]:
    """Stock per organisation and gift (those with any movement), in three queries."""
    movements = GiftMovement.objects.filter(company=company)
    if organisation_ids is not None:
        movements = movements.filter(organisation_id__in=organisation_ids)

    def total(kind: str) -> Coalesce:
        return Coalesce(Sum("quantity", filter=Q(kind=kind)), Value(0))

    rows = list(
        movements.values("organisation_id", "gift_id")
        .annotate(
            issued=total(GiftMovementKind.ISSUED),
            handed_over=total(GiftMovementKind.HANDED_OVER),
            returned=total(GiftMovementKind.RETURNED),
            settled=total(GiftMovementKind.SETTLED),
            difference=total(GiftMovementKind.COUNT_DIFFERENCE),
        )
        .order_by()
    )
    organisations = Organisation.objects.in_bulk({row["organisation_id"] for row in rows})
    gifts = Gift.objects.in_bulk({row["gift_id"] for row in rows})
    levels = [
        GiftStock(
            organisation=organisations[row["organisation_id"]],
            gift=gifts[row["gift_id"]],
            issued=row["issued"],
            handed_over=row["handed_over"],
            returned=row["returned"],
            settled=row["settled"],
            difference=row["difference"],
        )
        for row in rows
    ]
    return sorted(levels, key=lambda level: (level.organisation.path, level.gift.name))


def gift_movements(
    *, company: Company, organisation_ids: frozenset[int] | set[int] | None = None
) -> QuerySet[GiftMovement]:
    """Movements, newest first (with their gift, organisation, contract and who recorded them)."""
    movements = GiftMovement.objects.filter(company=company)
    if organisation_ids is not None:
        movements = movements.filter(organisation_id__in=organisation_ids)
    return movements.select_related("gift", "organisation", "contract", "recorded_by").order_by(
        "-on_date", "-id"
    )


def gift_stock_takes(
    *, company: Company, organisation_ids: frozenset[int] | set[int] | None = None
) -> QuerySet[GiftStockTake]:
    takes = GiftStockTake.objects.filter(company=company)
    if organisation_ids is not None:
        takes = takes.filter(organisation_id__in=organisation_ids)
    return takes.select_related("gift", "organisation", "recorded_by").order_by("-counted_on", "-id")


# --- writes ---------------------------------------------------------------------------------------


def _require_headquarters(user: AbstractBaseUser, company: Company) -> None:
    if not user.is_authenticated or MANAGE_CHANNELS not in permissions_in_company(user=user, company=company):
        raise PermissionDenied(
            _("Only headquarters (channel managers) may do this in %(company)s.") % {"company": company.name},
            field="actor",
        )


def _check(gift: Gift, organisation: Organisation, quantity: int, note: str) -> None:
    if organisation.company_id != gift.company_id:
        raise ValidationFailed.single("organisation", _("Organisation not found."), code="not_found")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValidationFailed.single("quantity", _("Give a quantity of at least 1."))
    if len(note or "") > MAX_NOTE:
        raise ValidationFailed.single(
            "note", _("At most %(count)s characters, please.") % {"count": MAX_NOTE}
        )


def _lock(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _closed_until(organisation: Organisation, gift: Gift) -> date | None:
    last = (
        GiftStockTake.objects.filter(organisation=organisation, gift=gift)
        .order_by("-counted_on")
        .values_list("counted_on", flat=True)
        .first()
    )
    return last


def _lowest_from(organisation: Organisation, gift: Gift, on_date: date) -> int:
    """The lowest stock on any day from ``on_date`` on."""
    lowest = stock = gift_stock(organisation=organisation, gift=gift, on_date=on_date)
    later = (
        GiftMovement.objects.filter(organisation=organisation, gift=gift, on_date__gt=on_date)
        .order_by("on_date", "id")
        .values_list("on_date", "kind", "quantity")
    )
    day, day_stock = None, stock
    for moved_on, kind, quantity in later:
        if day is not None and moved_on != day:
            lowest = min(lowest, day_stock)
        day = moved_on
        day_stock += GIFT_STOCK_SIGN[kind] * quantity
    return min(lowest, day_stock)


def _move(
    *,
    kind: str,
    gift: Gift,
    organisation: Organisation,
    quantity: int,
    on_date: date,
    actor: AbstractBaseUser,
    now: datetime,
    note: str = "",
    contract: Contract | None = None,
) -> GiftMovement:
    _check(gift, organisation, quantity, note)
    organisation = _lock(organisation)
    closed = _closed_until(organisation, gift)
    if closed is not None and on_date <= closed:
        raise ValidationFailed.single(
            "on_date",
            _("The stock was counted on %(date)s; record the movement on a later day.")
            % {"date": closed.isoformat()},
            code="period_closed",
        )
    if GIFT_STOCK_SIGN[kind] < 0:
        available = _lowest_from(organisation, gift, on_date)
        if quantity > available:
            raise ValidationFailed.single(
                "quantity",
                _("%(organisation)s has only %(available)s of “%(gift)s” in stock.")
                % {"organisation": organisation.name, "available": max(available, 0), "gift": gift.name},
                code="out_of_stock",
            )
    return GiftMovement.objects.create(
        company_id=gift.company_id,
        gift=gift,
        organisation=organisation,
        kind=kind,
        quantity=quantity,
        on_date=on_date,
        contract=contract,
        note=(note or "").strip(),
        recorded_by=actor,
        recorded_at=now,
    )


@transaction.atomic
def gift_issue(
    *,
    gift: Gift,
    organisation: Organisation,
    quantity: int,
    on_date: date,
    actor: AbstractBaseUser,
    now: datetime,
    note: str = "",
) -> GiftMovement:
    """Headquarters send gifts to an active organisation. Raises PermissionDenied, ValidationFailed."""
    _require_headquarters(actor, gift.company)
    if not gift.is_active:
        raise ValidationFailed.single("gift", _("This gift is no longer given out."))
    if not organisation.is_active:
        raise ValidationFailed.single("organisation", _("This organisation is not active."))
    return _move(
        kind=GiftMovementKind.ISSUED, gift=gift, organisation=organisation, quantity=quantity,
        on_date=on_date, actor=actor, now=now, note=note,
    )  # fmt: skip


@transaction.atomic
def gift_return(
    *,
    gift: Gift,
    organisation: Organisation,
    quantity: int,
    on_date: date,
    actor: AbstractBaseUser,
    now: datetime,
    note: str = "",
) -> GiftMovement:
    """Unused gifts come back to headquarters. Raises PermissionDenied, ValidationFailed."""
    _require_headquarters(actor, gift.company)
    return _move(
        kind=GiftMovementKind.RETURNED, gift=gift, organisation=organisation, quantity=quantity,
        on_date=on_date, actor=actor, now=now, note=note,
    )  # fmt: skip


@transaction.atomic
def gift_settle(
    *,
    gift: Gift,
    organisation: Organisation,
    quantity: int,
    on_date: date,
    actor: AbstractBaseUser,
    now: datetime,
    note: str = "",
) -> GiftMovement:
    """Unused gifts the organisation keeps and pays for (or that are written off) leave its stock.

    Raises PermissionDenied, ValidationFailed."""
    _require_headquarters(actor, gift.company)
    return _move(
        kind=GiftMovementKind.SETTLED, gift=gift, organisation=organisation, quantity=quantity,
        on_date=on_date, actor=actor, now=now, note=note,
    )  # fmt: skip


def _partner_scope(actor: AbstractBaseUser, company: Company) -> PartnerScope | None:
    """None for headquarters, the scope of a partner user; anyone else is refused."""
    if actor.is_authenticated and MANAGE_CHANNELS in permissions_in_company(user=actor, company=company):
        return None
    agent = agent_of_user(user=actor) if actor.is_authenticated else None
    if agent is None or agent.organisation.company_id != company.pk:
        raise PermissionDenied(
            _("You may not hand over gifts of %(company)s.") % {"company": company.name}, field="actor"
        )
    return scope_of_agent(agent=agent)


@transaction.atomic
def gift_hand_over(
    *,
    gift: Gift,
    organisation: Organisation,
    contract: Contract,
    on_date: date,
    actor: AbstractBaseUser,
    now: datetime,
    quantity: int = 1,
    note: str = "",
) -> GiftMovement:
    """A gift from the organisation's stock given to the customer of ``contract``: a contract brought by
    the organisation or one of its branches; a partner user hands over only from the stock of an
    organisation of their scope, with a contract of their scope (a plain agent: their own).

    Raises PermissionDenied, ValidationFailed."""
    scope = _partner_scope(actor, gift.company)
    if scope is not None and organisation.pk not in scope.organisation_ids:
        raise ValidationFailed.single("organisation", _("Organisation not found."), code="not_found")
    if contract.company_id != gift.company_id:
        raise ValidationFailed.single("contract", _("Contract not found."), code="not_found")
    if scope is not None and not contracts_in_scope(scope=scope).filter(pk=contract.pk).exists():
        raise ValidationFailed.single("contract", _("This contract is not one of yours."), code="not_found")
    if not organisation_subtree(organisation=organisation).filter(pk=contract.organisation_id or 0).exists():
        raise ValidationFailed.single(
            "contract",
            _("Contract %(number)s was not brought by %(organisation)s.")
            % {"number": contract.number, "organisation": organisation.name},
        )
    if contract.status == ContractStatus.WITHDRAWN:
        raise ValidationFailed.single("contract", _("The customer withdrew from this contract."))
    return _move(
        kind=GiftMovementKind.HANDED_OVER, gift=gift, organisation=organisation, quantity=quantity,
        on_date=on_date, actor=actor, now=now, note=note, contract=contract,
    )  # fmt: skip


@transaction.atomic
def gift_stock_take(
    *,
    gift: Gift,
    organisation: Organisation,
    counted: int,
    counted_on: date,
    actor: AbstractBaseUser,
    now: datetime,
) -> GiftStockTake:
    """Record a count of the organisation's stock at the end of ``counted_on``: what the movements say is
    kept as ``expected``, and a difference becomes a ``COUNT_DIFFERENCE`` movement that day.

    Raises PermissionDenied, ValidationFailed."""
    _require_headquarters(actor, gift.company)
    if organisation.company_id != gift.company_id:
        raise ValidationFailed.single("organisation", _("Organisation not found."), code="not_found")
    if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
        raise ValidationFailed.single("counted", _("Give the counted quantity (0 or more)."))
    organisation = _lock(organisation)
    closed = _closed_until(organisation, gift)
    if closed is not None and counted_on <= closed:
        raise ValidationFailed.single(
            "counted_on",
            _("The stock was already counted on %(date)s; count on a later day.")
            % {"date": closed.isoformat()},
            code="period_closed",
        )
    expected = gift_stock(organisation=organisation, gift=gift, on_date=counted_on)
    difference = counted - expected
    if difference < 0 and _lowest_from(organisation, gift, counted_on) + difference < 0:
        raise ValidationFailed.single(
            "counted",
            _("Gifts already handed over or returned after %(date)s would leave the stock below zero.")
            % {"date": counted_on.isoformat()},
        )
    take = GiftStockTake.objects.create(
        company_id=gift.company_id,
        gift=gift,
        organisation=organisation,
        counted_on=counted_on,
        expected=expected,
        counted=counted,
        recorded_by=actor,
        recorded_at=now,
    )
    if difference:
        GiftMovement.objects.create(
            company_id=gift.company_id,
            gift=gift,
            organisation=organisation,
            kind=GiftMovementKind.COUNT_DIFFERENCE,
            quantity=difference,
            on_date=counted_on,
            note=_("Stock take: counted %(counted)s, expected %(expected)s.")
            % {"counted": counted, "expected": expected},
            recorded_by=actor,
            recorded_at=now,
        )
    return take
