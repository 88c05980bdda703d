"""A commission statement as a document: its lines grouped per agent with subtotals (the organisation's own
part last), printed as PDF (WeasyPrint, ``documents/commission_statement.html``) or XLSX; and the payout
file (XLSX or CSV: organisation, NIP, IBAN, statement number, amount).

``agent_user_id`` makes a plain agent's extract: only their lines and their subtotal."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from kilowatt.commissions.models import CommissionEntry, CommissionStatement
from kilowatt.commissions.queries import PayoutBatch, statement_lines
from kilowatt.core.clock import WARSAW
from kilowatt.core.money import ZERO
from kilowatt.documents.pdf import html_to_pdf

TEMPLATE = "documents/commission_statement.html"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class AgentGroup:
    """The lines of one beneficiary: an agent, or the organisation's own part (``agent`` None)."""

    label: str
    agent_id: int | None
    entries: list[CommissionEntry] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((entry.amount for entry in self.entries), ZERO)


@dataclass
class StatementDocument:
    statement: CommissionStatement
    groups: list[AgentGroup]
    extract_for: str  # the agent's name on a plain agent's extract, else ""

    @property
    def business_total(self) -> Decimal:
        return sum((g.subtotal for g in self.groups if g.agent_id is not None), ZERO)

    @property
    def own_total(self) -> Decimal:
        return sum((g.subtotal for g in self.groups if g.agent_id is None), ZERO)

    @property
    def total(self) -> Decimal:
        return self.business_total + self.own_total

    @property
    def file_stem(self) -> str:
        return "commission-" + self.statement.number.replace("/", "-")


def _user_label(user) -> str:
    if user is None:
        return _("The organisation's own part")
    return user.get_full_name() or user.get_username()


def _agent_label(entry: CommissionEntry) -> str:
    return _user_label(entry.agent)


def statement_document(
    *, statement: CommissionStatement, agent_user_id: int | None = None
) -> StatementDocument:
    """The statement's lines per agent (by name), the own part last; with ``agent_user_id`` that agent's
    extract (marked with their name even when none of the lines is theirs). One query, two for an extract
    without lines."""
    groups: dict[int | None, AgentGroup] = {}
    for line in statement_lines(statement=statement, agent_user_id=agent_user_id):
        entry = line.entry
        group = groups.get(entry.agent_id)
        if group is None:
            group = groups[entry.agent_id] = AgentGroup(_agent_label(entry), entry.agent_id)
        group.entries.append(entry)
    extract_for = ""
    if agent_user_id is not None:
        mine = groups.get(agent_user_id)
        user = get_user_model().objects.filter(pk=agent_user_id).first() if mine is None else None
        if mine is not None:
            extract_for = mine.label
        else:  # none of the lines is theirs: still their extract, never the organisation's statement
            extract_for = _user_label(user) if user is not None else str(agent_user_id)
    ordered = [g for key, g in groups.items() if key is not None] + ([groups[None]] if None in groups else [])
    return StatementDocument(statement, ordered, extract_for)


def statement_pdf(*, document: StatementDocument) -> bytes:
    """The statement as an A4 PDF, in the active language."""
    statement = document.statement
    html = render_to_string(
        TEMPLATE,
        {
            "doc": document,
            "language": get_language() or "pl",
            "statement": statement,
            "company": statement.company,
            "organisation": statement.organisation,
            "last_day": statement.period_end - timedelta(days=1),
            "issued_on": statement.issued_at.astimezone(WARSAW).date(),
        },
    )
    return html_to_pdf(html=html)


def _bold(sheet, row: list) -> None:
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def statement_xlsx(*, document: StatementDocument) -> bytes:
    """The statement as a workbook: a heading, the lines per agent with subtotals, the totals."""
    statement = document.statement
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Statement")[:31]
    _bold(sheet, [_("Commission statement"), statement.number])
    sheet.append([_("Organisation"), statement.organisation.name])
    sheet.append([_("NIP"), statement.organisation.nip])
    sheet.append([_("Period"), statement.period_start, statement.period_end - timedelta(days=1)])
    sheet.append([_("Status"), statement.get_status_display()])
    if document.extract_for:
        sheet.append([_("Extract for"), document.extract_for])
    sheet.append([])
    _bold(
        sheet,
        [
            _("Agent"),
            _("Date"),
            _("Contract"),
            _("Supply point"),
            _("Description"),
            _("Base"),
            _("Rate"),
            _("Amount (PLN)"),
        ],
    )
    for group in document.groups:
        for entry in group.entries:
            sheet.append(
                [
                    group.label,
                    entry.occurred_on,
                    entry.contract.number,
                    entry.supply_point.code if entry.supply_point is not None else "",
                    entry.description,
                    entry.base,
                    entry.rate,
                    entry.amount,
                ]
            )
        _bold(
            sheet, [_("Subtotal: %(agent)s") % {"agent": group.label}, "", "", "", "", "", "", group.subtotal]
        )
    sheet.append([])
    if not document.extract_for:
        _bold(sheet, [_("Agents' commission"), "", "", "", "", "", "", document.business_total])
        _bold(sheet, [_("Organisation's own part"), "", "", "", "", "", "", document.own_total])
    _bold(sheet, [_("Total"), "", "", "", "", "", "", document.total])
    for column, width in zip("ABCDEFGH", (28, 12, 18, 22, 60, 10, 10, 14), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00" if cell.column_letter == "H" else "0.000"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PAYOUT_FORMATS = ("xlsx", "csv")


def _payout_header() -> list[str]:
    return [_("Organisation"), _("NIP"), _("IBAN"), _("Statement number"), _("Amount (PLN)")]


def payout_file(*, batch: PayoutBatch, file_format: str) -> tuple[bytes, str]:
    """The payout file of a batch and its content type: XLSX, or CSV (UTF-8, ``;``, amounts with a dot)."""
    if file_format == "csv":
        text = io.StringIO()
        writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        writer.writerow(["organisation", "nip", "iban", "statement", "amount"])
        for row in batch.rows:
            writer.writerow([row.organisation, row.nip, row.iban, row.number, f"{row.amount:.2f}"])
        return text.getvalue().encode("utf-8"), "text/csv; charset=utf-8"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Payout")[:31]
    _bold(sheet, _payout_header())
    for row in batch.rows:
        sheet.append([row.organisation, row.nip, row.iban, row.number, row.amount])
        sheet.cell(row=sheet.max_row, column=5).number_format = "#,##0.00"
    _bold(sheet, [_("Total"), "", "", "", batch.total])
    for column, width in zip("ABCDE", (40, 12, 34, 24, 14), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), XLSX_TYPE
