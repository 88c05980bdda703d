"""Collections: dunning policies as data, a case per customer account advanced by the nightly run, the
notices sent, disputes and instalment plans that hold a case, and orders to the DSO.

Nothing here holds money: what a customer owes is always read from the finance ledger.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company
from kilowatt.finance.models import LedgerEntry
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer


class DunningActionKind(models.TextChoices):
    REMINDER = "reminder", _("Payment reminder")
    DEMAND_LETTER = "demand_letter", _("Demand for payment")
    PHONE_TASK = "phone_task", _("Phone call")
    DISCONNECTION_NOTICE = "disconnection_notice", _("Notice of intended disconnection")
    DISCONNECTION_ORDER = "disconnection_order", _("Disconnection order to the DSO")
    AGENCY = "agency", _("Hand-over to a collection agency")
    COURT = "court", _("Hand-over to court")


class NoticeChannel(models.TextChoices):
    PREFERRED = "preferred", _("Customer's preferred channel")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    LETTER = "letter", _("Letter")
    PORTAL = "portal", _("Customer portal")


class DunningPolicy(models.Model):
    """An ordered list of steps for the customers it applies to (kind and segment; empty means any). The
    policy with the lowest ``priority`` that applies wins."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="dunning_policies")
    name = models.CharField(_("name"), max_length=100)
    customer_kind = models.CharField(_("customer kind"), max_length=16, blank=True)
    segment = models.CharField(_("segment"), max_length=64, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    reminder_days_before_due = models.PositiveSmallIntegerField(
        _("reminder days before the due date"), null=True, blank=True
    )
    reminder_channel = models.CharField(
        _("reminder channel"), max_length=16, choices=NoticeChannel.choices, default=NoticeChannel.PREFERRED
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dunning policy")
        verbose_name_plural = _("dunning policies")
        ordering = ["company", "priority", "id"]

    def __str__(self) -> str:
        return self.name


class DunningStep(models.Model):
    """One step: taken when every trigger set holds (days after due, days after the previous step, minimum
    overdue amount); it sends a notice or orders an action, may charge a fee and may wait for approval."""

    policy = models.ForeignKey(DunningPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=100)
    action = models.CharField(_("action"), max_length=24, choices=DunningActionKind.choices)
    days_after_due = models.PositiveSmallIntegerField(_("days after the due date"), null=True, blank=True)
    days_after_previous = models.PositiveSmallIntegerField(
        _("days after the previous step"), null=True, blank=True
    )
    minimum_amount = models.DecimalField(
        _("minimum overdue amount"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=NoticeChannel.choices, default=NoticeChannel.PREFERRED
    )
    template = models.CharField(_("template"), max_length=64, blank=True)
    fee = models.DecimalField(_("fee"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    requires_approval = models.BooleanField(_("needs approval"), default=False)

    class Meta:
        verbose_name = _("dunning step")
        verbose_name_plural = _("dunning steps")
        ordering = ["policy", "position"]
        constraints = [models.UniqueConstraint(fields=["policy", "position"], name="dunning_step_position")]

    def __str__(self) -> str:
        return self.name


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAUSED = "paused", _("Paused")
    BLOCKED = "blocked", _("Blocked")
    CLOSED = "closed", _("Closed")


class DunningCase(models.Model):
    """A customer account's way through a policy. At most one case of a customer is not closed."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="dunning_cases")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="dunning_cases")
    policy = models.ForeignKey(DunningPolicy, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    step = models.ForeignKey(
        DunningStep,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("stage"),
    )
    step_on = models.DateField(_("stage reached on"), null=True, blank=True)
    awaiting_approval = models.BooleanField(_("next step waits for approval"), default=False)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.CharField(_("closing reason"), max_length=200, blank=True)
    hold_reason = models.CharField(_("why it waits"), max_length=200, blank=True)
    overdue_at_last_run = models.DecimalField(
        _("overdue at the last run"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("dunning case")
        verbose_name_plural = _("dunning cases")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=~Q(status="closed"), name="dunning_case_one_open_per_customer"
            )
        ]
        indexes = [models.Index(fields=["company", "status"], name="dunning_case_status")]


class CaseEventKind(models.TextChoices):
    OPENED = "opened", _("Case opened")
    STEP = "step", _("Step taken")
    APPROVAL_NEEDED = "approval_needed", _("Step waits for approval")
    APPROVED = "approved", _("Step approved")
    REJECTED = "rejected", _("Step rejected")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    BLOCKED = "blocked", _("Blocked")
    UNBLOCKED = "unblocked", _("Block ended")
    NOTE = "note", _("Note")
    CLOSED = "closed", _("Case closed")


class DunningEvent(models.Model):
    """The case's history, append-only: who did what, when and why."""

    case = models.ForeignKey(DunningCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=CaseEventKind.choices)
    on_date = models.DateField(_("date"))
    step = models.ForeignKey(DunningStep, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    text = models.CharField(_("text"), max_length=500, blank=True)
    amount = models.DecimalField(_("overdue"), max_digits=14, decimal_places=2, null=True, blank=True)
    fee_entry = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    made_by = models.CharField(_("by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["on_date", "id"]


class NoticeKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Reminder before the due date")
    REMINDER = "reminder", _("Payment reminder")
    DEMAND_LETTER = "demand_letter", _("Demand for payment")
    DISCONNECTION_NOTICE = "disconnection_notice", _("Notice of intended disconnection")


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    PRINTED = "printed", _("In a print batch")
    FAILED = "failed", _("Failed")


class PrintBatch(models.Model):
    """One PDF of many letters, sorted for the post."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="print_batches")
    created_on = models.DateField(_("created on"))
    letters = models.PositiveIntegerField(_("letters"))
    file = models.FileField(_("file"), upload_to="print-batches/%Y/%m/")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")
        ordering = ["-created_at"]


class Notice(models.Model):
    """A message to a customer about money owed, sent through a channel adapter (or printed)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="notices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="notices")
    case = models.ForeignKey(
        DunningCase, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    entry = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=NoticeKind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=NoticeChannel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED
    )
    created_on = models.DateField(_("created on"))
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    letter = models.JSONField(_("letter"), default=dict, blank=True)
    print_batch = models.ForeignKey(
        PrintBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    provider_id = models.CharField(_("provider's id"), max_length=100, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_on", "-id"]
        constraints = [
            # A debt is reminded of once before its due date, however often the nightly run repeats.
            models.UniqueConstraint(
                fields=["entry", "kind"], condition=Q(entry__isnull=False), name="notice_once_per_entry"
            )
        ]
        indexes = [models.Index(fields=["company", "status", "channel"], name="notice_queue")]


class DebtDispute(models.Model):
    """A complaint about a debt: while it is open no dunning step is taken and no disconnection ordered."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="debt_disputes")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="debt_disputes")
    subject = models.CharField(_("subject"), max_length=200)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("debt dispute")
        verbose_name_plural = _("debt disputes")
        ordering = ["-opened_on", "-id"]


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Paid in full")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class InstalmentPlan(models.Model):
    """A debt split into instalments. It covers the listed ledger entries; an instalment is met when the
    payments allocated to them reach the instalments due so far. A plan is broken when an instalment is
    more than ``grace_days`` late."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="instalment_plans")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="instalment_plans")
    entries = models.ManyToManyField(LedgerEntry, related_name="instalment_plans", verbose_name=_("debts"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    paid_before = models.DecimalField(
        _("already paid of these debts when agreed"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.ACTIVE
    )
    grace_days = models.PositiveSmallIntegerField(_("days of grace"), default=7)
    agreed_on = models.DateField(_("agreed on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_by = models.CharField(_("created by"), max_length=150)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("instalment plan")
        verbose_name_plural = _("instalment plans")
        ordering = ["-agreed_on", "-id"]


class Instalment(models.Model):
    plan = models.ForeignKey(InstalmentPlan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="instalment_number_once")]


class OrderKind(models.TextChoices):
    DISCONNECTION = "disconnection", _("Disconnection")
    RECONNECTION = "reconnection", _("Reconnection")


class OrderStatus(models.TextChoices):
    SENT = "sent", _("Sent to the DSO")
    DONE = "done", _("Carried out")
    CANCELLED = "cancelled", _("Cancelled")


class GridOrder(models.Model):
    """An order to the DSO to disconnect a supply point for debt, or to reconnect it when the cause ended."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="grid_orders")
    case = models.ForeignKey(DunningCase, on_delete=models.PROTECT, related_name="grid_orders")
    supply_point = models.ForeignKey(SupplyPoint, on_delete=models.PROTECT, related_name="grid_orders")
    kind = models.CharField(_("kind"), max_length=16, choices=OrderKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.SENT
    )
    ordered_on = models.DateField(_("ordered on"))
    dso_reference = models.CharField(_("DSO's reference"), max_length=64, blank=True)
    done_on = models.DateField(_("carried out on"), null=True, blank=True)

    class Meta:
        verbose_name = _("order to the DSO")
        verbose_name_plural = _("orders to the DSO")
        ordering = ["-ordered_on", "-id"]


class DunningRun(models.Model):
    """One nightly run of a company for one day; running the same day again finds nothing left to do."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="dunning_runs")
    on_date = models.DateField(_("day"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict)

    class Meta:
        verbose_name = _("dunning run")
        verbose_name_plural = _("dunning runs")
        ordering = ["-on_date"]
        constraints = [models.UniqueConstraint(fields=["company", "on_date"], name="dunning_run_once_a_day")]
