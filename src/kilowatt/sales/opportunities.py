"""Opportunities: a lead converted (the customer created or found), who owns and shares in it, its stage,
and its activities.

Participants' shares decide how commissions are split, so they must sum to exactly 100 %: a split that
does not is refused whole, naming the sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from kilowatt.channels.models import Agent
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company, Membership
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.parties.operations import AddressData, CustomerData, customer_create
from kilowatt.sales.models import (
    Activity,
    ActivityKind,
    Lead,
    LeadStatus,
    Opportunity,
    OpportunityParticipant,
    OpportunityStage,
)
from kilowatt.sales.scope import customer_brought_by

HUNDRED = Decimal("100")


def _staff_of(company: Company, user_ids: set[int]) -> set[int]:
    """Those of these users who sell for the company: its staff and the active agents of its channels."""
    staff = Membership.objects.filter(company=company, user_id__in=user_ids).values_list("user_id", flat=True)
    agents = Agent.objects.filter(
        organisation__company=company, user_id__in=user_ids, is_active=True
    ).values_list("user_id", flat=True)
    return set(staff) | set(agents)


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    address: AddressData,
    owner: AbstractBaseUser,
    customer: Customer | None = None,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> Opportunity:
    """Convert a lead: its customer (the one given, the one with the lead's supply point, or a new one from
    the lead's data and ``address``) and an opportunity owned by ``owner`` with a 100 % share."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationFailed.single("lead", _("This lead is already converted."))
    company = lead.company
    if owner.pk not in _staff_of(company, {owner.pk}):
        raise ValidationFailed.single("owner", _("The owner must work for this company."))
    points = (
        list(SupplyPoint.objects.filter(company=company, code=lead.supply_point_code))
        if lead.supply_point_code
        else []
    )
    if customer is None and points:
        customer = points[0].customer
    if customer is not None and customer.company_id != company.pk:
        raise ValidationFailed.single("customer", _("Customer not found."), code="not_found")
    if (
        customer is not None
        and lead.organisation_id
        and not customer_brought_by(customer=customer, organisation=lead.organisation)
    ):
        # A partner's lead must not hand the partner a customer another channel (or the company) serves.
        raise ValidationFailed.single(
            "lead",
            _(
                "This customer is served outside %(organisation)s: the partner's lead cannot be converted "
                "to them. Ask the channel manager to move the lead."
            )
            % {"organisation": lead.organisation.name},
            code="outside_channel",
        )
    if customer is None:
        customer = customer_create(
            company=company,
            data=CustomerData(
                kind=lead.kind,
                address=address,
                first_name=lead.first_name,
                last_name=lead.last_name,
                business_name=lead.business_name,
                pesel=lead.pesel,
                nip=lead.nip,
                email=lead.email,
                phone=lead.phone,
                preferred_channel="email" if lead.email else "paper",
            ),
            actor=actor,
            now=now,
        )
    opportunity = Opportunity.objects.create(
        company=company,
        customer=customer,
        lead=lead,
        campaign=lead.campaign,
        name=_("%(customer)s — %(commodity)s")
        % {"customer": customer.display_name, "commodity": lead.commodity or _("energy")},
        owner=owner,
        organisation=lead.organisation,
        commodity=lead.commodity or "electricity",
        expected_volume_mwh=(lead.annual_consumption_kwh / 1000) if lead.annual_consumption_kwh else None,
        new_supply_point_codes="" if points else lead.supply_point_code,
        created_at=now,
    )
    opportunity.supply_points.set(points)
    OpportunityParticipant.objects.create(opportunity=opportunity, user=owner, share=HUNDRED)
    lead.status = LeadStatus.CONVERTED
    lead.save(update_fields=["status"])
    return opportunity


@dataclass(frozen=True)
class Share:
    user_id: int
    share: str


@transaction.atomic
def participants_set(*, opportunity: Opportunity, shares: list[Share]) -> list[OpportunityParticipant]:
    """Replace the participants; the shares must be positive and sum to exactly 100 %."""
    parsed: dict[int, Decimal] = {}
    for index, item in enumerate(shares):
        try:
            value = Decimal(str(item.share).replace(",", ".").strip()).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValidationFailed.single(f"shares.{index}", _("A share is a number of per cent.")) from None
        if value <= 0 or value > HUNDRED:
            raise ValidationFailed.single(f"shares.{index}", _("A share is more than 0 and at most 100 %."))
        if item.user_id in parsed:
            raise ValidationFailed.single(f"shares.{index}", _("A person appears twice."))
        parsed[item.user_id] = value
    total = sum(parsed.values(), Decimal("0"))
    if total != HUNDRED:
        raise ValidationFailed.single(
            "shares", _("The shares sum to %(total)s %%, not 100 %%.") % {"total": total}
        )
    if _staff_of(opportunity.company, set(parsed)) != set(parsed):
        raise ValidationFailed.single("shares", _("Every participant must work for this company."))
    opportunity.participants.all().delete()
    return OpportunityParticipant.objects.bulk_create(
        OpportunityParticipant(opportunity=opportunity, user_id=user_id, share=share)
        for user_id, share in parsed.items()
    )


def opportunity_stage_change(*, opportunity: Opportunity, stage: str, lost_reason: str = "") -> Opportunity:
    if stage not in OpportunityStage.values:
        raise ValidationFailed.single("stage", _("Choose a stage."))
    if stage == OpportunityStage.LOST and not lost_reason.strip():
        raise ValidationFailed.single("lost_reason", _("Say why the opportunity was lost."))
    opportunity.stage, opportunity.lost_reason = stage, lost_reason.strip()[:200]
    opportunity.save(update_fields=["stage", "lost_reason"])
    return opportunity


def activity_add(
    *,
    opportunity: Opportunity,
    kind: str,
    subject: str,
    due_at: datetime | None,
    assignee: AbstractBaseUser,
    now: datetime,
) -> Activity:
    if kind not in ActivityKind.values:
        raise ValidationFailed.single("kind", _("Choose a call, a meeting or a task."))
    if not subject.strip():
        raise ValidationFailed.single("subject", _("Say what the activity is about."), code="required")
    if assignee.pk not in _staff_of(opportunity.company, {assignee.pk}):
        raise ValidationFailed.single("assignee", _("The assignee must work for this company."))
    return Activity.objects.create(
        opportunity=opportunity,
        kind=kind,
        subject=subject.strip()[:200],
        due_at=due_at,
        assignee=assignee,
        created_at=now,
    )


def activity_done(*, activity: Activity, outcome: str, now: datetime) -> Activity:
    if activity.done_at is not None:
        raise ValidationFailed.single("activity", _("This activity is already done."))
    activity.done_at, activity.outcome = now, outcome.strip()[:500]
    activity.save(update_fields=["done_at", "outcome"])
    return activity


def activities_due(*, company: Company, user: AbstractBaseUser, until: datetime):
    """The person's open activities due by ``until``: the reminder list."""
    return (
        Activity.objects.filter(
            opportunity__company=company, assignee=user, done_at__isnull=True, due_at__lte=until
        )
        .select_related("opportunity", "opportunity__customer")
        .order_by("due_at")
    )
