"""Sales targets: a plan per channel, organisation (with its branches) or agent over ``[start, end)`` —
supply points won or their yearly volume in MWh, for any commodity and product or one of them — and how
far it has got.

Achieved counts the supply points of contracts signed in the period (``Contract.signed_on``, up to the day
looked at) and not draft or withdrawn, held by the target's holder: a channel's contracts are those of its
organisations, an organisation's its own and its branches' (by ``path``), an agent's those they won
(``Contract.agent``). The volume is the points' estimated yearly consumption in MWh. While the period runs,
the pace is linear: by the end of day *n* of *N*, ``goal × n / N`` is expected; after the end the figure
is final.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from kilowatt.catalog.models import Product
from kilowatt.channels.models import Agent, Organisation, SalesChannel, SalesTarget, TargetMetric
from kilowatt.channels.queries import PartnerScope
from kilowatt.core.errors import PermissionDenied, ValidationFailed
from kilowatt.core.models import Company
from kilowatt.core.permissions import MANAGE_CHANNELS
from kilowatt.core.queries import permissions_in_company
from kilowatt.network.models import Commodity
from kilowatt.sales.models import ContractStatus, ContractSupplyPoint

__all__ = [
    "TargetProgress",
    "target_create",
    "target_progress",
    "targets_for_partner",
    "targets_of_company",
    "targets_progress",
]

NOT_COUNTED = (ContractStatus.DRAFT, ContractStatus.WITHDRAWN)
KWH_PER_MWH = Decimal(1000)
VOLUME = Decimal("0.001")
PERCENT = Decimal("0.1")


class TargetStatus:
    UPCOMING = "upcoming"
    RUNNING = "running"
    FINISHED = "finished"


@dataclass(frozen=True)
class TargetProgress:
    target: SalesTarget
    achieved: Decimal  # supply points, or MWh with 3 decimals
    percent: Decimal  # of the goal, one decimal
    status: str  # upcoming, running, finished
    days_total: int
    days_elapsed: int
    expected: Decimal | None  # by the pace, while running
    expected_percent: Decimal | None

    @property
    def goal(self) -> Decimal:
        return self.target.goal

    @property
    def is_met(self) -> bool:
        return self.achieved >= self.target.goal

    @property
    def on_track(self) -> bool | None:
        """While running: at or ahead of the linear pace; after the end: the goal was met."""
        if self.status == TargetStatus.RUNNING:
            return self.achieved >= (self.expected or 0)
        if self.status == TargetStatus.FINISHED:
            return self.is_met
        return None

    @property
    def bar_percent(self) -> Decimal:
        """The width of a progress bar (0–100)."""
        return min(max(self.percent, Decimal(0)), Decimal(100))

    @property
    def holder(self) -> SalesChannel | Organisation | Agent:
        return self.target.channel or self.target.organisation or self.target.agent

    @property
    def holder_kind(self) -> str:
        if self.target.channel_id:
            return "channel"
        return "organisation" if self.target.organisation_id else "agent"


# --- reads ----------------------------------------------------------------------------------------


def _targets(company_id: int) -> QuerySet[SalesTarget]:
    return SalesTarget.objects.filter(company_id=company_id).select_related(
        "channel", "organisation", "agent__user", "agent__organisation", "product"
    )


def targets_of_company(*, company: Company) -> QuerySet[SalesTarget]:
    return _targets(company.pk)


def targets_for_partner(*, scope: PartnerScope) -> QuerySet[SalesTarget]:
    """A plain agent's own targets and their organisation's; a manager's those of their organisation,
    its branches and their agents."""
    targets = _targets(scope.company_id)
    if scope.agent_user_id is not None:
        return targets.filter(
            Q(agent__user_id=scope.agent_user_id) | Q(organisation_id=scope.organisation_id)
        )
    return targets.filter(
        Q(organisation_id__in=scope.organisation_ids) | Q(agent__organisation_id__in=scope.organisation_ids)
    )


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(PERCENT, rounding=ROUND_HALF_UP)


def targets_progress(*, targets: Iterable[SalesTarget], on_date: date) -> list[TargetProgress]:
    """Progress of each target at the end of ``on_date``, in at most three queries for any number."""
    targets = list(targets)
    if not targets:
        return []
    start = min(target.period_start for target in targets)
    end = min(max(target.period_end for target in targets), on_date + timedelta(days=1))
    rows: list[dict] = []
    if start < end:
        rows = list(
            ContractSupplyPoint.objects.filter(
                contract__company_id__in={target.company_id for target in targets},
                contract__signed_on__gte=start,
                contract__signed_on__lt=end,
            )
            .exclude(contract__status__in=NOT_COUNTED)
            .values(
                "contract__company_id",
                "contract__signed_on",
                "contract__organisation_id",
                "contract__agent_id",
                "contract__product_id",
                "supply_point__commodity",
            )
            .annotate(points=Count("id"), kwh=Sum("supply_point__annual_consumption_kwh"))
            .order_by()
        )
    wanted = {row["contract__organisation_id"] for row in rows if row["contract__organisation_id"]}
    wanted |= {target.organisation_id for target in targets if target.organisation_id}
    organisations = {
        row["pk"]: row
        for row in Organisation.objects.filter(pk__in=wanted).values("pk", "channel_id", "path")
    }
    agent_users = dict(
        Agent.objects.filter(pk__in={t.agent_id for t in targets if t.agent_id}).values_list("pk", "user_id")
    )
    holder_paths = {
        t.organisation_id: organisations[t.organisation_id]["path"] for t in targets if t.organisation_id
    }
    return [_progress(target, rows, organisations, agent_users, holder_paths, on_date) for target in targets]


def target_progress(*, target: SalesTarget, on_date: date) -> TargetProgress:
    return targets_progress(targets=[target], on_date=on_date)[0]


def _held(target: SalesTarget, row: dict, organisations: dict, agent_users: dict, holder_paths: dict) -> bool:
    if row["contract__company_id"] != target.company_id:
        return False
    if target.commodity and row["supply_point__commodity"] != target.commodity:
        return False
    if target.product_id and row["contract__product_id"] != target.product_id:
        return False
    if target.agent_id:
        return row["contract__agent_id"] == agent_users.get(target.agent_id)
    organisation = organisations.get(row["contract__organisation_id"])
    if organisation is None:
        return False
    if target.channel_id:
        return organisation["channel_id"] == target.channel_id
    return organisation["path"].startswith(holder_paths.get(target.organisation_id, "-"))


def _progress(
    target: SalesTarget,
    rows: list[dict],
    organisations: dict,
    agent_users: dict,
    holder_paths: dict,
    on_date: date,
) -> TargetProgress:
    last = min(target.period_end, on_date + timedelta(days=1))
    points, kwh = 0, Decimal(0)
    for row in rows:
        if target.period_start <= row["contract__signed_on"] < last and _held(
            target, row, organisations, agent_users, holder_paths
        ):
            points += row["points"]
            kwh += row["kwh"] or 0
    if target.metric == TargetMetric.VOLUME_MWH:
        achieved = (kwh / KWH_PER_MWH).quantize(VOLUME, rounding=ROUND_HALF_UP)
    else:
        achieved = Decimal(points)
    days_total = (target.period_end - target.period_start).days
    days_elapsed = min(max((on_date - target.period_start).days + 1, 0), days_total)
    if on_date < target.period_start:
        status = TargetStatus.UPCOMING
    elif on_date >= target.period_end:
        status = TargetStatus.FINISHED
    else:
        status = TargetStatus.RUNNING
    expected = expected_percent = None
    if status == TargetStatus.RUNNING:
        expected = (target.goal * days_elapsed / days_total).quantize(VOLUME, rounding=ROUND_HALF_UP)
        expected_percent = _percent(Decimal(days_elapsed), Decimal(days_total))
    return TargetProgress(
        target=target,
        achieved=achieved,
        percent=_percent(achieved, target.goal),
        status=status,
        days_total=days_total,
        days_elapsed=days_elapsed,
        expected=expected,
        expected_percent=expected_percent,
    )


# --- writes ---------------------------------------------------------------------------------------


def target_create(
    *,
    company: Company,
    actor: AbstractBaseUser,
    period_start: date,
    period_end: date,
    metric: str,
    goal: Decimal,
    channel: SalesChannel | None = None,
    organisation: Organisation | None = None,
    agent: Agent | None = None,
    commodity: str = "",
    product: Product | None = None,
) -> SalesTarget:
    """A sales plan for exactly one holder (channel, organisation or agent) of the company.

    Raises PermissionDenied, ValidationFailed."""
    if not actor.is_authenticated or MANAGE_CHANNELS not in permissions_in_company(
        user=actor, company=company
    ):
        raise PermissionDenied(
            _("Only channel managers set targets in %(company)s.") % {"company": company.name}, field="actor"
        )
    holders = [holder for holder in (channel, organisation, agent) if holder is not None]
    if len(holders) != 1:
        raise ValidationFailed.single(
            "holder",
            _("Set the target for one sales channel, one organisation or one agent."),
            code="required",
        )
    holder = holders[0]
    holder_company = holder.organisation.company_id if isinstance(holder, Agent) else holder.company_id
    if holder_company != company.pk:
        raise ValidationFailed.single("holder", _("Not found in this company."), code="not_found")
    if period_end <= period_start:
        raise ValidationFailed.single("period_end", _("The period must end after it starts."))
    if metric not in TargetMetric.values:
        raise ValidationFailed.single("metric", _("Choose what is counted."))
    if goal is None or Decimal(goal) <= 0:
        raise ValidationFailed.single("goal", _("The goal must be more than zero."))
    if metric == TargetMetric.SUPPLY_POINTS and Decimal(goal) != Decimal(goal).to_integral_value():
        raise ValidationFailed.single("goal", _("A number of supply points is a whole number."))
    if commodity and commodity not in Commodity.values:
        raise ValidationFailed.single("commodity", _("Unknown commodity."))
    if product is not None:
        if product.company_id != company.pk:
            raise ValidationFailed.single("product", _("Product not found."), code="not_found")
        if commodity and product.commodity and product.commodity != commodity:
            raise ValidationFailed.single("product", _("The product is for another commodity."))
    return SalesTarget.objects.create(
        company=company,
        channel=channel,
        organisation=organisation,
        agent=agent,
        period_start=period_start,
        period_end=period_end,
        metric=metric,
        commodity=commodity,
        product=product,
        goal=Decimal(goal),
    )
