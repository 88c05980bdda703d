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
