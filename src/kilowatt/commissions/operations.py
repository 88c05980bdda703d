"""Writes of commissions: entries accrued (and clawed back) from other modules' events. Statements and
payout are in ``settlement``; the rules that read no event (splits, beneficiaries, rates) in ``rules``.

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
from datetime import date, datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from kilowatt.billing.models import Invoice, InvoiceKind
from kilowatt.commissions.models import (
    BILLED_BASES,
    CommissionBasis,
    CommissionEntry,
    CommissionScheme,
    CommissionStage,
    EntryKind,
    StageTrigger,
)
from kilowatt.commissions.queries import (
    scheme_for_contract,
)
from kilowatt.commissions.rules import (
    HUNDRED,
    Beneficiary,
    RateContext,
    amount_split,
    beneficiaries_of,
    rate_for,
)
from kilowatt.core.money import ENERGY_QUANTUM, HALF_GROSZ, ZERO, money_round
from kilowatt.finance.models import LedgerEntry, LedgerEntryKind
from kilowatt.network.models import SupplyPoint
from kilowatt.sales.models import (
    Contract,
    ContractCession,
    ContractStatus,
    ContractTermination,
)
from kilowatt.switching.models import CaseStatus, SwitchCase

# Invoices that count as "paid invoices" of a contract (a note or a correction is not a bill).
BILLS = (InvoiceKind.PERIODIC, InvoiceKind.FORECAST, InvoiceKind.SETTLEMENT)
# Credits that are money the customer paid (a correction or a write-off cancels a debt, it does not pay it).
MONEY_PAID = (LedgerEntryKind.PAYMENT, LedgerEntryKind.TRANSFER)


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
