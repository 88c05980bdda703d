"""Exchange with DSOs behind an adapter: the cases sent in the format of their process's ``exchange``
("file": spreadsheets, "csire": CSIRE-shaped XML, "fake": a local fake DSO) and the DSO's answers
imported through the same adapter. See ``docs/switching.md`` ("Exchange with DSOs")."""

from kilowatt.switching.exchange.base import (
    CaseRow,
    DsoExchange,
    ExchangeFormatError,
    FormatProblem,
    case_rows,
    exchange_for,
    exchange_register,
)
from kilowatt.switching.exchange.csire import CsireExchange
from kilowatt.switching.exchange.fake import FakeExchange, fake_dso_answer, fake_dso_started
from kilowatt.switching.exchange.operations import AnswersImport, answers_import, cases_send
from kilowatt.switching.exchange.sheets import SheetExchange

__all__ = [
    "AnswersImport",
    "CaseRow",
    "CsireExchange",
    "DsoExchange",
    "ExchangeFormatError",
    "FakeExchange",
    "FormatProblem",
    "SheetExchange",
    "answers_import",
    "case_rows",
    "cases_send",
    "exchange_for",
    "exchange_register",
    "fake_dso_answer",
    "fake_dso_started",
]
