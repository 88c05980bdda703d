"""Invoices and their lines, billing runs and their items, correction flags.

An issued invoice never changes: it carries its frozen machine-readable document (the source of its
PDF and JSON) and is corrected only by a correction invoice.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company
from kilowatt.metering.models import MeterRead
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.sales.models import Contract


class InvoiceKind(models.TextChoices):
    PERIODIC = "periodic", _("Invoice")
    FORECAST = "forecast", _("Forecast invoice")
    SETTLEMENT = "settlement", _("Settlement invoice")
    CORRECTION = "correction", _("Correction invoice")
    NOTE = "note", _("Accounting note")


class LineGroup(models.TextChoices):
    SALES = "sales", _("Sales")
    DISTRIBUTION = "distribution", _("Distribution")
    OTHER = "other", _("Other")


class BillingStart(models.Model):
    """Where billing of a contract starts when it was billed elsewhere before (a migration's cut-over)."""

    contract = models.OneToOneField(Contract, on_delete=models.CASCADE, related_name="billing_start")
    billed_until = models.DateField(_("billed until (excluded)"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("billing start")
        verbose_name_plural = _("billing starts")


class RunStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")


class BillingRun(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="billing_runs")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until (excluded)"))
    issue_date = models.DateField(_("issue date"))
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.PLANNED
    )
    batch_size = models.PositiveIntegerField(_("batch size"), default=500)
    batches = models.PositiveIntegerField(_("batches"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "period_start"], name="billing_run_one_per_period"),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="billing_run_period"),
        ]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m}"


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    HELD = "held", _("Held")
    ISSUED = "issued", _("Issued")
    SKIPPED = "skipped", _("Nothing to bill")


class BillingRunItem(models.Model):
    """One contract in a run: what was found, and the invoice it produced."""

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="items")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="billing_run_items")
    batch = models.PositiveIntegerField(_("batch"))
    kind = models.CharField(_("invoice kind"), max_length=16, choices=InvoiceKind.choices)
    period_start = models.DateField(_("billing period from"))
    period_end = models.DateField(_("billing period until (excluded)"))
    status = models.CharField(
        _("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.PENDING
    )
    findings = models.JSONField(_("findings"), default=list, help_text=_("[{code, severity, message}]"))
    approved = models.BooleanField(_("approved despite findings"), default=False)
    net = models.DecimalField(_("net"), max_digits=14, decimal_places=2, null=True, blank=True)
    gross = models.DecimalField(_("gross"), max_digits=14, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("billing run item")
        verbose_name_plural = _("billing run items")
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "contract"], name="billing_run_item_once"),
        ]
        indexes = [models.Index(fields=["run", "batch", "status"], name="run_item_batch_status")]


class Invoice(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(_("number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=16, choices=InvoiceKind.choices)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="invoices")
    supply_point = models.ForeignKey(
        SupplyPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until (excluded)"))
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    net = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    gross = models.DecimalField(_("gross"), max_digits=14, decimal_places=2)
    amount_due = models.DecimalField(_("amount due"), max_digits=14, decimal_places=2)
    consumption_kwh = models.DecimalField(_("energy (kWh)"), max_digits=14, decimal_places=3, default=0)
    estimated = models.BooleanField(_("based on estimated reads"), default=False)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    correction_reason = models.CharField(_("reason for correction"), max_length=300, blank=True)
    run_item = models.OneToOneField(
        BillingRunItem, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice"
    )
    document = models.JSONField(_("document"), help_text=_("The invoice as issued, machine-readable."))
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="invoice_unique_number"),
            # One periodic bill per contract and period: a retried or repeated run cannot bill twice.
            models.UniqueConstraint(
                fields=["contract", "kind", "period_start"],
                condition=Q(kind__in=["periodic", "forecast", "settlement"]),
                name="invoice_once_per_contract_period",
            ),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="invoice_period"),
        ]
        indexes = [models.Index(fields=["customer", "-issue_date"], name="invoice_customer_issued")]

    def __str__(self) -> str:
        return self.number

    @property
    def last_day(self):
        """The last day of the half-open period, as printed."""
        return self.period_end - timedelta(days=1)


class InvoiceLine(models.Model):
    """One priced line; ``trace`` says which reads, price row and rule produced it (an explainable bill)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    group = models.CharField(_("group"), max_length=16, choices=LineGroup.choices)
    component = models.CharField(_("component"), max_length=32)
    description = models.CharField(_("description"), max_length=200)
    zone = models.CharField(_("zone or band"), max_length=32, blank=True)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (excluded)"))
    quantity = models.DecimalField(_("quantity"), max_digits=16, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=16)
    unit_price = models.DecimalField(_("net unit price"), max_digits=14, decimal_places=6)
    net = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4)
    trace = models.JSONField(_("trace"), default=dict)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]


class InvoiceRead(models.Model):
    """A register read an invoice was computed from (start or end of its period)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reads")
    read = models.ForeignKey(MeterRead, on_delete=models.PROTECT, related_name="invoice_uses")
    role = models.CharField(_("role"), max_length=8, choices=[("start", _("start")), ("end", _("end"))])

    class Meta:
        verbose_name = _("read used by an invoice")
        verbose_name_plural = _("reads used by invoices")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "read", "role"], name="invoice_read_once"),
        ]


class CorrectionFlag(models.Model):
    """An issued invoice that later data shows to be wrong; cleared by issuing its correction."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="correction_flags")
    read = models.ForeignKey(MeterRead, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    flagged_at = models.DateTimeField(_("flagged at"))
    resolved_by = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="resolved_flags"
    )

    class Meta:
        verbose_name = _("correction flag")
        verbose_name_plural = _("correction flags")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "read"], name="correction_flag_once"),
        ]
