"""Annexes: a signed contract changed from ``effective_from`` — its price list (and product), new supply
points, or its billing parameters. A draft with its PDF until ``annex_sign`` applies it.

A contract bills by dated price terms ``[valid_from, valid_to)``: a price annex closes the term in force
and opens the next, so a bill spanning the change is priced by both lists, split by days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kilowatt.catalog.models import PriceList
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import AuditEntry, Company
from kilowatt.core.operations import audit_record, event_record, model_snapshot
from kilowatt.core.validation import FieldErrors
from kilowatt.network.models import SupplyPoint
from kilowatt.sales.lifecycle.common import (
    OPEN_STATUSES,
    contract_open_locked,
    contract_snapshot,
    covering_link,
    document_print,
    local_day,
    point_rows,
)
from kilowatt.sales.models import (
    BILLING_CYCLES,
    AnnexKind,
    AnnexStatus,
    Contract,
    ContractAnnex,
    ContractPriceTerm,
    ContractSupplyPoint,
)
from kilowatt.sales.paperwork import contract_document_data, price_rows

BILLING_FIELDS = ("billing_cycle_months", "payment_term_days", "forecast_billing")


@dataclass
class AnnexChanges:
    """What an annex changes: the price list (kind ``price``), the supply points to add (``supply_point``)
    or the billing parameters (``billing``; ``None`` keeps the contract's value)."""

    price_list_id: int | None = None
    supply_point_ids: list[int] = field(default_factory=list)
    billing_cycle_months: int | None = None
    payment_term_days: int | None = None
    forecast_billing: bool | None = None

    @classmethod
    def of(cls, annex: ContractAnnex) -> AnnexChanges:
        """The changes an annex stored, to check them again when it is signed."""
        stored = annex.changes
        return cls(
            price_list_id=stored.get("price_list_id"),
            supply_point_ids=list(stored.get("supply_point_ids", [])),
            **{name: stored.get(name) for name in BILLING_FIELDS},
        )


def _price_list_check(errors: FieldErrors, contract: Contract, price_list: PriceList, day: date) -> None:
    if price_list.valid_from > day or (price_list.valid_to is not None and day >= price_list.valid_to):
        errors.add(
            "price_list_id",
            _("Price list %(name)s is not valid on %(day)s.") % {"name": price_list.name, "day": day},
        )
    current = contract.price_list
    if (price_list.vat_rate, price_list.excise_included) != (current.vat_rate, current.excise_included):
        # A bill's VAT rate and excise treatment are the contract's, for the whole period.
        errors.add(
            "price_list_id",
            _("Price list %(name)s has another VAT rate or excise treatment than %(current)s: "
              "a change of those needs a new contract.") % {"name": price_list.name, "current": current.name},
        )  # fmt: skip
    groups = set(price_list.tariff_groups.values_list("pk", flat=True))
    commodity = price_list.product.commodity
    for link in contract.supply_point_links.select_related("supply_point__tariff_group"):
        point = link.supply_point
        if commodity and point.commodity != commodity:
            message = _("Price list %(name)s is for another commodity than supply point %(code)s.")
        elif groups and point.tariff_group_id not in groups:
            message = _("Price list %(name)s is not for tariff group %(group)s of supply point %(code)s.")
        else:
            continue
        errors.add(
            "price_list_id",
            message % {"name": price_list.name, "group": point.tariff_group.code, "code": point.code},
        )


def _price_change(errors: FieldErrors, contract: Contract, day: date, changes: AnnexChanges) -> dict:
    price_list = (
        PriceList.objects.filter(company_id=contract.company_id, pk=changes.price_list_id)
        .select_related("product")
        .first()
        if changes.price_list_id
        else None
    )
    if price_list is None:
        errors.add("price_list_id", _("Choose the price list."), code="required")
        return {}
    _price_list_check(errors, contract, price_list, day)
    latest = contract.price_terms.order_by("-valid_from").first()
    if latest is not None and day <= latest.valid_from:
        errors.add(
            "effective_from",
            _("The prices in force from %(day)s can change from the next day on.")
            % {"day": latest.valid_from},
        )
    elif (latest.price_list_id if latest else contract.price_list_id) == price_list.pk:
        errors.add("price_list_id", _("The contract already bills by this price list."), code="no_change")
    return {
        "price_list_id": price_list.pk,
        "price_list": price_list.name,
        "product_id": price_list.product_id,
        "product": price_list.product.name,
    }


def _points_change(errors: FieldErrors, contract: Contract, day: date, changes: AnnexChanges) -> dict:
    ids = list(dict.fromkeys(changes.supply_point_ids))
    points = list(SupplyPoint.objects.filter(company_id=contract.company_id, pk__in=ids).order_by("code"))
    if not ids:
        errors.add("supply_point_ids", _("Choose the supply points to add."), code="required")
        return {}
    if len(points) != len(ids):
        errors.add("supply_point_ids", _("A supply point was not found."), code="not_found")
        return {}
    linked = set(contract.supply_point_links.values_list("supply_point_id", flat=True))
    commodity = contract.product.commodity
    for point in points:
        if point.customer_id != contract.customer_id:
            message = _("Supply point %(code)s belongs to another customer.")
        elif point.pk in linked:
            message = _("Supply point %(code)s is already on this contract.")
        elif commodity and point.commodity != commodity:
            message = _("Supply point %(code)s takes another commodity than the product.")
        else:
            continue
        errors.add("supply_point_ids", message % {"code": point.code})
    clash = covering_link(points, day, contract.end_date, contract)
    if clash is not None:
        errors.add(
            "supply_point_ids",
            _("Supply point %(code)s is already covered by contract %(number)s in this period.")
            % {"code": clash.supply_point.code, "number": clash.contract.number},
            code="overlap",
        )
    return {"supply_point_ids": [p.pk for p in points], "supply_points": [p.code for p in points]}


def _billing_change(errors: FieldErrors, contract: Contract, day: date, changes: AnnexChanges) -> dict:
    before = {name: getattr(contract, name) for name in BILLING_FIELDS}
    after = {
        name: before[name] if getattr(changes, name) is None else getattr(changes, name) for name in before
    }
    if after["billing_cycle_months"] not in dict(BILLING_CYCLES):
        errors.add("billing_cycle_months", _("Billing cycles are 1, 2, 6 or 12 months."))
    if not 0 < after["payment_term_days"] <= 90:
        errors.add("payment_term_days", _("The payment term is 1 to 90 days."))
    if after["forecast_billing"] and after["billing_cycle_months"] == 1:
        errors.add("forecast_billing", _("Forecast invoices need a billing cycle longer than a month."))
    if after == before:
        errors.add(
            "billing_cycle_months",
            _("The annex changes nothing: give a new billing cycle, payment term or forecast setting."),
            code="no_change",
        )
    return {**after, "before": before}


CHANGE_CHECKS = {
    AnnexKind.PRICE: _price_change,
    AnnexKind.SUPPLY_POINT: _points_change,
    AnnexKind.BILLING: _billing_change,
}


def annex_clean(*, contract: Contract, kind: str, effective_from: date | None, changes: AnnexChanges) -> dict:
    """What the annex changes, as stored on it; raises ValidationFailed naming each wrong field."""
    errors = FieldErrors()
    if kind not in AnnexKind.values:
        errors.add("kind", _("Choose what the annex changes."))
    if effective_from is None:
        errors.add("effective_from", _("Give the day the annex takes effect."), code="required")
    elif effective_from < contract.start_date:
        errors.add(
            "effective_from",
            _("The contract starts on %(day)s: an annex cannot take effect before that.")
            % {"day": contract.start_date},
        )
    elif contract.end_date is not None and effective_from >= contract.end_date:
        errors.add(
            "effective_from",
            _("The contract ends on %(day)s: an annex must take effect before that.")
            % {"day": contract.end_date},
        )
    errors.raise_if_any()
    assert effective_from is not None
    stored = CHANGE_CHECKS[AnnexKind(kind)](errors, contract, effective_from, changes)
    errors.raise_if_any()
    return stored


def annex_document_data(*, annex: ContractAnnex, issued_on: date) -> dict[str, Any]:
    """What an annex's body template may use: everything a contract's does, plus ``annex`` (number, kind,
    kind_label, effective_from, product, billing_cycle_months, payment_term_days, forecast_billing),
    ``new_prices`` and ``new_supply_points``."""
    contract, changes = annex.contract, annex.changes
    data = contract_document_data(contract=contract, issued_on=issued_on)
    groups = set(contract.supply_point_links.values_list("supply_point__tariff_group_id", flat=True))
    data["annex"] = {
        "number": annex.number,
        "kind": annex.kind,
        "kind_label": str(AnnexKind(annex.kind).label),
        "effective_from": annex.effective_from,
        "product": changes.get("product", ""),
        **{name: changes.get(name) for name in BILLING_FIELDS},
    }
    price_list = PriceList.objects.filter(pk=changes.get("price_list_id") or 0).first()
    data["new_prices"] = price_rows(price_list, groups) if price_list else []
    points = SupplyPoint.objects.filter(pk__in=changes.get("supply_point_ids", []))
    data["new_supply_points"] = point_rows(list(points.select_related("address", "tariff_group")))
    return data


@transaction.atomic
def annex_create(
    *,
    contract: Contract,
    kind: str,
    effective_from: date | None,
    changes: AnnexChanges,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> ContractAnnex:
    """A draft annex of a signed contract (or one in force), numbered ``<contract number>/A<n>``, with its
    PDF. Nothing changes until it is signed (``annex_sign``). Raises ValidationFailed."""
    contract = contract_open_locked(contract)
    stored = annex_clean(contract=contract, kind=kind, effective_from=effective_from, changes=changes)
    annex = ContractAnnex.objects.create(
        contract=contract,
        number=f"{contract.number}/A{contract.annexes.count() + 1}",
        kind=kind,
        effective_from=effective_from,
        changes=stored,
        created_at=now,
        created_by=actor,
    )
    audit_record(
        company=contract.company,
        instance=annex,
        action=AuditEntry.Action.CREATED,
        before=None,
        after=model_snapshot(annex, fields=["contract_id", "number", "kind", "effective_from", "changes"]),
        actor=actor,
        at=now,
    )
    document_print(
        contract=contract,
        kind="annex",
        title=gettext_lazy("Annex %(number)s"),
        number=annex.number,
        context=lambda: annex_document_data(annex=annex, issued_on=local_day(now)),
        actor=actor,
        now=now,
        annex=annex,
    )
    event_record(
        company=contract.company,
        name="sales.contract.annex-created-v1",
        payload={"contract_id": contract.pk, "annex_id": annex.pk, "number": annex.number, "kind": kind},
        occurred_at=now,
    )
    return annex


def _apply_price(contract: Contract, annex: ContractAnnex, on_date: date) -> None:
    price_list = PriceList.objects.select_related("product").get(pk=annex.changes["price_list_id"])
    day = annex.effective_from
    if not contract.price_terms.exists():  # recorded before price terms: its first term, up to the change
        ContractPriceTerm.objects.create(
            contract=contract,
            product=contract.product,
            price_list=contract.price_list,
            valid_from=contract.start_date,
            valid_to=day,
        )
    contract.price_terms.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day)).update(valid_to=day)
    ContractPriceTerm.objects.create(
        contract=contract,
        product=price_list.product,
        price_list=price_list,
        valid_from=day,
        valid_to=contract.end_date,
        annex=annex,
    )
    if day <= on_date:  # in force already; a later change reaches the contract by price_terms_apply
        contract.product, contract.price_list = price_list.product, price_list


def _apply_points(contract: Contract, annex: ContractAnnex, on_date: date) -> None:
    ContractSupplyPoint.objects.bulk_create(
        ContractSupplyPoint(
            contract=contract,
            supply_point_id=point_id,
            valid_from=annex.effective_from,
            valid_to=contract.end_date,
        )
        for point_id in annex.changes["supply_point_ids"]
    )


def _apply_billing(contract: Contract, annex: ContractAnnex, on_date: date) -> None:
    """On its day, not before: bills of the months before it keep the old cycle and payment term. A
    later annex is applied by ``billing_annexes_apply`` on the day it takes effect."""
    if annex.effective_from <= on_date:
        for name in BILLING_FIELDS:
            setattr(contract, name, annex.changes[name])
        annex.changes = {**annex.changes, "applied_on": on_date.isoformat()}


def _not_draft(annex: ContractAnnex) -> ValidationFailed:
    return ValidationFailed.single(
        "status",
        _("Annex %(number)s is %(status)s: only a draft can be signed or cancelled.")
        % {"number": annex.number, "status": annex.get_status_display()},
        code="not_draft",
    )


APPLY = {
    AnnexKind.PRICE: _apply_price,
    AnnexKind.SUPPLY_POINT: _apply_points,
    AnnexKind.BILLING: _apply_billing,
}


@transaction.atomic
def annex_sign(
    *, annex: ContractAnnex, on_date: date, actor: AbstractBaseUser | None, now: datetime
) -> ContractAnnex:
    """Record that both parties signed the annex on ``on_date`` and apply it, checked again first:

    - price: the price term in force ends on ``effective_from`` and the new one starts there; the
      contract's product and price list follow at once when ``effective_from`` ≤ ``on_date``, else the term
      rules billing and ``price_terms_apply`` updates them on the day;
    - supply point: the points join the contract from ``effective_from`` until its end;
    - billing: the contract's billing cycle, payment term and forecast setting change (from the next bill).

    Raises ValidationFailed."""
    annex = ContractAnnex.objects.select_for_update().get(pk=annex.pk)
    if annex.status != AnnexStatus.DRAFT:
        raise _not_draft(annex)
    contract = contract_open_locked(annex.contract)
    annex_clean(
        contract=contract,
        kind=annex.kind,
        effective_from=annex.effective_from,
        changes=AnnexChanges.of(annex),
    )
    before = contract_snapshot(contract)
    APPLY[AnnexKind(annex.kind)](contract, annex, on_date)
    contract.updated_at = now
    contract.save()
    annex.status, annex.signed_on = AnnexStatus.SIGNED, on_date
    annex.save(update_fields=["status", "signed_on", "changes"])
    audit_record(
        company=contract.company,
        instance=contract,
        action=AuditEntry.Action.UPDATED,
        before=before,
        after=contract_snapshot(contract),
        actor=actor,
        at=now,
    )
    event_record(
        company=contract.company,
        name="sales.contract.annex-signed-v1",
        payload={
            "contract_id": contract.pk,
            "annex_id": annex.pk,
            "number": annex.number,
            "kind": annex.kind,
            "effective_from": annex.effective_from,
            "signed_on": on_date,
        },
        occurred_at=now,
    )
    return annex


@transaction.atomic
def annex_cancel(*, annex: ContractAnnex, actor: AbstractBaseUser | None, now: datetime) -> ContractAnnex:
    """A draft annex the customer will not sign; its number stays used. Raises ValidationFailed."""
    annex = (
        ContractAnnex.objects.select_for_update(of=("self",))
        .select_related("contract__company")
        .get(pk=annex.pk)
    )
    if annex.status != AnnexStatus.DRAFT:
        raise _not_draft(annex)
    annex.status = AnnexStatus.CANCELLED
    annex.save(update_fields=["status"])
    audit_record(
        company=annex.contract.company,
        instance=annex,
        action=AuditEntry.Action.UPDATED,
        before={"status": AnnexStatus.DRAFT},
        after={"status": annex.status},
        actor=actor,
        at=now,
    )
    return annex


def price_terms_apply(*, company: Company, on_date: date, now: datetime) -> int:
    """Contracts whose price term in force on ``on_date`` names another price list than the contract
    shows (a price annex signed before it took effect) get the term's product and price list; returns how
    many changed. Billing does not need it (it bills by the terms); pages and offers show the contract's."""
    terms = ContractPriceTerm.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on_date),
        contract__company=company,
        contract__status__in=OPEN_STATUSES,
        valid_from__lte=on_date,
    ).exclude(price_list_id=F("contract__price_list_id"))
    changed = 0
    for contract_id, product_id, price_list_id in terms.values_list(
        "contract_id", "product_id", "price_list_id"
    ):
        changed += Contract.objects.filter(pk=contract_id).update(
            product_id=product_id, price_list_id=price_list_id, updated_at=now
        )
    return changed


def billing_annexes_apply(*, company: Company, on_date: date, now: datetime) -> int:
    """Signed billing-parameter annexes that take effect by ``on_date`` and are not applied yet change
    their contracts' billing cycle, payment term and forecast setting; returns how many."""
    due = ContractAnnex.objects.filter(
        contract__company=company,
        contract__status__in=OPEN_STATUSES,
        kind=AnnexKind.BILLING,
        status=AnnexStatus.SIGNED,
        effective_from__lte=on_date,
        changes__applied_on__isnull=True,
    ).order_by("effective_from", "pk")
    applied = 0
    for annex in due:
        with transaction.atomic():
            contract = Contract.objects.select_for_update().get(pk=annex.contract_id)
            _apply_billing(contract, annex, on_date)
            contract.updated_at = now
            contract.save()
            annex.save(update_fields=["changes"])
            applied += 1
    return applied
