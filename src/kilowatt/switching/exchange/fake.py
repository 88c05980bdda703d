"""A local fake DSO (``exchange = "fake"``) for tests and the demo. It speaks the spreadsheet format: it
reads our outgoing file as a DSO would and writes answer files that go through the same parser as a
real DSO's file — nothing is applied behind the import's back.

Its rules:

- **Rejected** with code ``E17`` "Brak umowy dystrybucyjnej (GUD)" when the customer's name contains
  "Odrzuć" (any case; "Odrzuc" without the diacritic too). Every other case is
- **accepted** with the start of supply on the later of the requested start and the answer day plus
  2 working days (PL weekends and holidays not counted), the DSO's reference ``FAKE-<case number>``.
- **Started** (``fake_dso_started``, from the fake's own acceptance file): each accepted case whose
  start date has come (on or before the day asked) gets the meter serial ``FAKE-<last 6 of the PPE
  code>`` and a start reading of 1000.000 for every register zone — of the meter already at the point,
  else of the point's tariff group.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from kilowatt.core.models import Company
from kilowatt.network.models import Direction, Dso, MeterRegister, SupplyPoint, Zone
from kilowatt.switching.exchange.base import ACCEPTED, REJECTED, STARTED, CaseRow, exchange_register, fold
from kilowatt.switching.exchange.sheets import (
    SheetExchange,
    answers_read,
    answers_write,
    midnight,
    outgoing_read,
)
from kilowatt.switching.models import DeadlineKind
from kilowatt.switching.operations import DsoAnswer, deadline_after

REJECT_WORD = fold("Odrzuć")
REJECTION_CODE = "E17"
REJECTION_REASON = "Brak umowy dystrybucyjnej (GUD)"
WORKING_DAYS = 2
START_READING = Decimal("1000.000")


class FakeExchange(SheetExchange):
    """The spreadsheet format, answered by ``fake_dso_answer`` and ``fake_dso_started``."""

    code = "fake"


def _verdict(row: CaseRow, earliest: date) -> DsoAnswer:
    if REJECT_WORD in fold(row.customer_name):
        return DsoAnswer(
            case_number=row.number,
            supply_point_code=row.supply_point_code,
            outcome=REJECTED,
            rejection_code=REJECTION_CODE,
            rejection_reason=REJECTION_REASON,
        )
    return DsoAnswer(
        case_number=row.number,
        supply_point_code=row.supply_point_code,
        outcome=ACCEPTED,
        start_date=max(row.requested_start, earliest),
        dso_reference=f"FAKE-{row.number}",
    )


def fake_dso_answer(
    *, company: Company, dso: Dso, message_content: bytes, on_date: date
) -> tuple[str, bytes]:
    """The fake DSO's answer (file name, XLSX) to an outgoing file, as of ``on_date``: accepted or
    rejected by the rules above. Raises ExchangeFormatError when the outgoing file cannot be read."""
    earliest = deadline_after(start=on_date, days=WORKING_DAYS, kind=DeadlineKind.WORKING)
    answers = [_verdict(row, earliest) for _row, row in outgoing_read(content=message_content)]
    content = answers_write(answers=answers, stamp=midnight(on_date))
    return f"odpowiedz-{dso.code}-{on_date:%Y%m%d}.xlsx", content


def _zones(*, company: Company, dso: Dso, codes: list[str]) -> dict[str, list[str]]:
    """The register zones the fake DSO reads at each point: its meter's, else its tariff group's."""
    points = SupplyPoint.objects.filter(company=company, dso=dso, code__in=codes).select_related(
        "tariff_group"
    )
    zones = {point.code: list(point.tariff_group.zones or [Zone.ALL_DAY]) for point in points}
    registers = MeterRegister.objects.filter(
        meter__installations__supply_point__in=points,
        meter__installations__removed_on__isnull=True,
        direction=Direction.IMPORT,
    ).values_list("meter__installations__supply_point__code", "zone")
    metered: dict[str, list[str]] = {}
    for code, zone in registers:
        metered.setdefault(code, []).append(zone)
    zones.update(metered)
    return {code: zones.get(code, [Zone.ALL_DAY]) for code in codes}


def fake_dso_started(
    *, company: Company, dso: Dso, answer_content: bytes, on_date: date
) -> tuple[str, bytes]:
    """The fake DSO's start-of-supply file (file name, XLSX) for the cases it accepted in
    ``answer_content`` whose start date is on or before ``on_date`` (a file with no rows when none is
    due). Raises ExchangeFormatError when the acceptance file cannot be read."""
    due = [
        answer
        for _row, answer in answers_read(content=answer_content)
        if answer.outcome == ACCEPTED and answer.start_date is not None and answer.start_date <= on_date
    ]
    zones = _zones(company=company, dso=dso, codes=[answer.supply_point_code for answer in due])
    started = [
        dataclasses.replace(
            answer,
            outcome=STARTED,
            meter_serial=f"FAKE-{answer.supply_point_code[-6:]}",
            readings=dict.fromkeys(zones[answer.supply_point_code], START_READING),
        )
        for answer in due
    ]
    content = answers_write(answers=started, stamp=midnight(on_date))
    return f"rozpoczecie-{dso.code}-{on_date:%Y%m%d}.xlsx", content


exchange_register(code="fake", exchange=FakeExchange())
