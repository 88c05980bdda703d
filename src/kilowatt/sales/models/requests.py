"""Contract requests checked by the back office, the fields each kind requires, DSO export layouts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company
from kilowatt.network.models import Dso

from .contracts import Contract


class RequestKind(models.TextChoices):
    NEW = "new", _("New contract")
    ANNEX = "annex", _("Annex")
    CESSION = "cession", _("Cession")
    RENEWAL = "renewal", _("Renewal")
    TERMINATION = "termination", _("Termination")


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    RETURNED = "returned", _("Returned for completion")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ContractRequest(models.Model):
    """A salesperson's request (a new contract, an annex…) that the back office checks before it counts."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="contract_requests")
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="requests"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RequestKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.DRAFT
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), on_delete=models.PROTECT, related_name="+"
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract request")
        verbose_name_plural = _("contract requests")
        ordering = ["-updated_at", "-id"]


class RequestComment(models.Model):
    request = models.ForeignKey(ContractRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]


class RequestNotification(models.Model):
    """A change of a request someone has not seen yet (the salesperson or the responsible person)."""

    request = models.ForeignKey(ContractRequest, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="request_notification_unread")]


class RequiredField(models.Model):
    """A field a request of this kind cannot be submitted without, configured per company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="required_request_fields")
    kind = models.CharField(_("request kind"), max_length=16, choices=RequestKind.choices)
    field = models.CharField(_("field"), max_length=64)

    class Meta:
        verbose_name = _("required field")
        verbose_name_plural = _("required fields")
        constraints = [
            models.UniqueConstraint(fields=["company", "kind", "field"], name="required_field_once")
        ]


class DsoExportLayout(models.Model):
    """The file a DSO expects for new contracts: its columns in order, each naming a contract field."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="dso_export_layouts")
    dso = models.ForeignKey(Dso, verbose_name=_("DSO"), on_delete=models.PROTECT, related_name="+")
    file_format = models.CharField(
        _("file format"), max_length=8, choices=[("xlsx", "XLSX"), ("csv", "CSV")], default="xlsx"
    )
    columns = models.JSONField(
        _("columns"), default=list, help_text=_('[{"header": "PPE", "field": "supply_point.code"}]')
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("DSO export layout")
        verbose_name_plural = _("DSO export layouts")
        constraints = [models.UniqueConstraint(fields=["company", "dso"], name="dso_export_layout_once")]
