"""Use cases of contract records (the sales process itself comes with the sales module)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kilowatt.catalog.models import PriceList, Product
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import AuditEntry, Company
from kilowatt.core.numbering import number_series_next
from kilowatt.core.operations import audit_record, event_record, model_snapshot
from kilowatt.core.validation import FieldErrors
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.sales.models import (
    BILLING_CYCLES,
    Contract,
    ContractKind,
    ContractPriceTerm,
    ContractStatus,
    ContractSupplyPoint,
)

# Which status may follow which; anything else is refused.
CONTRACT_TRANSITIONS: dict[str, set[str]] = {
    ContractStatus.DRAFT: {ContractStatus.SIGNED},
    ContractStatus.SIGNED: {ContractStatus.ACTIVE, ContractStatus.TERMINATED, ContractStatus.WITHDRAWN},
    ContractStatus.ACTIVE: {ContractStatus.TERMINATED, ContractStatus.ENDED},
    ContractStatus.TERMINATED: {ContractStatus.ENDED},
    ContractStatus.ENDED: set(),
    ContractStatus.WITHDRAWN: set(),
}


@dataclass
class ContractData:
    customer_id: int | None
    kind: str
    product_id: int | None
    price_list_id: int | None
    start_date: date | None
    supply_point_ids: list[int] = field(default_factory=list)
    end_date: date | None = None
    billing_cycle_months: int = 2
    forecast_billing: bool = False
    payment_term_days: int = 14
    notice_period_days: int = 30
    early_termination_fee: Decimal = Decimal("0")


def contract_clean(*, company: Company, data: ContractData, existing: Contract | None = None) -> dict:
    errors = FieldErrors()
    customer = (
        Customer.objects.filter(company=company, pk=data.customer_id).first() if data.customer_id else None
    )
    if customer is None:
        errors.add("customer_id", _("Choose the customer."), code="required")
    if data.kind not in ContractKind.values:
        errors.add("kind", _("Choose the kind of contract."))
    product = Product.objects.filter(company=company, pk=data.product_id).first() if data.product_id else None
    if product is None:
        errors.add("product_id", _("Choose the product."), code="required")
    price_list = (
        PriceList.objects.filter(company=company, pk=data.price_list_id).first()
        if data.price_list_id
        else None
    )
    if price_list is None:
        errors.add("price_list_id", _("Choose the price list."), code="required")
    elif product is not None and price_list.product_id != product.pk:
        errors.add("price_list_id", _("This price list belongs to another product."))
    if data.start_date is None:
        errors.require("start_date", None)
    elif data.end_date is not None and data.end_date <= data.start_date:
        errors.add("end_date", _("The contract must end after it starts."))
    if data.billing_cycle_months not in dict(BILLING_CYCLES):
        errors.add("billing_cycle_months", _("Billing cycles are 1, 2, 6 or 12 months."))
    if not 0 < data.payment_term_days <= 90:
        errors.add("payment_term_days", _("The payment term is 1 to 90 days."))
    if data.early_termination_fee < 0:
        errors.add("early_termination_fee", _("A fee cannot be negative."))
    points = list(SupplyPoint.objects.filter(company=company, pk__in=data.supply_point_ids))
    if not data.supply_point_ids:
        errors.add("supply_point_ids", _("A contract covers at least one supply point."), code="required")
    elif len(points) != len(set(data.supply_point_ids)):
        errors.add("supply_point_ids", _("A supply point was not found."), code="not_found")
    elif customer is not None:
        for point in points:
            if point.customer_id != customer.pk:
                errors.add(
                    "supply_point_ids",
                    _("Supply point %(code)s belongs to another customer.") % {"code": point.code},
                )
            elif product is not None and product.commodity and point.commodity != product.commodity:
                errors.add(
                    "supply_point_ids",
                    _("Supply point %(code)s takes another commodity than the product.")
                    % {"code": point.code},
                )
    if not errors.errors and data.start_date:
        overlapping = (
            ContractSupplyPoint.objects.filter(supply_point__in=points, contract__company=company)
            .exclude(
                contract__status__in=[
                    ContractStatus.TERMINATED,
                    ContractStatus.ENDED,
                    ContractStatus.WITHDRAWN,
                ]
            )
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=data.start_date))
        )
        if data.end_date:
            overlapping = overlapping.filter(valid_from__lt=data.end_date)
        if existing:
            overlapping = overlapping.exclude(contract=existing)
        clash = overlapping.select_related("contract", "supply_point").first()
        if clash:
            errors.add(
                "supply_point_ids",
                _("Supply point %(code)s is already covered by contract %(number)s in this period.")
                % {"code": clash.supply_point.code, "number": clash.contract.number},
                code="overlap",
            )
    errors.raise_if_any()
    return {
        "customer": customer,
        "kind": data.kind,
        "product": product,
        "price_list": price_list,
        "start_date": data.start_date,
        "end_date": data.end_date,
        "billing_cycle_months": data.billing_cycle_months,
        "forecast_billing": data.forecast_billing and data.billing_cycle_months > 1,
        "payment_term_days": data.payment_term_days,
        "notice_period_days": data.notice_period_days,
        "early_termination_fee": data.early_termination_fee,
        "points": points,
    }


def _snapshot(contract: Contract) -> dict:
    snapshot = model_snapshot(contract)
    for key in ("created_at", "updated_at"):
        snapshot.pop(key, None)
    snapshot["supply_points"] = sorted(
        contract.supply_point_links.values_list("supply_point__code", flat=True)
    )
    return snapshot


def _link_points(contract: Contract, points: list[SupplyPoint]) -> None:
    contract.supply_point_links.exclude(supply_point__in=points).delete()
    linked = set(contract.supply_point_links.values_list("supply_point_id", flat=True))
    ContractSupplyPoint.objects.bulk_create(
        ContractSupplyPoint(
            contract=contract, supply_point=p, valid_from=contract.start_date, valid_to=contract.end_date
        )
        for p in points
        if p.pk not in linked
    )
    contract.supply_point_links.update(valid_from=contract.start_date, valid_to=contract.end_date)


def _first_price_term(contract: Contract) -> None:
    """A draft bills by one price term: its product and price list over [start_date, end_date). Signed
    contracts change terms only by an annex (``sales.lifecycle``)."""
    values = {
        "product": contract.product,
        "price_list": contract.price_list,
        "valid_from": contract.start_date,
        "valid_to": contract.end_date,
    }
    terms = list(contract.price_terms.all())
    if len(terms) == 1:
        for name, value in values.items():
            setattr(terms[0], name, value)
        terms[0].save()
        return
    contract.price_terms.all().delete()
    ContractPriceTerm.objects.create(contract=contract, **values)


@transaction.atomic
def contract_create(
    *, company: Company, data: ContractData, actor: AbstractBaseUser | None, now: datetime
) -> Contract:
    """Record a draft contract numbered from the company's series. Raises ValidationFailed."""
    fields = contract_clean(company=company, data=data)
    points = fields.pop("points")
    contract = Contract.objects.create(
        company=company,
        number=number_series_next(company=company, document_type="contract", year=now.year),
        status=ContractStatus.DRAFT,
        created_at=now,
        updated_at=now,
        **fields,
    )
    _link_points(contract, points)
    _first_price_term(contract)
    audit_record(
        company=company,
        instance=contract,
        action=AuditEntry.Action.CREATED,
        before=None,
        after=_snapshot(contract),
        actor=actor,
        at=now,
    )
    event_record(
        company=company,
        name="sales.contract.created-v1",
        payload={"contract_id": contract.pk, "number": contract.number, "customer_id": contract.customer_id},
        occurred_at=now,
    )
    return contract


@transaction.atomic
def contract_update(
    *, contract: Contract, data: ContractData, actor: AbstractBaseUser | None, now: datetime
) -> Contract:
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.status not in (ContractStatus.DRAFT,):
        raise ValidationFailed.single(
            "status",
            _("Only a draft can be edited; a signed contract changes by an annex."),
            code="not_draft",
        )
    before = _snapshot(contract)
    fields = contract_clean(company=contract.company, data=data, existing=contract)
    points = fields.pop("points")
    if fields["customer"].pk != contract.customer_id:
        raise ValidationFailed.single("customer_id", _("The customer of a contract cannot change."))
    for name, value in fields.items():
        setattr(contract, name, value)
    contract.updated_at = now
    contract.save()
    _link_points(contract, points)
    _first_price_term(contract)
    audit_record(
        company=contract.company,
        instance=contract,
        action=AuditEntry.Action.UPDATED,
        before=before,
        after=_snapshot(contract),
        actor=actor,
        at=now,
    )
    return contract


@transaction.atomic
def contract_change_status(
    *,
    contract: Contract,
    status: str,
    on_date: date,
    actor: AbstractBaseUser | None,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> Contract:
    """Move a contract along its life cycle (signed, in force, terminated, ended); ``details`` are added to
    the event's payload (a termination's dates and penalty)."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if status not in CONTRACT_TRANSITIONS.get(contract.status, set()):
        raise ValidationFailed.single(
            "status",
            _("A contract cannot go from %(current)s to %(new)s.")
            % {"current": contract.get_status_display(), "new": ContractStatus(status).label}
            if status in ContractStatus.values
            else _("Unknown status."),
            code="invalid_transition",
        )
    before = {"status": contract.status}
    contract.status = status
    if status == ContractStatus.SIGNED:
        contract.signed_on = on_date
    contract.updated_at = now
    contract.save()
    audit_record(
        company=contract.company,
        instance=contract,
        action=AuditEntry.Action.UPDATED,
        before=before,
        after={"status": status},
        actor=actor,
        at=now,
    )
    event_record(
        company=contract.company,
        name=f"sales.contract.{status}-v1",
        payload={
            "contract_id": contract.pk,
            "number": contract.number,
            "on_date": on_date,
            **(details or {}),
        },
        occurred_at=now,
    )
    return contract
