"""What every exchange with a DSO shares: the adapter protocol, its registry, the format error, the data
of a case as the DSO is told it, and the small parsers (dates, numbers, outcomes) of the answer formats."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.utils.translation import gettext as _

from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.models import Company
from kilowatt.network.models import Dso, Zone
from kilowatt.switching.models import SwitchCase
from kilowatt.switching.operations import DsoAnswer

# Where an answer is in its file: the row number of a sheet (the header is row 1) or an XML element's path.
Location = int | str | None
LocatedAnswer = tuple[Location, DsoAnswer]

ACCEPTED, REJECTED, STARTED = "accepted", "rejected", "started"
# Outcome words as DSOs write them, compared without case and Polish diacritics.
OUTCOME_WORDS = {
    ACCEPTED: ("accepted", "przyjete", "przyjeta", "przyjety", "zaakceptowane"),
    REJECTED: ("rejected", "odrzucone", "odrzucona", "odrzucony"),
    STARTED: ("started", "rozpoczete", "rozpoczeta", "rozpoczecie sprzedazy"),
}
ZONES = [zone.value for zone in Zone]
MAX_PROBLEMS_IN_MESSAGE = 5


@dataclass(frozen=True)
class FormatProblem:
    """One reason a DSO's file cannot be read; ``message`` names the row or element itself."""

    row: Location
    message: str
    case: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "case": self.case, "message": self.message}


class ExchangeFormatError(DomainError):
    """The DSO's file is broken (unreadable, a missing column, a bad date…): nothing of it is applied."""

    code = "dso_file_invalid"

    def __init__(self, problems: list[FormatProblem]) -> None:
        self.problems = problems
        shown = "; ".join(p.message for p in problems[:MAX_PROBLEMS_IN_MESSAGE])
        if len(problems) > MAX_PROBLEMS_IN_MESSAGE:
            shown += " " + _("(and %(count)s more)") % {"count": len(problems) - MAX_PROBLEMS_IN_MESSAGE}
        super().__init__(shown, field="file")

    @classmethod
    def single(cls, row: Location, message: str) -> ExchangeFormatError:
        return cls([FormatProblem(row=row, message=str(message))])

    def as_rows(self) -> list[dict[str, Any]]:
        return [p.as_dict() for p in self.problems]


@dataclass(frozen=True)
class CaseRow:
    """What the DSO is told about one case (the columns of the outgoing file, the items of a message)."""

    number: str
    supply_point_code: str
    customer_name: str
    nip: str
    pesel: str
    address: str
    requested_start: date
    tariff_group: str
    capacity_kw: Decimal | None
    annual_kwh: Decimal
    previous_supplier: str
    terminate_previous: bool
    seller_nip: str = ""


class DsoExchange(Protocol):
    """How cases go to a DSO and how its answers come back. ``outgoing`` gives the file name and content
    of the message notifying the DSO of the cases; ``answers`` parses the DSO's answer and raises
    ExchangeFormatError (naming the row or element and the reason) for a broken file."""

    code: str

    def outgoing(
        self, *, company: Company, dso: Dso, cases: list[SwitchCase], now: datetime
    ) -> tuple[str, bytes]: ...

    def answers(self, *, content: bytes) -> list[DsoAnswer]: ...

    def answer_rows(self, *, content: bytes) -> list[LocatedAnswer]:
        """The answers, each with where it is in the file (for error rows)."""
        ...


_registry: dict[str, DsoExchange] = {}


def exchange_register(*, code: str, exchange: DsoExchange) -> None:
    """Make an exchange available to the processes whose ``exchange`` is ``code`` (the last one wins)."""
    _registry[code] = exchange


def exchange_for(*, code: str) -> DsoExchange:
    """The exchange registered for a process's ``exchange`` code. Raises ValidationFailed."""
    try:
        return _registry[code]
    except KeyError:
        raise ValidationFailed.single(
            "exchange",
            _("There is no exchange “%(code)s” with DSOs; known: %(known)s.")
            % {"code": code, "known": ", ".join(sorted(_registry))},
            code="unknown_exchange",
        ) from None


def case_rows(*, cases: list[SwitchCase]) -> list[CaseRow]:
    """The cases as the DSO is told them, in the order given (one query)."""
    loaded = {
        case.pk: case
        for case in SwitchCase.objects.filter(pk__in=[c.pk for c in cases]).select_related(
            "company",
            "contract__customer",
            "supply_point__address",
            "supply_point__tariff_group",
        )
    }
    rows = []
    for given in cases:
        case = loaded[given.pk]
        point, customer = case.supply_point, case.contract.customer
        rows.append(
            CaseRow(
                number=case.number,
                supply_point_code=point.code,
                customer_name=customer.display_name,
                nip=customer.nip,
                pesel=customer.pesel,
                address=str(point.address),
                requested_start=case.requested_start,
                tariff_group=point.tariff_group.code,
                capacity_kw=point.contracted_capacity_kw,
                annual_kwh=point.annual_consumption_kwh,
                previous_supplier=case.previous_supplier,
                terminate_previous=case.termination_authorised,
                seller_nip=case.company.nip,
            )
        )
    return rows


def fold(text: str) -> str:
    """Lower case without Polish diacritics and extra spaces: how headers and words are compared."""
    text = str(text).strip().lower().replace("ł", "l")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


_OUTCOMES = {fold(word): outcome for outcome, words in OUTCOME_WORDS.items() for word in words}


def outcome_parse(value: Any) -> str | None:
    """ "accepted", "rejected" or "started" for a word in English or Polish, else None."""
    return _OUTCOMES.get(fold(value or ""))


def date_parse(value: Any) -> date | None:
    """A date from a spreadsheet cell or text (YYYY-MM-DD, DD.MM.YYYY); None when empty. Raises
    ValueError when it is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if "." in text:
        return datetime.strptime(text, "%d.%m.%Y").date()
    return date.fromisoformat(text[:10]) if len(text) in (10, 19) else date.fromisoformat(text)


def decimal_parse(value: Any) -> Decimal | None:
    """A number from a cell or text (a decimal comma and spaces allowed); None when empty. Raises
    ValueError when it is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        try:
            number = Decimal(str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", "."))
        except InvalidOperation as exc:
            raise ValueError(value) from exc
    if not number.is_finite():
        raise ValueError(value)
    return number


@dataclass(frozen=True)
class RawAnswer:
    """One answer as read from a file, before its values are checked. ``place`` is how a person finds
    it ("Row 3", "element Result[2]"); ``labels`` name each field as the file does (a column header,
    an element name)."""

    row: Location
    place: str
    labels: dict[str, str]
    values: dict[str, Any]
    readings: dict[str, Any]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a spreadsheet cell, e.g. a case or meter number
    return str(value).strip()


def answer_build(raw: RawAnswer) -> tuple[DsoAnswer | None, list[FormatProblem]]:
    """Check one raw answer: the answer, or the problems naming its row or element and the field."""
    problems: list[FormatProblem] = []
    number = _text(raw.values.get("case_number"))

    def problem(name: str, reason: str) -> None:
        message = _("%(place)s, %(field)s: %(reason)s") % {
            "place": raw.place, "field": raw.labels.get(name, name), "reason": reason,
        }  # fmt: skip
        problems.append(FormatProblem(row=raw.row, message=message, case=number))

    for name in ("case_number", "supply_point_code"):
        if not _text(raw.values.get(name)):
            problem(name, _("empty; every answer names it."))
    outcome = outcome_parse(raw.values.get("outcome"))
    if outcome is None:
        problem(
            "outcome",
            _("“%(value)s” is not an outcome; write przyjęte, odrzucone or rozpoczęte (accepted, "
              "rejected, started).") % {"value": _text(raw.values.get("outcome"))},
        )  # fmt: skip
    start = None
    try:
        start = date_parse(raw.values.get("start_date"))
    except ValueError:
        problem(
            "start_date",
            _("“%(value)s” is not a date (YYYY-MM-DD or DD.MM.YYYY).")
            % {"value": _text(raw.values.get("start_date"))},
        )
    else:
        if start is None and outcome in (ACCEPTED, STARTED):
            problem("start_date", _("empty; an acceptance and a start of supply give the start date."))
    if outcome == REJECTED and not (
        _text(raw.values.get("rejection_code")) or _text(raw.values.get("rejection_reason"))
    ):
        problem("rejection_code", _("empty; a rejection gives its code or reason."))
    readings = _readings(raw, outcome, problem)
    if problems:
        return None, problems
    answer = DsoAnswer(
        case_number=number,
        supply_point_code=_text(raw.values.get("supply_point_code")),
        outcome=outcome or "",
        start_date=start,
        rejection_code=_text(raw.values.get("rejection_code")),
        rejection_reason=_text(raw.values.get("rejection_reason")),
        dso_reference=_text(raw.values.get("dso_reference")),
        meter_serial=_text(raw.values.get("meter_serial")),
        readings=readings,
    )
    return answer, []


def _readings(raw: RawAnswer, outcome: str | None, problem) -> dict[str, Decimal]:
    readings: dict[str, Decimal] = {}
    for zone, value in raw.readings.items():
        label = f"reading:{zone}"
        try:
            number = decimal_parse(value)
        except ValueError:
            problem(label, _("“%(value)s” is not a number.") % {"value": _text(value)})
            continue
        if number is None:
            continue
        if number < 0:
            problem(label, _("a meter reading is never negative."))
            continue
        readings[zone] = number
    if outcome == STARTED and not readings and not any(p for p in raw.readings.values() if _text(p)):
        problem("readings", _("empty; a start of supply gives the start reading of every register."))
    return readings
