"""Sending cases to a DSO and importing its answers, whatever the exchange.

``cases_send`` is all or nothing: every case is checked first, and the message is stored and the cases
marked submitted in one transaction. ``answers_import`` keeps every message it receives: a broken file
is stored refused (with its problems) and nothing of it is applied; in a readable file each answer is
applied on its own, an answer that fits no case (unknown, another point, the wrong state) is an error
row kept on the message, and the same file twice changes nothing (its SHA-256).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import gettext as _

from kilowatt.core.errors import DomainError, FieldError, ValidationFailed
from kilowatt.core.models import Company
from kilowatt.network.models import Dso
from kilowatt.switching.exchange.base import ExchangeFormatError, Location, exchange_for
from kilowatt.switching.models import DsoMessage, SwitchCase
from kilowatt.switching.operations import DsoAnswer, answer_apply, case_submitted, submission_check

log = logging.getLogger(__name__)


def _cases_locked(*, company: Company, dso: Dso, cases: list[SwitchCase]) -> list[SwitchCase]:
    """The cases, locked, in the order given; refused unless all are the company's, at this DSO and in
    one process (one process, one exchange)."""
    wanted = list(dict.fromkeys(case.pk for case in cases))
    found = {
        case.pk: case
        for case in SwitchCase.objects.select_for_update(of=("self",))
        .filter(company=company, pk__in=wanted)
        .select_related("process__dso", "supply_point")
        .order_by("pk")
    }
    errors = [
        FieldError("cases", _("Case %(number)s is not a case of this company.") % {"number": c.number})
        for c in cases
        if c.pk not in found
    ]
    errors += [
        FieldError(
            "cases",
            _("Case %(number)s is at %(other)s, not at %(dso)s.")
            % {"number": c.number, "other": c.process.dso.name, "dso": dso.name},
            code="other_dso",
        )
        for c in found.values()
        if c.process.dso_id != dso.pk
    ]
    processes = {c.process_id for c in found.values()}
    if not errors and len(processes) > 1:
        errors.append(
            FieldError(
                "cases",
                _("The cases belong to different processes (%(names)s): send each process's cases apart.")
                % {"names": ", ".join(sorted({c.process.name for c in found.values()}))},
                code="mixed_processes",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return [found[pk] for pk in wanted]


@transaction.atomic
def cases_send(*, company: Company, dso: Dso, cases: list[SwitchCase], now: datetime) -> DsoMessage:
    """Notify the DSO of the cases in one message of their process's exchange, keep the message and
    mark every case submitted. Raises ValidationFailed naming every case refused (none is sent then)."""
    if not cases:
        raise ValidationFailed.single("cases", _("Choose the cases to send."), code="required")
    locked = _cases_locked(company=company, dso=dso, cases=cases)
    refusals = []
    for case in locked:
        try:
            submission_check(case=case)
        except DomainError as refused:
            refusals.append(
                FieldError(
                    "cases",
                    _("Case %(number)s: %(reason)s") % {"number": case.number, "reason": refused.message},
                    code=refused.code,
                )
            )
    if refusals:
        raise ValidationFailed(refusals)
    process = locked[0].process
    file_name, content = exchange_for(code=process.exchange).outgoing(
        company=company, dso=dso, cases=locked, now=now
    )
    message = DsoMessage.objects.create(
        company=company,
        dso=dso,
        direction=DsoMessage.Direction.OUT,
        exchange=process.exchange,
        file_name=file_name[:200],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        created_at=now,
    )
    message.cases.set(locked)
    for case in locked:
        case_submitted(case=case, now=now)
    return message


@dataclass
class AnswersImport:
    """What an answer file did: the stored message, the answers applied, the error rows
    (``{"row", "case", "message"}``) and whether the same file had been imported before."""

    message: DsoMessage
    applied: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    already_imported: bool = False


def _received(*, company: Company, dso: Dso, digest: str, accepted: bool) -> DsoMessage | None:
    return DsoMessage.objects.filter(
        company=company, dso=dso, direction=DsoMessage.Direction.IN, sha256=digest, accepted=accepted
    ).first()


def _earlier(message: DsoMessage) -> AnswersImport:
    """The result of a file imported before, read back from its message (its answers parsed again)."""
    answers = exchange_for(code=message.exchange).answer_rows(content=bytes(message.content))
    return AnswersImport(
        message=message,
        applied=len(answers) - len(message.errors),
        errors=list(message.errors),
        already_imported=True,
    )


def _refusal_keep(
    *, company: Company, dso: Dso, file_name: str, content: bytes, digest: str, exchange: str,
    refused: ExchangeFormatError, now: datetime,
) -> None:  # fmt: skip
    """Keep a broken file as a refused message (once: the same broken file again adds nothing)."""
    if _received(company=company, dso=dso, digest=digest, accepted=False) is not None:
        return
    with transaction.atomic():
        DsoMessage.objects.create(
            company=company, dso=dso, direction=DsoMessage.Direction.IN, exchange=exchange,
            file_name=file_name[:200], content=content, sha256=digest, accepted=False,
            errors=refused.as_rows(), created_at=now,
        )  # fmt: skip
    log.warning("DSO %s file %s refused: %s", dso.code, file_name, refused.message)


def answers_import(
    *, company: Company, dso: Dso, file_name: str, content: bytes, exchange: str, now: datetime
) -> AnswersImport:
    """Import a DSO's answer file of the given exchange and apply each answer to its case.

    Raises ExchangeFormatError (naming the rows or elements) for a broken file, after keeping it as a
    refused message: nothing of it is applied. Raises ValidationFailed for an unknown exchange."""
    adapter = exchange_for(code=exchange)
    digest = hashlib.sha256(content).hexdigest()
    earlier = _received(company=company, dso=dso, digest=digest, accepted=True)
    if earlier is not None:
        return _earlier(earlier)
    try:
        located = adapter.answer_rows(content=content)
    except ExchangeFormatError as refused:
        _refusal_keep(
            company=company, dso=dso, file_name=file_name, content=content, digest=digest,
            exchange=exchange, refused=refused, now=now,
        )  # fmt: skip
        raise
    try:
        with transaction.atomic():
            return _answers_apply(
                company=company, dso=dso, file_name=file_name, content=content, digest=digest,
                exchange=exchange, located=located, now=now,
            )  # fmt: skip
    except IntegrityError:
        # The same file imported at the same moment by another request: its result stands.
        earlier = _received(company=company, dso=dso, digest=digest, accepted=True)
        if earlier is None:
            raise
        return _earlier(earlier)


def _answers_apply(
    *, company: Company, dso: Dso, file_name: str, content: bytes, digest: str, exchange: str,
    located: list[tuple[Location, DsoAnswer]], now: datetime,
) -> AnswersImport:  # fmt: skip
    message = DsoMessage.objects.create(
        company=company, dso=dso, direction=DsoMessage.Direction.IN, exchange=exchange,
        file_name=file_name[:200], content=content, sha256=digest, accepted=True, created_at=now,
    )  # fmt: skip
    result = AnswersImport(message=message)
    applied_cases: list[SwitchCase] = []
    for row, answer in located:
        case, error = _answer_one(company=company, dso=dso, row=row, answer=answer, now=now)
        if case is not None:
            result.applied += 1
            applied_cases.append(case)
        elif error is not None:
            result.errors.append(error)
    message.errors = result.errors
    message.save(update_fields=["errors"])
    message.cases.add(*applied_cases)
    return result


def _place(row: Location) -> str:
    if isinstance(row, int):
        return _("Row %(row)s") % {"row": row}
    return _("Element %(path)s") % {"path": row}


def _answer_one(
    *, company: Company, dso: Dso, row: Location, answer: DsoAnswer, now: datetime
) -> tuple[SwitchCase | None, dict[str, Any] | None]:
    """Apply one answer in its own savepoint: the case, or the error row when it fits no case."""
    number = answer.case_number

    def error(reason: str) -> tuple[None, dict[str, Any]]:
        text = _("%(place)s: case %(number)s: %(reason)s") % {
            "place": _place(row), "number": number, "reason": reason,
        }  # fmt: skip
        return None, {"row": row, "case": number, "message": text}

    case = (
        SwitchCase.objects.filter(company=company, number=number, process__dso=dso)
        .select_related("supply_point")
        .first()
    )
    if case is None:
        return error(_("no such case of ours at %(dso)s.") % {"dso": dso.name})
    if case.supply_point.code != answer.supply_point_code:
        return error(
            _("the answer names supply point %(given)s, the case is for %(code)s.")
            % {"given": answer.supply_point_code, "code": case.supply_point.code}
        )
    try:
        with transaction.atomic():
            return answer_apply(case=case, answer=answer, now=now), None
    except DomainError as refused:
        return error(refused.message)
    except DatabaseError:
        # Data of ours the answer cannot be applied to (a date against the contract's periods): this row
        # is reported and logged, the file's other rows still apply.
        log.exception("answer for case %s could not be applied", number)
        return error(_("the answer does not fit the contract's dates; a person must look at it."))
