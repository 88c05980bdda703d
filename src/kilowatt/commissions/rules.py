"""Commission rules that read no event: splitting an amount exactly, who shares in a contract's commission,
which rate applies, whether a scheme's stages are complete."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from kilowatt.channels.models import Agent, Organisation
from kilowatt.commissions.models import (
    BILLED_BASES,
    CommissionRate,
    CommissionScheme,
)
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.money import GROSZ, ZERO, money_round
from kilowatt.sales.models import (
    Contract,
    OpportunityParticipant,
)

HUNDRED = Decimal(100)


# --- splitting and rates ------------------------------------------------------------------------------


def amount_split(*, amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split an amount in grosze by weights so the pieces sum exactly to it: each piece rounded down,
    the grosze left over going to the largest remainders (the first one on a tie)."""
    if not weights:
        return []
    total_weight = sum(weights, ZERO)
    if total_weight <= 0:
        raise ValueError("weights must sum to more than zero")
    sign = -1 if amount < 0 else 1
    grosze = int(money_round(abs(amount)) / GROSZ)
    exact = [Decimal(grosze) * weight / total_weight for weight in weights]
    pieces = [int(value) for value in exact]  # every value is >= 0: int() rounds down
    left = grosze - sum(pieces)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - pieces[i]), i))
    for index in by_remainder[:left]:
        pieces[index] += 1
    return [sign * Decimal(piece) * GROSZ for piece in pieces]


@dataclass(frozen=True)
class Beneficiary:
    """Who gets a piece: an agent (user id), or the organisation's own part (``agent_id`` None), with the
    weight in per cent of the amount."""

    agent_id: int | None
    weight: Decimal

    @property
    def key(self) -> str:
        return f"a{self.agent_id}" if self.agent_id is not None else "own"


def _agents_of_tree(organisation: Organisation, user_ids: Iterable[int]) -> set[int]:
    """Those of these users who are active agents of an organisation in the same tree as this one (the
    same top organisation)."""
    root = organisation.path.strip("/").split("/")[0] or str(organisation.pk)
    return set(
        Agent.objects.filter(
            user_id__in=list(user_ids), is_active=True, organisation__path__startswith=f"/{root}/"
        ).values_list("user_id", flat=True)
    )


def beneficiaries_of(*, contract: Contract, scheme: CommissionScheme) -> list[Beneficiary]:
    """The opportunity's participants by their shares (else the contract's agent alone) share the
    business commission; the rest is the organisation's own part. Only an active agent of the contract's
    organisation tree (the same top organisation) is paid: the share of anyone else (staff, an agent of
    another partner, one who left) is the organisation's too, as is all of it when there is no one to pay."""
    participants: list[tuple[int, Decimal]] = []
    if contract.opportunity_id is not None:
        participants = list(
            OpportunityParticipant.objects.filter(opportunity_id=contract.opportunity_id)
            .order_by("id")
            .values_list("user_id", "share")
        )
    if not participants and contract.agent_id is not None:
        participants = [(contract.agent_id, HUNDRED)]
    shares = sum((share for _user, share in participants), ZERO)
    if contract.organisation is None or not shares:
        return [Beneficiary(None, HUNDRED)]
    agents = _agents_of_tree(contract.organisation, {user_id for user_id, _share in participants})
    business = Decimal(scheme.business_share)
    paid = [(user_id, share) for user_id, share in participants if share and user_id in agents]
    result = [Beneficiary(user_id, business * share / shares) for user_id, share in paid] if business else []
    not_paid = shares - sum((share for _user, share in paid), ZERO)
    own = HUNDRED - business + (business * not_paid / shares if not_paid and business else ZERO)
    if own > 0:
        result.append(Beneficiary(None, own))
    return result


@dataclass(frozen=True)
class RateContext:
    product_id: int
    commodity: str
    customer_kind: str
    annual_kwh: Decimal


def rate_for(*, rates: Iterable[CommissionRate], context: RateContext) -> CommissionRate | None:
    """The most specific rate matching the context (most conditions set; product, customer type,
    commodity and band weigh in that order); empty conditions match anything."""

    def matches(rate: CommissionRate) -> bool:
        return (
            (rate.product_id is None or rate.product_id == context.product_id)
            and (not rate.commodity or rate.commodity == context.commodity)
            and (not rate.customer_kind or rate.customer_kind == context.customer_kind)
            and (rate.band_from_kwh is None or context.annual_kwh >= rate.band_from_kwh)
            and (rate.band_to_kwh is None or context.annual_kwh < rate.band_to_kwh)
        )

    def specificity(rate: CommissionRate) -> tuple:
        conditions = (
            rate.product_id is not None,
            bool(rate.customer_kind),
            bool(rate.commodity),
            rate.band_from_kwh is not None or rate.band_to_kwh is not None,
        )
        return (sum(conditions), *conditions, -rate.pk)

    candidates = [rate for rate in rates if matches(rate)]
    return max(candidates, key=specificity) if candidates else None


def stage_shares_check(*, basis: str, shares: Sequence[Decimal]) -> None:
    """A staged scheme's stages release 100 % together; a billed scheme has no stages.
    Raises ValidationFailed on ``stages``."""
    if basis in BILLED_BASES:
        if shares:
            raise ValidationFailed.single(
                "stages",
                _("A scheme paid on billed amounts accrues on each paid invoice: remove its payout stages."),
                code="stages_not_applicable",
            )
        return
    total = sum((Decimal(share) for share in shares), ZERO)
    if total != HUNDRED:
        raise ValidationFailed.single(
            "stages",
            _("The payout stages' shares sum to %(total)s %%; they must sum to 100 %%.") % {"total": total},
            code="stages_not_100",
        )
