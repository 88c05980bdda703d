"""Money in: bank statements imported, payments matched to customers, credits allocated to debts.

Matching tries, in order: the customer's own virtual account credited by the transfer, then a document
number (an invoice's, a correction's, a note's) in the payment title. What matches neither waits in the
clearing queue for staff. A payment is posted to the ledger as a credit and allocated to the customer's
oldest due debts first; what is left stays as credit and settles later debts. Allocations are rows of
their own: the ledger is never edited.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company
from kilowatt.core.money import ZERO
from kilowatt.finance.accounts import ACCOUNT_DIGITS, BANK_CODE_DIGITS
from kilowatt.finance.models import (
    Allocation,
    BankStatement,
    BankTransaction,
    LedgerEntry,
    LedgerEntryKind,
    TransactionStatus,
)
from kilowatt.finance.statements import StatementEntry, StatementInvalid, statement_parse
from kilowatt.parties.models import Customer

DOCUMENT_NUMBER = re.compile(r"\b[A-Z]{1,4}/\d{1,8}/\d{4}\b")


@dataclass(frozen=True)
class StatementImportResult:
    statement: BankStatement
    already_imported: bool
    matched: int
    unmatched: int
    known: int
    outgoing: int


def customer_by_virtual_account(*, company: Company, account: str) -> Customer | None:
    """The customer whose virtual account (built by ``virtual_account_for``) was credited."""
    digits = re.sub(r"\s", "", account).upper()
    if digits[:2].isalpha():
        digits = digits[4:]  # drop the country code and check digits of an IBAN: the NRB's BBAN remains
    elif len(digits) == 26:
        digits = digits[2:]  # a bare NRB starts with its check digits
    prefix = company.bank_account_prefix
    if not prefix or len(digits) != BANK_CODE_DIGITS + ACCOUNT_DIGITS or not digits.startswith(prefix):
        return None
    number = digits[len(prefix) :]
    return Customer.objects.filter(company=company, pk=int(number)).first() if number.isdigit() else None


def customer_by_document_number(*, company: Company, title: str) -> Customer | None:
    numbers = DOCUMENT_NUMBER.findall(title.upper())
    if not numbers:
        return None
    entry = (
        LedgerEntry.objects.filter(company=company, document_number__in=numbers)
        .exclude(kind__in=[LedgerEntryKind.PAYMENT, LedgerEntryKind.REVERSAL])
        .select_related("customer")
        .first()
    )
    return entry.customer if entry else None


def _match(company: Company, entry: StatementEntry) -> tuple[Customer | None, str]:
    if entry.account:
        customer = customer_by_virtual_account(company=company, account=entry.account)
        if customer is not None:
            return customer, "virtual_account"
    customer = customer_by_document_number(company=company, title=entry.title)
    if customer is not None:
        return customer, "document_number"
    return None, ""


@transaction.atomic
def statement_import(
    *, company: Company, file_name: str, content: bytes, now: datetime
) -> StatementImportResult:
    """Import a statement: all of it or, when the file is broken, nothing (the error names the line).

    The same file twice changes nothing; a transfer already imported from another file is counted as known.
    """
    file_hash = hashlib.sha256(content).hexdigest()
    done = BankStatement.objects.filter(company=company, file_hash=file_hash).first()
    if done is not None:
        return StatementImportResult(done, True, 0, 0, 0, 0)
    try:
        parsed = statement_parse(content=content, file_name=file_name)
    except StatementInvalid as invalid:
        raise ValidationFailed.single("file", str(invalid)) from None
    statement = BankStatement.objects.create(
        company=company,
        file_name=file_name[:255],
        file_hash=file_hash,
        format=parsed.format,
        account=parsed.account[:34],
        statement_id=parsed.statement_id[:64],
        imported_at=now,
    )
    known_refs = set(
        BankTransaction.objects.filter(
            company=company, reference__in=[e.reference for e in parsed.entries]
        ).values_list("reference", flat=True)
    )
    counts = {"matched": 0, "unmatched": 0, "known": 0, "outgoing": 0}
    for entry in parsed.entries:
        if entry.reference in known_refs:
            counts["known"] += 1
            continue
        known_refs.add(entry.reference)
        customer, matched_by = _match(company, entry) if entry.amount > 0 else (None, "")
        status = (
            TransactionStatus.OUTGOING
            if entry.amount <= 0
            else TransactionStatus.MATCHED
            if customer
            else TransactionStatus.UNMATCHED
        )
        record = BankTransaction.objects.create(
            company=company,
            statement=statement,
            line=entry.line,
            booked_on=entry.booked_on,
            amount=entry.amount,
            currency=entry.currency,
            reference=entry.reference[:100],
            title=entry.title[:500],
            counterparty_name=entry.counterparty_name[:200],
            counterparty_account=entry.counterparty_account[:34],
            account=entry.account[:34],
            vat_amount=entry.vat_amount,
            status=status,
            matched_by=matched_by,
            customer=customer,
        )
        if status == TransactionStatus.MATCHED:
            payment_post(transaction_record=record, customer=customer, now=now)
            counts["matched"] += 1
        elif status == TransactionStatus.UNMATCHED:
            counts["unmatched"] += 1
        else:
            counts["outgoing"] += 1
    return StatementImportResult(
        statement, False, counts["matched"], counts["unmatched"], counts["known"], counts["outgoing"]
    )


def payment_post(*, transaction_record: BankTransaction, customer: Customer, now: datetime) -> LedgerEntry:
    """Post a transfer as a credit on the ledger and allocate it, inside the caller's transaction."""
    entry = LedgerEntry.objects.create(
        company=transaction_record.company,
        customer=customer,
        kind=LedgerEntryKind.PAYMENT,
        document_type="bank_transaction",
        document_id=transaction_record.pk,
        document_number=transaction_record.reference[:40],
        amount=-transaction_record.amount,
        posted_on=transaction_record.booked_on,
        created_at=now,
    )
    ledger_allocate(customer=customer, now=now)
    return entry


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
    return payment_post(transaction_record=record, customer=customer, now=now)


def _open(entries: list[LedgerEntry], allocated: dict[int, Decimal]) -> list[tuple[LedgerEntry, Decimal]]:
    return [
        (e, abs(e.amount) - allocated.get(e.pk, ZERO))
        for e in entries
        if abs(e.amount) > allocated.get(e.pk, ZERO)
    ]


def ledger_allocate(*, customer: Customer, now: datetime) -> int:
    """Settle the customer's open debits with open credits, oldest due first. The customer row is locked,
    so two payments arriving at once never use the same open debit twice. Returns allocations made."""
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    entries = list(LedgerEntry.objects.filter(customer=customer).order_by("due_date", "posted_on", "id"))
    made = dict(
        Allocation.objects.filter(credit__customer=customer)
        .values("credit_id")
        .annotate(s=Sum("amount"))
        .values_list("credit_id", "s")
    )
    received = dict(
        Allocation.objects.filter(debit__customer=customer)
        .values("debit_id")
        .annotate(s=Sum("amount"))
        .values_list("debit_id", "s")
    )
    credits = _open(sorted((e for e in entries if e.amount < 0), key=lambda e: (e.posted_on, e.pk)), made)
    debits = _open([e for e in entries if e.amount > 0], received)
    allocations = []
    credit_index = 0
    for debit, owed in debits:
        while owed > 0 and credit_index < len(credits):
            credit, left = credits[credit_index]
            amount = min(owed, left)
            allocations.append(
                Allocation(
                    company_id=customer.company_id, credit=credit, debit=debit, amount=amount, created_at=now
                )
            )
            owed -= amount
            left -= amount
            credits[credit_index] = (credit, left)
            if left == 0:
                credit_index += 1
    Allocation.objects.bulk_create(allocations)
    return len(allocations)


def credits_allocate(*, customer_ids: list[int], now: datetime) -> int:
    """After new debts are posted: customers among these who hold unallocated credit have it settle them."""
    holding = (
        LedgerEntry.objects.filter(customer_id__in=customer_ids, amount__lt=0)
        .annotate(used=Sum("allocations_made__amount"))
        .filter(Q(used__isnull=True) | Q(used__lt=-F("amount")))
        .values_list("customer_id", flat=True)
        .distinct()
    )
    customers = Customer.objects.filter(pk__in=list(holding))
    return sum(ledger_allocate(customer=customer, now=now) for customer in customers)
