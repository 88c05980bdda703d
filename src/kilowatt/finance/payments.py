"""Money in: bank statements imported, payments matched to customers, credits allocated to debts.

Matching tries, in order: the customer's own virtual account credited by the transfer, then a document
number (an invoice's, a correction's, a note's) in the payment title, then the customer's data: their
customer number in the title, or the payer's account when earlier transfers from it were the customer's.
What matches nothing waits in the clearing queue for staff. A payment is posted to the ledger as a credit
and allocated (see ``allocation``); what is left stays as credit and settles later debts.

A statement is imported set-wise: a handful of queries per thousand transfers, whatever its length.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _

from kilowatt.core.bulk import chunks, gc_paused, rows_insert_ids
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company
from kilowatt.finance.accounts import ACCOUNT_DIGITS, BANK_CODE_DIGITS
from kilowatt.finance.allocation import ledger_allocate_many
from kilowatt.finance.models import (
    BankStatement,
    BankTransaction,
    LedgerEntry,
    LedgerEntryKind,
    TransactionStatus,
)
from kilowatt.finance.statements import StatementEntry, StatementInvalid, statement_parse
from kilowatt.parties.models import Customer

STATEMENT_IMPORT_LOCK = 0x4B57  # the advisory lock namespace of statement imports ("KW")
DOCUMENT_NUMBER = re.compile(r"\b[A-Z]{1,4}/\d{1,8}/\d{4}\b")


@dataclass(frozen=True)
class StatementImportResult:
    statement: BankStatement
    already_imported: bool
    matched: int
    unmatched: int
    known: int
    outgoing: int


def virtual_account_customer_id(*, company: Company, account: str) -> int | None:
    """The customer id encoded in a virtual account of this company (see ``virtual_account_for``)."""
    digits = re.sub(r"\s", "", account).upper()
    if digits[:2].isalpha():
        digits = digits[4:]  # drop the country code and check digits of an IBAN: the NRB's BBAN remains
    elif len(digits) == 26:
        digits = digits[2:]  # a bare NRB starts with its check digits
    prefix = company.bank_account_prefix
    if not prefix or len(digits) != BANK_CODE_DIGITS + ACCOUNT_DIGITS or not digits.startswith(prefix):
        return None
    number = digits[len(prefix) :]
    return int(number) if number.isdigit() else None


@dataclass(frozen=True)
class Match:
    customer_id: int
    matched_by: str
    named: tuple[str, ...]


def transfers_match(*, company: Company, entries: Sequence[StatementEntry]) -> list[Match | None]:
    """Find the customer of each incoming transfer (see the module's docstring for the order)."""
    found: list[Match | None] = [None] * len(entries)
    numbers = [tuple(dict.fromkeys(DOCUMENT_NUMBER.findall(e.title.upper()))) for e in entries]
    by_account = {
        i: cid
        for i, e in enumerate(entries)
        if e.account and (cid := virtual_account_customer_id(company=company, account=e.account)) is not None
    }
    existing: set[int] = set()
    for chunk in chunks(sorted(set(by_account.values()))):
        existing.update(
            Customer.objects.filter(company=company, pk__any_of=chunk).values_list("pk", flat=True)
        )
    for i, cid in by_account.items():
        if cid in existing:
            found[i] = Match(cid, "virtual_account", numbers[i])
    wanted = sorted({n for i, ns in enumerate(numbers) if found[i] is None for n in ns})
    documents: dict[str, int] = {}
    customers_by_number: dict[str, int] = {}
    for chunk in chunks(wanted):
        documents.update(
            LedgerEntry.objects.filter(company=company, document_number__any_of=chunk)
            .exclude(kind__in=[LedgerEntryKind.PAYMENT, LedgerEntryKind.REVERSAL])
            .values_list("document_number", "customer_id")
        )
        customers_by_number.update(
            Customer.objects.filter(company=company, number__any_of=chunk).values_list("number", "pk")
        )
    payers = sorted(
        {e.counterparty_account for i, e in enumerate(entries) if found[i] is None and e.counterparty_account}
    )
    payer_customers: dict[str, set[int]] = defaultdict(set)
    for chunk in chunks(payers):
        for account, cid in (
            BankTransaction.objects.filter(
                company=company, counterparty_account__any_of=chunk, customer__isnull=False
            )
            .values_list("counterparty_account", "customer_id")
            .distinct()
        ):
            payer_customers[account].add(cid)
    for i, entry in enumerate(entries):
        if found[i] is not None:
            continue
        document = next((documents[n] for n in numbers[i] if n in documents), None)
        if document is not None:
            found[i] = Match(document, "document_number", numbers[i])
            continue
        by_number = next((customers_by_number[n] for n in numbers[i] if n in customers_by_number), None)
        if by_number is not None:
            found[i] = Match(by_number, "customer_number", numbers[i])
            continue
        payer = payer_customers.get(entry.counterparty_account, set())
        if len(payer) == 1:
            found[i] = Match(next(iter(payer)), "payer_account", numbers[i])
    return found


def statement_import(
    *, company: Company, file_name: str, content: bytes, now: datetime
) -> StatementImportResult:
    """Import a statement: all of it or, when the file is broken, nothing (the error names the line).

    The same file twice changes nothing; a transfer already imported from another file is counted as known.
    """
    with gc_paused(), transaction.atomic():
        if connection.vendor == "postgresql":
            # One import of the company at a time: the same file (or two overlapping ones) uploaded twice at
            # once waits for the first, then finds it imported, instead of failing on the unique constraints.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [STATEMENT_IMPORT_LOCK, company.pk])
        return _statement_import(company=company, file_name=file_name, content=content, now=now)


def _statement_import(
    *, company: Company, file_name: str, content: bytes, now: datetime
) -> StatementImportResult:
    file_hash = hashlib.sha256(content).hexdigest()
    done = BankStatement.objects.filter(company=company, file_hash=file_hash).first()
    if done is not None:
        return StatementImportResult(done, True, 0, 0, 0, 0)
    try:
        parsed = statement_parse(content=content, file_name=file_name)
    except StatementInvalid as invalid:
        raise ValidationFailed.single("file", str(invalid)) from None
    _statement_account_check(company=company, file_name=file_name, content=content, account=parsed.account)
    statement = BankStatement.objects.create(
        company=company,
        file_name=file_name[:255],
        file_hash=file_hash,
        format=parsed.format,
        account=parsed.account[:34],
        statement_id=parsed.statement_id[:64],
        imported_at=now,
    )
    known: set[str] = set()
    for chunk in chunks([e.reference[:100] for e in parsed.entries]):
        known.update(
            BankTransaction.objects.filter(company=company, reference__any_of=chunk).values_list(
                "reference", flat=True
            )
        )
    fresh: list[StatementEntry] = []
    for entry in parsed.entries:
        if entry.reference[:100] not in known:
            known.add(entry.reference[:100])
            fresh.append(entry)
    incoming = [e for e in fresh if e.amount > 0]
    matches = dict(
        zip((id(e) for e in incoming), transfers_match(company=company, entries=incoming), strict=True)
    )
    rows = [_transaction_row(company, statement, e, matches.get(id(e))) for e in fresh]
    ids = rows_insert_ids(model=BankTransaction, fields=TRANSACTION_FIELDS, rows=rows)
    matched = [
        Payment(pk, e.reference[:40], e.booked_on, e.amount, match)
        for pk, e in zip(ids, fresh, strict=True)
        if (match := matches.get(id(e))) is not None
    ]
    payments_post(company=company, payments=matched, now=now)
    outgoing = sum(1 for e in fresh if e.amount <= 0)
    return StatementImportResult(
        statement,
        False,
        len(matched),
        len(fresh) - len(matched) - outgoing,
        len(parsed.entries) - len(fresh),
        outgoing,
    )


def _bank_code(account: str) -> str | None:
    """The 8-digit bank code of an IBAN (after its country and check digits) or an NRB (after its check
    digits); None when the account has neither shape."""
    compact = re.sub(r"\s", "", account).upper()
    if re.match(r"[A-Z]{2}\d{10}", compact):
        return compact[4 : 4 + BANK_CODE_DIGITS]
    if re.fullmatch(r"\d{26}", compact):
        return compact[2 : 2 + BANK_CODE_DIGITS]
    return None


def _statement_account_check(*, company: Company, file_name: str, content: bytes, account: str) -> None:
    """Refuse a statement of an account at another bank than the company's (a file meant for someone else)."""
    own = company.bank_account_prefix[:BANK_CODE_DIGITS]
    found = _bank_code(account) if account else None
    if len(own) < BANK_CODE_DIGITS or found is None or found == own:
        return
    text = content.decode("utf-8", errors="replace").splitlines()
    line = next((n for n, raw in enumerate(text, start=1) if account in re.sub(r"\s", "", raw)), 1)
    raise ValidationFailed.single(
        "file",
        _("%(file)s, line %(line)d: the statement is of account %(account)s, not an account of this company")
        % {"file": file_name, "line": line, "account": account},
    )


TRANSACTION_FIELDS = (
    "company_id",
    "statement_id",
    "line",
    "booked_on",
    "amount",
    "currency",
    "reference",
    "title",
    "counterparty_name",
    "counterparty_account",
    "account",
    "vat_amount",
    "status",
    "matched_by",
    "customer_id",
)


def _transaction_row(
    company: Company, statement: BankStatement, entry: StatementEntry, match: Match | None
) -> tuple:
    if entry.amount <= 0:
        status = TransactionStatus.OUTGOING
    else:
        status = TransactionStatus.MATCHED if match else TransactionStatus.UNMATCHED
    return (
        company.pk,
        statement.pk,
        entry.line,
        entry.booked_on,
        entry.amount,
        entry.currency,
        entry.reference[:100],
        entry.title[:500],
        entry.counterparty_name[:200],
        entry.counterparty_account[:34],
        entry.account[:34],
        entry.vat_amount,
        status,
        match.matched_by if match else "",
        match.customer_id if match else None,
    )


@dataclass(frozen=True)
class Payment:
    """A matched transfer to post: its bank transaction, reference, booking day, amount and customer."""

    transaction_id: int
    reference: str
    booked_on: date
    amount: Decimal
    match: Match


def payments_post(*, company: Company, payments: Sequence[Payment], now: datetime) -> list[int]:
    """Post matched transfers as credits on the ledger and allocate them, in the caller's transaction.
    Returns the ids of the ledger entries, in order."""
    ids = rows_insert_ids(
        model=LedgerEntry,
        fields=(
            "company_id",
            "customer_id",
            "kind",
            "document_type",
            "document_id",
            "document_number",
            "amount",
            "posted_on",
            "created_at",
        ),
        rows=[
            (
                company.pk,
                p.match.customer_id,
                LedgerEntryKind.PAYMENT,
                "bank_transaction",
                p.transaction_id,
                p.reference,
                -p.amount,
                p.booked_on,
                now,
            )
            for p in payments
        ],
    )
    named = {pk: p.match.named for pk, p in zip(ids, payments, strict=True) if p.match.named}
    ledger_allocate_many(
        company_id=company.pk, customer_ids=[p.match.customer_id for p in payments], now=now, named=named
    )
    return ids


@transaction.atomic
def clearing_assign(*, transaction_record: BankTransaction, customer: Customer, now: datetime) -> LedgerEntry:
    """Staff assign a payment from the clearing queue to a customer of the same company."""
    record = BankTransaction.objects.select_for_update().get(pk=transaction_record.pk)
    if record.status != TransactionStatus.UNMATCHED:
        raise ValidationFailed.single(
            "transaction", _("Only a payment waiting in the clearing queue is assigned.")
        )
    if customer.company_id != record.company_id:
        raise ValidationFailed.single("customer", _("Customer not found."), code="not_found")
    record.status, record.customer, record.matched_by = TransactionStatus.ASSIGNED, customer, "staff"
    record.save(update_fields=["status", "customer", "matched_by"])
    numbers = tuple(dict.fromkeys(DOCUMENT_NUMBER.findall(record.title.upper())))
    payment = Payment(
        record.pk,
        record.reference[:40],
        record.booked_on,
        record.amount,
        Match(customer.pk, "staff", numbers),
    )
    (entry_id,) = payments_post(company=record.company, payments=[payment], now=now)
    return LedgerEntry.objects.get(pk=entry_id)
