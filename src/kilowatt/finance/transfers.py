"""Outgoing transfers (refunds of overpayments) as files a Polish bank imports: Elixir-O and pain.001.

No database, no clock: `Payer` and `Transfer` values in, the file's bytes out, or `TransferInvalid`
naming the row, the field and the reason. Validation is all-or-nothing: a bank file with one bad
order is not written at all. The same input always gives the same bytes.
"""

from __future__ import annotations

import textwrap
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import InvalidChecksumDigits, InvalidLength, SchwiftyException

from kilowatt.core.money import to_minor_units

CENT = Decimal("0.01")
CURRENCY = "PLN"
ELIXIR_LINE = 35  # Elixir text fields are up to 4 lines of 35 characters, joined with "|"
ELIXIR_LINES = 4
ELIXIR_ENCODING = "cp1250"
ELIXIR_TRANSFER = "110"  # message type: a credit transfer
ELIXIR_CLASSIFICATION = "51"  # order classification: an ordinary credit transfer
PAIN001_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
PAIN001_ID_LENGTH = 35  # Max35Text: MsgId, PmtInfId, EndToEndId
PAIN001_NAME_LENGTH = 140  # Max140Text: Nm, Ustrd
PAIN001_ADDRESS_LINE = 70  # Max70Text: AdrLine


@dataclass(frozen=True)
class Payer:
    """The company paying out: its name and address as the bank shows them, its account (NRB or PL IBAN)."""

    name: str
    address: str
    account: str


@dataclass(frozen=True)
class Transfer:
    """One refund: the amount in PLN (2 decimals), the recipient and the title the recipient sees."""

    end_to_end_id: str
    amount: Decimal
    recipient_name: str
    recipient_address: str
    recipient_account: str
    title: str


class TransferInvalid(ValueError):
    """A transfer that cannot go into a bank file; `row` is 1-based, None for the payer or the file."""

    def __init__(self, field: str, row: int | None, reason: str):
        self.field = field
        self.row = row
        self.reason = reason
        if row is None:
            text = _("%(field)s: %(reason)s") % {"field": field, "reason": reason}
        else:
            text = _("transfer %(row)d, %(field)s: %(reason)s") % {
                "row": row,
                "field": field,
                "reason": reason,
            }
        super().__init__(text)


def transfers_elixir(*, payer: Payer, transfers: Sequence[Transfer], execution_date: date) -> bytes:
    """The Elixir-O (PLI) import file: one line a transfer, Windows-1250, CRLF line ends.

    Fields: 110, execution date YYYYMMDD, amount in grosz, payer's bank number, 0, "payer NRB",
    "recipient NRB", "payer name|address", "recipient name|address", 0, recipient's bank number,
    "title in up to 4 lines of 35 characters", "", "", "51". Raises TransferInvalid.
    """
    payer_iban = _payer_check(payer=payer)
    orders = _transfers_check(transfers=transfers)
    payer_party = _elixir_party(name=payer.name, address=payer.address, field="payer.name", row=None)
    lines = []
    for row, (transfer, iban) in enumerate(orders, start=1):
        title = _elixir_lines(text=transfer.title)
        if len(title) > ELIXIR_LINES:
            reason = _("the title is longer than %(lines)d lines of %(width)d characters") % {
                "lines": ELIXIR_LINES,
                "width": ELIXIR_LINE,
            }
            raise TransferInvalid("title", row, reason)
        recipient = _elixir_party(
            name=transfer.recipient_name, address=transfer.recipient_address, field="recipient_name", row=row
        )
        fields = [
            ELIXIR_TRANSFER,
            execution_date.strftime("%Y%m%d"),
            str(to_minor_units(transfer.amount)),
            payer_iban.bank_code,
            "0",
            _quoted(_nrb(payer_iban)),
            _quoted(_nrb(iban)),
            _quoted(payer_party),
            _quoted(recipient),
            "0",
            iban.bank_code,
            _quoted("|".join(title)),
            _quoted(""),
            _quoted(""),
            _quoted(ELIXIR_CLASSIFICATION),
        ]
        lines.append(",".join(fields) + "\r\n")
    return "".join(lines).encode(ELIXIR_ENCODING)


def transfers_pain001(
    *,
    payer: Payer,
    transfers: Sequence[Transfer],
    execution_date: date,
    message_id: str,
    created_at: datetime,
) -> bytes:
    """ISO 20022 pain.001.001.09 (CstmrCdtTrfInitn) in UTF-8: one payment batch from the payer's account.

    `message_id` (up to 35 characters) must be unique per file for the bank; it also names the batch.
    Raises TransferInvalid.
    """
    payer_iban = _payer_check(payer=payer)
    orders = _transfers_check(transfers=transfers)
    if not message_id.strip() or len(message_id) > PAIN001_ID_LENGTH:
        reason = _("give an identifier of 1 to %(max)d characters") % {"max": PAIN001_ID_LENGTH}
        raise TransferInvalid("message_id", None, reason)
    if len(_clean(payer.name)) > PAIN001_NAME_LENGTH:
        reason = _("the name is longer than %(max)d characters") % {"max": PAIN001_NAME_LENGTH}
        raise TransferInvalid("payer.name", None, reason)
    for row, (transfer, _iban) in enumerate(orders, start=1):
        if len(_clean(transfer.recipient_name)) > PAIN001_NAME_LENGTH:
            reason = _("the name is longer than %(max)d characters") % {"max": PAIN001_NAME_LENGTH}
            raise TransferInvalid("recipient_name", row, reason)
        if len(_clean(transfer.title)) > PAIN001_NAME_LENGTH:
            reason = _("the title is longer than %(max)d characters") % {"max": PAIN001_NAME_LENGTH}
            raise TransferInvalid("title", row, reason)
    count = str(len(orders))
    total = _amount(sum((t.amount for t, _iban in orders), Decimal("0.00")))

    document = ET.Element("Document", xmlns=PAIN001_NAMESPACE)  # the default namespace, written once
    initiation = _sub(document, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", message_id.strip())
    _sub(header, "CreDtTm", created_at.isoformat(timespec="seconds"))
    _sub(header, "NbOfTxs", count)
    _sub(header, "CtrlSum", total)
    _sub(_sub(header, "InitgPty"), "Nm", _clean(payer.name))

    batch = _sub(initiation, "PmtInf")
    _sub(batch, "PmtInfId", message_id.strip())
    _sub(batch, "PmtMtd", "TRF")
    _sub(batch, "NbOfTxs", count)
    _sub(batch, "CtrlSum", total)
    _sub(_sub(batch, "ReqdExctnDt"), "Dt", execution_date.isoformat())
    _party(_sub(batch, "Dbtr"), name=payer.name, address=payer.address)
    debtor_account = _sub(batch, "DbtrAcct")
    _sub(_sub(debtor_account, "Id"), "IBAN", payer_iban.compact)
    _sub(debtor_account, "Ccy", CURRENCY)
    _sub(_sub(_sub(_sub(batch, "DbtrAgt"), "FinInstnId"), "Othr"), "Id", "NOTPROVIDED")
    for transfer, iban in orders:
        entry = _sub(batch, "CdtTrfTxInf")
        _sub(_sub(entry, "PmtId"), "EndToEndId", transfer.end_to_end_id.strip())
        _sub(_sub(entry, "Amt"), "InstdAmt", _amount(transfer.amount)).set("Ccy", CURRENCY)
        _party(_sub(entry, "Cdtr"), name=transfer.recipient_name, address=transfer.recipient_address)
        _sub(_sub(_sub(entry, "CdtrAcct"), "Id"), "IBAN", iban.compact)
        _sub(_sub(entry, "RmtInf"), "Ustrd", _clean(transfer.title))
    ET.indent(document)
    content: bytes = ET.tostring(document, encoding="UTF-8", xml_declaration=True)
    return content + b"\n"


# --- validation


def _account(*, value: str, field: str, row: int | None) -> IBAN:
    """A Polish account as an IBAN: 26 digits (NRB) get "PL" in front; schwifty checks the rest."""
    compact = "".join(value.split()).upper()
    if compact.isdigit():
        compact = "PL" + compact
    if not compact:
        raise TransferInvalid(field, row, _("the account number is empty"))
    try:
        iban = IBAN(compact)
    except InvalidChecksumDigits:
        reason = _("%(value)s has wrong check digits (a typo?)") % {"value": value}
        raise TransferInvalid(field, row, reason) from None
    except InvalidLength:
        reason = _("%(value)s has the wrong length (an NRB has 26 digits)") % {"value": value}
        raise TransferInvalid(field, row, reason) from None
    except SchwiftyException:
        reason = _("%(value)s is not an account number") % {"value": value}
        raise TransferInvalid(field, row, reason) from None
    if iban.country_code != "PL":
        reason = _("%(value)s is not a Polish account (NRB or PL IBAN)") % {"value": value}
        raise TransferInvalid(field, row, reason)
    return iban


def _payer_check(*, payer: Payer) -> IBAN:
    if not _clean(payer.name):
        raise TransferInvalid("payer.name", None, _("the name is empty"))
    return _account(value=payer.account, field="payer.account", row=None)


def _transfers_check(*, transfers: Sequence[Transfer]) -> list[tuple[Transfer, IBAN]]:
    if not transfers:
        raise TransferInvalid("transfers", None, _("there are no transfers to export"))
    checked, seen = [], set()
    for row, transfer in enumerate(transfers, start=1):
        reference = transfer.end_to_end_id.strip()
        if not reference or len(reference) > PAIN001_ID_LENGTH:
            reason = _("give an identifier of 1 to %(max)d characters") % {"max": PAIN001_ID_LENGTH}
            raise TransferInvalid("end_to_end_id", row, reason)
        if reference in seen:
            reason = _("%(value)s is used by an earlier transfer of the file") % {"value": reference}
            raise TransferInvalid("end_to_end_id", row, reason)
        seen.add(reference)
        amount = transfer.amount
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise TransferInvalid("amount", row, _("the amount is not a number"))
        if amount <= 0:
            reason = _("the amount must be more than zero, not %(value)s") % {"value": amount}
            raise TransferInvalid("amount", row, reason)
        if amount != amount.quantize(CENT):
            reason = _("the amount %(value)s has more than 2 decimals") % {"value": amount}
            raise TransferInvalid("amount", row, reason)
        if not _clean(transfer.recipient_name):
            raise TransferInvalid("recipient_name", row, _("the name is empty"))
        if not _clean(transfer.title):
            raise TransferInvalid("title", row, _("the title is empty"))
        checked.append(
            (transfer, _account(value=transfer.recipient_account, field="recipient_account", row=row))
        )
    return checked


# --- text


def _clean(text: str) -> str:
    """One line of text: quotes removed, the Elixir line separator "|" and whitespace runs made one space."""
    text = text.replace('"', "").replace("|", " ")
    return " ".join(text.split())


def _elixir_text(text: str) -> str:
    """Text Windows-1250 can hold: Polish letters stay, other accents are dropped, anything else is "?"."""
    kept = []
    for char in _clean(text):
        try:
            char.encode(ELIXIR_ENCODING)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
            char = base or "?"
        kept.append(char)
    return "".join(kept)


def _elixir_lines(*, text: str) -> list[str]:
    """Words wrapped to lines of 35 characters (a longer word is split)."""
    return textwrap.wrap(_elixir_text(text), width=ELIXIR_LINE, break_long_words=True)


def _elixir_party(*, name: str, address: str, field: str, row: int | None) -> str:
    """Name, then address, in up to 4 lines of 35; the name must fit, an address too long is cut."""
    name_lines = _elixir_lines(text=name)
    if len(name_lines) > ELIXIR_LINES:
        reason = _("the name is longer than %(lines)d lines of %(width)d characters") % {
            "lines": ELIXIR_LINES,
            "width": ELIXIR_LINE,
        }
        raise TransferInvalid(field, row, reason)
    address_lines = _elixir_lines(text=address)[: ELIXIR_LINES - len(name_lines)]
    return "|".join(name_lines + address_lines)


def _nrb(iban: IBAN) -> str:
    """The 26-digit NRB: the IBAN without its country code."""
    return iban.compact[2:]


def _quoted(text: str) -> str:
    return f'"{text}"'


# --- pain.001


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, name)
    if text is not None:
        element.text = text
    return element


def _party(element: ET.Element, *, name: str, address: str) -> None:
    _sub(element, "Nm", _clean(name))
    lines = textwrap.wrap(_clean(address), width=PAIN001_ADDRESS_LINE, break_long_words=True)[:2]
    if lines:
        postal = _sub(element, "PstlAdr")
        for line in lines:
            _sub(postal, "AdrLine", line)


def _amount(value: Decimal) -> str:
    return str(value.quantize(CENT))
