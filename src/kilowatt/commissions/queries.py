"""Reads of commissions: the scheme that pays a contract, entries and statements as the back office and a
partner user may see them, and the figures of the portal's home panel.

Every partner read goes through a ``PartnerScope``: a plain agent sees only entries they are the
beneficiary of; a manager every entry of the organisations in the scope (the own parts included);
statements only of the organisations in the scope."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from kilowatt.channels.models import Organisation
from kilowatt.channels.queries import PartnerScope
from kilowatt.commissions.models import (
    CommissionEntry,
    CommissionPayout,
    CommissionScheme,
    CommissionStage,
    CommissionStatement,
    EntryKind,
    SchemeAssignment,
    StatementLine,
    StatementStatus,
)
from kilowatt.core.models import Company
from kilowatt.core.money import ZERO, money_round
from kilowatt.core.periods import month_start
from kilowatt.sales.models import Contract, ContractStatus


def _money(value) -> Decimal:
    """An aggregated amount as exact grosze (SQLite may hand sums back with float noise)."""
    return money_round(Decimal(str(value))) if value is not None else ZERO


def _ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def scheme_for_contract(*, contract: Contract, on_date: date) -> CommissionScheme | None:
    """The scheme paying a contract on a day: the assignment valid then for the contract's organisation,
    else for the nearest organisation above it, else for its sales channel; the scheme itself must be
    valid that day too. A contract without an organisation earns no commission (None)."""
    organisation = contract.organisation
    if organisation is None:
        return None
    chain = _ancestor_ids(organisation.path) or [organisation.pk]
    valid = (
        SchemeAssignment.objects.filter(company_id=contract.company_id, valid_from__lte=on_date)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on_date))
        .filter(scheme__company_id=contract.company_id, scheme__valid_from__lte=on_date)
        .filter(Q(scheme__valid_to__isnull=True) | Q(scheme__valid_to__gt=on_date))
        .filter(
            Q(organisation_id__in=chain) | Q(organisation__isnull=True, channel_id=organisation.channel_id)
        )
        .select_related("scheme")
        .order_by("-valid_from", "-id")
    )
    assignments = list(valid)
    for organisation_id in reversed(chain):  # nearest first
        for assignment in assignments:
            if assignment.organisation_id == organisation_id:
                return assignment.scheme
    for assignment in assignments:
        if assignment.organisation_id is None:
            return assignment.scheme
    return None


def entries_of_contract(*, contract: Contract) -> QuerySet[CommissionEntry]:
    return CommissionEntry.objects.filter(contract=contract).order_by("occurred_on", "id")


def entries_total(*, entries: QuerySet[CommissionEntry]) -> Decimal:
    """The sum of these entries' amounts (clawbacks are negative)."""
    return _money(entries.aggregate(total=Sum("amount"))["total"])


def period_total(*, company: Company, period_start: date, period_end: date) -> Decimal:
    """Commission of a company over ``[period_start, period_end)``: the sum of its entries then."""
    return entries_total(
        entries=CommissionEntry.objects.filter(
            company=company, occurred_on__gte=period_start, occurred_on__lt=period_end
        )
    )


# --- partner portal -----------------------------------------------------------------------------------


def entries_in_scope(*, scope: PartnerScope, month: date | None = None) -> QuerySet[CommissionEntry]:
    """Entries a partner user may see, newest first; ``month`` (any day of it) narrows to that month."""
    entries = CommissionEntry.objects.filter(company_id=scope.company_id).filter(scope.records())
    if month is not None:
        start = month_start(month)
        entries = entries.filter(occurred_on__gte=start, occurred_on__lt=month_start(start, offset=1))
    return entries.select_related("contract", "supply_point", "agent", "organisation").order_by(
        "-occurred_on", "-id"
    )


@dataclass(frozen=True)
class EntryTotals:
    accrued: Decimal
    clawed_back: Decimal
    total: Decimal
    count: int


def entry_totals(*, entries: QuerySet[CommissionEntry]) -> EntryTotals:
    """Accrued, clawed back and net amounts of these entries, in one query."""
    sums = entries.order_by().aggregate(
        accrued=Sum("amount", filter=Q(kind=EntryKind.ACCRUAL)),
        clawed_back=Sum("amount", filter=Q(kind=EntryKind.CLAWBACK)),
        count=Count("id"),
    )
    accrued, clawed_back = _money(sums["accrued"]), _money(sums["clawed_back"])
    return EntryTotals(accrued, clawed_back, accrued + clawed_back, sums["count"] or 0)


def statements_in_scope(*, scope: PartnerScope) -> QuerySet[CommissionStatement]:
    return CommissionStatement.objects.filter(
        company_id=scope.company_id, organisation_id__in=scope.organisation_ids
    ).select_related("organisation", "accepted_by")


def statement_in_scope(*, scope: PartnerScope, statement_id: int) -> CommissionStatement | None:
    return statements_in_scope(scope=scope).filter(pk=statement_id).first()


def agent_subtotals(*, scope: PartnerScope, statement_ids: list[int]) -> dict[int, Decimal]:
    """A plain agent's own part of each of these statements (for their list of statements)."""
    if scope.agent_user_id is None or not statement_ids:
        return {}
    rows = (
        StatementLine.objects.filter(statement_id__in=statement_ids, entry__agent_id=scope.agent_user_id)
        .values("statement_id")
        .annotate(total=Sum("entry__amount"))
    )
    return {row["statement_id"]: _money(row["total"]) for row in rows}


@dataclass(frozen=True)
class PendingStages:
    count: int
    expected: Decimal


def pending_stages(*, scope: PartnerScope) -> PendingStages:
    """Payout stages not released yet of the points whose commission has started to accrue in the scope
    (none clawed back, contract not ended), and what they are expected to bring to the scope's
    beneficiaries: the released amount per share point times the share still to come."""
    released = (
        CommissionEntry.objects.filter(company_id=scope.company_id)
        .filter(scope.records())
        .filter(kind=EntryKind.ACCRUAL, stage__isnull=False)
        .exclude(contract__status__in=[ContractStatus.TERMINATED, ContractStatus.WITHDRAWN])
        .values("contract_id", "supply_point_id", "scheme_id", "stage_id", "stage__share")
        .annotate(amount=Sum("amount"), reversed=Count("reversed_by"))
        .order_by()
    )
    points: dict[tuple[int, int | None, int], dict] = {}
    clawed: set[tuple[int, int | None, int]] = set()
    for row in released:
        key = (row["contract_id"], row["supply_point_id"], row["scheme_id"])
        if row["reversed"]:
            clawed.add(key)
        point = points.setdefault(key, {"stages": set(), "share": ZERO, "amount": ZERO})
        if row["stage_id"] not in point["stages"]:
            point["stages"].add(row["stage_id"])
            point["share"] += row["stage__share"]
        point["amount"] += _money(row["amount"])
    scheme_stages: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for stage_id, scheme_id, share in CommissionStage.objects.filter(
        scheme_id__in={key[2] for key in points}
    ).values_list("id", "scheme_id", "share"):
        scheme_stages[scheme_id].append((stage_id, share))
    count, expected = 0, ZERO
    for point_key, point in points.items():
        if point_key in clawed or not point["share"]:
            continue
        for stage_id, share in scheme_stages[point_key[2]]:
            if stage_id in point["stages"]:
                continue
            count += 1
            expected += money_round(point["amount"] * share / point["share"])
    return PendingStages(count, expected)


# --- back office -----------------------------------------------------------------------------------


def statements_of_month(*, company: Company, month: date) -> QuerySet[CommissionStatement]:
    return CommissionStatement.objects.filter(
        company=company, period_start=month_start(month)
    ).select_related("organisation", "accepted_by")


def statement_of_company(*, company: Company, statement_id: int) -> CommissionStatement | None:
    return (
        CommissionStatement.objects.filter(company=company, pk=statement_id)
        .select_related("organisation", "accepted_by", "company")
        .first()
    )


def statement_lines(
    *, statement: CommissionStatement, agent_user_id: int | None = None
) -> QuerySet[StatementLine]:
    """The lines of a statement by beneficiary (agents by name, the own part last), then by date;
    ``agent_user_id`` keeps only that agent's lines (a plain agent's extract)."""
    lines = StatementLine.objects.filter(statement=statement).select_related(
        "entry__contract", "entry__supply_point", "entry__agent", "entry__stage"
    )
    if agent_user_id is not None:
        lines = lines.filter(entry__agent_id=agent_user_id)
    return lines.order_by(
        "entry__agent__last_name",
        "entry__agent__first_name",
        "entry__agent_id",
        "entry__occurred_on",
        "entry__id",
    )


@dataclass(frozen=True)
class UnsettledRow:
    organisation_id: int
    organisation_name: str
    entries: int
    total: Decimal


def unsettled_until(*, company: Company, period_end: date) -> list[UnsettledRow]:
    """Entries before ``period_end`` on no statement yet, per organisation: what settling would take."""
    rows = (
        CommissionEntry.objects.filter(
            company=company,
            occurred_on__lt=period_end,
            statement_line__isnull=True,
            organisation__isnull=False,
        )
        .values("organisation_id", "organisation__name", "organisation__path")
        .annotate(entries=Count("id"), total=Sum("amount"))
        .order_by("organisation__path")
    )
    return [
        UnsettledRow(row["organisation_id"], row["organisation__name"], row["entries"], _money(row["total"]))
        for row in rows
    ]


def statements_awaiting_payout(
    *, company: Company, month: date | None = None
) -> QuerySet[CommissionStatement]:
    """Accepted statements not exported for payout yet, of ``month`` and every month before it (of every
    month when None), those with a total of zero or less included: a payout nets them per organisation.
    A statement owing money back (negative) is netted whether or not the organisation accepted it, so
    leaving it unaccepted never escapes the recovery."""
    statements = (
        CommissionStatement.objects.filter(company=company)
        .filter(Q(status=StatementStatus.ACCEPTED) | Q(status=StatementStatus.ISSUED, total__lt=0))
        .select_related("organisation")
    )
    if month is not None:
        statements = statements.filter(period_start__lte=month_start(month))
    return statements.order_by("organisation__path", "period_start", "id")


@dataclass(frozen=True)
class PayoutRow:
    """One payee's line of the payout file: the net of its statements (``number`` lists them)."""

    statements: tuple[CommissionStatement, ...]
    organisation: str
    nip: str
    iban: str
    number: str
    amount: Decimal


@dataclass(frozen=True)
class PayoutBatch:
    """The rows exported for payout now; the organisations left out for want of a bank account; and those
    whose statements net to zero or less, carried to the next payout (both stay accepted)."""

    rows: list[PayoutRow]
    missing_account: list[PayoutBalance]
    carried: list[PayoutBalance] = field(default_factory=list)
    payout: CommissionPayout | None = None

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)


@dataclass(frozen=True)
class PayoutBalance:
    """An organisation's accepted statements not paid out yet, netted: a positive total is paid out in one
    row, a total of zero or less (a clawback larger than later commission) is carried to the next payout."""

    organisation: Organisation
    statements: tuple[CommissionStatement, ...]

    @property
    def total(self) -> Decimal:
        return sum((statement.total for statement in self.statements), ZERO)

    @property
    def numbers(self) -> str:
        return ", ".join(statement.number for statement in self.statements)

    @property
    def payable(self) -> bool:
        return self.total > 0


def payout_balances(*, statements: Iterable[CommissionStatement]) -> list[PayoutBalance]:
    """These statements (``statements_awaiting_payout``) per organisation, in the order given."""
    grouped: dict[int, list[CommissionStatement]] = {}
    for statement in statements:
        grouped.setdefault(statement.organisation_id, []).append(statement)
    return [PayoutBalance(group[0].organisation, tuple(group)) for group in grouped.values()]


def payouts_of_company(*, company: Company, limit: int = 12) -> QuerySet[CommissionPayout]:
    """The latest exports for payout, without their files."""
    return (
        CommissionPayout.objects.filter(company=company)
        .select_related("created_by")
        .defer("content")
        .annotate(statement_count=Count("statements"))[:limit]
    )
