"""Pure parsers for bank statements as Polish banks deliver them: MT940, camt.053 and a simple CSV.

No database, no clock: bytes in, a `Statement` out, or `StatementInvalid` naming the line and the reason.
See docs/finance.md, section "Bank statements".
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

CENT = Decimal("0.01")

# MT940 `:86:` subfields as Polish banks (mBank, PKO BP, Pekao, Millennium...) write them, each introduced
# by `~NN` or `^NN`. The text before the first subfield, if any, is the bank's 3-digit transaction code.
MT940_SUBFIELDS: dict[str, str] = {
    "00": "transaction code / description",
    "10": "bank's sequence number of the entry",
    "20": "title", "21": "title", "22": "title", "23": "title", "24": "title", "25": "title",
    "27": "counterparty name", "28": "counterparty name",
    "29": "counterparty address",
    "30": "counterparty bank settlement number (8 digits)",
    "31": "counterparty account number (without the bank number, or the whole NRB)",
    "32": "counterparty name", "33": "counterparty name",
    "34": "transaction type code",
    "38": "counterparty IBAN",
    "63": "account credited (virtual account), where the bank fills it",
}  # fmt: skip
_TITLE = ("20", "21", "22", "23", "24", "25")
_NAME = ("27", "28", "32", "33")
_VIRTUAL_ACCOUNT = "63"

CSV_COLUMNS = ("booked_on", "amount", "currency", "title", "counterparty_name", "counterparty_account",
               "account", "reference")  # fmt: skip
_MPP_VAT = re.compile(r"^\s*/VAT/\s*(?P<vat>\d[\d ]*(?:[.,]\s*\d{1,2})?)\s*/IDC/", re.IGNORECASE)


@dataclass(frozen=True)
class StatementEntry:
    line: int
    booked_on: date
    amount: Decimal
    currency: str
    reference: str
    title: str
    counterparty_name: str
    counterparty_account: str
    account: str
    vat_amount: Decimal | None


@dataclass(frozen=True)
class Statement:
    format: str
    account: str
    statement_id: str
    opening_balance: Decimal | None
    closing_balance: Decimal | None
    entries: tuple[StatementEntry, ...]


class StatementInvalid(ValueError):
    """A statement file that cannot be read; `line` is 1-based (None when the file as a whole is wrong)."""

    def __init__(self, line: int | None, message: str):
        self.line = line
        self.reason = message
        text = _("line %(line)d: %(reason)s") % {"line": line, "reason": message} if line else message
        super().__init__(text)


def statement_parse(*, content: bytes, file_name: str) -> Statement:
    """Detect the format (camt.053 XML, MT940 by its tags, else CSV by its header) and parse it.

    `file_name` is only used in messages about a file of no known format.
    """
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return _camt_parse(content=content)
    text = _decode(content=content)
    if re.search(r"^:20:", text, re.M) and re.search(r"^:25:", text, re.M) and ":61:" in text:
        return _mt940_parse(text=text)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    if "booked_on" in first_line and "amount" in first_line:
        return _csv_parse(text=text.lstrip("\ufeff"))
    raise StatementInvalid(
        1,
        _("%(file)s is not a camt.053 statement, an MT940 statement or a CSV with the documented header")
        % {"file": file_name},
    )


# --- shared helpers


def _decode(*, content: bytes) -> str:
    """UTF-8, else Windows-1250; ISO-8859-2 when its Polish letters show up as cp1250 symbols."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = content.decode("cp1250", errors="replace")
    if any(c in text for c in "±¶Ľˇ¦¬") and not any(c in text for c in "ąśźĄŚŹ"):
        return content.decode("iso-8859-2", errors="replace")
    return text


_SPACES = re.compile(r"\s+")
_SUBFIELD = re.compile(r"[~^](\d{2})")
_ANY_ACCOUNT = re.compile(r"[A-Z]{2}\w{13,32}|\d{26}")
_PL_ACCOUNT = re.compile(r"(PL)?\d{26}")


def _compact(value: str) -> str:
    return _SPACES.sub("", value or "").lstrip("/")


def _join(parts: list[str]) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


MT940_LINE = 27


def _title_join(parts: list[str]) -> str:
    """The title from its ~20–~25 lines: a full 27-character line was cut by the bank mid-text and
    continues on the next line as is; a shorter one ended where the payer ended it."""
    title = ""
    for part in parts:
        if not part:
            continue
        full = len(part) >= MT940_LINE
        title += part if full else part.strip() + " "
    return " ".join(title.split())


def _mpp_vat(*, title: str) -> Decimal | None:
    match = _MPP_VAT.match(title)
    if not match:
        return None
    return Decimal(re.sub(r"\s", "", match["vat"]).replace(",", ".")).quantize(CENT)


def _entry(**fields) -> StatementEntry:
    """Build an entry; with no bank reference, use a sha256 of (statement id, index, date, amount, title)."""
    key = (fields.pop("statement_id"), str(fields.pop("index")), fields["booked_on"].isoformat(),
           str(fields["amount"]), fields["title"])  # fmt: skip
    if not fields["reference"]:
        fields["reference"] = "sha256:" + hashlib.sha256("|".join(key).encode("utf-8")).hexdigest()
    return StatementEntry(vat_amount=_mpp_vat(title=fields["title"]), **fields)


def _check_balances(*, opening: Decimal | None, closing: Decimal | None, entries, line: int | None) -> None:
    if opening is None or closing is None:
        return
    total = sum((e.amount for e in entries), Decimal("0.00"))
    if opening + total != closing:
        reason = _("the closing balance %(closing)s is not the opening balance %(opening)s plus the entries "
                   "%(total)s (the file may be incomplete)")  # fmt: skip
        raise StatementInvalid(line, reason % {"closing": closing, "opening": opening, "total": total})


# --- MT940

_FIELD = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_LINE61 = re.compile(
    r"^(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z](?=\d))?"
    r"(?P<amount>\d+,\d{0,2})(?P<type>[NSF][A-Z0-9]{3})(?P<cref>.*?)(?://(?P<bref>.*))?$"
)
_BALANCE = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<ccy>[A-Z]{3})(?P<amount>\d+,\d{0,2})$")


_SWIFT_HEADER = re.compile(r"^\{1:[^}]*\}(\{2:[^}]*\})?(\{3:(\{[^}]*\})*\})?\{4:")


def _mt940_fields(*, text: str) -> list[tuple[str, int, list[str]]]:
    """(tag, line, value lines) for each field; SWIFT block wrappers and control characters are dropped."""
    fields: list[tuple[str, int, list[str]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip("\x01\x03\r\ufeff").rstrip()
        if line.startswith("{"):
            line = _SWIFT_HEADER.sub("", line)
        if line in ("", "-", "-}") or line.startswith("{5:"):
            continue
        match = _FIELD.match(line) if line[0] == ":" else None  # most lines are ~NN subfields
        if match:
            fields.append((match[1], number, [match[2]]))
        elif fields:
            fields[-1][2].append(line)
    return fields


def _mt940_amount(*, raw: str) -> Decimal:
    return Decimal(raw.replace(",", ".")).quantize(CENT)


def _camt_amount(*, raw: str, line: int | None) -> Decimal:
    try:
        return Decimal(raw).quantize(CENT)
    except InvalidOperation:
        raise StatementInvalid(line, _("%(value)s is not an amount (Amt)") % {"value": raw or '""'}) from None


def _mt940_balance(*, tag: str, line: int, value: str) -> tuple[Decimal, str]:
    match = _BALANCE.match(value.replace(" ", ""))
    if not match:
        reason = _("the %(tag)s balance cannot be read: %(value)s") % {"tag": tag, "value": value}
        raise StatementInvalid(line, reason)
    amount = _mt940_amount(raw=match["amount"])
    return (-amount if match["mark"] == "D" else amount), match["ccy"]


def _mt940_date(*, line: int, yymmdd: str) -> date:
    try:
        if len(yymmdd) != 6 or not yymmdd.isdigit():
            raise ValueError(yymmdd)
        year = int(yymmdd[:2])  # as strptime's %y: 00–68 are 2000–2068, 69–99 are 1969–1999
        return date(year + (2000 if year < 69 else 1900), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        raise StatementInvalid(line, _("%(value)s is not a date (YYMMDD)") % {"value": yymmdd}) from None


def _mt940_parse(*, text: str) -> Statement:
    fields = _mt940_fields(text=text)
    account, ids, entries = "", [], []
    opening = closing = None
    currency, closing_line, pending = "PLN", None, None
    for position, (tag, line, lines) in enumerate(fields):
        value = lines[0].strip()
        if tag == "25":
            found = _compact(value)
            if account and found != account:
                raise StatementInvalid(line, _("the file holds statements of more than one account"))
            account = found
        elif tag in ("20", "28C", "28"):
            ids.append(value)
        elif tag in ("60F", "60M"):
            balance, currency = _mt940_balance(tag=f":{tag}:", line=line, value=value)
            opening = balance if opening is None else opening
            closing, closing_line = None, None
        elif tag in ("62F", "62M"):
            closing, _ccy = _mt940_balance(tag=f":{tag}:", line=line, value=value)
            closing_line = line
        elif tag == "61":
            match = _LINE61.match(value)
            if not match:
                reason = _("the :61: field has no amount") if not re.search(r"\d,", value) else None
                raise StatementInvalid(
                    line, reason or _("the :61: field cannot be read: %(v)s") % {"v": value}
                )
            if position + 1 >= len(fields) or fields[position + 1][0] != "86":
                raise StatementInvalid(
                    line, _("the :61: entry has no :86: details (the file may be cut off)")
                )
            pending = (line, match)
        elif tag == "86" and pending:
            entries.append(_mt940_entry(ids=ids, line61=pending, details="".join(lines), currency=currency,
                                        index=len(entries)))  # fmt: skip
            pending = None
    if not account:
        raise StatementInvalid(None, _("the MT940 statement has no account (:25:)"))
    if closing is None:
        reason = _("the statement has no closing balance :62F: (the file may be cut off)")
        raise StatementInvalid(len(text.splitlines()) or 1, reason)
    _check_balances(opening=opening, closing=closing, entries=entries, line=closing_line)
    return Statement(format="mt940", account=account, statement_id="/".join(ids[:2]),
                     opening_balance=opening, closing_balance=closing, entries=tuple(entries))  # fmt: skip


def _mt940_entry(*, ids: list[str], line61, details: str, currency: str, index: int) -> StatementEntry:
    line, match = line61
    value_date = _mt940_date(line=line, yymmdd=match["value"])
    booked_on = value_date
    if match["entry"]:
        month, day = int(match["entry"][:2]), int(match["entry"][2:])
        year = value_date.year + (1 if month == 1 and value_date.month == 12 else 0)
        year -= 1 if month == 12 and value_date.month == 1 else 0
        try:
            booked_on = date(year, month, day)
        except ValueError:
            reason = _("the :61: entry date is not a date: %(v)s") % {"v": match["entry"]}
            raise StatementInvalid(line, reason) from None
    amount = _mt940_amount(raw=match["amount"])
    if match["mark"] in ("D", "RC"):
        amount = -amount
    bank_ref, own_ref = (match["bref"] or "").strip(), match["cref"].strip()
    reference = bank_ref or ("" if own_ref.upper() == "NONREF" else own_ref)
    parts, sub = _SUBFIELD.split(details), {}  # parts[0]: the bank's transaction code, if any
    for code, text in zip(parts[1::2], parts[2::2], strict=True):
        sub.setdefault(code, []).append(text)
    title = _title_join([v for code in _TITLE for v in sub.get(code, [])]) if sub else details.strip()
    found = {code: _compact("".join(sub.get(code, []))) for code in ("30", "31", "38", _VIRTUAL_ACCOUNT)}
    candidates = (found["38"], found["31"], found["30"] + found["31"])
    other = next((c for c in candidates if _ANY_ACCOUNT.fullmatch(c)), "")
    virtual = found[_VIRTUAL_ACCOUNT] if amount > 0 else ""
    return _entry(statement_id="/".join(ids[:2]), index=index, line=line, booked_on=booked_on,
                  amount=amount, currency=currency, reference=reference, title=title,
                  counterparty_name=_join([v for code in _NAME for v in sub.get(code, [])]),
                  counterparty_account=other,
                  account=virtual if _PL_ACCOUNT.fullmatch(virtual) else "")  # fmt: skip


# --- camt.053


def _camt_parse(*, content: bytes) -> Statement:
    try:
        root = ET.fromstring(content)
    except ET.ParseError as error:
        raise StatementInvalid(
            error.position[0], _("the XML is not well formed: %(error)s") % {"error": error}
        ) from None
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if not namespace.startswith("urn:iso:std:iso:20022:tech:xsd:camt.053.001."):
        reason = _("the XML is not a camt.053 statement (namespace %(ns)s)") % {"ns": namespace}
        raise StatementInvalid(1, reason)
    ns = {"c": namespace}
    text = _decode(content=content)
    entry_lines = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<(?:[\w.-]+:)?Ntry[\s>]", text)]
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if not statements:
        raise StatementInvalid(None, _("the camt.053 file has no statement (Stmt)"))

    def find(node, path: str) -> str:
        found = node.find("/".join("c:" + p for p in path.split("/")), ns) if node is not None else None
        return (found.text or "").strip() if found is not None else ""

    opening = closing = None
    for balance in (b for s in statements for b in s.findall("c:Bal", ns)):
        code, raw = find(balance, "Tp/CdOrPrtry/Cd"), find(balance, "Amt")
        amount = _camt_amount(raw=raw, line=None) * (-1 if find(balance, "CdtDbtInd") == "DBIT" else 1)
        if code in ("OPBD", "PRCD") and opening is None:
            opening = amount
        elif code == "CLBD":
            closing = amount
    statement_id = find(statements[0], "Id")
    entries: list[StatementEntry] = []
    for entry in (n for s in statements for n in s.findall("c:Ntry", ns)):
        line = entry_lines[len(entries)] if len(entries) < len(entry_lines) else 1
        raw = find(entry, "Amt")
        if not raw:
            raise StatementInvalid(line, _("the entry has no amount (Ntry/Amt)"))
        amount = _camt_amount(raw=raw, line=line)
        credit = find(entry, "CdtDbtInd") != "DBIT"
        amount = amount if credit else -amount
        booked = find(entry, "BookgDt/Dt") or find(entry, "BookgDt/DtTm")[:10] or find(entry, "ValDt/Dt")
        try:
            booked_on = date.fromisoformat(booked[:10])
        except ValueError:
            raise StatementInvalid(line, _("the entry has no booking date (BookgDt)")) from None
        tx = entry.find("c:NtryDtls/c:TxDtls", ns)
        parties = tx.find("c:RltdPties", ns) if tx is not None else None
        side = "Dbtr" if credit else "Cdtr"
        name = find(parties, f"{side}/Nm") or find(parties, f"{side}/Pty/Nm")
        other = find(parties, f"{side}Acct/Id/IBAN") or find(parties, f"{side}Acct/Id/Othr/Id")
        remittance = tx.findall("c:RmtInf/c:Ustrd", ns) if tx is not None else []
        title = _join([r.text or "" for r in remittance]) or find(tx, "RmtInf/Strd/CdtrRefInf/Ref")
        amt = entry.find("c:Amt", ns)
        refs = find(entry, "AcctSvcrRef") or find(tx, "Refs/AcctSvcrRef") or find(entry, "NtryRef")
        entries.append(_entry(statement_id=statement_id, index=len(entries), line=line, booked_on=booked_on,
            amount=amount, currency=amt.get("Ccy", "") if amt is not None else "", reference=refs,
            title=title or find(entry, "AddtlNtryInf"), counterparty_name=name,
            counterparty_account=_compact(other),
            account=_compact(find(parties, "CdtrAcct/Id/IBAN")) if credit else ""))  # fmt: skip
    _check_balances(opening=opening, closing=closing, entries=entries, line=None)
    account = find(statements[0], "Acct/Id/IBAN") or find(statements[0], "Acct/Id/Othr/Id")
    return Statement(format="camt053", account=_compact(account), statement_id=statement_id,
                     opening_balance=opening, closing_balance=closing, entries=tuple(entries))  # fmt: skip


# --- CSV


def _csv_amount(*, line: int, raw: str) -> Decimal:
    value = re.sub(r"[\s\u00a0']", "", raw)
    if "," in value and "." in value:
        thousands = "." if value.rfind(",") > value.rfind(".") else ","
        value = value.replace(thousands, "")
    value = value.replace(",", ".")
    if not re.fullmatch(r"[+-]?\d+(\.\d{1,2})?", value):
        raise StatementInvalid(line, _("amount %(value)s is not an amount of money") % {"value": raw or '""'})
    return Decimal(value).quantize(CENT)


def _csv_date(*, line: int, raw: str) -> date:
    value = raw.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise StatementInvalid(line, _("booked_on %(value)s is not a date (YYYY-MM-DD)") % {"value": raw or '""'})


def _csv_parse(*, text: str) -> Statement:
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [c.strip().lower() for c in next(reader)]
    missing = [c for c in ("booked_on", "amount") if c not in columns]
    if missing:
        reason = _("the CSV header lacks the column(s) %(cols)s") % {"cols": ", ".join(missing)}
        raise StatementInvalid(1, reason)
    entries: list[StatementEntry] = []
    line = reader.line_num + 1
    for row in reader:
        if any(cell.strip() for cell in row):
            values = dict(zip(columns, (cell.strip() for cell in row), strict=False))
            booked_on = _csv_date(line=line, raw=values.get("booked_on", ""))
            amount = _csv_amount(line=line, raw=values.get("amount", ""))
            entries.append(_entry(statement_id="", index=len(entries), line=line, booked_on=booked_on,
                amount=amount, currency=(values.get("currency") or "PLN").upper(),
                reference=values.get("reference", ""),
                title=values.get("title", ""), counterparty_name=values.get("counterparty_name", ""),
                counterparty_account=_compact(values.get("counterparty_account", "")),
                account=_compact(values.get("account", ""))))  # fmt: skip
        line = reader.line_num + 1
    return Statement(format="csv", account="", statement_id="", opening_balance=None,
                     closing_balance=None, entries=tuple(entries))  # fmt: skip
