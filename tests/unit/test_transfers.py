"""Refund transfer files: Elixir-O lines exactly as banks import them, pain.001 that reads back."""

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kilowatt.finance.transfers import Payer, Transfer, TransferInvalid, transfers_elixir, transfers_pain001

PAYER = Payer(
    name="Acme Energia S.A.",
    address="ul. Prosta 1, 00-001 Warszawa",
    account="PL61 1090 1014 0000 0712 1981 2874",
)
REFUND = Transfer(
    end_to_end_id="ZW/000001/2026",
    amount=Decimal("123.45"),
    recipient_name="Jan Kowalski",
    recipient_address="ul. Długa 5, 00-002 Kraków",
    recipient_account="50105014451000009012345678",
    title="Zwrot nadpłaty FV/000001/2026",
)
SECOND = Transfer(
    end_to_end_id="ZW/000002/2026",
    amount=Decimal("10.00"),
    recipient_name="Anna Nowak",
    recipient_address="",
    recipient_account="PL54114020040000340212345678",
    title="Zwrot nadpłaty",
)
EXECUTION = date(2026, 3, 11)
CREATED = datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("Europe/Warsaw"))
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def elixir(*transfers: Transfer, payer: Payer = PAYER) -> bytes:
    return transfers_elixir(payer=payer, transfers=list(transfers), execution_date=EXECUTION)


def pain(*transfers: Transfer, payer: Payer = PAYER) -> bytes:
    return transfers_pain001(
        payer=payer,
        transfers=list(transfers),
        execution_date=EXECUTION,
        message_id="KW-2026-03-10-1",
        created_at=CREATED,
    )


def test_elixir_line_of_a_known_transfer():
    expected = (
        '110,20260311,12345,10901014,0,"61109010140000071219812874","50105014451000009012345678",'
        '"Acme Energia S.A.|ul. Prosta 1, 00-001 Warszawa","Jan Kowalski|ul. Długa 5, 00-002 Kraków",'
        '0,10501445,"Zwrot nadpłaty FV/000001/2026","","","51"\r\n'
    )
    assert elixir(REFUND) == expected.encode("cp1250")


def test_elixir_has_one_crlf_line_per_transfer_and_is_deterministic():
    content = elixir(REFUND, SECOND)
    assert content == elixir(REFUND, SECOND)
    lines = content.split(b"\r\n")
    assert len(lines) == 3 and lines[-1] == b""
    assert b"\n" not in content.replace(b"\r\n", b"")
    second = lines[1].decode("cp1250")
    assert second.startswith("110,20260311,1000,10901014,0,")
    assert ',"54114020040000340212345678",' in second and ",0,11402004," in second
    assert '"Anna Nowak",0,' in second  # no address: the name alone


def test_elixir_title_wraps_in_lines_of_35_characters():
    title = "Zwrot nadpłaty za faktury FV/000001/2026, FV/000002/2026 i FV/000003/2026 dla klienta 1234567"
    line = elixir(replace(REFUND, title=title)).decode("cp1250")
    wrapped = line.split('"')[-8]  # the title: the fourth quoted field from the end
    parts = wrapped.split("|")
    assert 2 <= len(parts) <= 4
    assert all(len(part) <= 35 for part in parts)
    assert " ".join(parts) == title


def test_elixir_title_too_long_names_the_row_and_field():
    with pytest.raises(TransferInvalid) as error:
        elixir(REFUND, replace(SECOND, title="x" * 141))
    assert (error.value.row, error.value.field) == (2, "title")
    assert "transfer 2, title" in str(error.value)


def test_elixir_polish_letters_are_windows_1250_and_quotes_are_removed():
    refund = replace(REFUND, recipient_name='Zażółć "Gęślą" Jaźń', recipient_address="Łódź | Śródmieście")
    content = elixir(refund)
    # ż ó ł ć ę ś ą ź Ł Ś in Windows-1250
    for byte in (b"\xbf", b"\xf3", b"\xb3", b"\xe6", b"\xea", b"\x9c", b"\xb9", b"\x9f", b"\xa3", b"\x8c"):
        assert byte in content
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    text = content.decode("cp1250")
    assert '"Zażółć Gęślą Jaźń|Łódź Śródmieście"' in text
    assert text.count('"') == 2 * 8  # eight quoted fields, no stray quote


def test_elixir_replaces_letters_windows_1250_lacks():
    content = elixir(replace(REFUND, recipient_name="Žofie Nováková Ångström Ørsted 日本"))
    assert '"Žofie Nováková Angström ?rsted ??|' in content.decode("cp1250")  # accent dropped, else ?


def test_pain001_reads_back_with_counts_and_sums():
    content = pain(REFUND, SECOND)
    assert content == pain(REFUND, SECOND)
    assert content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = ET.fromstring(content)
    assert root.tag == "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}Document"
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.findtext("p:MsgId", namespaces=NS) == "KW-2026-03-10-1"
    assert header.findtext("p:CreDtTm", namespaces=NS) == "2026-03-10T09:30:00+01:00"
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "2"
    assert header.findtext("p:CtrlSum", namespaces=NS) == "133.45"
    batch = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert batch.findtext("p:ReqdExctnDt/p:Dt", namespaces=NS) == "2026-03-11"
    assert batch.findtext("p:Dbtr/p:Nm", namespaces=NS) == "Acme Energia S.A."
    assert batch.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "PL61109010140000071219812874"
    entries = batch.findall("p:CdtTrfTxInf", NS)
    assert len(entries) == 2
    amounts = [Decimal(e.findtext("p:Amt/p:InstdAmt", namespaces=NS)) for e in entries]
    assert amounts == [Decimal("123.45"), Decimal("10.00")]
    assert sum(amounts) == Decimal(header.findtext("p:CtrlSum", namespaces=NS))
    assert {e.find("p:Amt/p:InstdAmt", NS).get("Ccy") for e in entries} == {"PLN"}
    first = entries[0]
    assert first.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == "ZW/000001/2026"
    assert first.findtext("p:Cdtr/p:Nm", namespaces=NS) == "Jan Kowalski"
    assert first.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == "PL50105014451000009012345678"
    assert first.findtext("p:RmtInf/p:Ustrd", namespaces=NS) == "Zwrot nadpłaty FV/000001/2026"
    assert entries[1].find("p:Cdtr/p:PstlAdr", NS) is None  # no address given, none written


def test_bad_account_names_the_row_and_field():
    bad = replace(SECOND, recipient_account="PL55114020040000340212345678")  # check digits off by one
    for export in (elixir, pain):
        with pytest.raises(TransferInvalid) as error:
            export(REFUND, bad)
        assert (error.value.row, error.value.field) == (2, "recipient_account")
        assert "transfer 2, recipient_account" in str(error.value)
        assert "check digits" in str(error.value)


def test_foreign_or_short_accounts_are_refused():
    with pytest.raises(TransferInvalid, match="not a Polish account"):
        elixir(replace(REFUND, recipient_account="DE89370400440532013000"))
    with pytest.raises(TransferInvalid, match="26 digits"):
        elixir(replace(REFUND, recipient_account="5010501445100000901234567"))


def test_bad_payer_account_names_the_field():
    with pytest.raises(TransferInvalid) as error:
        elixir(REFUND, payer=replace(PAYER, account="PL00109010140000071219812874"))
    assert (error.value.row, error.value.field) == (None, "payer.account")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5.00"), Decimal("1.005")])
def test_amount_must_be_positive_with_two_decimals(amount):
    with pytest.raises(TransferInvalid) as error:
        pain(REFUND, replace(SECOND, amount=amount))
    assert (error.value.row, error.value.field) == (2, "amount")


def test_empty_name_and_empty_file_are_refused():
    with pytest.raises(TransferInvalid) as error:
        elixir(replace(REFUND, recipient_name=' " '))
    assert (error.value.row, error.value.field) == (1, "recipient_name")
    with pytest.raises(TransferInvalid) as error:
        elixir()
    assert error.value.field == "transfers"


def test_duplicate_end_to_end_id_is_refused():
    with pytest.raises(TransferInvalid) as error:
        pain(REFUND, replace(SECOND, end_to_end_id=REFUND.end_to_end_id))
    assert (error.value.row, error.value.field) == (2, "end_to_end_id")
