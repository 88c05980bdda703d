"""Bank statement parsers: the samples in docs/samples parse exactly; broken files name the line."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kilowatt.finance.statements import StatementInvalid, statement_parse

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
MT940 = (SAMPLES / "statement-mt940.sta").read_bytes()
CAMT = (SAMPLES / "statement-camt053.xml").read_bytes()
CSV = (SAMPLES / "statement.csv").read_bytes()

OWN_ACCOUNT = "PL61109010140000071219812874"
EXPECTED = [  # booked_on, amount, title start, counterparty account, virtual account (camt)
    (
        date(2026, 3, 2),
        Decimal("250.00"),
        "FV/000001/2026",
        "PL50105014451000009012345678",
        "PL46109010147777000000000001",
    ),
    (
        date(2026, 3, 2),
        Decimal("312.45"),
        "Zapłata za FV/000002/2026",
        "PL54114020040000340212345678",
        "PL19109010147777000000000002",
    ),
    (
        date(2026, 3, 3),
        Decimal("189.99"),
        "FV/000003/2026 energia",
        "PL09102028920000550201234567",
        "PL89109010147777000000000003",
    ),
    (
        date(2026, 3, 3),
        Decimal("420.00"),
        "Opłata za prąd 02/2026",
        "PL50105014451000009012345678",
        "PL62109010147777000000000004",
    ),
    (
        date(2026, 3, 4),
        Decimal("150.50"),
        "Rachunek za gaz",
        "PL54114020040000340212345678",
        "PL35109010147777000000000005",
    ),
    (
        date(2026, 3, 4),
        Decimal("1230.00"),
        "/VAT/230,00/IDC/5260250274",
        "PL09102028920000550201234567",
        "PL46109010147777000000000001",
    ),
    (
        date(2026, 3, 4),
        Decimal("-1500.00"),
        "Zaliczka za energię 03/2026",
        "PL09102028920000550201234567",
        "",
    ),
]


def parse(content: bytes, name: str = "statement"):
    return statement_parse(content=content, file_name=name)


def assert_common(statement):
    assert [(e.booked_on, e.amount) for e in statement.entries] == [(row[0], row[1]) for row in EXPECTED]
    for entry, row in zip(statement.entries, EXPECTED, strict=True):
        assert entry.title.startswith(row[2])
        assert entry.counterparty_account == row[3]
        assert entry.currency == "PLN"
        assert entry.amount.as_tuple().exponent == -2
        assert entry.reference
    assert [e.vat_amount for e in statement.entries] == [None] * 5 + [Decimal("230.00"), None]
    assert len({e.reference for e in statement.entries}) == len(statement.entries)


def test_mt940_sample_parses_to_the_expected_entries():
    statement = parse(MT940, "statement-mt940.sta")
    assert statement.format == "mt940"
    assert statement.account == OWN_ACCOUNT
    assert statement.statement_id == "ST260304CYC/1/00042/001"
    assert statement.opening_balance == Decimal("10000.00")
    assert statement.closing_balance == Decimal("11052.94")
    assert statement.opening_balance + sum(e.amount for e in statement.entries) == statement.closing_balance
    assert_common(statement)
    assert [e.account for e in statement.entries] == [
        "",
        "",
        "",
        "PL46109010147777000000000001",
        "PL19109010147777000000000002",
        "",
        "",
    ]
    first, third = statement.entries[0], statement.entries[2]
    assert (first.line, first.reference, first.counterparty_name) == (5, "260302000101", "Jan Kowalski")
    assert third.counterparty_name == "Zakład Usług Ślusarskich Łukasz Żółć"
    assert third.title == "FV/000003/2026 energia elektryczna luty"


def test_camt053_sample_parses_to_the_expected_entries():
    statement = parse(CAMT, "statement-camt053.xml")
    assert statement.format == "camt053"
    assert (statement.account, statement.statement_id) == (OWN_ACCOUNT, "2026-00042")
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("10000.00"),
        Decimal("11052.94"),
    )
    assert statement.opening_balance + sum(e.amount for e in statement.entries) == statement.closing_balance
    assert_common(statement)
    assert [e.account for e in statement.entries] == [row[4] for row in EXPECTED]
    assert statement.entries[0].line == 42
    assert statement.entries[1].counterparty_name == "Anna Wiśniewska"
    assert statement.entries[6].counterparty_name == "ENERGA-OBRÓT SA"


def test_an_entry_without_a_bank_reference_gets_a_stable_hashed_one():
    first, second = parse(CAMT).entries[4], parse(CAMT).entries[4]
    assert first.reference.startswith("sha256:") and len(first.reference) == 7 + 64
    assert first.reference == second.reference


def test_csv_sample_parses_to_the_expected_entries():
    statement = parse(CSV, "statement.csv")
    assert (statement.format, statement.account, statement.statement_id) == ("csv", "", "")
    assert statement.opening_balance is None and statement.closing_balance is None
    assert_common(statement)
    assert statement.entries[3].account == "PL46109010147777000000000001"
    assert [e.line for e in statement.entries] == [2, 3, 4, 5, 6, 7, 8]


def test_csv_with_comma_delimiter_and_decimal_point():
    content = (
        b"booked_on,amount,currency,title,counterparty_name,counterparty_account,account,reference\n"
        b'2026-03-02,"1,234.56",EUR,FV/000009/2026,Jan,,,R1\n'
        b"2026-03-03,-12.5,PLN,fee,Bank,,,R2\n"
    )
    entries = parse(content).entries
    assert [(e.amount, e.currency) for e in entries] == [
        (Decimal("1234.56"), "EUR"),
        (Decimal("-12.50"), "PLN"),
    ]


def test_cp1250_mt940_with_polish_letters_parses():
    text = MT940.decode("utf-8").replace("Jan Kowalski", "Żaneta Ąęłńóśźż Kowalska")
    statement = parse(text.encode("cp1250"))
    assert statement.entries[0].counterparty_name == "Żaneta Ąęłńóśźż Kowalska"
    assert statement.entries[1].counterparty_name == "Anna Wiśniewska"


def test_iso_8859_2_mt940_parses():
    statement = parse(MT940.decode("utf-8").encode("iso-8859-2"))
    assert statement.entries[2].counterparty_name == "Zakład Usług Ślusarskich Łukasz Żółć"


def test_truncated_mt940_names_the_line():
    lines = MT940.decode("utf-8").splitlines(keepends=True)
    cut_mid_61 = "".join(lines[:28]) + lines[28][:20]  # line 29 is a :61: cut inside its amount
    with pytest.raises(StatementInvalid) as error:
        parse(cut_mid_61.encode())
    assert error.value.line == 29
    assert "line 29" in str(error.value)

    cut_after_61 = "".join(lines[:29])
    with pytest.raises(StatementInvalid, match=":86:") as error:
        parse(cut_after_61.encode())
    assert error.value.line == 29

    cut_mid_86 = "".join(lines[:33])
    with pytest.raises(StatementInvalid, match=":62F:") as error:
        parse(cut_mid_86.encode())
    assert error.value.line == 33


def test_mt940_whose_balances_do_not_add_up_is_refused():
    content = MT940.replace(b":62F:C260304PLN11052,94", b":62F:C260304PLN11052,95")
    with pytest.raises(StatementInvalid, match="closing balance") as error:
        parse(content)
    assert error.value.line == 58


def test_xml_not_well_formed_names_the_line():
    broken = CAMT.replace(b"</Nm>", b"</Name>", 1)
    with pytest.raises(StatementInvalid, match="not well formed") as error:
        parse(broken)
    line = next(n for n, text in enumerate(broken.splitlines(), start=1) if b"</Name>" in text)
    assert error.value.line == line


def test_camt_entry_without_amount_names_the_entry_line():
    broken = CAMT.replace(b'<Amt Ccy="PLN">312.45</Amt>', b"")
    with pytest.raises(StatementInvalid, match="amount") as error:
        parse(broken)
    assert error.value.line == 92


def test_xml_that_is_not_camt053_is_refused():
    with pytest.raises(StatementInvalid, match="camt.053"):
        parse(b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>')


def test_camt_later_versions_are_read():
    content = CAMT.replace(b"camt.053.001.02", b"camt.053.001.08")
    assert len(parse(content).entries) == 7


def test_csv_with_a_bad_amount_on_line_3():
    lines = CSV.decode("utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(";312,45;", ";312,4x5;")
    with pytest.raises(StatementInvalid, match="312,4x5") as error:
        parse("".join(lines).encode())
    assert error.value.line == 3
    assert str(error.value).startswith("line 3: ")


def test_csv_with_a_bad_date_names_the_line():
    content = CSV.replace(b"2026-03-04;150,50", b"2026-02-30;150,50")
    with pytest.raises(StatementInvalid, match="2026-02-30") as error:
        parse(content)
    assert error.value.line == 6


def test_unknown_file_is_refused_on_line_1():
    with pytest.raises(StatementInvalid, match="notes.txt") as error:
        parse(b"hello\nworld\n", "notes.txt")
    assert error.value.line == 1


def test_a_title_cut_at_27_characters_is_joined_back_as_the_payer_wrote_it():
    content = (
        ":20:ST1\r\n:25:/PL61109010140000071219812874\r\n:28C:1/1\r\n:60F:C260301PLN0,00\r\n"
        ":61:2603020302CN685,52S051NONREF//REF1\r\n"
        ":86:051~00VV01Przelew~20Zapłata faktury FV/001110/2~21026 i odsetek~22za marzec\r\n"
        ":62F:C260302PLN685,52\r\n-\r\n"
    ).encode("cp1250")
    (entry,) = statement_parse(content=content, file_name="cut.sta").entries
    assert entry.title == "Zapłata faktury FV/001110/2026 i odsetek za marzec"
