"""The CSIRE exchange (``exchange = "csire"``): XML messages shaped after the Polish central energy
market information system (CSIRE, run by OIRE/PSE; formats in the SWI/TSKB documents and XSDs).

**The shapes here must be checked against the published TSKB XSD before production.** The official
supply-change schemas were not at hand when this was written. What is taken from public copies of the
pre-production TSKB schemas (16.12.2024): every message has a ``Header`` (``MessageId`` — a UUID,
``SenderMessageId`` — the message answered, ``MessageType``, ``MessageTimestamp``, juridical sender and
recipient), a ``ProcessEnergyContext`` (``BusinessProcess``) and a ``Payload``; a metering point is
named by ``MeteringPointCode``; the instance of a process in CSIRE by ``ProcessInstanceId``; a result
by ``ResultCode`` and ``ResultDescription``. The real namespaces are ``urn:pl:oire:…:v1`` and the
messages are numbered (UNK); ours are Kilowatt's own namespaces below, so a file in these shapes is
never mistaken for a validated CSIRE message.

Outgoing — ``sc:SupplyChangeNotification`` (powiadomienie o zawarciu umowy sprzedaży / zmiana
sprzedawcy), one ``sc:SupplyChange`` per case::

    SupplierCaseId            numer sprawy sprzedawcy
    MeteringPointCode         kod PP (PPE)
    KseUserData/Name, Nip,    dane Użytkownika KSE (odbiorcy): nazwa, NIP, PESEL
      Pesel
    MeteringPointAddress      adres PP
    RequestedStartDate        wnioskowana data rozpoczęcia sprzedaży
    TariffGroup               grupa taryfowa
    ContractedCapacity        moc umowna (unit="kW"; left out when not known)
    AnnualConsumption         prognozowane roczne zużycie (unit="kWh")
    PreviousSupplier          dotychczasowy sprzedawca
    TerminationByNewSupplier  wypowiedzenie umowy przez nowego sprzedawcę (true/false)

Incoming — the root says the outcome, one or more ``sc:Result`` in ``sc:Payload``:
``sc:SupplyChangeAcceptance`` (przyjęcie powiadomienia: ``StartDate``), ``sc:SupplyChangeRejection``
(odrzucenie: ``ResultCode``, ``ResultDescription``) and ``sc:SupplyStart`` (rozpoczęcie sprzedaży:
``StartDate``, ``Meter/SerialNumber`` and ``Meter/Reading zone="…"`` per register — odczyt
początkowy). Each result names ``SupplierCaseId`` and ``MeteringPointCode``; ``ProcessInstanceId``
becomes the DSO's reference.

Parsing is safe without defusedxml (not installed): a file with a DOCTYPE or an entity declaration is
refused before it is parsed, so no entity is ever expanded or fetched.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime

from django.utils.translation import gettext as _

from kilowatt.core.clock import WARSAW
from kilowatt.core.models import Company
from kilowatt.network.models import Dso
from kilowatt.switching.exchange.base import (
    ACCEPTED,
    REJECTED,
    STARTED,
    ZONES,
    CaseRow,
    ExchangeFormatError,
    FormatProblem,
    LocatedAnswer,
    RawAnswer,
    answer_build,
    case_rows,
    exchange_register,
)
from kilowatt.switching.models import SwitchCase
from kilowatt.switching.operations import DsoAnswer

TECH = "urn:kilowatt:csire:technical:v1"  # nagłówek i kontekst (TSKB: urn:pl:oire:technical:v1)
SC = "urn:kilowatt:csire:supply-change:v1"  # zmiana sprzedawcy
ET.register_namespace("tech", TECH)
ET.register_namespace("sc", SC)
NOTIFICATION = "SupplyChangeNotification"
BUSINESS_PROCESS = "SupplierSwitch"  # the TSKB process code (e.g. "1.2.") replaces it once checked
ROOTS = {"SupplyChangeAcceptance": ACCEPTED, "SupplyChangeRejection": REJECTED, "SupplyStart": STARTED}
UNSAFE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# DsoAnswer field ← element of a Result
ELEMENTS = {
    "case_number": "SupplierCaseId",
    "supply_point_code": "MeteringPointCode",
    "start_date": "StartDate",
    "rejection_code": "ResultCode",
    "rejection_reason": "ResultDescription",
    "dso_reference": "ProcessInstanceId",
    "meter_serial": "Meter/SerialNumber",
}


def _add(parent: ET.Element, namespace: str, tag: str, text: object = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{namespace}}}{tag}", attributes)
    if text is not None:
        element.text = str(text)
    return element


def _header(root: ET.Element, *, company: Company, dso: Dso, message_id: str, now: datetime) -> None:
    header = _add(root, TECH, "Header")
    _add(header, TECH, "MessageId", message_id)
    _add(header, TECH, "MessageType", NOTIFICATION)
    _add(header, TECH, "MessageTimestamp", now.astimezone(WARSAW).isoformat(timespec="seconds"))
    _add(header, TECH, "JuridicalSenderId", company.nip or company.code)
    _add(header, TECH, "JuridicalRecipientId", dso.eic or dso.code)
    context = _add(root, TECH, "ProcessEnergyContext")
    _add(context, TECH, "BusinessProcess", BUSINESS_PROCESS)


def _supply_change(payload: ET.Element, row: CaseRow) -> None:
    item = _add(payload, SC, "SupplyChange")
    _add(item, SC, "SupplierCaseId", row.number)
    _add(item, SC, "MeteringPointCode", row.supply_point_code)
    user = _add(item, SC, "KseUserData")
    _add(user, SC, "Name", row.customer_name)
    if row.nip:
        _add(user, SC, "Nip", row.nip)
    if row.pesel:
        _add(user, SC, "Pesel", row.pesel)
    _add(item, SC, "MeteringPointAddress", row.address)
    _add(item, SC, "RequestedStartDate", row.requested_start.isoformat())
    _add(item, SC, "TariffGroup", row.tariff_group)
    if row.capacity_kw is not None:
        _add(item, SC, "ContractedCapacity", row.capacity_kw, unit="kW")
    _add(item, SC, "AnnualConsumption", row.annual_kwh, unit="kWh")
    _add(item, SC, "PreviousSupplier", row.previous_supplier)
    _add(item, SC, "TerminationByNewSupplier", "true" if row.terminate_previous else "false")


def notification_write(
    *, company: Company, dso: Dso, rows: list[CaseRow], now: datetime
) -> tuple[str, bytes]:
    """The message id (a UUID derived from the content, so the same cases at the same time give the same
    message) and the XML of the supply-change notification."""
    seed = f"kilowatt:{company.code}:{dso.code}:{now.isoformat()}:{','.join(r.number for r in rows)}"
    message_id = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
    root = ET.Element(f"{{{SC}}}{NOTIFICATION}")
    _header(root, company=company, dso=dso, message_id=message_id, now=now)
    payload = _add(root, SC, "Payload")
    for row in rows:
        _supply_change(payload, row)
    return message_id, ET.tostring(root, encoding="utf-8", xml_declaration=True)


def xml_read(*, content: bytes) -> ET.Element:
    """The root of an XML file, refusing a DOCTYPE or entity declaration before parsing.
    Raises ExchangeFormatError naming the line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExchangeFormatError.single(
            None, _("The file is not UTF-8 XML: %(error)s") % {"error": exc}
        ) from exc
    unsafe = UNSAFE.search(text)
    if unsafe:
        line = text[: unsafe.start()].count("\n") + 1
        raise ExchangeFormatError.single(
            f"line {line}",
            _("Line %(line)s: the XML declares a DOCTYPE or an entity; CSIRE messages have none and "
              "such a file is refused for safety.") % {"line": line},
        )  # fmt: skip
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        raise ExchangeFormatError.single(
            f"line {line}",
            _("Line %(line)s, column %(column)s: the XML is not well-formed (%(error)s).")
            % {"line": line, "column": column, "error": exc},
        ) from exc


def _local(tag: str) -> tuple[str, str]:
    namespace, _brace, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, name


def _text(result: ET.Element, path: str) -> str | None:
    element = result.find("/".join(f"{{{SC}}}{step}" for step in path.split("/")))
    return None if element is None or element.text is None else element.text.strip()


def _raw(result: ET.Element, path: str, outcome: str) -> tuple[RawAnswer, list[FormatProblem]]:
    values = {name: _text(result, element) for name, element in ELEMENTS.items()}
    values["outcome"] = outcome
    if outcome != REJECTED:
        values["rejection_code"] = ""  # an acceptance's result code (CA…) is no rejection
    labels = dict(ELEMENTS)
    labels["readings"] = "Meter/Reading"
    readings: dict[str, str | None] = {}
    problems = []
    for index, reading in enumerate(result.findall(f"{{{SC}}}Meter/{{{SC}}}Reading"), start=1):
        zone = (reading.get("zone") or "").strip()
        if zone not in ZONES:
            problems.append(
                FormatProblem(
                    row=f"{path}/Meter/Reading[{index}]",
                    message=_("Element %(path)s: zone “%(zone)s” is not a register zone; zones: %(zones)s.")
                    % {"path": f"{path}/Meter/Reading[{index}]", "zone": zone, "zones": ", ".join(ZONES)},
                    case=values["case_number"] or "",
                )
            )
            continue
        readings[zone] = reading.text
        labels[f"reading:{zone}"] = f'Meter/Reading[@zone="{zone}"]'
    place = _("Element %(path)s") % {"path": path}
    return RawAnswer(row=path, place=place, labels=labels, values=values, readings=readings), problems


def responses_read(*, content: bytes) -> list[LocatedAnswer]:
    """The answers of a CSIRE response, each with its element path. Raises ExchangeFormatError."""
    root = xml_read(content=content)
    namespace, name = _local(root.tag)
    if namespace != SC or name not in ROOTS:
        raise ExchangeFormatError.single(
            name,
            _("Element %(element)s: not a response this exchange reads; expected %(expected)s in %(ns)s.")
            % {"element": root.tag, "expected": ", ".join(ROOTS), "ns": SC},
        )
    results = root.findall(f"{{{SC}}}Payload/{{{SC}}}Result")
    if not results:
        raise ExchangeFormatError.single(
            f"{name}/Payload", _("Element %(path)s: no Result in it.") % {"path": f"{name}/Payload"}
        )
    located: list[LocatedAnswer] = []
    problems: list[FormatProblem] = []
    for index, result in enumerate(results, start=1):
        path = f"{name}/Payload/Result[{index}]"
        raw, found = _raw(result, path, ROOTS[name])
        answer, more = answer_build(raw)
        problems.extend(found + more)
        if answer is not None and not found:
            located.append((path, answer))
    if problems:
        raise ExchangeFormatError(problems)
    return located


class CsireExchange:
    """CSIRE-shaped XML (see the module's note: to be checked against the published XSD)."""

    code = "csire"

    def outgoing(
        self, *, company: Company, dso: Dso, cases: list[SwitchCase], now: datetime
    ) -> tuple[str, bytes]:
        message_id, content = notification_write(
            company=company, dso=dso, rows=case_rows(cases=cases), now=now
        )
        return f"csire-{company.code}-{dso.code}-{message_id}.xml", content

    def answer_rows(self, *, content: bytes) -> list[LocatedAnswer]:
        return responses_read(content=content)

    def answers(self, *, content: bytes) -> list[DsoAnswer]:
        return [answer for _path, answer in self.answer_rows(content=content)]


exchange_register(code="csire", exchange=CsireExchange())
