"""Writes of commissions: entries accrued (and clawed back) from other modules' events, monthly statements
per organisation, their acceptance by the organisation, and the export for payout.

Accrual, in short (docs: the scheme is data, see ``models.py``):

- The scheme of a contract is the one its first entry was accrued under; for a contract with no entry
  yet, the one ``scheme_for_contract`` finds on the event's day. A contract without an organisation or
  a scheme earns nothing.
- Staged bases (per point, per MWh contracted) accrue per supply point of the contract: base 1 point or
  the point's yearly consumption in MWh, times the most specific matching rate, times the stage's
  share, rounded to grosz half up; then split among the beneficiaries so the pieces sum exactly to that
  amount (largest remainder). Beneficiaries: the opportunity's participants by their shares (else the
  contract's agent) share ``business_share`` per cent; the rest is the organisation's own part
  (an entry without an agent). Only an active agent of an organisation in the contract's
  organisation tree (the same top organisation) is paid; the share of anyone else is the own part.
- Billed bases (per MWh billed, per cent of the net billed) accrue on each paid invoice of the
  contract; stages do not apply to them, nor clawback (the invoice was paid).
- An invoice is paid when money the customer paid settled it (finance publishes
  ``finance.invoice.paid-v1`` only then, never for one cancelled by a correction or written off).
- A stage is released by its event: the signature, the start of supply of that point, or the
  contract's N-th paid invoice (counted from the ledger, so the count is right whatever order the
  events come in: a bill counts when settled in full, in part by a payment or a transfer, and not
  written off). A stage is released once per point: its entries exist, or it is not released again.
- Clawback: a withdrawal, a termination ending supply within ``clawback_months`` of the point's start
  of supply (of the signature when supply never started), or the point's switch case cancelled within
  that period of the signature reverses every staged entry of the point not reversed yet; afterwards
  no stage of that point accrues. A DSO's rejection alone claws back nothing: the case can be corrected
  and submitted again.

Payout: the accepted statements of an organisation not paid out yet are netted at each payout,
negative ones (clawbacks) included; a net of zero or less is carried to the next payout, so a clawback
larger than a month's commission is recovered from later months.

Each entry carries a ``key`` unique in the company naming what it comes from, and a clawback points at
the entry it reverses (one-to-one): an event delivered twice, or a second event meaning the same thing,
creates nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from kilowatt.billing.models import Invoice, InvoiceKind
from kilowatt.channels.models import Agent, Organisation
from kilowatt.commissions.models import (
    BILLED_BASES,
    CommissionBasis,
    CommissionEntry,
    CommissionRate,
    CommissionScheme,
    CommissionStage,
    CommissionStatement,
    EntryKind,
    StageTrigger,
    StatementLine,
    StatementStatus,
)
from kilowatt.commissions.queries import (
    PayoutBalance,
    payout_balances,
    scheme_for_contract,
    statements_awaiting_payout,
)
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.models import AuditEntry, Company
from kilowatt.core.money import ENERGY_QUANTUM, GROSZ, HALF_GROSZ, ZERO, money_round
from kilowatt.core.numbering import number_series_next
from kilowatt.core.operations import audit_record
from kilowatt.core.periods import month_start
from kilowatt.finance.models import LedgerEntry, LedgerEntryKind
from kilowatt.network.models import SupplyPoint
from kilowatt.sales.models import (
    Contract,
    ContractCession,
    ContractStatus,
    ContractTermination,
    OpportunityParticipant,
)
from kilowatt.switching.models import CaseStatus, SwitchCase

HUNDRED = Decimal(100)
STATEMENT_SERIES = "commission_statement"
# Invoices that count as "paid invoices" of a contract (a note or a correction is not a bill).
BILLS = (InvoiceKind.PERIODIC, InvoiceKind.FORECAST, InvoiceKind.SETTLEMENT)
# Credits that are money the customer paid (a correction or a write-off cancels a debt, it does not pay it).
MONEY_PAID = (LedgerEntryKind.PAYMENT, LedgerEntryKind.TRANSFER)


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


# --- accrual ---------------------------------------------------------------------------------------


def _contract_locked(contract_id: int) -> Contract | None:
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("organisation", "customer", "product")
        .filter(pk=contract_id)
        .first()
    )


def _scheme_of(contract: Contract, on_date: date) -> CommissionScheme | None:
    """The scheme the contract's first entry was accrued under, else the one valid on ``on_date``."""
    first = (
        CommissionEntry.objects.filter(contract=contract, kind=EntryKind.ACCRUAL)
        .order_by("id")
        .values_list("scheme_id", flat=True)
        .first()
    )
    if first is not None:
        return CommissionScheme.objects.get(pk=first)
    return scheme_for_contract(contract=contract, on_date=on_date)


def _points_of(contract: Contract) -> list[SupplyPoint]:
    return [
        link.supply_point
        for link in contract.supply_point_links.select_related("supply_point").order_by("supply_point_id")
    ]


def _context(contract: Contract, point: SupplyPoint | None, points: Sequence[SupplyPoint]) -> RateContext:
    commodity = point.commodity if point is not None else (contract.product.commodity or "")
    annual = (
        point.annual_consumption_kwh
        if point is not None
        else sum((p.annual_consumption_kwh or ZERO for p in points), ZERO)
    )
    return RateContext(contract.product_id, commodity, contract.customer.kind, annual or ZERO)


def _supply_started_on(contract: Contract, point_id: int) -> date | None:
    return (
        SwitchCase.objects.filter(contract=contract, supply_point_id=point_id, status=CaseStatus.COMPLETED)
        .order_by("-start_date")
        .values_list("start_date", flat=True)
        .first()
    )


def _window_end(contract: Contract, point_id: int, scheme: CommissionScheme, fallback: date) -> date:
    """The end of the clawback period of a point: ``clawback_months`` after its start of supply, or
    after the signature when supply never started."""
    anchor = _supply_started_on(contract, point_id) or contract.signed_on or fallback
    return anchor + relativedelta(months=scheme.clawback_months)


def _end_of_supply(contract: Contract) -> date | None:
    """The day a terminated contract's supply ends (its termination's, else the contract's end)."""
    if contract.status != ContractStatus.TERMINATED:
        return None
    termination = ContractTermination.objects.filter(contract=contract).first()
    return termination.effective_on if termination is not None else contract.end_date


def _stages_closed(contract: Contract, point_id: int, scheme: CommissionScheme, on_date: date) -> bool:
    """No stage of this point accrues any more: clawed back, withdrawn, or ended within the period."""
    if contract.status == ContractStatus.WITHDRAWN:
        return True
    if CommissionEntry.objects.filter(
        contract=contract, supply_point_id=point_id, kind=EntryKind.CLAWBACK
    ).exists():
        return True
    ended = _end_of_supply(contract)
    return ended is not None and ended < _window_end(contract, point_id, scheme, on_date)


def _entries_for(
    *,
    contract: Contract,
    scheme: CommissionScheme,
    beneficiaries: list[Beneficiary],
    amount: Decimal,
    key: str,
    base: Decimal,
    rate: Decimal,
    description: str,
    occurred_on: date,
    now: datetime,
    point: SupplyPoint | None = None,
    stage: CommissionStage | None = None,
    invoice: Invoice | None = None,
) -> list[CommissionEntry]:
    if amount == 0 or not beneficiaries:
        return []
    pieces = amount_split(amount=amount, weights=[b.weight for b in beneficiaries])
    return [
        CommissionEntry(
            company_id=contract.company_id,
            scheme=scheme,
            kind=EntryKind.ACCRUAL,
            key=f"{key}:{beneficiary.key}",
            contract=contract,
            supply_point=point,
            invoice=invoice,
            stage=stage,
            organisation_id=contract.organisation_id,
            agent_id=beneficiary.agent_id,
            base=base,
            rate=rate,
            amount=piece,
            description=description[:200],
            occurred_on=occurred_on,
            created_at=now,
        )
        for beneficiary, piece in zip(beneficiaries, pieces, strict=True)
        if piece != 0
    ]


def _plain(value: Decimal) -> str:
    """A percentage or rate without trailing zeros, never in exponent form: 30.00 → "30"."""
    return format(value.normalize(), "f")


def _stage_label(stage: CommissionStage) -> str:
    if stage.trigger == StageTrigger.INVOICES_PAID:
        return _("%(count)s paid invoices") % {"count": stage.paid_invoices}
    return str(StageTrigger(stage.trigger).label)


def _stages_release(
    *,
    contract: Contract,
    scheme: CommissionScheme,
    stages: Sequence[CommissionStage],
    points: Sequence[SupplyPoint],
    occurred_on: date,
    now: datetime,
) -> list[CommissionEntry]:
    """Entries of these stages for these points, each (point, stage) once."""
    if not stages or not points or scheme.basis in BILLED_BASES:
        return []
    released = set(
        CommissionEntry.objects.filter(contract=contract, kind=EntryKind.ACCRUAL, stage__isnull=False)
        .values_list("supply_point_id", "stage_id")
        .distinct()
    )
    rates = list(scheme.rates.all())
    beneficiaries = beneficiaries_of(contract=contract, scheme=scheme)
    all_points = _points_of(contract)
    entries: list[CommissionEntry] = []
    for point in points:
        todo = [stage for stage in stages if (point.pk, stage.pk) not in released]
        if not todo or _stages_closed(contract, point.pk, scheme, occurred_on):
            continue
        rate = rate_for(rates=rates, context=_context(contract, point, all_points))
        if rate is None:
            continue
        if scheme.basis == CommissionBasis.PER_POINT:
            base = Decimal("1.000")
        else:
            base = ((point.annual_consumption_kwh or ZERO) / 1000).quantize(ENERGY_QUANTUM)
        for stage in todo:
            amount = money_round(base * rate.rate * stage.share / HUNDRED)
            entries += _entries_for(
                contract=contract,
                scheme=scheme,
                beneficiaries=beneficiaries,
                amount=amount,
                key=f"stage:{contract.pk}:{point.pk}:{stage.pk}",
                base=base,
                rate=rate.rate,
                description=_("%(stage)s: %(share)s %% of the commission")
                % {"stage": _stage_label(stage), "share": _plain(stage.share)},
                occurred_on=occurred_on,
                now=now,
                point=point,
                stage=stage,
            )
    return CommissionEntry.objects.bulk_create(entries)


@transaction.atomic
def commission_on_signature(*, contract_id: int, on_date: date, now: datetime) -> list[CommissionEntry]:
    """``sales.contract.signed-v1``: the signature's stages of every point of the contract."""
    contract = _contract_locked(contract_id)
    if contract is None or contract.organisation_id is None:
        return []
    scheme = _scheme_of(contract, on_date)
    if scheme is None:
        return []
    stages = list(scheme.stages.filter(trigger=StageTrigger.SIGNED))
    return _stages_release(
        contract=contract,
        scheme=scheme,
        stages=stages,
        points=_points_of(contract),
        occurred_on=on_date,
        now=now,
    )


@transaction.atomic
def commission_on_supply_start(
    *, contract_id: int, supply_point_id: int, start_date: date, now: datetime
) -> list[CommissionEntry]:
    """``switching.supply.started-v1``: the start-of-supply stages of that point."""
    contract = _contract_locked(contract_id)
    if contract is None or contract.organisation_id is None:
        return []
    scheme = _scheme_of(contract, start_date)
    if scheme is None:
        return []
    points = [p for p in _points_of(contract) if p.pk == supply_point_id]
    stages = list(scheme.stages.filter(trigger=StageTrigger.SUPPLY_STARTED))
    return _stages_release(
        contract=contract, scheme=scheme, stages=stages, points=points, occurred_on=start_date, now=now
    )


def paid_invoice_count(*, contract: Contract) -> int:
    """How many bills of the contract are paid now, from the ledger: settled in full, in part with money
    the customer paid (a payment, or credit moved from another account) and with no standing write-off.
    A bill cancelled by a correction or given up by a write-off is not paid."""
    bills = Invoice.objects.filter(contract=contract, kind__in=BILLS).values("pk")
    return (
        LedgerEntry.objects.filter(
            company_id=contract.company_id,
            kind=LedgerEntryKind.INVOICE,
            document_type="invoice",
            document_id__in=bills,
            amount__gt=0,
        )
        .annotate(
            settled=Sum("allocations_received__amount"),
            paid=Sum(
                "allocations_received__amount", filter=Q(allocations_received__credit__kind__in=MONEY_PAID)
            ),
            written_off=Sum(
                "allocations_received__amount",
                filter=Q(allocations_received__credit__kind=LedgerEntryKind.WRITE_OFF),
            ),
        )
        .filter(settled__gte=F("amount") - HALF_GROSZ, paid__gt=HALF_GROSZ)
        .filter(Q(written_off__isnull=True) | Q(written_off__lt=HALF_GROSZ))
        .count()
    )


@transaction.atomic
def commission_on_invoice_paid(*, invoice_id: int, paid_on: date, now: datetime) -> list[CommissionEntry]:
    """``finance.invoice.paid-v1``: a billed scheme's commission on this invoice, or a staged scheme's
    "N paid invoices" stages once the contract has that many bills paid."""
    invoice = Invoice.objects.filter(pk=invoice_id).values("contract_id").first()
    if invoice is None:
        return []
    contract = _contract_locked(invoice["contract_id"])
    if contract is None or contract.organisation_id is None:
        return []
    scheme = _scheme_of(contract, paid_on)
    if scheme is None:
        return []
    if scheme.basis in BILLED_BASES:
        return _billed_accrue(
            contract=contract,
            scheme=scheme,
            invoice=Invoice.objects.get(pk=invoice_id),
            paid_on=paid_on,
            now=now,
        )
    paid = paid_invoice_count(contract=contract)
    stages = list(scheme.stages.filter(trigger=StageTrigger.INVOICES_PAID, paid_invoices__lte=paid))
    return _stages_release(
        contract=contract,
        scheme=scheme,
        stages=stages,
        points=_points_of(contract),
        occurred_on=paid_on,
        now=now,
    )


def _billed_accrue(
    *, contract: Contract, scheme: CommissionScheme, invoice: Invoice, paid_on: date, now: datetime
) -> list[CommissionEntry]:
    if invoice.kind not in BILLS or CommissionEntry.objects.filter(invoice=invoice).exists():
        return []
    points = _points_of(contract)
    point = next((p for p in points if p.pk == invoice.supply_point_id), None)
    rate = rate_for(rates=scheme.rates.all(), context=_context(contract, point, points))
    if rate is None:
        return []
    if scheme.basis == CommissionBasis.PER_MWH_BILLED:
        base = (invoice.consumption_kwh / 1000).quantize(ENERGY_QUANTUM)
        amount = money_round(base * rate.rate)
        what = _("%(mwh)s MWh billed") % {"mwh": base}
    else:
        base = invoice.net
        amount = money_round(base * rate.rate / HUNDRED)
        what = _("%(rate)s %% of %(net)s PLN net") % {"rate": _plain(rate.rate), "net": base}
    entries = _entries_for(
        contract=contract,
        scheme=scheme,
        beneficiaries=beneficiaries_of(contract=contract, scheme=scheme),
        amount=amount,
        key=f"invoice:{invoice.pk}",
        base=base,
        rate=rate.rate,
        description=_("Invoice %(invoice)s paid: %(what)s") % {"invoice": invoice.number, "what": what},
        occurred_on=paid_on,
        now=now,
        point=point,
        invoice=invoice,
    )
    return CommissionEntry.objects.bulk_create(entries)


# --- clawback --------------------------------------------------------------------------------------


def _clawback(
    *, contract: Contract, point_ids: Iterable[int], reason: str, occurred_on: date, now: datetime
) -> list[CommissionEntry]:
    """Reverse every staged entry of these points not reversed yet."""
    accrued = CommissionEntry.objects.filter(
        contract=contract,
        supply_point_id__in=list(point_ids),
        kind=EntryKind.ACCRUAL,
        stage__isnull=False,
        reversed_by__isnull=True,
    ).order_by("id")
    reversals = [
        CommissionEntry(
            company_id=entry.company_id,
            scheme_id=entry.scheme_id,
            kind=EntryKind.CLAWBACK,
            key=f"clawback:{entry.pk}",
            contract=contract,
            supply_point_id=entry.supply_point_id,
            stage_id=entry.stage_id,
            organisation_id=entry.organisation_id,
            agent_id=entry.agent_id,
            base=entry.base,
            rate=entry.rate,
            amount=-entry.amount,
            description=(
                _("Clawed back (%(reason)s): %(entry)s") % {"reason": reason, "entry": entry.description}
            )[:200],
            occurred_on=occurred_on,
            reverses=entry,
            created_at=now,
        )
        for entry in accrued
    ]
    return CommissionEntry.objects.bulk_create(reversals)


@transaction.atomic
def commission_clawback_on_end(
    *, contract_id: int, on_date: date, ends_on: date | None, withdrawn: bool = False, now: datetime
) -> list[CommissionEntry]:
    """``sales.contract.terminated-v1`` (supply ending on ``ends_on``) or ``sales.contract.withdrawn-v1``:
    the staged commission of each point whose supply ends within its clawback period is reversed."""
    contract = _contract_locked(contract_id)
    if contract is None:
        return []
    scheme = _scheme_of(contract, on_date)
    if scheme is None or scheme.basis in BILLED_BASES:
        return []
    ends_on = ends_on or contract.end_date or on_date
    reason = _("contract withdrawn") if withdrawn else _("contract terminated early")
    point_ids = [
        point.pk
        for point in _points_of(contract)
        if withdrawn or ends_on < _window_end(contract, point.pk, scheme, on_date)
    ]
    return _clawback(contract=contract, point_ids=point_ids, reason=reason, occurred_on=on_date, now=now)


@transaction.atomic
def commission_clawback_on_switch_cancelled(
    *, case_id: int, on_date: date, now: datetime
) -> list[CommissionEntry]:
    """``switching.case.cancelled-v1``: the switch of a point finally failed (a rejection can be corrected
    and submitted again, a cancellation is the end of that case), so the point's staged commission is
    reversed when that happened within the clawback period counted from the signature. A case cancelled
    because the contract ended (terminated or ceded) is left to the contract's end: its own rule decides."""
    case = SwitchCase.objects.filter(pk=case_id).values("contract_id", "supply_point_id").first()
    if case is None:
        return []
    contract = _contract_locked(case["contract_id"])
    if contract is None:
        return []
    if contract.status in (ContractStatus.TERMINATED, ContractStatus.ENDED) or (
        ContractCession.objects.filter(contract=contract).exists()
    ):
        return []
    scheme = _scheme_of(contract, on_date)
    if scheme is None or scheme.basis in BILLED_BASES:
        return []
    anchor = contract.signed_on or on_date
    if on_date >= anchor + relativedelta(months=scheme.clawback_months):
        return []
    return _clawback(
        contract=contract,
        point_ids=[case["supply_point_id"]],
        reason=_("the switch was cancelled"),
        occurred_on=on_date,
        now=now,
    )


# --- statements ------------------------------------------------------------------------------------


class MonthNotEnded(ValidationFailed):
    code = "month_not_ended"


class StatementNotOpen(DomainError):
    code = "statement_not_open"


class NothingToPayOut(DomainError):
    code = "nothing_to_pay_out"


@transaction.atomic
def month_settle(*, company: Company, month: date, on_date: date, now: datetime) -> list[CommissionStatement]:
    """Settle a month: a statement per organisation with every entry up to the month's end not settled
    before, numbered from the gap-free series. An organisation already settled for the month keeps its
    statement unchanged (later entries go on the next month's); settling again creates nothing new.
    A month that has not ended by ``on_date`` is refused (MonthNotEnded). Returns the month's statements."""
    period_start = month_start(month)
    period_end = month_start(period_start, offset=1)
    if period_end > on_date:
        raise MonthNotEnded.single(
            "month",
            _("%(month)s has not ended yet: settle it from %(day)s.")
            % {"month": period_start.strftime("%Y-%m"), "day": period_end.isoformat()},
            code="month_not_ended",
        )
    Company.objects.select_for_update().filter(pk=company.pk).first()  # one settlement at a time
    settled = set(
        CommissionStatement.objects.filter(company=company, period_start=period_start).values_list(
            "organisation_id", flat=True
        )
    )
    pending = (
        CommissionEntry.objects.filter(
            company=company,
            occurred_on__lt=period_end,
            statement_line__isnull=True,
            organisation__isnull=False,
        )
        .exclude(organisation_id__in=settled)
        .select_related("organisation")
        .order_by("organisation__path", "id")
    )
    by_organisation: dict[int, list[CommissionEntry]] = {}
    for entry in pending:
        by_organisation.setdefault(entry.organisation_id, []).append(entry)
    for entries in by_organisation.values():
        business = sum((e.amount for e in entries if e.agent_id is not None), ZERO)
        own = sum((e.amount for e in entries if e.agent_id is None), ZERO)
        statement = CommissionStatement.objects.create(
            company=company,
            organisation=entries[0].organisation,
            number=number_series_next(
                company=company, document_type=STATEMENT_SERIES, year=period_start.year
            ),
            period_start=period_start,
            period_end=period_end,
            business_total=business,
            own_total=own,
            total=business + own,
            status=StatementStatus.ISSUED,
            issued_at=now,
        )
        StatementLine.objects.bulk_create(StatementLine(statement=statement, entry=e) for e in entries)
    return list(
        CommissionStatement.objects.filter(company=company, period_start=period_start)
        .select_related("organisation")
        .order_by("organisation__path")
    )


@transaction.atomic
def statement_accept(
    *, statement: CommissionStatement, actor: AbstractBaseUser, now: datetime
) -> CommissionStatement:
    """The organisation accepts its statement (the interface checks the user may: a manager of it).
    Raises StatementNotOpen when it was accepted (or paid out) before."""
    statement = CommissionStatement.objects.select_for_update().select_related("company").get(pk=statement.pk)
    if statement.status != StatementStatus.ISSUED:
        raise StatementNotOpen(
            _("Statement %(number)s was already accepted.") % {"number": statement.number},
            field="status",
        )
    statement.status = StatementStatus.ACCEPTED
    statement.accepted_at = now
    statement.accepted_by = actor
    statement.save(update_fields=["status", "accepted_at", "accepted_by"])
    audit_record(
        company=statement.company,
        instance=statement,
        action=AuditEntry.Action.UPDATED,
        before={"status": StatementStatus.ISSUED},
        after={"status": StatementStatus.ACCEPTED},
        actor=actor,
        at=now,
    )
    return statement


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

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)


def _payout_details(organisation: Organisation, holders: dict[int, Organisation]) -> tuple[str, str]:
    """NIP and IBAN of the organisation, else of the nearest organisation above it that has them."""
    chain = [int(part) for part in organisation.path.strip("/").split("/") if part]
    nip = iban = ""
    for organisation_id in reversed(chain):
        holder = holders.get(organisation_id)
        if holder is None:
            continue
        nip = nip or holder.nip
        iban = iban or holder.bank_account.replace(" ", "").upper()
    return nip, iban


def balances_text(balances: Iterable[PayoutBalance]) -> str:
    """``Partner alpha: -30.54 PLN (RP/000003/2026, RP/000004/2026)``, one after another."""
    return "; ".join(
        _("%(organisation)s: %(total)s PLN (%(numbers)s)")
        % {"organisation": b.organisation.name, "total": b.total, "numbers": b.numbers}
        for b in balances
    )


@transaction.atomic
def payout_export(
    *, company: Company, month: date | None, actor: AbstractBaseUser | None, now: datetime
) -> PayoutBatch:
    """The payout of ``month`` (every month when None): per organisation, every accepted statement not
    paid out yet of that month and the months before, those with a negative total included, is netted.
    A positive net is one row of the batch (its statements listed) and all those statements become paid
    out, each in one payout only; a net of zero or less pays nothing and leaves them accepted, carried to
    the next payout (``carried``): a clawback larger than a month's commission is recovered from later
    months. An organisation without a bank account (its own or above it) stays accepted as well
    (``missing_account``). Raises NothingToPayOut when there is no row to export."""
    statements = list(
        statements_awaiting_payout(company=company, month=month).select_for_update(of=("self",))
    )
    balances = payout_balances(statements=statements)
    ids = {int(part) for b in balances for part in b.organisation.path.strip("/").split("/") if part}
    holders = {o.pk: o for o in Organisation.objects.filter(pk__in=ids)}
    rows: list[PayoutRow] = []
    missing: list[PayoutBalance] = []
    carried: list[PayoutBalance] = []
    for balance in balances:
        if not balance.payable:
            carried.append(balance)
            continue
        nip, iban = _payout_details(balance.organisation, holders)
        if not iban:
            missing.append(balance)
            continue
        rows.append(
            PayoutRow(
                balance.statements, balance.organisation.name, nip, iban, balance.numbers, balance.total
            )
        )
    if not rows:
        if missing:
            message = _("No organisation owed a payout has a bank account: %(balances)s.") % {
                "balances": balances_text(missing)
            }
        elif carried:
            message = _(
                "Nothing to pay out: the accepted statements net to zero or less and are carried to "
                "the next payout: %(balances)s."
            ) % {"balances": balances_text(carried)}
        else:
            message = _("No accepted statement is waiting for payout.")
        raise NothingToPayOut(message)
    paid = [statement for row in rows for statement in row.statements]
    CommissionStatement.objects.filter(pk__in=[s.pk for s in paid]).update(
        status=StatementStatus.PAID_OUT, paid_out_at=now
    )
    for statement in paid:
        audit_record(
            company=company,
            instance=statement,
            action=AuditEntry.Action.UPDATED,
            before={"status": StatementStatus.ACCEPTED},
            after={"status": StatementStatus.PAID_OUT},
            actor=actor,
            at=now,
        )
    return PayoutBatch(rows, missing, carried)


def statement_totals_check(*, statement: CommissionStatement) -> bool:
    """The statement's totals equal the sum of its lines (a consistency check for tests and audits)."""
    sums = statement.lines.aggregate(
        business=Sum("entry__amount", filter=Q(entry__agent__isnull=False)),
        own=Sum("entry__amount", filter=Q(entry__agent__isnull=True)),
    )
    business = money_round(Decimal(str(sums["business"] or 0)))
    own = money_round(Decimal(str(sums["own"] or 0)))
    return (business, own, business + own) == (statement.business_total, statement.own_total, statement.total)
