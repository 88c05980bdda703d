"""Renewals: fixed-term contracts nearing their end, and offers to renew them.

A renewal is an opportunity with ``renewal_of`` set, for the contract's customer and the supply points it
covers at its end, with an offer starting the day the contract ends and compared with what the customer
pays under it. Accepting the offer generates the new contract with ``renewal_of`` set
(``sales.contracting.contract_from_offer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kilowatt.catalog.models import PriceList
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.models import Company, Membership
from kilowatt.core.operations import event_record
from kilowatt.network.models import SupplyPoint
from kilowatt.sales.lifecycle.common import OPEN_STATUSES, contract_open_locked, language_of
from kilowatt.sales.models import (
    Contract,
    Offer,
    OfferTemplate,
    Opportunity,
    OpportunityParticipant,
    OpportunityStage,
)
from kilowatt.sales.offers import OfferData, offer_create


def _renewing() -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(renewal_of__isnull=False).exclude(stage=OpportunityStage.LOST)


def contracts_ending(*, company: Company, within_days: int, on_date: date) -> QuerySet[Contract]:
    """Fixed-term contracts, signed or in force, whose term ends (``end_date``, excluded) after
    ``on_date`` and at most ``within_days`` days later, and that have no renewal yet: no contract renewing
    them and no renewal opportunity that is not lost. Ceded and terminated contracts are left out."""
    return (
        Contract.objects.filter(
            company=company,
            status__in=OPEN_STATUSES,
            end_date__gt=on_date,
            end_date__lte=on_date + timedelta(days=max(within_days, 0)),
            cession__isnull=True,
            termination__isnull=True,
        )
        .exclude(pk__in=Contract.objects.filter(renewal_of__isnull=False).values("renewal_of"))
        .exclude(pk__in=_renewing().values("renewal_of"))
        .select_related("customer", "product", "price_list")
        .order_by("end_date", "number")
    )


def _renewal_check(contract: Contract, template: OfferTemplate | None, owner: AbstractBaseUser) -> None:
    if contract.end_date is None:
        raise ValidationFailed.single(
            "contract",
            _("Contract %(number)s is made for an indefinite period: there is no end to renew.")
            % {"number": contract.number},
        )
    if _renewing().filter(renewal_of=contract).exists() or contract.renewals.exists():
        raise ValidationFailed.single(
            "contract", _("Contract %(number)s is already being renewed.") % {"number": contract.number},
            code="duplicate",
        )  # fmt: skip
    if not Membership.objects.filter(company_id=contract.company_id, user_id=owner.pk).exists():
        raise ValidationFailed.single("owner", _("The owner must work for this company."))
    commodity = contract.product.commodity
    if template is not None and commodity and template.product.commodity not in ("", commodity):
        raise ValidationFailed.single(
            "template_id",
            _("Template %(name)s offers another commodity than contract %(number)s.")
            % {"name": template.name, "number": contract.number},
        )


@transaction.atomic
def renewal_offer_prepare(
    *,
    contract: Contract,
    template: OfferTemplate | None,
    price_list: PriceList | None,
    owner: AbstractBaseUser,
    on_date: date,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> Offer:
    """An opportunity renewing the contract (its customer and the supply points it covers at its end,
    owned by ``owner`` with a 100 % share) and an offer from the template and price list starting when the
    contract ends, compared with the contract's own price list. Raises ValidationFailed, OfferNotPriced."""
    contract = contract_open_locked(contract)
    _renewal_check(contract, template, owner)
    assert contract.end_date is not None
    points = list(
        SupplyPoint.objects.filter(
            Q(contract_links__valid_to__isnull=True) | Q(contract_links__valid_to__gte=contract.end_date),
            contract_links__contract=contract,
        ).distinct()
    )
    opportunity = Opportunity.objects.create(
        company=contract.company,
        customer=contract.customer,
        name=_("Renewal of %(number)s") % {"number": contract.number},
        owner=owner,
        commodity=contract.product.commodity or (points[0].commodity if points else "electricity"),
        renewal_of=contract,
        created_at=now,
    )
    opportunity.supply_points.set(points)
    OpportunityParticipant.objects.create(opportunity=opportunity, user=owner, share=Decimal("100"))
    offer = offer_create(
        opportunity=opportunity,
        data=OfferData(
            template_id=template.pk if template else None,
            price_list_id=price_list.pk if price_list else None,
            start_date=contract.end_date,
            language=language_of(contract.customer),
            current_contract_id=contract.pk,
        ),
        on_date=on_date,
        actor=actor,
        now=now,
    )
    event_record(
        company=contract.company,
        name="sales.contract.renewal-offered-v1",
        payload={"contract_id": contract.pk, "opportunity_id": opportunity.pk, "offer_id": offer.pk},
        occurred_at=now,
    )
    return offer


@dataclass
class RenewalBatch:
    """The offers made, and the contracts refused with the reason (a person reads it)."""

    offers: list[Offer] = field(default_factory=list)
    refused: list[tuple[Contract, str]] = field(default_factory=list)


def renewal_offers_prepare(
    *,
    company: Company,
    within_days: int,
    template: OfferTemplate | None,
    price_list: PriceList | None,
    owner: AbstractBaseUser,
    on_date: date,
    now: datetime,
    actor: AbstractBaseUser | None = None,
) -> RenewalBatch:
    """Renewal offers for every contract ``contracts_ending`` lists, each in its own transaction, so one
    refused (kept with its reason) holds back no other. Plain domain code: a page, a command or a Celery
    task calls it."""
    batch = RenewalBatch()
    for contract in list(contracts_ending(company=company, within_days=within_days, on_date=on_date)):
        try:
            batch.offers.append(
                renewal_offer_prepare(
                    contract=contract,
                    template=template,
                    price_list=price_list,
                    owner=owner,
                    on_date=on_date,
                    actor=actor,
                    now=now,
                )  # fmt: skip
            )
        except DomainError as failed:
            batch.refused.append((contract, failed.message))
    return batch
