"""The daily journal export: every ledger entry of the day as a balanced line on mapped accounts, totals that
reconcile with the ledger, the same bytes each time the day is exported, nothing of another company."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from tests import factories

from kilowatt.core.clock import WARSAW, SystemClock
from kilowatt.core.errors import ValidationFailed
from kilowatt.finance.journal import (
    CSV_COLUMNS,
    DEFAULT_ACCOUNTS,
    JournalMappingMissing,
    journal_accounts_default,
    journal_export,
    journal_lines,
)
from kilowatt.finance.models import JournalAccount, JournalExport, LedgerEntry
from kilowatt.parties.operations import customer_create

pytestmark = pytest.mark.django_db
D = Decimal
DAY = date(2026, 3, 9)  # the fixtures' clock says 2026-03-10 09:30 in Warsaw: the 9th is over
_ids = itertools.count(1000)


def _entry(company, customer, kind, amount, *, on=DAY, number=None, reverses=None, due=None, now):
    document_id = next(_ids)
    return LedgerEntry.objects.create(
        company=company,
        customer=customer,
        kind=kind,
        document_type="adjustment" if kind in ("write_off", "transfer", "reversal", "fee") else kind,
        document_id=document_id,
        document_number=number or f"{kind[:2].upper()}/{document_id}/2026",
        amount=D(amount),
        posted_on=on,
        due_date=due,
        reverses=reverses,
        created_at=datetime.combine(on, time(12), tzinfo=WARSAW),  # recorded on its posting day
    )


@pytest.fixture
def ledger(company, other_company, now):
    """Two customers of the company with entries of most kinds on DAY, plus entries that must not appear:
    another day's and another company's."""
    journal_accounts_default(company=company)
    # Business customers' invoices go to their own revenue account: the exact customer kind wins.
    JournalAccount.objects.create(
        company=company,
        entry_kind="invoice",
        customer_kind="business",
        debit_account="201",
        credit_account="702",
    )
    anna = factories.customer(company, now)
    firm = customer_create(company=company, data=factories.business_data(), actor=None, now=now)
    old_payment = _entry(company, anna, "payment", "-150.00", on=date(2026, 3, 2), now=now)
    entries = [
        _entry(company, anna, "invoice", "200.00", number="FV/1/2026", due=date(2026, 3, 23), now=now),
        _entry(company, anna, "payment", "-80.00", now=now),
        _entry(company, anna, "reversal", "150.00", reverses=old_payment, number="ST/1/2026", now=now),
        _entry(company, anna, "interest", "12.34", due=date(2026, 3, 23), now=now),
        _entry(company, anna, "write_off", "-5.00", now=now),
        _entry(company, anna, "transfer", "20.00", now=now),
        _entry(company, firm, "transfer", "-20.00", now=now),
        _entry(company, firm, "invoice", "1230.00", number="FV/2/2026", due=date(2026, 3, 23), now=now),
        _entry(company, firm, "correction", "-100.00", now=now),
        _entry(company, firm, "refund", "50.00", now=now),
        _entry(company, firm, "fee", "40.00", now=now),
        _entry(company, firm, "note", "-7.50", now=now),
    ]
    _entry(company, anna, "invoice", "999.00", on=date(2026, 3, 8), now=now)
    _entry(company, anna, "invoice", "999.00", on=date(2026, 3, 10), now=now)
    journal_accounts_default(company=other_company)
    stranger = factories.customer(other_company, now)
    _entry(other_company, stranger, "invoice", "555.00", now=now)
    return {"anna": anna, "firm": firm, "entries": entries}


def _by_entry(lines):
    return {line.entry_id: line for line in lines}


def test_every_entry_of_the_day_is_a_balanced_line_on_the_mapped_accounts(company, ledger):
    lines = journal_lines(company=company, day=DAY)
    entries = ledger["entries"]
    assert [line.entry_id for line in lines] == [e.pk for e in entries]  # (posted_on, id) order
    by_entry = _by_entry(lines)
    accounts = {e.pk: (by_entry[e.pk].debit_account, by_entry[e.pk].credit_account) for e in entries}
    invoice, payment, reversal, interest, write_off, transfer_in, transfer_out = entries[:7]
    firm_invoice, correction, refund, fee, note = entries[7:]
    assert accounts[invoice.pk] == ("201", "700")
    assert accounts[firm_invoice.pk] == ("201", "702")  # the business row before the row for every kind
    assert accounts[correction.pk] == ("700", "201")  # no business row: the general one, swapped (negative)
    assert accounts[payment.pk] == ("131", "201")  # money in the bank, off the customer's account
    assert accounts[reversal.pk] == ("201", "131")  # the payment's accounts, the other way: it went back
    assert accounts[interest.pk] == ("201", "750")
    assert accounts[write_off.pk] == ("761", "201")  # a cost, off the customer's account
    assert accounts[transfer_in.pk] == ("201", "240") and accounts[transfer_out.pk] == ("240", "201")
    assert accounts[refund.pk] == ("201", "131")
    assert accounts[fee.pk] == ("201", "760")
    assert accounts[note.pk] == ("760", "201")
    line = by_entry[invoice.pk]
    assert (line.day, line.document_type, line.document_number, line.due_date) == (
        DAY,
        "invoice",
        "FV/1/2026",
        date(2026, 3, 23),
    )
    assert (line.customer_number, line.customer_name, line.entry_kind) == (
        ledger["anna"].number,
        "Jan Kowalski",
        "invoice",
    )
    assert line.amount == D("200.00") and line.description == "Invoice FV/1/2026"
    assert by_entry[reversal.pk].description.startswith("Reversal: Payment PA/")
    assert all(line.amount >= 0 for line in lines)


def test_totals_reconcile_with_the_ledger(company, ledger, now):
    lines = journal_lines(company=company, day=DAY)
    day_entries = LedgerEntry.objects.filter(company=company, posted_on=DAY)
    assert sum(line.amount for line in lines) == sum(abs(e.amount) for e in day_entries)
    content, record = journal_export(company=company, day=DAY, file_format="csv", exported_by="anna", now=now)
    assert record.debit_total == record.credit_total == sum(abs(e.amount) for e in day_entries)
    assert record.entries == len(ledger["entries"])
    # The customer account 201: per customer, debits less credits are the customer's ledger movement.
    net_201: dict[str, Decimal] = defaultdict(Decimal)
    per_account: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        per_account[line.debit_account] += line.amount
        per_account[line.credit_account] -= line.amount
        if line.debit_account == "201":
            net_201[line.customer_number] += line.amount
        if line.credit_account == "201":
            net_201[line.customer_number] -= line.amount
    for customer in (ledger["anna"], ledger["firm"]):
        movement = sum(e.amount for e in day_entries.filter(customer=customer))
        assert net_201[customer.number] == movement
    assert sum(per_account.values()) == 0  # the journal balances
    assert per_account["240"] == 0  # both halves of the transfer went through it


def test_the_same_day_twice_gives_identical_files_and_hashes(company, ledger, now):
    for file_format in ("csv", "xml"):
        first, one = journal_export(
            company=company, day=DAY, file_format=file_format, exported_by="a", now=now
        )
        with translation.override("pl"):  # whoever exports, in whatever language
            second, two = journal_export(
                company=company,
                day=DAY,
                file_format=file_format,
                exported_by="b",
                now=datetime.now(ZoneInfo("UTC")),
            )
        assert first == second
        assert one.file_hash == two.file_hash == hashlib.sha256(first).hexdigest()
        assert one.pk != two.pk
    assert JournalExport.objects.filter(company=company, day=DAY).count() == 4


def test_the_csv_reads_back(company, ledger, now):
    content, record = journal_export(company=company, day=DAY, file_format="csv", exported_by="a", now=now)
    assert not content.startswith(b"\xef\xbb\xbf")  # no BOM
    assert content.endswith(b"\r\n") and content.count(b"\r\n") == len(ledger["entries"]) + 1
    assert b"\n" not in content.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"), newline=""), delimiter=";"))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [int(r["ledger_entry_id"]) for r in records] == [e.pk for e in ledger["entries"]]
    assert sum(D(r["amount"]) for r in records) == record.debit_total
    first = records[0]
    assert first["date"] == "2026-03-09" and first["amount"] == "200.00" and first["due_date"] == "2026-03-23"
    assert (first["debit_account"], first["credit_account"]) == ("201", "700")
    assert records[1]["due_date"] == ""
    assert records[7]["customer_name"] == "Piekarnia Nowak sp. z o.o."


def test_the_xml_reads_back(company, ledger, now):
    content, record = journal_export(company=company, day=DAY, file_format="xml", exported_by="a", now=now)
    assert content.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Journal company="acme" day="2026-03-09"'
    )
    total = f"{record.debit_total:.2f}"
    assert f'entries="12" debitTotal="{total}" creditTotal="{total}">'.encode() in content
    root = ET.fromstring(content)
    assert root.tag == "Journal" and root.attrib["entries"] == "12"
    entries = root.findall("Entry")
    assert [int(e.findtext("LedgerEntryId")) for e in entries] == [e.pk for e in ledger["entries"]]
    assert sum(D(e.findtext("Amount")) for e in entries) == D(root.attrib["debitTotal"])
    write_off = entries[4]
    assert write_off.findtext("EntryKind") == "write_off"
    assert (write_off.findtext("DebitAccount"), write_off.findtext("CreditAccount")) == ("761", "201")
    assert write_off.findtext("DueDate") == "" or write_off.findtext("DueDate") is None


def test_an_empty_day_is_an_empty_journal(company, now):
    content, record = journal_export(
        company=company, day=date(2026, 1, 1), file_format="xml", exported_by="a", now=now
    )
    assert record.entries == 0 and record.debit_total == 0
    assert ET.fromstring(content).attrib == {
        "company": "acme",
        "day": "2026-01-01",
        "entries": "0",
        "debitTotal": "0.00",
        "creditTotal": "0.00",
    }


def test_a_missing_mapping_names_the_kind_and_customer_kind(company, ledger, now):
    JournalAccount.objects.filter(company=company, entry_kind="fee").delete()
    with pytest.raises(JournalMappingMissing) as missing:
        journal_export(company=company, day=DAY, file_format="csv", exported_by="a", now=now)
    assert (missing.value.entry_kind, missing.value.customer_kind) == ("fee", "business")
    assert "Fee" in missing.value.message and "Business" in missing.value.message
    assert not JournalExport.objects.exists()
    # A row for that customer kind alone is enough.
    JournalAccount.objects.create(
        company=company, entry_kind="fee", customer_kind="business", debit_account="201", credit_account="760"
    )
    assert journal_lines(company=company, day=DAY)


def test_a_reversal_without_an_original_needs_a_reversal_row(company, now):
    journal_accounts_default(company=company)
    anna = factories.customer(company, now)
    _entry(company, anna, "reversal", "-10.00", now=now)
    with pytest.raises(JournalMappingMissing, match="Reversal"):
        journal_lines(company=company, day=DAY)


def test_a_day_not_over_is_refused(company, ledger, now):
    for day in (date(2026, 3, 10), date(2026, 3, 11)):
        with pytest.raises(ValidationFailed) as refused:
            journal_export(company=company, day=day, file_format="csv", exported_by="a", now=now)
        assert refused.value.field == "day" and "not over" in refused.value.message
    # Just after midnight in Warsaw it is still the 9th in UTC, but the 9th is over.
    just_after = datetime(2026, 3, 10, 0, 0, 30, tzinfo=ZoneInfo("Europe/Warsaw"))
    assert just_after.astimezone(ZoneInfo("UTC")).date() == DAY
    journal_export(company=company, day=DAY, file_format="csv", exported_by="a", now=just_after)
    just_before = datetime(2026, 3, 9, 23, 59, 30, tzinfo=ZoneInfo("Europe/Warsaw"))
    with pytest.raises(ValidationFailed):
        journal_export(company=company, day=DAY, file_format="csv", exported_by="a", now=just_before)
    with pytest.raises(ValidationFailed) as bad_format:
        journal_export(company=company, day=DAY, file_format="pdf", exported_by="a", now=now)
    assert bad_format.value.field == "format"


def test_another_companys_entries_never_appear(company, other_company, ledger, now):
    lines = journal_lines(company=company, day=DAY)
    theirs = set(LedgerEntry.objects.filter(company=other_company).values_list("pk", flat=True))
    assert theirs and not theirs & {line.entry_id for line in lines}
    assert D("555.00") not in {line.amount for line in lines}
    content, _record = journal_export(
        company=other_company, day=DAY, file_format="csv", exported_by="r", now=now
    )
    assert content.count(b"\r\n") == 2 and b"555.00" in content


def test_default_accounts_are_created_once_and_never_overwrite(company):
    assert journal_accounts_default(company=company) == len(DEFAULT_ACCOUNTS)
    assert journal_accounts_default(company=company) == 0
    JournalAccount.objects.filter(company=company, entry_kind="invoice").update(credit_account="730")
    JournalAccount.objects.filter(company=company, entry_kind="fee").delete()
    assert journal_accounts_default(company=company) == 1
    assert (
        JournalAccount.objects.get(company=company, entry_kind="invoice", customer_kind="").credit_account
        == "730"
    )
    assert not JournalAccount.objects.filter(company=company, entry_kind="reversal").exists()


def _args(company_code, day, file_format, output):
    return ["--company", company_code, "--day", day, "--format", file_format, "--output", str(output)]


def test_the_command_writes_the_file_and_records_the_export(company, ledger, now, tmp_path, monkeypatch):
    monkeypatch.setattr(SystemClock, "now", lambda self: now)
    output = tmp_path / "journal.xml"
    out = io.StringIO()
    call_command("journal-export", *_args("acme", "2026-03-09", "xml", output), stdout=out)
    record = JournalExport.objects.get()
    assert record.file_hash == hashlib.sha256(output.read_bytes()).hexdigest()
    assert record.format == "xml" and record.exported_by.startswith("cli")
    assert "12 entries" in out.getvalue()
    today = tmp_path / "today.csv"
    with pytest.raises(CommandError, match="day: The day 2026-03-10 is not over"):
        call_command("journal-export", *_args("acme", "2026-03-10", "csv", today))
    with pytest.raises(CommandError, match="No company"):
        call_command("journal-export", *_args("nope", "2026-03-09", "csv", tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("journal-export", *_args("acme", "9.03.2026", "csv", tmp_path / "x.csv"))
    assert JournalExport.objects.count() == 1 and not (tmp_path / "today.csv").exists()


def test_the_command_creates_the_default_mapping_when_asked(company, now, tmp_path, monkeypatch):
    monkeypatch.setattr(SystemClock, "now", lambda self: now)
    _entry(company, factories.customer(company, now), "invoice", "10.00", now=now)
    args = _args("acme", "2026-03-09", "csv", tmp_path / "j.csv")
    with pytest.raises(CommandError, match="Invoice"):
        call_command("journal-export", *args)
    call_command("journal-export", *args, "--default-accounts", stdout=io.StringIO())
    assert JournalAccount.objects.filter(company=company).count() == len(DEFAULT_ACCOUNTS)


def test_the_mapping_and_exports_are_in_the_admin(client, django_user_model, company, ledger, now):
    admin_client = client
    admin_client.force_login(django_user_model.objects.create_superuser("root", password="s3cret-pass!"))
    journal_export(company=company, day=DAY, file_format="csv", exported_by="a", now=now)
    for url in (
        "/admin/finance/journalaccount/",
        "/admin/finance/journalaccount/add/",
        "/admin/finance/journalexport/",
        f"/admin/finance/journalaccount/?company__id__exact={company.pk}",
    ):
        assert admin_client.get(url).status_code == 200, url
    response = admin_client.post(
        "/admin/finance/journalaccount/add/",
        {
            "company": company.pk,
            "entry_kind": "fee",
            "customer_kind": "business",
            "debit_account": "201",
            "credit_account": "761",
        },
    )
    assert response.status_code == 302
    assert JournalAccount.objects.get(company=company, entry_kind="fee", customer_kind="business")
    assert admin_client.get("/admin/finance/journalexport/add/").status_code == 403
