"""Broken statement files (truncated MT940, wrong XML, a statement of an account that is not the company's)
give a clear error naming the line, and nothing from that file is stored or posted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from schwifty import IBAN
from tests import factories

from kilowatt.core.errors import ValidationFailed
from kilowatt.finance.models import BankStatement, BankTransaction, LedgerEntry
from kilowatt.finance.operations import Posting, ledger_post_many
from kilowatt.finance.payments import statement_import

pytestmark = pytest.mark.django_db
D = Decimal
SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"
MT940 = (SAMPLES / "statement-mt940.sta").read_text(encoding="utf-8")
CAMT = (SAMPLES / "statement-camt053.xml").read_text(encoding="utf-8")
OWN = "PL61109010140000071219812874"  # the account the samples are statements of
FOREIGN = str(IBAN.generate("PL", bank_code="10501445", account_code="0000071219812874"))


@pytest.fixture
def bank_company(company, now):
    """A company with a customer, an invoice and one statement already imported."""
    company.bank_account_prefix = "109010147777"
    company.save()
    customer = factories.customer(company, now)
    ledger_post_many(
        company=company,
        postings=[
            Posting(
                customer.pk, "invoice", "invoice", 1, "FV/000001/2026", D("250.00"), date(2026, 3, 1), None
            )
        ],
        now=now,
    )
    statement_import(
        company=company, file_name="statement.csv", content=(SAMPLES / "statement.csv").read_bytes(), now=now
    )
    return company


def _counts():
    return (BankStatement.objects.count(), BankTransaction.objects.count(), LedgerEntry.objects.count())


def _refused(company, now, name: str, content: str) -> str:
    before = _counts()
    with pytest.raises(ValidationFailed) as refused:
        statement_import(company=company, file_name=name, content=content.encode(), now=now)
    assert _counts() == before, "nothing of a broken file is stored"
    assert refused.value.field == "file"
    return refused.value.message


def _lines(text: str, last: int) -> str:
    return "\n".join(text.splitlines()[:last]) + "\n"


def test_the_setup_imported_something(bank_company):
    assert all(_counts())


def test_mt940_cut_off_after_an_entry_line(bank_company, now):
    message = _refused(bank_company, now, "cut.sta", _lines(MT940, 14))  # line 14 is a :61: without :86:
    assert "line 14" in message and ":86:" in message


def test_mt940_cut_off_before_its_closing_balance(bank_company, now):
    message = _refused(bank_company, now, "cut.sta", _lines(MT940, 48))
    assert "line" in message and ":62F:" in message


def test_mt940_whose_entries_do_not_add_up(bank_company, now):
    message = _refused(bank_company, now, "sum.sta", MT940.replace("CN250,00", "CN205,00"))
    assert "closing balance" in message and "line 58" in message  # the :62F: line


def test_xml_that_is_not_well_formed(bank_company, now):
    broken = CAMT.replace("</BkToCstmrStmt>", "</BkToCstmrStmnt>")
    message = _refused(bank_company, now, "bad.xml", broken)
    assert "not well formed" in message and "line" in message


def test_xml_that_is_not_a_camt053_statement(bank_company, now):
    other = CAMT.replace("camt.053.001.02", "pain.001.001.09")
    assert "not a camt.053" in _refused(bank_company, now, "pain.xml", other)


def test_a_file_of_no_known_format(bank_company, now):
    message = _refused(bank_company, now, "notes.txt", "Dear bank,\nplease send the statement.\n")
    assert "line 1" in message and "notes.txt" in message


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("other-bank.sta", MT940.replace(OWN, FOREIGN), 2),
        ("other-bank-nrb.sta", MT940.replace(OWN, FOREIGN[2:]), 2),
        ("other-bank.xml", CAMT.replace(OWN, FOREIGN), 14),
    ],
)
def test_a_statement_of_an_account_that_is_not_the_companys(bank_company, now, name, content, line):
    message = _refused(bank_company, now, name, content)
    assert name in message and f"line {line}" in message and FOREIGN[2:] in message.replace(" ", "")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("own.sta", MT940),
        ("own-nrb.sta", MT940.replace(OWN, OWN[2:])),
        ("own.xml", CAMT),
    ],
)
def test_a_statement_of_the_companys_own_account_imports(company, now, name, content):
    company.bank_account_prefix = "109010147777"
    company.save()
    result = statement_import(company=company, file_name=name, content=content.encode(), now=now)
    assert BankStatement.objects.get().account.endswith(OWN[2:])
    assert result.matched + result.unmatched + result.outgoing == len(result.statement.transactions.all())


def test_without_a_bank_prefix_the_account_cannot_be_checked(company, now):
    result = statement_import(
        company=company, file_name="x.sta", content=MT940.replace(OWN, FOREIGN).encode(), now=now
    )
    assert not result.already_imported and BankStatement.objects.count() == 1
