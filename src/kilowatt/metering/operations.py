"""Use cases of metering: recording register reads checked against the company's rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kilowatt.core.models import Company
from kilowatt.core.operations import event_record
from kilowatt.core.validation import FieldErrors
from kilowatt.metering.models import MeterRead, ReadFinding, ReadKind, Severity, ValidationRule
from kilowatt.metering.validation import DEFAULT_RULES, RULES, ReadContext, consumption_of
from kilowatt.network.models import MeterInstallation, MeterRegister, SupplyPoint

SEVERITY_ORDER = [Severity.INFO, Severity.WARNING, Severity.ERROR]


@dataclass(frozen=True)
class Finding:
    rule_code: str
    severity: str
    message: str


def _active_rules(company: Company) -> list[tuple[str, str, dict]]:
    configured = list(ValidationRule.objects.filter(company=company))
    if not configured:
        return DEFAULT_RULES
    return [(r.code, r.severity, r.parameters) for r in configured if r.is_active and r.code in RULES]


def _value(errors: FieldErrors, value: Decimal | str) -> Decimal | None:
    try:
        number = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        errors.add("value", _("Enter a number."))
        return None
    if not number.is_finite() or number < 0:
        errors.add("value", _("A meter read is a number of zero or more."))
        return None
    return number


HISTORY_DAYS = 400
HISTORY_MIN_DAYS = 60


def _history_daily(*, register: MeterRegister, until: MeterRead | None) -> Decimal | None:
    """Mean daily consumption between the earliest actual read of the past year and ``until``."""
    if until is None:
        return None
    first = (
        MeterRead.objects.filter(
            register=register,
            kind=ReadKind.ACTUAL,
            superseded_by__isnull=True,
            read_on__gte=until.read_on - timedelta(days=HISTORY_DAYS),
            read_on__lt=until.read_on,
        )
        .exclude(highest_severity=Severity.ERROR)
        .order_by("read_on")
        .first()
    )
    if first is None or (until.read_on - first.read_on).days < HISTORY_MIN_DAYS or until.value < first.value:
        return None
    return (until.value - first.value) / (until.read_on - first.read_on).days


@transaction.atomic
def meter_read_record(
    *,
    company: Company,
    supply_point: SupplyPoint,
    register: MeterRegister,
    read_on: date,
    value: Decimal | str,
    kind: str,
    source: str,
    actor: AbstractBaseUser | None,
    now: datetime,
    external_id: str = "",
    supersedes: MeterRead | None = None,
) -> tuple[MeterRead, list[Finding]]:
    """Store a read with the findings of the company's validation rules; the same external id twice is
    stored once. ``supersedes`` names the read this one corrects (it is kept, never edited).

    Records ``metering.read.recorded-v1`` so that billing can mark invoices built on a corrected or
    estimated read. Raises ValidationFailed for input that is not a read at all."""
    if external_id:
        existing = MeterRead.objects.filter(company=company, external_id=external_id).first()
        if existing is not None:
            return existing, [Finding(f.rule_code, f.severity, f.message) for f in existing.findings.all()]
    errors = FieldErrors()
    if supply_point.company_id != company.pk or register.meter.company_id != company.pk:
        errors.add("register_id", _("Register not found."), code="not_found")
    if kind not in ReadKind.values:
        errors.add("kind", _("Unknown kind of read."))
    if supersedes is not None and (
        supersedes.register_id != register.pk or MeterRead.objects.filter(supersedes=supersedes).exists()
    ):
        errors.add(
            "supersedes", _("Only a read of the same register that is not yet corrected can be corrected.")
        )
    number = _value(errors, value)
    errors.raise_if_any()
    baseline = MeterRead.objects.filter(register=register, superseded_by__isnull=True)
    if supersedes is not None:  # a correction is judged against the read before it, not the latest one
        baseline = baseline.filter(read_on__lte=read_on).exclude(pk=supersedes.pk)
    previous = (
        baseline.exclude(highest_severity=Severity.ERROR)  # a read in error is no baseline
        .exclude(kind__in=[ReadKind.ESTIMATE, ReadKind.FORECAST])  # nor is a guess: measured reads judge
        .order_by("-read_on", "-id")
        .first()
    )
    installed = MeterInstallation.objects.filter(
        # The day a meter comes off is the day of its removal read.
        Q(removed_on__isnull=True) | Q(removed_on__gte=read_on),
        meter=register.meter,
        supply_point=supply_point,
        installed_on__lte=read_on,
    ).exists()
    context = ReadContext(
        register_zone=register.zone,
        tariff_zones=tuple(supply_point.tariff_group.zones or ()),
        history_daily=_history_daily(register=register, until=previous),
        read_on=read_on,
        value=number,
        previous_on=previous.read_on if previous else None,
        previous_value=previous.value if previous else None,
        register_digits=register.digits,
        meter_installed=installed,
        annual_estimate_kwh=supply_point.annual_consumption_kwh,
    )
    findings = [
        Finding(code, severity, message)
        for code, severity, parameters in _active_rules(company)
        if (message := RULES[code](context, parameters))
    ]
    highest = max((f.severity for f in findings), key=SEVERITY_ORDER.index, default="")
    read = MeterRead.objects.create(
        company=company,
        supply_point=supply_point,
        register=register,
        read_on=read_on,
        value=number,
        consumption=consumption_of(context).amount,
        kind=kind,
        source=source,
        external_id=external_id,
        supersedes=supersedes,
        highest_severity=highest,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
    )
    ReadFinding.objects.bulk_create(
        ReadFinding(read=read, rule_code=f.rule_code, severity=f.severity, message=f.message[:300])
        for f in findings
    )
    event_record(
        company=company,
        name="metering.read.recorded-v1",
        payload={
            "read_id": read.pk,
            "register_id": register.pk,
            "read_on": read_on,
            "kind": kind,
            "supersedes_id": supersedes.pk if supersedes else None,
        },
        occurred_at=now,
    )
    # A read with an error finding is kept for review; billing does not use it until it is superseded.
    return read, findings
