"""Billing runs: select the contracts due, split them into batches, rate and issue each batch.

A batch is one transaction: its items are locked (``skip_locked``, so two workers never take the same
batch), prepared, rated, checked and issued together. A run killed at any moment leaves every batch
either wholly issued or wholly pending; starting the run again finishes the pending ones, and the
database refuses a second invoice for the same contract and period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext as _

from kilowatt.billing.document import COMPONENT_LABELS
from kilowatt.billing.findings import ERROR, Finding, finding
from kilowatt.billing.inputs import BillTarget, PreparedBill, bills_prepare
from kilowatt.billing.models import (
    BillingRun,
    BillingRunItem,
    BillingStart,
    Invoice,
    InvoiceKind,
    ItemStatus,
    RunStatus,
)
from kilowatt.billing.operations import RatedBill, invoices_issue
from kilowatt.catalog.rating import Deduction, Problem, Rating, rate, settle
from kilowatt.core.bulk import rows_copy
from kilowatt.core.clock import WARSAW
from kilowatt.core.errors import DomainError
from kilowatt.core.models import Company
from kilowatt.core.money import money_round
from kilowatt.core.periods import Period, month_start
from kilowatt.network.models import Zone
from kilowatt.sales.models import Contract, ContractStatus

BILLABLE_STATUSES = [ContractStatus.ACTIVE, ContractStatus.TERMINATED, ContractStatus.ENDED]
PLAUSIBILITY_FACTOR = Decimal(3)
PLAUSIBILITY_MIN_GROSS = Decimal(50)

BatchDispatcher = Callable[[int, int], None]


class RunActionRefused(DomainError):
    code = "run_action_refused"


def cycles_ending_at(period_end: date) -> list[int]:
    """Billing cycles (months) whose calendar-aligned period ends on ``period_end``."""
    index = period_end.month - 1
    return [n for n in (1, 2, 6, 12) if index % n == 0]


@transaction.atomic
def billing_run_create(
    *,
    company: Company,
    month: date,
    issue_date: date,
    now: datetime,
    actor: AbstractBaseUser | None = None,
    batch_size: int = 500,
) -> BillingRun:
    """The run of a month: the contracts whose billing period ends with it, in batches.

    Creating the run of a month that already has one returns that run (a run is resumed, not doubled).
    """
    period = Period(month_start(month), month_start(month, offset=1))
    existing = BillingRun.objects.filter(company=company, period_start=period.start).first()
    if existing is not None:
        return existing
    run = BillingRun.objects.create(
        company=company,
        period_start=period.start,
        period_end=period.end,
        issue_date=issue_date,
        batch_size=batch_size,
        started_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
    )
    targets = _targets(company=company, period=period)
    rows_copy(
        model=BillingRunItem,
        fields=(
            "run_id",
            "contract_id",
            "batch",
            "kind",
            "period_start",
            "period_end",
            "status",
            "findings",
            "approved",
            "net",
            "gross",
            "updated_at",
        ),
        rows=[
            (
                run.pk,
                t.contract_id,
                index // batch_size,
                t.kind,
                t.period.start,
                t.period.end,
                ItemStatus.PENDING,
                [],
                False,
                None,
                None,
                now,
            )
            for index, t in enumerate(targets)
        ],
    )
    run.batches = (len(targets) + batch_size - 1) // batch_size
    run.save(update_fields=["batches"])
    return run


LATE_END_DAYS = 366  # a contract whose end is recorded late still gets its last bill within a year


def _billed_until(contract_ids: list[int]) -> dict[int, date]:
    """How far each contract is billed: its latest periodic or settlement invoice, else its billing start."""
    billed = dict(
        Invoice.objects.filter(
            contract_id__in=contract_ids, kind__in=[InvoiceKind.PERIODIC, InvoiceKind.SETTLEMENT]
        )
        .values("contract_id")
        .annotate(until=Max("period_end"))
        .values_list("contract_id", "until")
    )
    starts = BillingStart.objects.filter(contract_id__in=contract_ids).values_list(
        "contract_id", "billed_until"
    )
    return {**dict(starts), **billed}


def _targets(*, company: Company, period: Period) -> list[BillTarget]:
    assert period.end is not None
    contracts = list(
        Contract.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gt=period.start - timedelta(days=LATE_END_DAYS)),
            company=company,
            status__in=BILLABLE_STATUSES,
            start_date__lt=period.end,
        )
        .filter(
            Q(billing_cycle_months__in=cycles_ending_at(period.end))
            | Q(end_date__lte=period.end)
            | Q(forecast_billing=True)
        )
        .values_list("pk", "start_date", "end_date", "billing_cycle_months", "forecast_billing")
        .order_by("pk")
    )
    ids = [row[0] for row in contracts]
    billed = _billed_until(ids)
    forecasts: dict[int, list[date]] = {}
    for contract_id, start in Invoice.objects.filter(
        contract_id__in=ids,
        kind=InvoiceKind.FORECAST,
        period_end__gt=period.start - timedelta(days=LATE_END_DAYS),
    ).values_list("contract_id", "period_start"):
        forecasts.setdefault(contract_id, []).append(start)
    ending = cycles_ending_at(period.end)
    targets = []
    for pk, start_date, end_date, cycle, forecast in contracts:
        start = max(start_date, billed.get(pk) or start_date)
        end = min(period.end, end_date) if end_date else period.end
        if start >= end:
            continue
        if cycle in ending or (end_date is not None and end_date <= period.end):
            # Forecasts issued inside the period are settled even if forecast billing was switched off since.
            settles = forecast or any(start <= day < end for day in forecasts.get(pk, []))
            kind = InvoiceKind.SETTLEMENT if settles else InvoiceKind.PERIODIC
            targets.append(BillTarget(contract_id=pk, period=Period(start, end), kind=kind))
        else:  # a forecast month inside a longer cycle
            month = Period(max(start, period.start), end)
            targets.append(BillTarget(contract_id=pk, period=month, kind=InvoiceKind.FORECAST))
    return targets


def billing_run_execute(*, run: BillingRun, now: datetime, dispatch: BatchDispatcher | None = None) -> None:
    """Hand every batch with waiting items to ``dispatch`` (Celery workers), or process them here."""
    BillingRun.objects.filter(pk=run.pk, status=RunStatus.PLANNED).update(status=RunStatus.RUNNING)
    batches = (
        BillingRunItem.objects.filter(run=run, status=ItemStatus.PENDING)
        .values_list("batch", flat=True)
        .distinct()
        .order_by("batch")
    )
    for batch in list(batches):
        if dispatch is None:
            billing_batch_process(run_id=run.pk, batch=batch, now=now)
        else:
            dispatch(run.pk, batch)
    if dispatch is None:
        billing_run_finish_if_done(run_id=run.pk, now=now)


def billing_batch_process(
    *,
    run_id: int,
    batch: int,
    now: datetime,
    item_ids: list[int] | None = None,
    on_item: Callable[[int], None] | None = None,
) -> int:
    """Prepare, rate, check and issue the waiting items of one batch in one transaction.

    Returns how many invoices were issued. ``on_item`` is called after each item is rated (tests use
    it to kill the process half-way through a batch).
    """
    with transaction.atomic():
        run = BillingRun.objects.select_related("company").get(pk=run_id)
        items_query = BillingRunItem.objects.select_for_update(skip_locked=True).filter(
            run_id=run_id, batch=batch, status=ItemStatus.PENDING
        )
        if item_ids is not None:
            items_query = items_query.filter(pk__in=item_ids)
        items = _still_due(list(items_query.order_by("pk")), now)
        if not items:
            return 0
        bills = bills_prepare(
            targets=[BillTarget(i.contract_id, Period(i.period_start, i.period_end), i.kind) for i in items],
            today=now.astimezone(WARSAW).date(),
        )
        previous = _previous_invoices([i.contract_id for i in items])
        forecasts = _forecasts_to_deduct([i for i in items if i.kind == InvoiceKind.SETTLEMENT])
        rated: list[RatedBill] = []
        for position, (item, bill) in enumerate(zip(items, bills, strict=True)):
            rating = _rate_and_check(bill, previous.get(item.contract_id))
            if rating is not None and item.kind == InvoiceKind.SETTLEMENT:
                rating = settle(rating, forecasts.get(item.contract_id, []), period=bill.period)
            findings = bill.findings
            item.findings = [f.as_dict() for f in findings]
            item.updated_at = now
            blocking = [f for f in findings if f.blocks]
            if blocking and not (
                item.approved and all(f["approvable"] for f in item.findings if f["severity"] == ERROR)
            ):
                item.status = ItemStatus.HELD
            elif rating is not None:
                item.status = ItemStatus.ISSUED
                item.net, item.gross = rating.net, rating.gross
                rated.append(RatedBill(bill, rating, item.pk))
            if on_item is not None:
                on_item(position)
        invoices_issue(company=run.company, rated=rated, issue_date=run.issue_date, now=now)
        _items_store(items, now)
        return len(rated)


def _still_due(items: list[BillingRunItem], now: datetime) -> list[BillingRunItem]:
    """Bring the items' periods up to date with the invoices issued since the run was made (a held contract
    re-rated in an earlier run, a later run that got there first); items with nothing left are skipped."""
    billed = _billed_until([i.contract_id for i in items])
    forecast_ids = [i.contract_id for i in items if i.kind == InvoiceKind.FORECAST]
    forecasted = set(
        Invoice.objects.filter(contract_id__in=forecast_ids, kind=InvoiceKind.FORECAST).values_list(
            "contract_id", "period_start"
        )
    )
    due = []
    for item in items:
        if item.kind == InvoiceKind.FORECAST:
            covered = (item.contract_id, item.period_start) in forecasted or (
                billed.get(item.contract_id) or item.period_start
            ) >= item.period_end
        else:
            start = max(item.period_start, billed.get(item.contract_id) or item.period_start)
            covered = start >= item.period_end
            if not covered and start != item.period_start:
                item.period_start = start
                item.save(update_fields=["period_start"])
        if covered:
            item.status, item.updated_at = ItemStatus.SKIPPED, now
            item.findings = [finding("already_billed", contract=item.contract_id).as_dict()]
            item.save(update_fields=["status", "findings", "updated_at"])
        else:
            due.append(item)
    return due


def _items_store(items: list[BillingRunItem], now: datetime) -> None:
    """Store the items' outcome in a few statements: the common case (issued, nothing found) at once."""
    plain = {i.pk for i in items if i.status == ItemStatus.ISSUED and not i.findings}
    if plain:
        invoices = Invoice.objects.filter(run_item_id=OuterRef("pk"))
        BillingRunItem.objects.filter(pk__in=plain).update(
            status=ItemStatus.ISSUED,
            net=Subquery(invoices.values("net")[:1]),
            gross=Subquery(invoices.values("gross")[:1]),
            updated_at=now,
        )
    for item in items:
        if item.pk not in plain:
            item.save(update_fields=["status", "findings", "net", "gross", "updated_at"])


def _rate_and_check(bill: PreparedBill, previous: tuple[Decimal, int] | None) -> Rating | None:
    if bill.request is None or bill.blocked:
        return None
    rating = rate(bill.request)
    for problem in rating.problems:
        bill.findings.append(_problem_finding(bill, problem))
    if rating.problems:
        return None
    if any(r.start.estimated or r.end.estimated for r in bill.registers):
        bill.findings.append(finding("estimated_reads", contract=bill.contract.number))
    if previous is not None:
        previous_gross, previous_days = previous
        days = bill.period.days
        if previous_gross > 0 and previous_days > 0 and rating.gross > PLAUSIBILITY_MIN_GROSS:
            expected = previous_gross / previous_days * days
            if rating.gross > expected * PLAUSIBILITY_FACTOR:
                bill.findings.append(
                    finding(
                        "implausible_amount",
                        contract=bill.contract.number,
                        amount=rating.gross,
                        factor=PLAUSIBILITY_FACTOR,
                        previous=previous_gross,
                    )
                )
    elif bill.supply_point is not None and bill.kind != InvoiceKind.FORECAST:
        # A first bill has no invoice to compare with: judge its energy against the annual estimate.
        expected = bill.supply_point.annual_consumption_kwh * bill.period.days / 365
        if expected > 0 and rating.kwh > expected * PLAUSIBILITY_FACTOR:
            bill.findings.append(
                finding(
                    "implausible_energy",
                    contract=bill.contract.number,
                    kwh=rating.kwh,
                    factor=PLAUSIBILITY_FACTOR,
                    expected=expected.quantize(Decimal(1)),
                )
            )
    return rating


def _problem_finding(bill: PreparedBill, problem: Problem) -> Finding:
    point = bill.supply_point
    assert point is not None
    zone = f" ({Zone(problem.zone).label})" if problem.zone in Zone.values else ""
    component = str(COMPONENT_LABELS.get(problem.component, problem.component)).lower()
    if problem.code == "no_rate_sales":
        return finding(
            "no_rate_sales",
            contract=bill.contract.number,
            price_list=bill.contract.price_list.code,
            component=component,
            zone=zone,
            period=problem.period,
        )
    if problem.code == "no_rate_distribution":
        return finding(
            "no_rate_distribution",
            contract=bill.contract.number,
            dso=point.dso.name,
            group=point.tariff_group.code,
            component=component,
            zone=zone,
            period=problem.period,
        )
    return finding(problem.code, contract=bill.contract.number)


def _forecasts_to_deduct(items: list[BillingRunItem]) -> dict[int, list[Deduction]]:
    return forecast_deductions(periods={i.contract_id: (i.period_start, i.period_end) for i in items})


def forecast_deductions(*, periods: dict[int, tuple[date, date]]) -> dict[int, list[Deduction]]:
    """The forecast invoices issued inside each settling contract's period, per VAT rate."""
    if not periods:
        return {}
    rows = Invoice.objects.filter(contract_id__in=periods, kind=InvoiceKind.FORECAST).values_list(
        "contract_id", "number", "period_start", "period_end", "document"
    )
    result: dict[int, list[Deduction]] = {}
    for contract_id, number, start, end, document in rows.order_by("period_start"):
        settling_from, settling_to = periods[contract_id]
        if settling_from <= start and end <= settling_to:
            result.setdefault(contract_id, []).extend(
                Deduction(f"invoice:{number}", Decimal(v["rate"]), Decimal(v["net"]), Decimal(v["vat"]))
                for v in document["vat"]
            )
    return result


def _previous_invoices(contract_ids: list[int]) -> dict[int, tuple[Decimal, int]]:
    """The gross amount and length in days of each contract's latest periodic invoice."""
    latest = (
        Invoice.objects.filter(contract_id__in=contract_ids, kind=InvoiceKind.PERIODIC)
        .order_by("contract_id", "-period_start")
        .values_list("contract_id", "gross", "period_start", "period_end")
    )
    result: dict[int, tuple[Decimal, int]] = {}
    for contract_id, gross, start, end in latest:
        result.setdefault(contract_id, (gross, (end - start).days))
    return result


def billing_run_finish_if_done(*, run_id: int, now: datetime) -> bool:
    """Mark the run completed once no item waits; safe to call from every worker."""
    if BillingRunItem.objects.filter(run_id=run_id, status=ItemStatus.PENDING).exists():
        return False
    BillingRun.objects.filter(pk=run_id).exclude(status=RunStatus.COMPLETED).update(
        status=RunStatus.COMPLETED, finished_at=now
    )
    return True


def billing_run_totals(*, run: BillingRun) -> dict[str, dict[str, Decimal | int]]:
    rows = (
        BillingRunItem.objects.filter(run=run)
        .values("status")
        .annotate(count=Count("id"), net=Sum("net"), gross=Sum("gross"))
    )
    return {
        r["status"]: {
            "count": r["count"],
            "net": money_round(r["net"] or 0),
            "gross": money_round(r["gross"] or 0),
        }
        for r in rows
    }


def _item_for_action(run: BillingRun, item_id: int) -> BillingRunItem:
    item = BillingRunItem.objects.select_for_update().filter(run=run, pk=item_id).first()
    if item is None:
        raise RunActionRefused(_("This contract is not part of the run."))
    return item


def billing_item_approve(*, run: BillingRun, item_id: int, now: datetime) -> int:
    """Issue a held contract whose only blocking findings are judgements staff may overrule."""
    with transaction.atomic():
        item = _item_for_action(run, item_id)
        blocking = [f for f in item.findings if f["severity"] == ERROR]
        if item.status != ItemStatus.HELD or not blocking or not all(f["approvable"] for f in blocking):
            raise RunActionRefused(
                _(
                    "Only a held contract whose findings can be approved can be approved; correct the data "
                    "and re-rate instead."
                )
            )
        BillingRunItem.objects.filter(pk=item.pk).update(
            status=ItemStatus.PENDING, approved=True, updated_at=now
        )
    return billing_batch_process(run_id=run.pk, batch=item.batch, now=now, item_ids=[item.pk])


def billing_item_hold(*, run: BillingRun, item_id: int, now: datetime, reason: str) -> None:
    with transaction.atomic():
        item = _item_for_action(run, item_id)
        if item.status != ItemStatus.PENDING:
            raise RunActionRefused(_("Only a contract still waiting in the run can be held."))
        item.status = ItemStatus.HELD
        item.findings = [
            *item.findings,
            {"code": "held_by_staff", "severity": ERROR, "message": reason, "approvable": True},
        ]
        item.updated_at = now
        item.save(update_fields=["status", "findings", "updated_at"])


def billing_item_rerate(*, run: BillingRun, item_id: int, now: datetime) -> int:
    """Rate a held contract again from the current data (after its reads or prices were corrected)."""
    with transaction.atomic():
        item = _item_for_action(run, item_id)
        if item.status != ItemStatus.HELD:
            raise RunActionRefused(_("Only a held contract can be re-rated."))
        BillingRunItem.objects.filter(pk=item.pk).update(
            status=ItemStatus.PENDING, approved=False, findings=[], updated_at=now
        )
    issued = billing_batch_process(run_id=run.pk, batch=item.batch, now=now, item_ids=[item.pk])
    billing_run_finish_if_done(run_id=run.pk, now=now)
    return issued
