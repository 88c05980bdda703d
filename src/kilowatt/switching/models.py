"""Supplier switching: the process of each DSO as data (steps, deadlines, documents), a case per supply
point walking through it, its documents, and every message exchanged with the DSO."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company
from kilowatt.network.models import Commodity, Dso, SupplyPoint
from kilowatt.sales.models import Contract


class SwitchKind(models.TextChoices):
    FIRST = "first", _("First switch (the customer never changed supplier)")
    SUBSEQUENT = "subsequent", _("Subsequent switch")


class DeadlineKind(models.TextChoices):
    WORKING = "working", _("working days")
    CALENDAR = "calendar", _("calendar days")


class StepCode(models.TextChoices):
    DOCUMENTS = "documents", _("Documents prepared")
    TERMINATION_NOTICE = "termination_notice", _("Termination notice sent to the previous supplier")
    DISTRIBUTION_AGREEMENT = "distribution_agreement", _("Distribution agreement checked")
    SUBMISSION = "submission", _("Submitted to the DSO")
    VERIFICATION = "verification", _("Verified by the DSO")
    SUPPLY_START = "supply_start", _("Supply started")
    FIRST_READING = "first_reading", _("First reading")


class SwitchProcess(models.Model):
    """How a switch runs at one DSO for one commodity: its steps in order, each with a deadline."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="switch_processes")
    dso = models.ForeignKey(Dso, verbose_name=_("DSO"), on_delete=models.PROTECT, related_name="+")
    commodity = models.CharField(_("commodity"), max_length=16, choices=Commodity.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=SwitchKind.choices)
    name = models.CharField(_("name"), max_length=200)
    exchange = models.CharField(
        _("exchange with the DSO"),
        max_length=16,
        choices=[("file", _("Files (spreadsheet)")), ("csire", "CSIRE (XML)"), ("fake", _("Local fake DSO"))],
        default="file",
    )

    class Meta:
        verbose_name = _("switch process")
        verbose_name_plural = _("switch processes")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "dso", "commodity", "kind"], name="switch_process_once"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SwitchStepDefinition(models.Model):
    process = models.ForeignKey(SwitchProcess, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("step"), max_length=32, choices=StepCode.choices)
    deadline_days = models.PositiveSmallIntegerField(_("deadline (days after the previous step)"))
    deadline_kind = models.CharField(
        _("counted in"), max_length=16, choices=DeadlineKind.choices, default=DeadlineKind.WORKING
    )
    owner_role = models.CharField(_("done by (role)"), max_length=32, blank=True)
    documents = models.JSONField(
        _("documents required before this step"),
        default=list,
        help_text=_('Codes, e.g. ["power_of_attorney"]'),
    )
    only_when_authorised = models.BooleanField(
        _("only when the customer authorised us to terminate the previous contract"), default=False
    )

    class Meta:
        verbose_name = _("switch step")
        verbose_name_plural = _("switch steps")
        ordering = ["process", "position"]
        constraints = [
            models.UniqueConstraint(fields=["process", "position"], name="switch_step_position_once"),
            models.UniqueConstraint(fields=["process", "code"], name="switch_step_code_once"),
        ]


class CaseStatus(models.TextChoices):
    OPEN = "open", _("In preparation")
    SUBMITTED = "submitted", _("Submitted to the DSO")
    ACCEPTED = "accepted", _("Accepted by the DSO")
    REJECTED = "rejected", _("Rejected by the DSO")
    COMPLETED = "completed", _("Supply started")
    CANCELLED = "cancelled", _("Cancelled")
    WITHDRAWN = "withdrawn", _("Withdrawn by the customer")


class SwitchCase(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="switch_cases")
    number = models.CharField(_("case number"), max_length=40)
    supply_point = models.ForeignKey(
        SupplyPoint, verbose_name=_("supply point"), on_delete=models.PROTECT, related_name="switch_cases"
    )
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="switch_cases"
    )
    process = models.ForeignKey(
        SwitchProcess, verbose_name=_("process"), on_delete=models.PROTECT, related_name="cases"
    )
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    previous_supplier = models.CharField(_("previous supplier"), max_length=200, blank=True)
    termination_authorised = models.BooleanField(
        _("the customer authorised us to terminate the previous contract"), default=True
    )
    requested_start = models.DateField(_("requested start of supply"))
    start_date = models.DateField(_("start of supply"), null=True, blank=True)
    start_reading = models.JSONField(_("start reading"), default=dict, blank=True)
    rejection_code = models.CharField(_("rejection code"), max_length=32, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=500, blank=True)
    dso_reference = models.CharField(_("DSO's reference"), max_length=64, blank=True)
    monthly_value = models.DecimalField(
        _("expected monthly value (PLN)"), max_digits=12, decimal_places=2, default=0
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submissions = models.PositiveSmallIntegerField(_("submissions"), default=0)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("switch case")
        verbose_name_plural = _("switch cases")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="switch_case_number_once"),
            # One live case per supply point: a second one would switch it twice.
            models.UniqueConstraint(
                fields=["supply_point"],
                condition=Q(status__in=["open", "submitted", "accepted", "rejected"]),
                name="switch_case_one_live_per_point",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    CURRENT = "current", _("In progress")
    DONE = "done", _("Done")
    NOT_NEEDED = "not_needed", _("Not needed")


class SwitchCaseStep(models.Model):
    case = models.ForeignKey(SwitchCase, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("step"), max_length=32, choices=StepCode.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")
        ordering = ["case", "position"]
        constraints = [models.UniqueConstraint(fields=["case", "position"], name="case_step_position_once")]


class SwitchDocument(models.Model):
    case = models.ForeignKey(SwitchCase, on_delete=models.PROTECT, related_name="documents")
    code = models.CharField(_("document"), max_length=40)
    file_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100, default="application/pdf")
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    generated = models.BooleanField(_("generated from a template"), default=False)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")
        ordering = ["case", "code", "-created_at"]


class DsoMessage(models.Model):
    """Every file or message sent to or received from a DSO, kept as it was, with what became of it."""

    class Direction(models.TextChoices):
        OUT = "out", _("sent")
        IN = "in", _("received")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="dso_messages")
    dso = models.ForeignKey(Dso, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    exchange = models.CharField(_("exchange"), max_length=16)
    file_name = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    cases = models.ManyToManyField(SwitchCase, related_name="messages", blank=True)
    accepted = models.BooleanField(_("accepted"), default=True)
    errors = models.JSONField(_("errors"), default=list)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("DSO message")
        verbose_name_plural = _("DSO messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A response file read twice is applied once.
            models.UniqueConstraint(
                fields=["company", "dso", "direction", "sha256"],
                condition=Q(direction="in", accepted=True),
                name="dso_message_in_once",
            )
        ]
