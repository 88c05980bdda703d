"""Demo meter reads along each contract's billing cycle, and a billed history, so that the demo's
360° pages show invoices and a billing run has something to bill.

Reads follow the standard load profiles with some noise; a few are missing (billing estimates them)
and a few go backwards (validation marks them in error and the run holds the contract), as in life.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction

from kilowatt.billing.models import BillingRun, BillingStart
from kilowatt.billing.runs import BILLABLE_STATUSES, billing_run_create, billing_run_execute
from kilowatt.catalog.models import LoadProfile
from kilowatt.core.models import Company
from kilowatt.core.periods import month_start
from kilowatt.metering.models import MeterRead, ReadFinding, ReadKind, Severity
from kilowatt.metering.validation import RULES, ReadContext
from kilowatt.network.models import Direction, MeterInstallation
from kilowatt.sales.models import Contract

BILLING_FROM = date(2026, 1, 1)
GAS_FACTOR = Decimal("11.16")
MISSING_READS = 0.04
BACKWARD_READS = 0.005


def _boundaries(start: date, cycle: int, until: date) -> list[date]:
    """Calendar-aligned ends of billing periods after ``start``, up to ``until``."""
    days = []
    cursor = month_start(start, offset=1)
    while cursor <= until:
        if (cursor.month - 1) % cycle == 0:
            days.append(cursor)
        cursor = month_start(cursor, offset=1)
    return days


@transaction.atomic
def demo_reads_generate(*, company: Company, until: date, seed: int, now: datetime) -> int:
    """Reads at the start of billing and at each billing period's end, for every billable contract."""
    rng = random.Random(seed)
    profiles = {p.tariff_group_id: p for p in LoadProfile.objects.all()}
    contracts = list(
        Contract.objects.filter(company=company, status__in=BILLABLE_STATUSES)
        .prefetch_related("supply_point_links__supply_point__tariff_group")
        .order_by("pk")
    )
    points = [link.supply_point for c in contracts for link in c.supply_point_links.all()]
    installations = {
        i.supply_point_id: i
        for i in MeterInstallation.objects.filter(supply_point__in=points, removed_on__isnull=True)
        .select_related("meter")
        .prefetch_related("meter__registers")
    }
    reads: list[MeterRead] = []
    backward: list[tuple[MeterRead, str]] = []
    starts = []
    for contract in contracts:
        first = max(BILLING_FROM, contract.start_date)
        if contract.start_date < BILLING_FROM:
            starts.append(BillingStart(contract=contract, billed_until=BILLING_FROM, note="demo cut-over"))
        for link in contract.supply_point_links.all():
            point = link.supply_point
            installation = installations.get(point.pk)
            if installation is None:
                continue
            profile = profiles.get(point.tariff_group_id)
            shares = [Decimal(s) for s in profile.monthly_shares] if profile else [Decimal(1) / 12] * 12
            registers = [r for r in installation.meter.registers.all() if r.direction == Direction.IMPORT]
            for register in registers:
                zone_share = Decimal((profile.zone_shares if profile else {}).get(register.zone, 1))
                yearly = point.annual_consumption_kwh * zone_share
                if point.commodity == "gas":
                    yearly /= GAS_FACTOR
                value = Decimal(rng.randint(1000, 40000))
                previous_day = first
                reads.append(_read(company, point, register, first, value, None, now))
                for day in _boundaries(first, contract.billing_cycle_months, until):
                    used = sum(
                        shares[month_start(previous_day, offset=k).month - 1]
                        for k in range((day.year - previous_day.year) * 12 + day.month - previous_day.month)
                    )
                    consumption = (yearly * used * Decimal(rng.uniform(0.85, 1.15))).quantize(Decimal(1))
                    before = value
                    value += consumption
                    previous_day = day
                    roll = rng.random()
                    if roll < MISSING_READS:
                        continue
                    if roll < MISSING_READS + BACKWARD_READS:
                        wrong = _read(
                            company, point, register, day, max(value - 2 * consumption, Decimal(0)), None, now
                        )
                        backward.append((wrong, str(before)))
                        reads.append(wrong)
                        continue
                    reads.append(_read(company, point, register, day, value, consumption, now))
    for wrong, _ in backward:
        wrong.highest_severity = Severity.ERROR
    MeterRead.objects.bulk_create(reads, batch_size=5000)
    ReadFinding.objects.bulk_create(
        ReadFinding(
            read=wrong,
            rule_code="negative_consumption",
            severity=Severity.ERROR,
            message=RULES["negative_consumption"](_context(wrong, Decimal(expected)), {}) or "",
        )
        for wrong, expected in backward
    )
    BillingStart.objects.bulk_create(starts, batch_size=5000, ignore_conflicts=True)
    return len(reads)


def _context(read: MeterRead, previous_value: Decimal) -> ReadContext:
    return ReadContext(
        read_on=read.read_on,
        value=read.value,
        previous_on=read.read_on,
        previous_value=previous_value,
        register_digits=6,
        meter_installed=True,
        annual_estimate_kwh=Decimal(0),
    )


def _read(company, point, register, day, value, consumption, now) -> MeterRead:
    return MeterRead(
        company=company,
        supply_point=point,
        register=register,
        read_on=day,
        value=value,
        consumption=consumption,
        kind=ReadKind.ACTUAL,
        source="demo DSO",
        created_at=now,
    )


def demo_billing_history(*, company: Company, through: date, now: datetime) -> list[BillingRun]:
    """Bill every month from January 2026 through ``through``, each issued on the 5th of the next month."""
    runs = []
    month = BILLING_FROM
    while month <= through:
        issue_date = month_start(month, offset=1).replace(day=5)
        run = billing_run_create(company=company, month=month, issue_date=issue_date, now=now)
        billing_run_execute(run=run, now=now)
        runs.append(run)
        month = month_start(month, offset=1)
    return runs
