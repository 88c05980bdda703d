"""Offers: made from a template and a price list for an opportunity's supply points, compared with what
the customer pays now and with competitors, revised in versions, sent, accepted or rejected.

Every change makes a new ``OfferVersion``; a version is never updated, so what a customer was shown
stays readable. Acceptance takes the latest version, only while it is valid, and generates the contract
(``sales.contracting.contract_from_offer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from kilowatt.catalog.models import CompetitorPriceList, PriceList
from kilowatt.catalog.queries import valid_on
from kilowatt.channels.queries import products_allowed
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.numbering import number_series_next
from kilowatt.core.operations import event_record
from kilowatt.core.validation import FieldErrors
from kilowatt.network.models import SupplyPoint
from kilowatt.sales.contracting import contract_from_offer
from kilowatt.sales.models import (
    Contract,
    Offer,
    OfferStatus,
    OfferTemplate,
    OfferVersion,
    Opportunity,
    OpportunityStage,
)
from kilowatt.sales.pricing import Comparison, competitors_for, offer_compare

OPEN_STATUSES = (OfferStatus.DRAFT, OfferStatus.SENT)
MAX_YEARLY_KWH = Decimal("1000000000")  # a typing slip, not a supply point


@dataclass
class OfferData:
    template_id: int | None
    price_list_id: int | None
    start_date: date | None
    language: str = "pl"
    current_competitor_id: int | None = None
    current_contract_id: int | None = None
    # kWh a year per zone, typed from the customer's bill, by supply point id
    zone_splits: dict[int, dict[str, str]] = field(default_factory=dict)
    note: str = ""


@dataclass
class _Clean:
    template: OfferTemplate
    price_list: PriceList
    start_date: date
    current: PriceList | CompetitorPriceList | None
    current_competitor: CompetitorPriceList | None
    current_contract: Contract | None
    zone_splits: dict[int, dict[str, Decimal]]
    language: str


def _zone_splits(errors: FieldErrors, raw: dict[int, dict[str, str]], points: list[SupplyPoint]) -> dict:
    splits: dict[int, dict[str, Decimal]] = {}
    by_id = {p.pk: p for p in points}
    for point_id, zones in raw.items():
        point = by_id.get(int(point_id))
        if point is None:
            errors.add("zone_splits", _("A zone split names a supply point the opportunity does not have."))
            continue
        values = {}
        for zone, value in zones.items():
            if value in ("", None):
                continue
            try:
                values[zone] = Decimal(str(value).replace(",", ".").replace(" ", ""))
            except InvalidOperation:
                values[zone] = Decimal(-1)
            if not values[zone].is_finite() or values[zone] > MAX_YEARLY_KWH:
                values[zone] = Decimal(-1)
            if values[zone] < 0 or zone not in (point.tariff_group.zones or ["all"]):
                errors.add(
                    f"zone_splits.{point.pk}.{zone}",
                    _("Supply point %(code)s: %(zone)s must be a zone of its tariff group and kWh ≥ 0.")
                    % {"code": point.code, "zone": zone},
                )
        if values:
            missing = [z for z in (point.tariff_group.zones or ["all"]) if z not in values]
            for zone in missing:  # a bill shows every zone: a part of the year is not a year
                errors.add(
                    f"zone_splits.{point.pk}.{zone}",
                    _("Supply point %(code)s: give the kWh of zone %(zone)s too, or of no zone.")
                    % {"code": point.code, "zone": zone},
                    code="required",
                )
            splits[point.pk] = values
    return splits


def offer_clean(*, opportunity: Opportunity, data: OfferData, on_date: date) -> _Clean:
    company = opportunity.company
    errors = FieldErrors()
    template = OfferTemplate.objects.filter(company=company, pk=data.template_id, is_active=True).first()
    if template is None:
        errors.add("template_id", _("Choose the offer template."), code="required")
    elif opportunity.organisation_id is not None and not (
        products_allowed(organisation=opportunity.organisation).filter(pk=template.product_id).exists()
    ):
        errors.add(
            "template_id",
            _("%(organisation)s may not offer %(product)s: choose another offer template.")
            % {"organisation": opportunity.organisation, "product": template.product.name},
            code="product_not_allowed",
        )
    price_list = PriceList.objects.filter(company=company, pk=data.price_list_id).first()
    points = list(opportunity.supply_points.select_related("tariff_group", "company"))
    if price_list is None:
        errors.add("price_list_id", _("Choose the price list."), code="required")
    elif template is not None and price_list.product_id != template.product_id:
        errors.add("price_list_id", _("This price list belongs to another product than the template's."))
    if data.start_date is None:
        errors.add("start_date", _("Give the date supply would start."), code="required")
    elif data.start_date < on_date:
        errors.add("start_date", _("Supply cannot start in the past."))
    elif (
        price_list is not None
        and not PriceList.objects.filter(valid_on(data.start_date), pk=price_list.pk).exists()
    ):
        errors.add(
            "price_list_id",
            _("Price list %(name)s is not valid on %(day)s.")
            % {"name": price_list.name, "day": data.start_date},
        )
    if price_list is not None:
        groups = set(price_list.tariff_groups.values_list("pk", flat=True))
        for point in points:
            if groups and point.tariff_group_id not in groups:
                errors.add(
                    "price_list_id",
                    _("Price list %(name)s is not for tariff group %(group)s of supply point %(code)s.")
                    % {"name": price_list.name, "group": point.tariff_group.code, "code": point.code},
                )
    if data.language not in ("pl", "en"):
        errors.add("language", _("Offers are written in Polish or English."))
    current_competitor = (
        CompetitorPriceList.objects.filter(company=company, pk=data.current_competitor_id).first()
        if data.current_competitor_id
        else None
    )
    if data.current_competitor_id and current_competitor is None:
        errors.add("current_competitor_id", _("Competitor price list not found."), code="not_found")
    elif current_competitor is not None and (
        current_competitor.commodity != opportunity.commodity
        or any(current_competitor.tariff_group_id not in (None, p.tariff_group_id) for p in points)
    ):
        errors.add(
            "current_competitor_id",
            _("%(name)s is not for this commodity and the supply points' tariff groups.")
            % {"name": current_competitor},
        )
    current_contract = (
        Contract.objects.filter(company=company, customer=opportunity.customer, pk=data.current_contract_id)
        .select_related("price_list")
        .first()
        if data.current_contract_id
        else None
    )
    if data.current_contract_id and current_contract is None:
        errors.add("current_contract_id", _("This customer has no such contract."), code="not_found")
    splits = _zone_splits(errors, data.zone_splits, points)
    errors.raise_if_any()
    assert template is not None and price_list is not None and data.start_date is not None
    current: PriceList | CompetitorPriceList | None = current_competitor or (
        current_contract.price_list if current_contract else None
    )
    if current is None and points:
        current = _incumbent_tariff(opportunity, points, data.start_date)
    return _Clean(
        template,
        price_list,
        data.start_date,
        current,
        current_competitor,
        current_contract,
        splits,
        data.language,
    )


def _incumbent_tariff(
    opportunity: Opportunity, points: list[SupplyPoint], on_date: date
) -> CompetitorPriceList | None:
    """Without anything else known, the customer is taken to pay the incumbent's approved tariff."""
    candidates = [
        c
        for c in competitors_for(company=opportunity.company, points=points, on_date=on_date)
        if c.is_incumbent_tariff
    ]
    return candidates[0] if candidates else None


def _version_create(
    *, offer: Offer, clean: _Clean, comparison: Comparison, on_date: date, note: str, actor, now: datetime
) -> OfferVersion:
    template = clean.template
    offer.latest_version += 1
    offer.save(update_fields=["latest_version"])
    assert comparison.offer is not None
    current_gross = (
        comparison.current.gross if comparison.current and not comparison.current.missing else None
    )
    return OfferVersion.objects.create(
        offer=offer,
        version=offer.latest_version,
        price_list=clean.price_list,
        start_date=clean.start_date,
        end_date=clean.start_date + relativedelta(months=template.term_months)
        if template.term_months
        else None,
        valid_until=on_date + timedelta(days=template.validity_days),
        payment_term_days=template.payment_term_days,
        billing_cycle_months=template.billing_cycle_months,
        notice_period_days=template.notice_period_days,
        early_termination_fee=template.early_termination_fee,
        early_termination_fee_per_month=template.early_termination_fee_per_month,
        current_competitor=clean.current if isinstance(clean.current, CompetitorPriceList) else None,
        current_contract=clean.current_contract,
        comparison=comparison.as_json(),
        offer_gross=comparison.offer.gross,
        current_gross=current_gross,
        saving=comparison.saving,
        saving_percent=comparison.saving_percent,
        note=note,
        created_at=now,
        created_by=actor,
    )


def _compare(opportunity: Opportunity, clean: _Clean, on_date: date) -> Comparison:
    points = list(opportunity.supply_points.select_related("tariff_group", "company").order_by("code"))
    return offer_compare(
        price_list=clean.price_list,
        points=points,
        start=clean.start_date,
        on_date=on_date,
        current=clean.current,
        competitors=competitors_for(company=opportunity.company, points=points, on_date=clean.start_date),
        zone_splits=clean.zone_splits,
        cycle_months=clean.template.billing_cycle_months,
    )


@transaction.atomic
def offer_create(
    *, opportunity: Opportunity, data: OfferData, on_date: date, actor: AbstractBaseUser | None, now: datetime
) -> Offer:
    """A new offer (version 1) for the opportunity. Raises ValidationFailed, OfferNotPriced."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if opportunity.stage in (OpportunityStage.WON, OpportunityStage.LOST):
        raise ValidationFailed.single("opportunity", _("This opportunity is closed."))
    clean = offer_clean(opportunity=opportunity, data=data, on_date=on_date)
    comparison = _compare(opportunity, clean, on_date)
    offer = Offer.objects.create(
        company=opportunity.company,
        opportunity=opportunity,
        number=number_series_next(company=opportunity.company, document_type="offer", year=on_date.year),
        template=clean.template,
        language=clean.language,
        created_at=now,
        created_by=actor,
    )
    _version_create(
        offer=offer, clean=clean, comparison=comparison, on_date=on_date, note="", actor=actor, now=now
    )
    if opportunity.stage == OpportunityStage.QUALIFICATION:
        opportunity.stage = OpportunityStage.OFFER
        opportunity.save(update_fields=["stage"])
    event_record(
        company=offer.company,
        name="sales.offer.created-v1",
        payload={"offer_id": offer.pk, "opportunity_id": opportunity.pk},
        occurred_at=now,
    )
    return offer


def _open_offer(offer: Offer) -> Offer:
    offer = Offer.objects.select_for_update(of=("self",)).select_related("opportunity").get(pk=offer.pk)
    if offer.status not in OPEN_STATUSES:
        raise ValidationFailed.single(
            "status",
            _("Offer %(number)s is %(status)s.")
            % {"number": offer.number, "status": offer.get_status_display()},
        )
    return offer


@transaction.atomic
def offer_revise(
    *, offer: Offer, data: OfferData, on_date: date, actor: AbstractBaseUser | None, now: datetime
) -> OfferVersion:
    """A new version with changed terms (and a fresh comparison); earlier versions stay as they were."""
    offer = _open_offer(offer)
    if not data.note.strip():
        raise ValidationFailed.single("note", _("Say what changed in this version."), code="required")
    if data.current_contract_id is None:  # a renewal keeps comparing with the contract it renews
        data.current_contract_id = offer_latest(offer=offer).current_contract_id
    clean = offer_clean(opportunity=offer.opportunity, data=data, on_date=on_date)
    comparison = _compare(offer.opportunity, clean, on_date)
    offer.template = clean.template
    offer.language = clean.language
    offer.status = OfferStatus.DRAFT
    offer.save(update_fields=["template", "language", "status"])
    return _version_create(
        offer=offer,
        clean=clean,
        comparison=comparison,
        on_date=on_date,
        note=data.note.strip(),
        actor=actor,
        now=now,
    )


def offer_latest(*, offer: Offer) -> OfferVersion:
    return offer.versions.select_related("price_list").get(version=offer.latest_version)


@transaction.atomic
def offer_send(*, offer: Offer, now: datetime) -> Offer:
    """Mark the latest version as presented to the customer."""
    offer = _open_offer(offer)
    offer.status = OfferStatus.SENT
    offer.save(update_fields=["status"])
    event_record(
        company=offer.company,
        name="sales.offer.sent-v1",
        payload={"offer_id": offer.pk, "version": offer.latest_version},
        occurred_at=now,
    )
    return offer


def version_points(*, version: OfferVersion) -> list[int]:
    """The supply points a version was priced on."""
    return [row["supply_point_id"] for row in version.comparison.get("points", [])]


def offer_acceptable(*, version: OfferVersion, on_date: date) -> None:
    """Raise ValidationFailed when the version can no longer be accepted."""
    priced = set(version_points(version=version))
    if priced != set(version.offer.opportunity.supply_points.values_list("pk", flat=True)):
        raise ValidationFailed.single(
            "supply_points",
            _(
                "The opportunity's supply points changed after version %(version)s was priced: "
                "make a new version."
            )
            % {"version": version.version},
            code="points_changed",
        )
    if version.valid_until < on_date:
        raise ValidationFailed.single(
            "valid_until",
            _("Offer %(number)s was valid until %(day)s: make a new version with today's prices.")
            % {"number": version.offer.number, "day": version.valid_until},
            code="expired",
        )
    if version.start_date < on_date:
        raise ValidationFailed.single(
            "start_date", _("Supply under this version was to start on %(day)s: make a new version.")
            % {"day": version.start_date}, code="expired",
        )  # fmt: skip


@transaction.atomic
def offer_accept(*, offer: Offer, on_date: date, actor: AbstractBaseUser | None, now: datetime) -> Contract:
    """Accept the latest version and generate the contract from it (status draft, with its PDF)."""
    offer = _open_offer(offer)
    opportunity = Opportunity.objects.select_for_update().get(pk=offer.opportunity_id)
    if opportunity.stage == OpportunityStage.WON:
        raise ValidationFailed.single(
            "opportunity", _("This opportunity is already won by another offer."), code="already_won"
        )
    version = offer_latest(offer=offer)
    offer_acceptable(version=version, on_date=on_date)
    offer.status = OfferStatus.ACCEPTED
    offer.accepted_version = version
    offer.decided_at = now
    offer.decided_by = actor
    offer.save(update_fields=["status", "accepted_version", "decided_at", "decided_by"])
    contract = contract_from_offer(version=version, on_date=on_date, actor=actor, now=now)
    opportunity = offer.opportunity
    opportunity.stage = OpportunityStage.WON
    opportunity.save(update_fields=["stage"])
    event_record(
        company=offer.company,
        name="sales.offer.accepted-v1",
        payload={"offer_id": offer.pk, "version": version.version, "contract_id": contract.pk},
        occurred_at=now,
    )
    return contract


@transaction.atomic
def offer_reject(*, offer: Offer, reason: str, actor: AbstractBaseUser | None, now: datetime) -> Offer:
    offer = _open_offer(offer)
    if not reason.strip():
        raise ValidationFailed.single(
            "reason", _("Say why the customer rejected the offer."), code="required"
        )
    offer.status = OfferStatus.REJECTED
    offer.reject_reason = reason.strip()[:300]
    offer.decided_at = now
    offer.decided_by = actor
    offer.save(update_fields=["status", "reject_reason", "decided_at", "decided_by"])
    event_record(
        company=offer.company,
        name="sales.offer.rejected-v1",
        payload={"offer_id": offer.pk, "reason": offer.reject_reason},
        occurred_at=now,
    )
    return offer
