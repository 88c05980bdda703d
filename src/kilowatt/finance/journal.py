"""The daily accounting journal: a day's ledger entries as double-entry lines for the accounting system.

Each ledger entry becomes one line booked to two general-ledger accounts taken from the company's
``JournalAccount`` mapping (entry kind + customer kind; a row with an empty customer kind applies to
every customer kind). A mapping row says how a *positive* amount (the customer owes more) is booked; a
negative amount books the same two accounts the other way round, with the absolute amount. So every line's
debit equals its credit, and the lines on the customer-side account (201 in the default mapping) net to the
customer's ledger movement of the day. A reversal is booked with the accounts of the entry it reverses.

The file of a day carries no timestamp and is written in the site's language (``LANGUAGE_CODE``) whatever
the language of the person exporting, so exporting the same day again gives the same bytes; every export
is recorded (``JournalExport``) with the file's SHA-256. See docs/accounting-export.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kilowatt.core.clock import WARSAW
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.models import Company
from kilowatt.core.money import ZERO, money_round
from kilowatt.finance.models import JournalAccount, JournalExport, LedgerEntry, LedgerEntryKind
from kilowatt.parties.models import CustomerKind

JOURNAL_FORMATS = ("csv", "xml")

CSV_COLUMNS = (
    "date",
    "document_type",
    "document_number",
    "ledger_entry_id",
    "customer_number",
    "customer_name",
    "entry_kind",
    "debit_account",
    "credit_account",
    "amount",
    "due_date",
    "description",
)

# The default Polish mapping: (entry kind, account debited for a positive amount, account credited for a
# positive amount). 201 is the customer side (rozrachunki z odbiorcami); a negative amount swaps the two, so
# a payment (negative) is booked Dr 131 Cr 201 and a write-off of a debt (negative) Dr 761 Cr 201. A reversal
# has no row of its own: it is booked with its original entry's accounts (see ``_kind_for_accounts``).
DEFAULT_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    (LedgerEntryKind.INVOICE, "201", "700"),  # sales invoice: Dr 201 Cr 700
    (LedgerEntryKind.CORRECTION, "201", "700"),  # correction up: Dr 201 Cr 700; down: Dr 700 Cr 201
    (LedgerEntryKind.NOTE, "201", "760"),  # accounting note (penalty, compensation): other operating income
    (LedgerEntryKind.PAYMENT, "201", "131"),  # payment (negative): Dr 131 (bank) Cr 201
    (LedgerEntryKind.REFUND, "201", "131"),  # refund of an overpayment (positive): Dr 201 Cr 131
    (LedgerEntryKind.INTEREST, "201", "750"),  # interest note: financial income
    (LedgerEntryKind.FEE, "201", "760"),  # fee: other operating income
    (LedgerEntryKind.WRITE_OFF, "201", "761"),  # write-off of a debt (negative): Dr 761 Cr 201
    (LedgerEntryKind.TRANSFER, "201", "240"),  # each half of a transfer through 240, which nets to zero
)


class JournalMappingMissing(DomainError):
    """No ``JournalAccount`` row maps an entry kind for a customer kind (nor for every customer kind)."""

    code = "journal_mapping_missing"

    def __init__(self, *, entry_kind: str, customer_kind: str) -> None:
        self.entry_kind = entry_kind
        self.customer_kind = customer_kind
        kind_label = dict(LedgerEntryKind.choices).get(entry_kind, entry_kind)
        customer_label = dict(CustomerKind.choices).get(customer_kind, customer_kind)
        super().__init__(
            _(
                "No journal account mapping for ledger entries of kind “%(kind)s” (%(kind_code)s) of "
                "customers of kind “%(customer_kind)s” (%(customer_kind_code)s): add one in the "
                "administration, Finance › Journal account mappings, for this customer kind or for every "
                "customer kind."
            )
            % {
                "kind": kind_label,
                "kind_code": entry_kind,
                "customer_kind": customer_label,
                "customer_kind_code": customer_kind,
            }
        )


@dataclass(frozen=True)
class JournalLine:
    """One double-entry line: ``amount`` (positive) is debited to one account and credited to the other."""

    day: date
    document_type: str
    document_number: str
    entry_id: int
    customer_number: str
    customer_name: str
    entry_kind: str
    debit_account: str
    credit_account: str
    amount: Decimal
    due_date: date | None
    description: str


def _originals(entries: list[LedgerEntry]) -> dict[int, tuple[str, str, int | None]]:
    """(kind, document number, reverses id) of every entry the day's reversals reverse, through chains of
    reversals of reversals, whatever day those were posted on."""
    found: dict[int, tuple[str, str, int | None]] = {}
    wanted = {e.reverses_id for e in entries if e.kind == LedgerEntryKind.REVERSAL and e.reverses_id}
    while wanted:
        rows = LedgerEntry.objects.filter(pk__in=wanted).values_list(
            "pk", "kind", "document_number", "reverses_id"
        )
        for pk, kind, number, reverses_id in rows:
            found[pk] = (kind, number, reverses_id)
        wanted = {
            reverses_id
            for kind, _number, reverses_id in found.values()
            if kind == LedgerEntryKind.REVERSAL and reverses_id and reverses_id not in found
        }
    return found


def _kind_for_accounts(
    entry: LedgerEntry, originals: dict[int, tuple[str, str, int | None]]
) -> tuple[str, str]:
    """The entry kind whose accounts book this entry, and the document number the description names: a
    reversal takes its original's (the first that is not itself a reversal)."""
    kind, number, reverses_id = entry.kind, entry.document_number, entry.reverses_id
    seen: set[int] = set()
    while (
        kind == LedgerEntryKind.REVERSAL
        and reverses_id
        and reverses_id in originals
        and reverses_id not in seen
    ):
        seen.add(reverses_id)
        kind, number, reverses_id = originals[reverses_id]
    return kind, number


def _description(entry: LedgerEntry, accounts_kind: str, number: str) -> str:
    """The kinds' translated labels and the document number: "Faktura FV/1/2026", "Storno: Wpłata REF1"."""
    labels = dict(LedgerEntryKind.choices)
    if entry.kind == LedgerEntryKind.REVERSAL and accounts_kind != LedgerEntryKind.REVERSAL:
        return f"{labels[LedgerEntryKind.REVERSAL]}: {labels.get(accounts_kind, accounts_kind)} {number}"
    return f"{labels.get(entry.kind, entry.kind)} {entry.document_number}"


def journal_lines(*, company: Company, day: date) -> list[JournalLine]:
    """The company's ledger entries recorded on ``day`` (Warsaw time) as journal lines, in id order.

    Entries are chosen by when they were recorded, not by their posting date: a statement imported on the
    10th adds payments booked by the bank on the 9th, and they belong to the journal of the 10th. So the
    journal of a day that is over never changes; each line still carries its own posting date.

    Raises JournalMappingMissing for the first entry whose kind has no account mapping.
    """
    mapping = {
        (row.entry_kind, row.customer_kind): (row.debit_account, row.credit_account)
        for row in JournalAccount.objects.filter(company=company)
    }
    start = datetime.combine(day, datetime.min.time(), tzinfo=WARSAW)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=WARSAW)
    entries = list(
        LedgerEntry.objects.filter(company=company, created_at__gte=start, created_at__lt=end)
        .select_related("customer")
        .order_by("id")
    )
    originals = _originals(entries)
    lines = []
    with translation.override(settings.LANGUAGE_CODE):
        for entry in entries:
            customer = entry.customer
            accounts_kind, number = _kind_for_accounts(entry, originals)
            accounts = mapping.get((accounts_kind, customer.kind)) or mapping.get((accounts_kind, ""))
            if accounts is None:
                raise JournalMappingMissing(entry_kind=accounts_kind, customer_kind=customer.kind)
            debit, credit = accounts if entry.amount >= 0 else (accounts[1], accounts[0])
            lines.append(
                JournalLine(
                    day=entry.posted_on,
                    document_type=entry.document_type,
                    document_number=entry.document_number,
                    entry_id=entry.pk,
                    customer_number=customer.number,
                    customer_name=customer.display_name,
                    entry_kind=entry.kind,
                    debit_account=debit,
                    credit_account=credit,
                    amount=money_round(abs(entry.amount)),
                    due_date=entry.due_date,
                    description=_description(entry, accounts_kind, number),
                )
            )
    return lines


def _money(value: Decimal) -> str:
    return f"{money_round(value):.2f}"


def _fields(line: JournalLine) -> tuple[str, ...]:
    """The line's values as text, in the order of ``CSV_COLUMNS``."""
    return (
        line.day.isoformat(),
        line.document_type,
        line.document_number,
        str(line.entry_id),
        line.customer_number,
        line.customer_name,
        line.entry_kind,
        line.debit_account,
        line.credit_account,
        _money(line.amount),
        line.due_date.isoformat() if line.due_date else "",
        line.description,
    )


def journal_total(*, lines: list[JournalLine]) -> Decimal:
    """The debit total of the lines, which is also their credit total (each line debits what it credits)."""
    return money_round(sum((line.amount for line in lines), ZERO))


def journal_csv(*, lines: list[JournalLine]) -> bytes:
    """UTF-8 (no BOM), ``;`` separated, decimal point, a header row, CRLF line ends."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_fields(line) for line in lines)
    return buffer.getvalue().encode("utf-8")


XML_ELEMENTS = (
    "Date",
    "DocumentType",
    "DocumentNumber",
    "LedgerEntryId",
    "CustomerNumber",
    "CustomerName",
    "EntryKind",
    "DebitAccount",
    "CreditAccount",
    "Amount",
    "DueDate",
    "Description",
)


def journal_xml(*, company: Company, day: date, lines: list[JournalLine]) -> bytes:
    """``<Journal company day entries debitTotal creditTotal>`` holding one ``<Entry>`` per line, whose child
    elements are ``XML_ELEMENTS`` (``DueDate`` empty when there is none). UTF-8, indented, no timestamp."""
    total = _money(journal_total(lines=lines))
    root = ET.Element("Journal")
    # Attributes are written in the order they are set.
    root.set("company", company.code)
    root.set("day", day.isoformat())
    root.set("entries", str(len(lines)))
    root.set("debitTotal", total)
    root.set("creditTotal", total)
    for line in lines:
        entry = ET.SubElement(root, "Entry")
        for name, value in zip(XML_ELEMENTS, _fields(line), strict=True):
            ET.SubElement(entry, name).text = value
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def journal_file_name(*, company: Company, day: date, file_format: str) -> str:
    return f"journal-{company.code}-{day.isoformat()}.{file_format}"


def journal_export(
    *, company: Company, day: date, file_format: str, exported_by: str, now: datetime
) -> tuple[bytes, JournalExport]:
    """Build the journal file of a day that is over (in Warsaw) and record the export with its hash.

    Exporting the same day again gives the same bytes and records another export with the same hash.
    Raises ValidationFailed (``format``, ``day``) and JournalMappingMissing.
    """
    if file_format not in JOURNAL_FORMATS:
        raise ValidationFailed.single(
            "format", _("Choose the file format: %(formats)s.") % {"formats": ", ".join(JOURNAL_FORMATS)}
        )
    today = timezone.localdate(now, WARSAW)
    if day >= today:
        raise ValidationFailed.single(
            "day",
            _("The day %(day)s is not over yet: its journal can be exported from %(next)s on.")
            % {"day": day.isoformat(), "next": (day + timedelta(days=1)).isoformat()},
        )
    lines = journal_lines(company=company, day=day)
    if file_format == "csv":
        content = journal_csv(lines=lines)
    else:
        content = journal_xml(company=company, day=day, lines=lines)
    total = journal_total(lines=lines)
    record = JournalExport.objects.create(
        company=company,
        day=day,
        format=file_format,
        entries=len(lines),
        debit_total=total,
        credit_total=total,
        file_hash=hashlib.sha256(content).hexdigest(),
        exported_by=exported_by[:150],
        exported_at=now,
    )
    return content, record


def journal_accounts_default(*, company: Company) -> int:
    """Create the default Polish mapping (``DEFAULT_ACCOUNTS``) for the entry kinds that have no row for
    every customer kind yet; rows already there are never changed. Returns the number of rows created."""
    created = 0
    for entry_kind, debit, credit in DEFAULT_ACCOUNTS:
        _row, made = JournalAccount.objects.get_or_create(
            company=company,
            entry_kind=entry_kind,
            customer_kind="",
            defaults={"debit_account": debit, "credit_account": credit},
        )
        created += made
    return created
