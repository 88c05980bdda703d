"""Exchange with DSOs: cases sent in their process's format, the fake DSO answering by its rules through
the same parser as a real DSO's file, broken files refused whole, unknown cases reported, the same file
imported once, and the CSIRE-shaped XML both ways."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.operations import outbox_dispatch
from kilowatt.metering.models import MeterRead
from kilowatt.network.models import Dso
from kilowatt.sales.models import ContractStatus
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create
from kilowatt.switching.exchange import (
    CsireExchange,
    ExchangeFormatError,
    answers_import,
    cases_send,
    fake_dso_answer,
    fake_dso_started,
)
from kilowatt.switching.exchange.csire import SC
from kilowatt.switching.models import CaseStatus, DsoMessage, StepCode, SwitchCase, SwitchProcess
from kilowatt.switching.operations import DsoAnswer, document_attach, step_complete
from kilowatt.switching.setup import process_usual_create
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list

pytestmark = pytest.mark.django_db
START = date(2026, 4, 1)
OUT_HEADERS = [
    "Numer sprawy", "Kod PPE", "Nazwa odbiorcy", "NIP", "PESEL", "Adres PPE",
    "Wnioskowana data rozpoczęcia sprzedaży", "Grupa taryfowa", "Moc umowna [kW]", "Roczne zużycie [kWh]",
    "Dotychczasowy sprzedawca", "Wypowiedzenie przez sprzedawcę", "NIP sprzedawcy",
]  # fmt: skip


def _attach(case, code, now):
    document_attach(
        case=case, code=code, file_name=f"{code}.pdf", content=b"%PDF-1", content_type="", actor=None, now=now
    )


def _signed_case(company, now, prices, *, dso_code="pge-dystrybucja", ready=True, **person) -> SwitchCase:
    """A case of a signed contract, walked to the submission step with its documents (``ready``)."""
    customer = factories.customer(company, now, **person)
    dso = Dso.objects.get(code=dso_code)
    point = factories.supply_point(
        company, customer, now, dso_id=dso.pk, code=factories.ppe_code(dso.gs1_prefix)
    )
    process_usual_create(company=company, dso=dso, commodity="electricity")
    contract = contract_create(
        company=company,
        data=ContractData(customer_id=customer.pk, kind="comprehensive", product_id=prices.product_id,
                          price_list_id=prices.pk, start_date=START, supply_point_ids=[point.pk]),
        actor=None, now=now,
    )  # fmt: skip
    contract_change_status(contract=contract, status="signed", on_date=date(2026, 3, 10), actor=None, now=now)
    outbox_dispatch(now=now)  # switching opens the case on sales.contract.signed-v1
    case = SwitchCase.objects.get(contract=contract)
    if ready:
        step_complete(case=case, code=StepCode.DOCUMENTS, actor=None, now=now)
        _attach(case, "termination_notice", now)
        step_complete(case=case, code=StepCode.TERMINATION_NOTICE, actor=None, now=now)
        step_complete(case=case, code=StepCode.DISTRIBUTION_AGREEMENT, actor=None, now=now)
        _attach(case, "power_of_attorney", now)
    return case


@pytest.fixture
def prices(company):
    return price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)


@pytest.fixture
def ready(company, now, prices):
    """Two cases waiting for submission at PGE: Jan Kowalski, and a customer the fake DSO rejects."""
    good = _signed_case(company, now, prices)
    bad = _signed_case(company, now, prices, first_name="Ewa", last_name="Odrzuć")
    return good, bad, good.process.dso


def _sent(company, now, ready):
    good, bad, dso = ready
    return cases_send(company=company, dso=dso, cases=[good, bad], now=now)


def _csv(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8")


def _status(case) -> str:
    case.refresh_from_db()
    return case.status


def test_the_fake_dso_accepts_rejects_and_starts_supply_through_the_real_parser(company, now, ready):
    good, bad, dso = ready
    message = _sent(company, now, ready)
    assert message.direction == "out" and message.exchange == "fake" and message.file_name.endswith(".xlsx")
    assert set(message.cases.all()) == {good, bad}
    assert _status(good) == _status(bad) == CaseStatus.SUBMITTED
    name, answer = fake_dso_answer(
        company=company, dso=dso, message_content=bytes(message.content), on_date=date(2026, 3, 10)
    )
    assert fake_dso_answer(  # the same outgoing file on the same day: the very same answer file
        company=company, dso=dso, message_content=bytes(message.content), on_date=date(2026, 3, 10)
    ) == (name, answer)
    result = answers_import(
        company=company, dso=dso, file_name=name, content=answer, exchange="fake", now=now
    )
    assert result.applied == 2 and result.errors == [] and not result.already_imported
    good.refresh_from_db()
    bad.refresh_from_db()
    # 2026-03-10 + 2 working days is 03-12, before the requested start: the requested start stands.
    assert good.status == CaseStatus.ACCEPTED and good.start_date == START
    assert good.dso_reference == f"FAKE-{good.number}"
    assert bad.status == CaseStatus.REJECTED and bad.rejection_code == "E17"
    assert bad.rejection_reason == "Brak umowy dystrybucyjnej (GUD)"

    again = answers_import(company=company, dso=dso, file_name=name, content=answer, exchange="fake", now=now)
    assert again.already_imported and again.applied == 2 and again.message == result.message
    assert DsoMessage.objects.filter(direction="in").count() == 1

    name, early = fake_dso_started(company=company, dso=dso, answer_content=answer, on_date=date(2026, 3, 31))
    nothing = answers_import(
        company=company, dso=dso, file_name=name, content=early, exchange="fake", now=now
    )
    assert nothing.applied == 0 and _status(good) == CaseStatus.ACCEPTED  # the start date has not come

    name, started = fake_dso_started(company=company, dso=dso, answer_content=answer, on_date=START)
    done = answers_import(company=company, dso=dso, file_name=name, content=started, exchange="fake", now=now)
    assert done.applied == 1 and done.errors == []
    good.refresh_from_db()
    assert good.status == CaseStatus.COMPLETED and good.start_date == START
    assert good.contract.status == ContractStatus.ACTIVE
    read = MeterRead.objects.get(supply_point=good.supply_point)
    assert read.register.meter.serial_number == f"FAKE-{good.supply_point.code[-6:]}"
    assert read.read_on == START and read.value == Decimal("1000.000") and read.register.zone == "all"
    assert set(done.message.cases.all()) == {good}


def test_the_fake_starts_supply_two_working_days_after_its_answer_at_the_earliest(company, now, prices):
    case = _signed_case(company, now, prices)
    dso = case.process.dso
    message = cases_send(company=company, dso=dso, cases=[case], now=now)
    # Tuesday 2026-03-31 + 2 working days = Thursday 04-02, later than the requested 04-01.
    name, answer = fake_dso_answer(
        company=company, dso=dso, message_content=bytes(message.content), on_date=date(2026, 3, 31)
    )
    answers_import(company=company, dso=dso, file_name=name, content=answer, exchange="fake", now=now)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.start_date == date(2026, 4, 2)


def test_the_outgoing_spreadsheet_has_the_documented_columns(company, now, ready):
    good, _bad, _dso = ready
    message = _sent(company, now, ready)
    sheet = load_workbook(io.BytesIO(bytes(message.content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Zgłoszenia" and list(rows[0]) == OUT_HEADERS and len(rows) == 3
    first = dict(zip(OUT_HEADERS, rows[1], strict=True))
    point = good.supply_point
    assert first["Numer sprawy"] == good.number and first["Kod PPE"] == point.code
    assert first["Nazwa odbiorcy"] == "Jan Kowalski" and first["Adres PPE"] == str(point.address)
    assert first["Wnioskowana data rozpoczęcia sprzedaży"] == datetime(2026, 4, 1)
    assert first["Grupa taryfowa"] == "G11" and first["Roczne zużycie [kWh]"] == 2200
    assert first["Wypowiedzenie przez sprzedawcę"] == "Tak" and first["NIP sprzedawcy"] == company.nip
    assert rows[2][2] == "Ewa Odrzuć"


def test_a_broken_answer_file_is_kept_refused_and_nothing_of_it_is_applied(company, now, ready):
    good, bad, dso = ready
    _sent(company, now, ready)
    g, b = good.supply_point.code, bad.supply_point.code

    no_outcome = _csv("Numer sprawy;Kod PPE;Data rozpoczęcia sprzedaży", f"{good.number};{g};2026-04-01")
    with pytest.raises(ExchangeFormatError) as refused:
        answers_import(
            company=company, dso=dso, file_name="a.csv", content=no_outcome, exchange="file", now=now
        )
    assert "Row 1" in refused.value.message and "Wynik" in refused.value.message
    kept = DsoMessage.objects.get(direction="in", accepted=False, file_name="a.csv")
    assert kept.errors[0]["row"] == 1 and "Wynik" in kept.errors[0]["message"]

    bad_date = _csv(
        "Numer sprawy;Kod PPE;Wynik;Data rozpoczęcia sprzedaży",
        f"{good.number};{g};przyjęte;2026-04-01",
        f"{bad.number};{b};accepted;31.02.2026",
    )
    for _twice in range(2):
        with pytest.raises(ExchangeFormatError) as refused:
            answers_import(
                company=company, dso=dso, file_name="b.csv", content=bad_date, exchange="file", now=now
            )
        assert refused.value.problems[0].row == 3 and refused.value.problems[0].case == bad.number
        assert "Row 3" in refused.value.message and "Data rozpoczęcia sprzedaży" in refused.value.message
    assert DsoMessage.objects.filter(direction="in", file_name="b.csv").count() == 1  # kept once
    assert _status(good) == _status(bad) == CaseStatus.SUBMITTED  # the good row is not applied either

    doctype = (
        '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        f'<sc:SupplyChangeAcceptance xmlns:sc="{SC}"/>'
    ).encode()
    with pytest.raises(ExchangeFormatError) as refused:
        answers_import(
            company=company, dso=dso, file_name="c.xml", content=doctype, exchange="csire", now=now
        )
    assert "Line 2" in refused.value.message and "DOCTYPE" in refused.value.message
    assert DsoMessage.objects.get(file_name="c.xml").accepted is False
    assert _status(good) == CaseStatus.SUBMITTED


def test_an_answer_that_fits_no_case_is_an_error_row_and_the_others_are_applied(company, now, ready):
    good, _bad, dso = ready
    _sent(company, now, ready)
    g = good.supply_point.code
    content = _csv(
        "Numer sprawy,Kod PPE,Wynik,Data rozpoczęcia sprzedaży,Numer referencyjny OSD,Kod odrzucenia",
        f"ZS/1999/000001,{g},accepted,01.04.2026,X,",
        f"{good.number},{g},accepted,01.04.2026,PGE-9,",
        f"{good.number},{g},accepted,01.04.2026,PGE-9,",  # the same answer again: not waiting any more
        f"{good.number},590000000000000000,odrzucone,,,E01",
    )
    result = answers_import(
        company=company, dso=dso, file_name="d.csv", content=content, exchange="file", now=now
    )
    assert result.applied == 1 and [e["row"] for e in result.errors] == [2, 4, 5]
    assert result.errors[0]["case"] == "ZS/1999/000001" and "no such case" in result.errors[0]["message"]
    assert "Row 4" in result.errors[1]["message"] and "not waiting" in result.errors[1]["message"]
    assert "590000000000000000" in result.errors[2]["message"]
    assert result.message.accepted and result.message.errors == result.errors
    good.refresh_from_db()
    assert good.status == CaseStatus.ACCEPTED and good.dso_reference == "PGE-9"


def test_cases_are_sent_all_or_none(company, now, prices, ready):
    good, _bad, dso = ready
    early = _signed_case(company, now, prices, ready=False, first_name="Adam")
    with pytest.raises(ValidationFailed) as refused:
        cases_send(company=company, dso=dso, cases=[good, early], now=now)
    assert early.number in refused.value.message and "not ready" in refused.value.message
    assert not DsoMessage.objects.exists() and _status(good) == CaseStatus.OPEN

    elsewhere = _signed_case(company, now, prices, dso_code="tauron-dystrybucja", first_name="Olga")
    with pytest.raises(ValidationFailed) as refused:
        cases_send(company=company, dso=dso, cases=[good, elsewhere], now=now)
    assert refused.value.code == "other_dso" and elsewhere.number in refused.value.message
    with pytest.raises(ValidationFailed) as refused:
        cases_send(company=company, dso=dso, cases=[], now=now)
    assert refused.value.code == "required"


def _response(root: str, results: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sc:{root} xmlns:sc="{SC}" '
        'xmlns:tech="urn:kilowatt:csire:technical:v1">'
        "<tech:Header><tech:MessageId>6f1c2b9e-0000-4000-8000-000000000001</tech:MessageId></tech:Header>"
        f"<sc:Payload>{results}</sc:Payload></sc:{root}>"
    ).encode()


def _csire_sent(company, now, ready):
    good, _bad, _dso = ready
    SwitchProcess.objects.filter(pk=good.process_id).update(exchange="csire")
    return _sent(company, now, ready)


def test_the_csire_notification_names_every_case(company, now, ready):
    good, bad, _dso = ready
    message = _csire_sent(company, now, ready)
    assert message.exchange == "csire" and message.file_name.endswith(".xml")
    root = ET.fromstring(bytes(message.content))
    ns = {"sc": SC, "tech": "urn:kilowatt:csire:technical:v1"}
    assert root.tag == f"{{{SC}}}SupplyChangeNotification"
    assert root.find("tech:Header/tech:MessageType", ns).text == "SupplyChangeNotification"
    items = root.findall("sc:Payload/sc:SupplyChange", ns)
    assert [i.find("sc:SupplierCaseId", ns).text for i in items] == [good.number, bad.number]
    first = items[0]
    assert first.find("sc:MeteringPointCode", ns).text == good.supply_point.code
    assert first.find("sc:KseUserData/sc:Name", ns).text == "Jan Kowalski"
    assert first.find("sc:RequestedStartDate", ns).text == "2026-04-01"
    assert first.find("sc:TariffGroup", ns).text == "G11"
    assert first.find("sc:AnnualConsumption", ns).get("unit") == "kWh"
    assert first.find("sc:TerminationByNewSupplier", ns).text == "true"


def test_csire_responses_accept_reject_and_start_supply(company, now, ready):
    good, bad, dso = ready
    _csire_sent(company, now, ready)
    g, b = good.supply_point.code, bad.supply_point.code
    acceptance = _response("SupplyChangeAcceptance", (
        f"<sc:Result><sc:SupplierCaseId>{good.number}</sc:SupplierCaseId><sc:MeteringPointCode>{g}"
        "</sc:MeteringPointCode><sc:ProcessInstanceId>0b7e-csire-1</sc:ProcessInstanceId>"
        "<sc:ResultCode>CA01</sc:ResultCode><sc:StartDate>2026-04-01</sc:StartDate></sc:Result>"
    ))  # fmt: skip
    assert CsireExchange().answers(content=acceptance) == [
        DsoAnswer(good.number, g, "accepted", start_date=START, dso_reference="0b7e-csire-1")
    ]
    rejection = _response("SupplyChangeRejection", (
        f"<sc:Result><sc:SupplierCaseId>{bad.number}</sc:SupplierCaseId><sc:MeteringPointCode>{b}"
        "</sc:MeteringPointCode><sc:ResultCode>E17</sc:ResultCode>"
        "<sc:ResultDescription>Brak GUD</sc:ResultDescription></sc:Result>"
    ))  # fmt: skip
    start = _response("SupplyStart", (
        f"<sc:Result><sc:SupplierCaseId>{good.number}</sc:SupplierCaseId><sc:MeteringPointCode>{g}"
        "</sc:MeteringPointCode><sc:StartDate>2026-04-01</sc:StartDate><sc:Meter>"
        '<sc:SerialNumber>M-77</sc:SerialNumber><sc:Reading zone="all">1234.567</sc:Reading>'
        "</sc:Meter></sc:Result>"
    ))  # fmt: skip
    for name, content in (("a.xml", acceptance), ("r.xml", rejection), ("s.xml", start)):
        result = answers_import(company=company, dso=dso, file_name=name, content=content, exchange="csire",
                                now=now)  # fmt: skip
        assert result.applied == 1 and result.errors == []
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == CaseStatus.COMPLETED and good.dso_reference == "0b7e-csire-1"
    assert bad.status == CaseStatus.REJECTED and bad.rejection_reason == "Brak GUD"
    read = MeterRead.objects.get(register__meter__serial_number="M-77")
    assert read.value == Decimal("1234.567") and read.read_on == START

    no_date = _response("SupplyChangeAcceptance", (
        f"<sc:Result><sc:SupplierCaseId>{bad.number}</sc:SupplierCaseId>"
        f"<sc:MeteringPointCode>{b}</sc:MeteringPointCode></sc:Result>"
    ))  # fmt: skip
    with pytest.raises(ExchangeFormatError) as refused:
        CsireExchange().answers(content=no_date)
    assert refused.value.problems[0].row == "SupplyChangeAcceptance/Payload/Result[1]"
    assert "StartDate" in refused.value.message
    with pytest.raises(ExchangeFormatError) as refused:
        CsireExchange().answers(content=b"<sc:Other xmlns:sc='urn:x'/>")
    assert "Other" in refused.value.message


def test_a_value_starting_with_equals_is_text_in_the_dsos_spreadsheet():
    from datetime import UTC, datetime
    from io import BytesIO

    from openpyxl import load_workbook

    from kilowatt.switching.exchange.sheets import xlsx_write

    content = xlsx_write(
        title="t",
        headers=["Nazwa"],
        rows=[['=HYPERLINK("http://x","Jan")']],
        stamp=datetime(2026, 3, 10, tzinfo=UTC),
    )
    cell = load_workbook(BytesIO(content)).active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
