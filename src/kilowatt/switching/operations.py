"""Switch cases: opened from a signed contract (or by hand), walked step by step in the order of the DSO's
process, each step due by a deadline counted in working or calendar days (PL holidays), completed when
the DSO confirms the start of supply with the start reading.

Nothing here is skipped: a step is done only when it is the current one; the DSO's steps (verification,
start of supply) are done only by the DSO's answers; the case completes only with a start date and a
reading for every register.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from kilowatt.core.business_days import is_business_day, next_business_day
from kilowatt.core.clock import WARSAW
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.models import AuditEntry, OutboxEvent
from kilowatt.core.numbering import number_series_next
from kilowatt.core.operations import audit_record, event_record
from kilowatt.metering.operations import meter_read_record
from kilowatt.network.models import MeterInstallation, SupplyPoint, SupplyPointStatus
from kilowatt.network.operations import meter_mount_new
from kilowatt.parties.models import CustomerKind
from kilowatt.sales.models import Contract, ContractPriceTerm, ContractStatus, ContractSupplyPoint
from kilowatt.sales.operations import contract_change_status
from kilowatt.switching.models import (
    CaseStatus,
    DeadlineKind,
    StepCode,
    StepStatus,
    SwitchCase,
    SwitchCaseStep,
    SwitchDocument,
    SwitchKind,
    SwitchProcess,
)

log = logging.getLogger(__name__)

LIVE_STATUSES = (CaseStatus.OPEN, CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.REJECTED)
# Steps staff complete; the others are done by the submission and by the DSO's answers.
MANUAL_STEPS = (StepCode.DOCUMENTS, StepCode.TERMINATION_NOTICE, StepCode.DISTRIBUTION_AGREEMENT)
WITHDRAWAL_DAYS = 14  # a consumer may withdraw from a contract made at a distance or off premises
CENT = Decimal("0.01")


class SwitchRefused(DomainError):
    code = "switch_refused"


def deadline_after(*, start: date, days: int, kind: str) -> date:
    """``days`` calendar days after ``start``, or ``days`` working days (PL weekends and holidays
    not counted)."""
    if kind == DeadlineKind.CALENDAR:
        return start + timedelta(days=days)
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_business_day(day, country="PL"):
            left -= 1
    return day


def _today(now: datetime) -> date:
    return now.astimezone(WARSAW).date()


def monthly_value(*, contract: Contract, point: SupplyPoint) -> Decimal:
    """What a month of this point's supply is worth: from the accepted offer's priced year when there is
    one, else the annual estimate at the price list's mean energy price, gross."""
    version = contract.offer_version
    if version is not None:
        for row in version.comparison.get("points", []):
            if row["supply_point_id"] == point.pk and "offer_gross" in row:
                return (Decimal(row["offer_gross"]) / 12).quantize(CENT, rounding=ROUND_HALF_UP)
    prices = [c.unit_price for c in contract.price_list.components.all() if c.unit == "kWh"]
    if not prices:
        return Decimal("0.00")
    mean = sum(prices, Decimal(0)) / len(prices)
    gross = point.annual_consumption_kwh * mean * (1 + contract.price_list.vat_rate) / 12
    return gross.quantize(CENT, rounding=ROUND_HALF_UP)


def process_for(*, company, point: SupplyPoint, kind: str) -> SwitchProcess | None:
    rows = SwitchProcess.objects.filter(company=company, dso_id=point.dso_id, commodity=point.commodity)
    return rows.filter(kind=kind).first() or rows.first()


@transaction.atomic
def case_open(
    *,
    contract: Contract,
    supply_point: SupplyPoint,
    kind: str = SwitchKind.FIRST,
    requested_start: date | None = None,
    previous_supplier: str = "",
    termination_authorised: bool = True,
    owner: AbstractBaseUser | None = None,
    now: datetime,
) -> SwitchCase:
    """Open the switch of one supply point of a signed contract, with the steps of its DSO's process.
    Raises ValidationFailed (no process for the DSO, a live case already, a contract not signed)."""
    company = contract.company
    if contract.status not in (ContractStatus.SIGNED, ContractStatus.ACTIVE):
        raise ValidationFailed.single("contract", _("A switch is opened for a signed contract."))
    if not contract.supply_point_links.filter(supply_point=supply_point).exists():
        raise ValidationFailed.single("supply_point", _("The supply point is not on this contract."))
    process = process_for(company=company, point=supply_point, kind=kind)
    if process is None:
        raise ValidationFailed.single(
            "process",
            _("No switch process is configured for %(dso)s (%(commodity)s).")
            % {"dso": supply_point.dso.name, "commodity": supply_point.get_commodity_display()},
            code="no_process",
        )
    if SwitchCase.objects.filter(supply_point=supply_point, status__in=LIVE_STATUSES).exists():
        raise ValidationFailed.single(
            "supply_point",
            _("Supply point %(code)s already has a switch in progress.") % {"code": supply_point.code},
            code="live_case",
        )
    case = SwitchCase.objects.create(
        company=company,
        number=number_series_next(company=company, document_type="switch_case", year=_today(now).year),
        supply_point=supply_point,
        contract=contract,
        process=process,
        previous_supplier=previous_supplier,
        termination_authorised=termination_authorised,
        requested_start=requested_start or contract.start_date,
        monthly_value=monthly_value(contract=contract, point=supply_point),
        owner=owner or (contract.opportunity.owner if contract.opportunity_id else None),
        created_at=now,
        updated_at=now,
    )
    steps = []
    for definition in process.steps.order_by("position"):
        needed = termination_authorised or not definition.only_when_authorised
        steps.append(
            SwitchCaseStep(
                case=case,
                position=definition.position,
                code=definition.code,
                status=StepStatus.PENDING if needed else StepStatus.NOT_NEEDED,
            )
        )
    SwitchCaseStep.objects.bulk_create(steps)
    _advance(case, now)
    SupplyPoint.objects.filter(pk=supply_point.pk, status=SupplyPointStatus.PROSPECT).update(
        status=SupplyPointStatus.SWITCHING, updated_at=now
    )
    event_record(
        company=company,
        name="switching.case.opened-v1",
        payload={"case_id": case.pk, "supply_point_id": supply_point.pk, "contract_id": contract.pk},
        occurred_at=now,
    )
    return case


def cases_open_for_signed_contract(event: OutboxEvent) -> None:
    """Subscriber of ``sales.contract.signed-v1``: a case per supply point that is not supplied by us
    yet (a renewal or a point already active needs no switch). Points whose DSO has no process are
    logged and left for staff to open by hand once it is configured."""
    contract = Contract.objects.filter(pk=event.payload["contract_id"]).select_related("company").first()
    if contract is None or contract.renewal_of_id:
        return
    for link in contract.supply_point_links.select_related("supply_point__dso"):
        point = link.supply_point
        if point.status == SupplyPointStatus.ACTIVE:
            continue
        if SwitchCase.objects.filter(supply_point=point, contract=contract).exists():
            continue  # the event delivered again
        try:
            case_open(
                contract=contract, supply_point=point, requested_start=link.valid_from, now=event.occurred_at
            )
        except ValidationFailed as refused:
            log.warning(
                "contract %s, point %s: no switch case opened: %s", contract.number, point.code, refused
            )


def _current(case: SwitchCase) -> SwitchCaseStep | None:
    return case.steps.filter(status=StepStatus.CURRENT).first()


def _advance(case: SwitchCase, now: datetime, *, start: date | None = None) -> SwitchCaseStep | None:
    """Make the next waiting step current, due by its deadline counted from ``start`` (today)."""
    step = case.steps.filter(status=StepStatus.PENDING).order_by("position").first()
    if step is None:
        return None
    definition = case.process.steps.get(code=step.code)
    step.status = StepStatus.CURRENT
    step.due_on = deadline_after(
        start=start or _today(now), days=definition.deadline_days, kind=definition.deadline_kind
    )
    step.owner = case.owner
    step.save(update_fields=["status", "due_on", "owner"])
    return step


def _finish(step: SwitchCaseStep, now: datetime, note: str = "") -> None:
    step.status = StepStatus.DONE
    step.done_at = now
    step.note = note[:500]
    step.save(update_fields=["status", "done_at", "note"])


def _locked(case: SwitchCase) -> SwitchCase:
    return (
        SwitchCase.objects.select_for_update(of=("self",))
        .select_related("process", "supply_point")
        .get(pk=case.pk)
    )


# Documents that count only as the customer signed them (a scan), never as our own printout.
SIGNED_BY_CUSTOMER = frozenset({"power_of_attorney"})


def documents_missing(*, case: SwitchCase, code: str) -> list[str]:
    """The document codes the step needs that the case does not have yet."""
    definition = case.process.steps.filter(code=code).first()
    required = list(definition.documents) if definition else []
    have = {
        doc_code
        for doc_code, generated in case.documents.values_list("code", "generated")
        if not (generated and doc_code in SIGNED_BY_CUSTOMER)
    }
    return [doc for doc in required if doc not in have]


def _documents_check(case: SwitchCase, code: str) -> None:
    missing = documents_missing(case=case, code=code)
    if missing:
        raise ValidationFailed.single(
            "documents",
            _("Missing documents: %(list)s.") % {"list": ", ".join(missing)},
            code="documents_missing",
        )


@transaction.atomic
def step_complete(
    *, case: SwitchCase, code: str, actor: AbstractBaseUser | None, now: datetime, note: str = ""
) -> SwitchCase:
    """Mark the current step done (it must be the one named: steps are never skipped) and start the next."""
    case = _locked(case)
    if case.status not in (CaseStatus.OPEN,):
        raise SwitchRefused(
            _("Case %(number)s is %(status)s.") % {"number": case.number, "status": case.get_status_display()}
        )
    step = _current(case)
    if step is None or step.code != code:
        raise SwitchRefused(
            _("The current step is %(step)s: steps are done in order.")
            % {"step": step.get_code_display() if step else "—"},
            code="not_current_step",
        )
    if code not in MANUAL_STEPS:
        raise SwitchRefused(
            _("This step is done by the submission and the DSO's answers."), code="not_manual"
        )
    _documents_check(case, code)
    _finish(step, now, note)
    _advance(case, now)
    case.updated_at = now
    case.save(update_fields=["updated_at"])
    return case


@transaction.atomic
def document_attach(
    *,
    case: SwitchCase,
    code: str,
    file_name: str,
    content: bytes,
    content_type: str,
    actor: AbstractBaseUser | None,
    now: datetime,
    generated: bool = False,
) -> SwitchDocument:
    if not code.strip():
        raise ValidationFailed.single("code", _("Say which document this is."), code="required")
    if not content:
        raise ValidationFailed.single("file", _("The file is empty."), code="required")
    return SwitchDocument.objects.create(
        case=case,
        code=code.strip(),
        file_name=file_name[:200],
        content_type=content_type or "application/octet-stream",
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        generated=generated,
        created_at=now,
        created_by=actor,
    )


def submission_check(*, case: SwitchCase) -> None:
    """Raise ValidationFailed unless the case waits for submission with every document it needs."""
    step = _current(case)
    if case.status != CaseStatus.OPEN or step is None or step.code != StepCode.SUBMISSION:
        raise SwitchRefused(
            _("Case %(number)s is not ready for submission (current step: %(step)s).")
            % {"number": case.number, "step": step.get_code_display() if step else "—"},
            code="not_ready",
        )
    _documents_check(case, StepCode.SUBMISSION)


@transaction.atomic
def case_submitted(*, case: SwitchCase, now: datetime) -> SwitchCase:
    """Record that the case went to the DSO (the exchange calls this for each case of a sent message)."""
    case = _locked(case)
    submission_check(case=case)
    _finish(_current(case), now)
    _advance(case, now)
    case.status = CaseStatus.SUBMITTED
    case.submissions += 1
    case.updated_at = now
    case.save(update_fields=["status", "submissions", "updated_at"])
    return case


@dataclass(frozen=True)
class DsoAnswer:
    """One DSO answer about one case, whatever the exchange format."""

    case_number: str
    supply_point_code: str
    outcome: str  # "accepted", "rejected" or "started"
    start_date: date | None = None
    rejection_code: str = ""
    rejection_reason: str = ""
    dso_reference: str = ""
    meter_serial: str = ""
    readings: dict[str, Decimal] = field(default_factory=dict)  # register zone → value


@transaction.atomic
def answer_apply(*, case: SwitchCase, answer: DsoAnswer, now: datetime) -> SwitchCase:
    """Apply a DSO's answer. Raises SwitchRefused when it does not fit the case's state."""
    case = _locked(case)
    if answer.supply_point_code != case.supply_point.code:
        raise SwitchRefused(
            _("The answer names another supply point than case %(number)s.") % {"number": case.number}
        )
    if answer.dso_reference:
        case.dso_reference = answer.dso_reference[:64]
    if answer.outcome == "accepted":
        return _accepted(case, answer, now)
    if answer.outcome == "rejected":
        return _rejected(case, answer, now)
    if answer.outcome == "started":
        if case.status == CaseStatus.SUBMITTED:
            case = _accepted(case, answer, now)
        return case_complete(
            case=case,
            start_date=answer.start_date,
            readings=answer.readings,
            meter_serial=answer.meter_serial,
            now=now,
        )
    raise SwitchRefused(_("Unknown answer %(outcome)s.") % {"outcome": answer.outcome})


def _start_check(case: SwitchCase, start: date) -> None:
    """The DSO's start date must fall within the contract, before any price change signed ahead of it."""
    contract = case.contract
    if contract.status not in (ContractStatus.SIGNED, ContractStatus.ACTIVE):
        raise SwitchRefused(
            _("Contract %(number)s is %(status)s: supply cannot start under it.")
            % {"number": contract.number, "status": contract.get_status_display()},
            code="contract_closed",
        )
    first_term = contract.price_terms.order_by("valid_from").first()
    if (
        start < contract.start_date
        or (contract.end_date is not None and start >= contract.end_date)
        or (first_term is not None and first_term.valid_to is not None and start >= first_term.valid_to)
    ):
        raise SwitchRefused(
            _("The start date %(start)s does not fit contract %(number)s (from %(from)s%(until)s): a person "
              "must agree it with the DSO.")
            % {"start": start, "number": contract.number, "from": contract.start_date,
               "until": f" until {contract.end_date}" if contract.end_date else ""},
            code="start_outside_contract",
        )  # fmt: skip


def _accepted(case: SwitchCase, answer: DsoAnswer, now: datetime) -> SwitchCase:
    step = _current(case)
    if case.status != CaseStatus.SUBMITTED or step is None or step.code != StepCode.VERIFICATION:
        raise SwitchRefused(
            _("Case %(number)s is not waiting for the DSO's verification.") % {"number": case.number}
        )
    if answer.start_date is None:
        raise SwitchRefused(_("An acceptance must give the start date of supply."), code="no_start_date")
    _start_check(case, answer.start_date)
    _finish(step, now)
    case.start_date = answer.start_date
    case.status = CaseStatus.ACCEPTED
    nxt = _advance(case, now)
    if nxt is not None and nxt.code == StepCode.SUPPLY_START:
        nxt.due_on = answer.start_date
        nxt.save(update_fields=["due_on"])
    case.updated_at = now
    case.save()
    return case


def _rejected(case: SwitchCase, answer: DsoAnswer, now: datetime) -> SwitchCase:
    if case.status != CaseStatus.SUBMITTED:
        raise SwitchRefused(
            _("Case %(number)s is not waiting for the DSO's verification.") % {"number": case.number}
        )
    case.status = CaseStatus.REJECTED
    case.rejection_code = answer.rejection_code[:32]
    case.rejection_reason = (answer.rejection_reason or answer.rejection_code)[:500]
    case.updated_at = now
    case.save()
    event_record(
        company=case.company,
        name="switching.switch.failed-v1",
        payload={
            "case_id": case.pk,
            "contract_id": case.contract_id,
            "supply_point_id": case.supply_point_id,
            "code": case.rejection_code,
            "reason": case.rejection_reason,
        },
        occurred_at=now,
    )
    return case


@transaction.atomic
def case_resubmit(
    *, case: SwitchCase, actor: AbstractBaseUser | None, now: datetime, note: str = ""
) -> SwitchCase:
    """After a fixable rejection: back to the submission step (the rejection stays in the step's note)."""
    case = _locked(case)
    if case.status != CaseStatus.REJECTED:
        raise SwitchRefused(_("Only a rejected case is submitted again."))
    verification = case.steps.get(code=StepCode.VERIFICATION)
    verification.status = StepStatus.PENDING
    verification.due_on = None
    verification.note = (f"{case.rejection_code}: {case.rejection_reason}")[:500]
    verification.save(update_fields=["status", "due_on", "note"])
    submission = case.steps.get(code=StepCode.SUBMISSION)
    submission.status = StepStatus.PENDING
    submission.save(update_fields=["status"])
    case.status = CaseStatus.OPEN
    case.updated_at = now
    case.save(update_fields=["status", "updated_at"])
    _advance(case, now)
    audit_record(
        company=case.company,
        instance=case,
        action=AuditEntry.Action.UPDATED,
        before={"status": "rejected", "rejection": case.rejection_reason},
        after={"status": "open", "note": note},
        actor=actor,
        at=now,
    )
    return case


def _installation(point: SupplyPoint, on_date: date) -> MeterInstallation | None:
    return (
        MeterInstallation.objects.filter(supply_point=point, installed_on__lte=on_date)
        .exclude(removed_on__lte=on_date)
        .select_related("meter")
        .order_by("-installed_on")
        .first()
    )


def _start_reads(
    case: SwitchCase, start: date, readings: dict[str, Decimal], serial: str, now: datetime
) -> dict:
    point = case.supply_point
    installation = _installation(point, start)
    if installation is not None and serial and installation.meter.serial_number != serial:
        installation = None  # the DSO reports another meter at the start: it is mounted from that day
    if installation is None:
        if not serial:
            raise SwitchRefused(_("The supply point has no meter: the answer must give its serial number."))
        installation = meter_mount_new(
            supply_point=point, serial_number=serial, installed_on=start, actor=None, now=now
        )
    registers = {r.zone: r for r in installation.meter.registers.all()}
    missing = [zone for zone in registers if zone not in readings]
    if missing:
        raise SwitchRefused(
            _("The start reading lacks the register(s): %(zones)s.") % {"zones": ", ".join(missing)},
            code="no_reading",
        )
    recorded = {}
    for zone, register in registers.items():
        read, findings = meter_read_record(
            company=case.company, supply_point=point, register=register, read_on=start,
            value=readings[zone], kind="actual", source="dso", actor=None, now=now,
        )  # fmt: skip
        if any(f.severity == "error" for f in findings):
            raise SwitchRefused(
                _("The start reading %(value)s of register %(zone)s fails validation: %(why)s")
                % {"value": readings[zone], "zone": zone, "why": "; ".join(f.message for f in findings)},
                code="reading_invalid",
            )
        recorded[zone] = str(read.value)
    return recorded


@transaction.atomic
def case_complete(
    *,
    case: SwitchCase,
    start_date: date | None,
    readings: dict[str, Decimal],
    meter_serial: str = "",
    now: datetime,
) -> SwitchCase:
    """Supply started: the start reading recorded, the point on the contract from the start date, the
    contract in force and billed from then, ``switching.supply.started-v1`` published."""
    case = _locked(case)
    step = _current(case)
    if case.status != CaseStatus.ACCEPTED or step is None or step.code != StepCode.SUPPLY_START:
        raise SwitchRefused(
            _("Case %(number)s is not waiting for the start of supply.") % {"number": case.number}
        )
    if start_date is None:
        raise SwitchRefused(_("The start of supply needs its date."), code="no_start_date")
    if not readings:
        raise SwitchRefused(_("The start of supply needs the start reading."), code="no_reading")
    _start_check(case, start_date)
    case.start_reading = _start_reads(case, start_date, readings, meter_serial, now)
    case.start_date = start_date
    _finish(step, now)
    reading = _advance(case, now)
    if reading is not None and reading.code == StepCode.FIRST_READING:
        _finish(reading, now, _("start reading from the DSO"))
    _contract_from(case, start_date, now)
    SupplyPoint.objects.filter(pk=case.supply_point_id).update(
        status=SupplyPointStatus.ACTIVE, updated_at=now
    )
    case.status = CaseStatus.COMPLETED
    case.updated_at = now
    case.save()
    event_record(
        company=case.company,
        name="switching.supply.started-v1",
        payload={
            "case_id": case.pk,
            "contract_id": case.contract_id,
            "supply_point_id": case.supply_point_id,
            "start_date": start_date,
        },
        occurred_at=now,
    )
    return case


def _contract_from(case: SwitchCase, start: date, now: datetime) -> None:
    """The point is on the contract from the start of supply; a signed contract comes into force then."""
    contract = Contract.objects.select_for_update(of=("self",)).get(pk=case.contract_id)
    ContractSupplyPoint.objects.filter(contract=contract, supply_point_id=case.supply_point_id).update(
        valid_from=start
    )
    if contract.status == ContractStatus.SIGNED:
        if start != contract.start_date and (contract.end_date is None or start < contract.end_date):
            first = ContractPriceTerm.objects.filter(contract=contract).order_by("valid_from").first()
            if first is not None:
                ContractPriceTerm.objects.filter(pk=first.pk).update(valid_from=start)
            Contract.objects.filter(pk=contract.pk).update(start_date=start, updated_at=now)
            contract.refresh_from_db()
        contract_change_status(
            contract=contract, status=ContractStatus.ACTIVE, on_date=start, actor=None, now=now
        )


@transaction.atomic
def case_cancel(
    *, case: SwitchCase, reason: str, actor: AbstractBaseUser | None, now: datetime
) -> SwitchCase:
    """Stop a case before supply starts (the contract is kept: a new case may be opened)."""
    case = _locked(case)
    if case.status not in LIVE_STATUSES:
        raise SwitchRefused(
            _("Case %(number)s is %(status)s.") % {"number": case.number, "status": case.get_status_display()}
        )
    if not reason.strip():
        raise ValidationFailed.single("reason", _("Say why the case is cancelled."), code="required")
    return _close(case, CaseStatus.CANCELLED, reason, actor, now)


def withdrawal_deadline(*, signed_on: date) -> date:
    """The last day to send a withdrawal: 14 days from signing; a deadline falling on a Saturday, Sunday or
    public holiday moves to the next working day (Civil Code art. 115)."""
    return next_business_day(signed_on + timedelta(days=WITHDRAWAL_DAYS), country="PL")


@transaction.atomic
def case_withdraw(
    *, case: SwitchCase, sent_on: date, actor: AbstractBaseUser | None, now: datetime
) -> SwitchCase:
    """A consumer withdrew from the contract within the legal period (the statement sent within 14 days
    of signing): every live switch case of the contract stops and the contract is withdrawn (never billed).
    A business has no such right: its contract ends by termination."""
    case = _locked(case)
    contract = (
        Contract.objects.select_for_update(of=("self",)).select_related("customer").get(pk=case.contract_id)
    )
    if case.status not in LIVE_STATUSES:
        raise SwitchRefused(
            _("Case %(number)s is %(status)s.") % {"number": case.number, "status": case.get_status_display()}
        )
    if contract.customer.kind != CustomerKind.PERSON:
        raise ValidationFailed.single(
            "sent_on",
            _("Only a consumer may withdraw from a contract; a business gives notice."),
            code="not_consumer",
        )
    if contract.status != ContractStatus.SIGNED or contract.signed_on is None:
        raise ValidationFailed.single(
            "sent_on",
            _("A withdrawal is possible before supply starts under the contract."),
            code="not_signed",
        )
    deadline = withdrawal_deadline(signed_on=contract.signed_on)
    if sent_on < contract.signed_on or sent_on > _today(now):
        raise ValidationFailed.single(
            "sent_on", _("The withdrawal is sent after signing and not in the future.")
        )
    if sent_on > deadline:
        raise ValidationFailed.single(
            "sent_on",
            _("The withdrawal period ended %(day)s: a withdrawal sent later is a termination.")
            % {"day": deadline},
            code="too_late",
        )
    reason = _("withdrawal sent %(day)s") % {"day": sent_on}
    for other in SwitchCase.objects.filter(contract=contract, status__in=LIVE_STATUSES).exclude(pk=case.pk):
        _close(_locked(other), CaseStatus.WITHDRAWN, reason, actor, now)
    case = _close(case, CaseStatus.WITHDRAWN, reason, actor, now)
    contract_change_status(
        contract=contract, status=ContractStatus.WITHDRAWN, on_date=sent_on, actor=actor, now=now
    )
    return case


def cases_close_for_ended_contract(event: OutboxEvent) -> None:
    """Subscriber of ``sales.contract.terminated-v1`` and ``sales.contract.ceded-v1``: a contract that
    ends leaves no switch running for it."""
    contract_id = event.payload.get("contract_id")
    for case in SwitchCase.objects.filter(contract_id=contract_id, status__in=LIVE_STATUSES):
        with transaction.atomic():
            _close(_locked(case), CaseStatus.CANCELLED, _("the contract ended"), None, event.occurred_at)


def _close(case: SwitchCase, status: str, reason: str, actor, now: datetime) -> SwitchCase:
    before = case.status
    case.status = status
    case.rejection_reason = reason[:500] if status != CaseStatus.REJECTED else case.rejection_reason
    case.updated_at = now
    case.save()
    case.steps.filter(status=StepStatus.CURRENT).update(status=StepStatus.PENDING, due_on=None)
    SupplyPoint.objects.filter(pk=case.supply_point_id, status=SupplyPointStatus.SWITCHING).update(
        status=SupplyPointStatus.PROSPECT, updated_at=now
    )
    audit_record(
        company=case.company, instance=case, action=AuditEntry.Action.UPDATED,
        before={"status": before}, after={"status": status, "reason": reason}, actor=actor, at=now,
    )  # fmt: skip
    event_record(
        company=case.company,
        name=f"switching.case.{status}-v1",
        payload={"case_id": case.pk, "contract_id": case.contract_id, "reason": reason},
        occurred_at=now,
    )
    return case
