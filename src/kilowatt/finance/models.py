"""The customer ledger: append-only entries whose sum is the balance.

This is the minimal ledger billing posts to; payments, allocation and interest build on it (finance
issue). An entry is never edited or deleted: a mistake is undone by a reversing entry.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company
from kilowatt.parties.models import Customer


class LedgerEntryKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CORRECTION = "correction", _("Correction invoice")
    NOTE = "note", _("Accounting note")
    PAYMENT = "payment", _("Payment")
    REVERSAL = "reversal", _("Reversal")


class LedgerEntry(models.Model):
    """One posting on a customer's account: positive amounts are owed by the customer, negative are
    owed to the customer (payments, credit notes)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="ledger_entries")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerEntryKind.choices)
    document_type = models.CharField(_("document type"), max_length=32)
    document_id = models.BigIntegerField(_("document id"))
    document_number = models.CharField(_("document number"), max_length=40)
    amount = models.DecimalField(_("amount (PLN)"), max_digits=14, decimal_places=2)
    posted_on = models.DateField(_("posted on"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["posted_on", "id"]
        constraints = [
            # A document is posted once: posting it again (a retried batch) is refused by the database.
            models.UniqueConstraint(
                fields=["company", "document_type", "document_id", "kind"],
                condition=~Q(kind="reversal"),
                name="ledger_entry_document_once",
            ),
        ]
        indexes = [models.Index(fields=["customer", "posted_on"], name="ledger_customer_day")]


class BankStatement(models.Model):
    """An imported bank statement file; its hash makes a second import of the same file a no-op."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="bank_statements")
    file_name = models.CharField(_("file name"), max_length=255)
    file_hash = models.CharField(_("file SHA-256"), max_length=64)
    format = models.CharField(_("format"), max_length=16)
    account = models.CharField(_("account"), max_length=34, blank=True)
    statement_id = models.CharField(_("statement id"), max_length=64, blank=True)
    imported_at = models.DateTimeField(_("imported at"))

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "file_hash"], name="bank_statement_once"),
        ]


class TransactionStatus(models.TextChoices):
    MATCHED = "matched", _("Matched automatically")
    UNMATCHED = "unmatched", _("In the clearing queue")
    ASSIGNED = "assigned", _("Assigned by staff")
    OUTGOING = "outgoing", _("Outgoing (not a payment)")


class BankTransaction(models.Model):
    """One entry of a statement. The bank's reference makes it unique: the same transfer in another file
    is recognised and not paid twice."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="bank_transactions")
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="transactions")
    line = models.PositiveIntegerField(_("line in the file"))
    booked_on = models.DateField(_("booked on"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    reference = models.CharField(_("bank reference"), max_length=100)
    title = models.CharField(_("title"), max_length=500, blank=True)
    counterparty_name = models.CharField(_("payer"), max_length=200, blank=True)
    counterparty_account = models.CharField(_("payer's account"), max_length=34, blank=True)
    account = models.CharField(_("account credited"), max_length=34, blank=True)
    vat_amount = models.DecimalField(
        _("split payment VAT"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=16, choices=TransactionStatus.choices)
    matched_by = models.CharField(_("matched by"), max_length=32, blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_transactions"
    )

    class Meta:
        verbose_name = _("bank transaction")
        verbose_name_plural = _("bank transactions")
        ordering = ["-booked_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "reference"], name="bank_transaction_once"),
        ]
        indexes = [models.Index(fields=["company", "status"], name="bank_tx_status")]


class Allocation(models.Model):
    """Part of a credit (a payment, a credit correction) settling part of a debit (an invoice). Append-only:
    the open amount of an entry is its amount less its allocations."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    credit = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations_made")
    debit = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations_received")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive")]
