"""The customer ledger: append-only entries whose sum is the balance.

This is the minimal ledger billing posts to; payments, allocation and interest build on it (finance
issue). An entry is never edited or deleted: a mistake is undone by a reversing entry.
"""

from __future__ import annotations

from decimal import Decimal

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
    REFUND = "refund", _("Refund")
    INTEREST = "interest", _("Interest note")
    FEE = "fee", _("Fee")
    WRITE_OFF = "write_off", _("Write-off")
    TRANSFER = "transfer", _("Transfer between accounts")
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
        indexes = [
            models.Index(fields=["customer", "posted_on"], name="ledger_customer_day"),
            models.Index(fields=["company", "due_date"], name="ledger_company_due"),
        ]


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


MATCHED_BY = {
    "virtual_account": _("by the virtual account"),
    "document_number": _("by a document number in the title"),
    "customer_number": _("by the customer number in the title"),
    "payer_account": _("by the payer's account"),
    "staff": _("assigned by staff"),
}


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

    @property
    def matched_by_label(self) -> str:
        return str(MATCHED_BY.get(self.matched_by, self.matched_by))


class Allocation(models.Model):
    """Part of a credit (a payment, a credit correction) settling part of a debit (an invoice). Append-only:
    the open amount of an entry is its amount less its allocations. A negative allocation undoes an earlier
    one (``reverses``) when its credit is reversed, e.g. a payment returned by the bank."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    credit = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations_made")
    debit = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations_received")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, reverses__isnull=True) | Q(amount__lt=0, reverses__isnull=False),
                name="allocation_positive_or_undoing",
            )
        ]
        indexes = [
            models.Index(fields=["debit"], name="allocation_debit"),
            models.Index(fields=["credit"], name="allocation_credit"),
        ]


class AllocationOrder(models.TextChoices):
    OLDEST_FIRST = "oldest_first", _("Oldest due first")
    NAMED_FIRST = "named_first", _("Invoice named in the title first, then oldest")


class InterestMode(models.TextChoices):
    NONE = "none", _("Not charged")
    IMMEDIATE = "immediate", _("Note issued when the late payment arrives")
    MONTHLY = "monthly", _("Notes issued monthly")
    NEXT_INVOICE = "next_invoice", _("Note issued with the next invoice")


class FinancePolicy(models.Model):
    """How a company allocates payments and charges late-payment interest. A company without a policy row
    gets the defaults (oldest first, monthly notes, minimum 10 PLN)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="finance_policy")
    allocation_order = models.CharField(
        _("allocation order"),
        max_length=16,
        choices=AllocationOrder.choices,
        default=AllocationOrder.OLDEST_FIRST,
    )
    interest_mode = models.CharField(
        _("late-payment interest"), max_length=16, choices=InterestMode.choices, default=InterestMode.MONTHLY
    )
    interest_minimum = models.DecimalField(
        _("minimum interest charged (PLN)"), max_digits=10, decimal_places=2, default=Decimal("10.00")
    )
    recovery_compensation = models.BooleanField(
        _("charge businesses the flat recovery compensation"), default=False
    )
    eur_rate = models.DecimalField(
        _("EUR exchange rate for the recovery compensation"),
        max_digits=8,
        decimal_places=4,
        default=Decimal("4.2500"),
        help_text=_("NBP average rate of the last business day of the month before the due date."),
    )
    refund_account = models.CharField(_("account refunds are paid from"), max_length=34, blank=True)

    class Meta:
        verbose_name = _("finance policy")
        verbose_name_plural = _("finance policies")


class InterestRateKind(models.TextChoices):
    CONSUMER = "consumer", _("Statutory interest for late payment")
    COMMERCIAL = "commercial", _("Interest in commercial transactions")


class StatutoryInterestRate(models.Model):
    """A dated row of the statutory interest table: the rate applies from ``valid_from`` until the next
    row of the same kind. Reference data shipped with Kilowatt (see docs/finance.md)."""

    country = models.CharField(_("country"), max_length=2, default="PL")
    kind = models.CharField(_("kind"), max_length=16, choices=InterestRateKind.choices)
    valid_from = models.DateField(_("valid from"))
    rate = models.DecimalField(_("rate per year (%)"), max_digits=6, decimal_places=2)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("statutory interest rate")
        verbose_name_plural = _("statutory interest rates")
        ordering = ["country", "kind", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["country", "kind", "valid_from"], name="interest_rate_once"),
        ]


class InterestNote(models.Model):
    """A note charging late-payment interest (and, for businesses, the flat recovery compensation)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="interest_notes")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="interest_notes")
    number = models.CharField(_("number"), max_length=40)
    issued_on = models.DateField(_("issued on"))
    due_date = models.DateField(_("due date"))
    interest = models.DecimalField(_("interest"), max_digits=14, decimal_places=2)
    compensation = models.DecimalField(
        _("recovery compensation"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("interest note")
        verbose_name_plural = _("interest notes")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="interest_note_number_once")
        ]


class InterestCharge(models.Model):
    """Interest owed for one late settlement: an allocation that paid a debit after its due date.

    One row per allocation, so computing interest again changes nothing. ``note`` is set when a note
    charges it; charges below the company's minimum wait and add up.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="interest_charges")
    allocation = models.OneToOneField(Allocation, on_delete=models.PROTECT, related_name="interest_charge")
    debit = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="interest_charges")
    kind = models.CharField(_("kind"), max_length=16, choices=InterestRateKind.choices)
    principal = models.DecimalField(_("amount paid late"), max_digits=14, decimal_places=2)
    due_date = models.DateField(_("due date"))
    paid_on = models.DateField(_("paid on"))
    days = models.PositiveIntegerField(_("days late"))
    amount = models.DecimalField(_("interest"), max_digits=14, decimal_places=2)
    compensation = models.DecimalField(
        _("recovery compensation"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    note = models.ForeignKey(
        InterestNote, on_delete=models.PROTECT, null=True, blank=True, related_name="charges"
    )

    class Meta:
        verbose_name = _("interest charge")
        verbose_name_plural = _("interest charges")
        ordering = ["paid_on", "id"]


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPORTED = "exported", _("Sent to the bank")


class Refund(models.Model):
    """Paying an overpayment back. Approval posts it to the ledger (it uses the credit); the export puts it
    into a transfer file for the bank."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="refunds")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    account = models.CharField(_("account to pay to"), max_length=34)
    status = models.CharField(_("status"), max_length=16, choices=RefundStatus.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    requested_by = models.CharField(_("requested by"), max_length=150)
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.CharField(_("decided by"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    export = models.ForeignKey(
        "TransferExport", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-requested_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]


class TransferExport(models.Model):
    """A transfer file handed to the bank (Elixir-O or pain.001); kept byte for byte."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="transfer_exports")
    format = models.CharField(_("format"), max_length=16)
    file_name = models.CharField(_("file name"), max_length=100)
    content = models.BinaryField(_("content"))
    execution_date = models.DateField(_("execution date"))
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2)
    count = models.PositiveIntegerField(_("transfers"))
    created_by = models.CharField(_("created by"), max_length=150)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("transfer file")
        verbose_name_plural = _("transfer files")
        ordering = ["-created_at"]


class GatewayPaymentStatus(models.TextChoices):
    STARTED = "started", _("Started")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")


class GatewayPayment(models.Model):
    """A card or online payment through the payment gateway; posted to the ledger when the gateway confirms
    it (the confirmation may arrive more than once: the first one counts)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="gateway_payments")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="gateway_payments")
    provider = models.CharField(_("provider"), max_length=32)
    session_id = models.CharField(_("session id"), max_length=64, unique=True)
    gateway_token = models.CharField(_("gateway token"), max_length=100, blank=True)
    gateway_transaction = models.CharField(_("gateway transaction"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    document_number = models.CharField(_("paying"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=GatewayPaymentStatus.choices)
    started_at = models.DateTimeField(_("started at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("online payment")
        verbose_name_plural = _("online payments")
        ordering = ["-started_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="gateway_payment_positive")]


class JournalAccount(models.Model):
    """Account mapping for the accounting export: which general-ledger accounts a kind of ledger entry is
    booked to. An empty ``customer_kind`` applies to every customer kind."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="journal_accounts")
    entry_kind = models.CharField(_("ledger entry kind"), max_length=16, choices=LedgerEntryKind.choices)
    customer_kind = models.CharField(_("customer kind"), max_length=16, blank=True)
    debit_account = models.CharField(_("debit account"), max_length=32)
    credit_account = models.CharField(_("credit account"), max_length=32)

    class Meta:
        verbose_name = _("journal account mapping")
        verbose_name_plural = _("journal account mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "entry_kind", "customer_kind"], name="journal_account_once"
            )
        ]


class JournalExport(models.Model):
    """A day's journal as handed to accounting: the file's hash proves a repeated export is identical."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="journal_exports")
    day = models.DateField(_("day"))
    format = models.CharField(_("format"), max_length=8)
    entries = models.PositiveIntegerField(_("entries"))
    debit_total = models.DecimalField(_("debit total"), max_digits=16, decimal_places=2)
    credit_total = models.DecimalField(_("credit total"), max_digits=16, decimal_places=2)
    file_hash = models.CharField(_("file SHA-256"), max_length=64)
    exported_by = models.CharField(_("exported by"), max_length=150)
    exported_at = models.DateTimeField(_("exported at"))

    class Meta:
        verbose_name = _("journal export")
        verbose_name_plural = _("journal exports")
        ordering = ["-day", "-exported_at"]


class Adjustment(models.Model):
    """A manual posting by staff — a write-off of a debt, a transfer of credit between two accounts of the
    company — with its reason and author; the ledger entries it makes point at it as their document."""

    class Kind(models.TextChoices):
        WRITE_OFF = "write_off", _("Write-off")
        TRANSFER = "transfer", _("Transfer between accounts")
        REVERSAL = "reversal", _("Reversal")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="ledger_adjustments")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="adjustments")
    counterpart = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to account"),
    )
    entry = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="adjustments"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=300)
    made_by = models.CharField(_("made by"), max_length=150)
    made_on = models.DateField(_("made on"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("ledger adjustment")
        verbose_name_plural = _("ledger adjustments")
        ordering = ["-made_on", "-id"]
