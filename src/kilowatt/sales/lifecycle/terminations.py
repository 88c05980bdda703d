"""Terminations: notice given by the customer or the company, or an end agreed by both.

Supply ends (excluded) on the later of the day the notice was received plus the notice period and the
end asked for, never after the contract's own end; by agreement the parties' date is taken as it is. A
customer leaving a fixed-term contract early owes the penalty the contract states; it is recorded here
and published with ``sales.contract.terminated-v1`` for billing/finance to charge (nothing is posted to
the ledger here).

DOMAIN.md states no rule of its own on a consumer's termination, so the contract's terms apply to every
customer; a statutory limit on what a household may be charged belongs in the contract's fees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import AuditEntry
from kilowatt.core.operations import audit_record
from kilowatt.core.validation import FieldErrors
from kilowatt.sales.lifecycle.common import (
    contract_open_locked,
    contract_snapshot,
    document_print,
    links_and_terms_end,
    local_day,
)
from kilowatt.sales.models import Contract, ContractStatus, ContractTermination, TerminationParty
from kilowatt.sales.operations import contract_change_status
from kilowatt.sales.paperwork import contract_document_data

GROSZ = Decimal("0.01")


@dataclass(frozen=True)
class TerminationQuote:
    effective_on: date
    months_left: int
    penalty: Decimal


def months_started(start: date, end: date) -> int:
    """Calendar months from ``start`` until ``end`` (excluded), every started month counting in full: the
    first month is [start, start + 1 month), the next [start + 1 month, start + 2 months)… (a month from the
    31st ends on the last day of a shorter month). 0 when ``end`` is not after ``start``."""
    if end <= start:
        return 0
    gap = relativedelta(end, start)
    return gap.years * 12 + gap.months + (1 if gap.days else 0)


def termination_quote(
    *, contract: Contract, initiated_by: str, received_on: date | None, requested_end: date | None = None
) -> TerminationQuote:
    """When supply ends and what ending early costs, without recording anything.

    Effective end (excluded): the later of ``received_on`` + ``notice_period_days`` and ``requested_end``;
    by agreement, ``requested_end`` when given; never after the contract's ``end_date``.

    Penalty: only when the customer terminates a fixed-term contract before its ``end_date``:
    ``early_termination_fee`` + ``early_termination_fee_per_month`` × months left, where every started
    month from the effective end until ``end_date`` counts (``months_started``): ending 2026-05-01 a
    contract running until 2028-04-01 leaves 23 months, ending 2026-05-02 leaves 23 as well (22 months and
    30 days, the part counts), ending 2026-04-30 leaves 24. Rounded half up to the grosz. Nothing is owed
    for a termination by the company or by agreement, nor for a contract made for an indefinite period.

    Raises ValidationFailed."""
    errors = FieldErrors()
    if initiated_by not in TerminationParty.values:
        errors.add("initiated_by", _("Say who terminates the contract."), code="required")
    if received_on is None:
        errors.add("received_on", _("Give the day the notice was received."), code="required")
    elif requested_end is not None and requested_end <= received_on:
        errors.add("requested_end", _("The end asked for must come after the notice is received."))
    errors.raise_if_any()
    assert received_on is not None
    by_notice = received_on + timedelta(days=contract.notice_period_days)
    if initiated_by == TerminationParty.AGREEMENT and requested_end is not None:
        effective = requested_end
    else:
        effective = max(by_notice, requested_end or by_notice)
    if contract.end_date is not None:
        effective = min(effective, contract.end_date)
    if effective <= contract.start_date:
        raise ValidationFailed.single(
            "requested_end",
            _("Supply under contract %(number)s starts on %(start)s; the notice would end it on %(day)s, "
              "before that. Give an end after the start.")
            % {"number": contract.number, "start": contract.start_date, "day": effective},
            code="before_start",
        )  # fmt: skip
    months = months_started(effective, contract.end_date) if contract.end_date else 0
    if initiated_by != TerminationParty.CUSTOMER or months == 0:
        return TerminationQuote(effective, months, Decimal("0.00"))
    penalty = contract.early_termination_fee + contract.early_termination_fee_per_month * months
    return TerminationQuote(effective, months, penalty.quantize(GROSZ, rounding=ROUND_HALF_UP))


def termination_document_data(
    *, termination: ContractTermination, issued_on: date, term_end: date | None = None
) -> dict[str, Any]:
    """What a termination's body template may use: everything a contract's does, plus ``termination``
    (initiated_by and its label, received_on, effective_on, reason, months_left, penalty, and term_end:
    the end the contract was made until, which ``contract.end_date`` no longer shows)."""
    data = contract_document_data(contract=termination.contract, issued_on=issued_on)
    data["termination"] = {
        "initiated_by": termination.initiated_by,
        "initiated_by_label": str(TerminationParty(termination.initiated_by).label),
        "received_on": termination.received_on,
        "effective_on": termination.effective_on,
        "reason": termination.reason,
        "months_left": termination.months_left,
        "penalty": termination.penalty,
        "term_end": term_end or termination.contract.end_date,
    }
    return data


@transaction.atomic
def contract_terminate(
    *,
    contract: Contract,
    initiated_by: str,
    received_on: date | None,
    reason: str,
    requested_end: date | None = None,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> ContractTermination:
    """Record a termination (see ``termination_quote`` for the end and the penalty): the contract ends on
    the effective day, its supply point links and price terms close there, its status becomes terminated,
    the termination letter is printed, and ``sales.contract.terminated-v1`` carries the dates and the
    penalty. The penalty is charged later by billing/finance, never posted here. A company's notice needs a
    reason. Raises ValidationFailed."""
    contract = contract_open_locked(contract)
    quote = termination_quote(
        contract=contract, initiated_by=initiated_by, received_on=received_on, requested_end=requested_end
    )
    reason = (reason or "").strip()[:300]
    if initiated_by == TerminationParty.COMPANY and not reason:
        raise ValidationFailed.single(
            "reason", _("Say why the company terminates the contract."), code="required"
        )
    assert received_on is not None
    before, term_end = contract_snapshot(contract), contract.end_date
    contract.end_date, contract.updated_at = quote.effective_on, now
    contract.save(update_fields=["end_date", "updated_at"])
    links_and_terms_end(contract, quote.effective_on)
    termination = ContractTermination.objects.create(
        contract=contract,
        initiated_by=initiated_by,
        received_on=received_on,
        effective_on=quote.effective_on,
        reason=reason,
        months_left=quote.months_left,
        penalty=quote.penalty,
        created_at=now,
        created_by=actor,
    )
    audit_record(
        company=contract.company, instance=contract, action=AuditEntry.Action.UPDATED,
        before=before, after=contract_snapshot(contract), actor=actor, at=now,
    )  # fmt: skip
    contract_change_status(
        contract=contract, status=ContractStatus.TERMINATED, on_date=received_on, actor=actor, now=now,
        details={"termination_id": termination.pk, "customer_id": contract.customer_id,
                 "initiated_by": initiated_by, "received_on": received_on, "effective_on": quote.effective_on,
                 "months_left": quote.months_left, "penalty": str(quote.penalty)},
    )  # fmt: skip
    document_print(
        contract=contract, kind="termination", title=gettext_lazy("Termination of contract %(number)s"),
        number=contract.number,
        context=lambda: termination_document_data(
            termination=termination, issued_on=local_day(now), term_end=term_end
        ),
        actor=actor, now=now, suffix="-termination",
    )  # fmt: skip
    return termination
