"""Register reads and the validation rules they are checked against (rules are data, per company)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company
from kilowatt.network.models import MeterRegister, SupplyPoint


class ReadKind(models.TextChoices):
    ACTUAL = "actual", _("Actual (DSO)")
    CUSTOMER = "customer", _("Customer's own read")
    ESTIMATE = "estimate", _("Estimate")
    FORECAST = "forecast", _("Forecast")


class Severity(models.TextChoices):
    ERROR = "error", _("Error: blocks billing")
    WARNING = "warning", _("Warning: needs a look")
    INFO = "info", _("Information")


class MeterRead(models.Model):
    """One register's value on a day. Append-only: a correction is a new read that supersedes the old."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="meter_reads")
    supply_point = models.ForeignKey(SupplyPoint, on_delete=models.PROTECT, related_name="meter_reads")
    register = models.ForeignKey(MeterRegister, on_delete=models.PROTECT, related_name="reads")
    read_on = models.DateField(_("read on"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=3)
    consumption = models.DecimalField(
        _("consumption since the previous read"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReadKind.choices)
    source = models.CharField(_("source"), max_length=32)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    highest_severity = models.CharField(
        _("validation result"), max_length=16, choices=Severity.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("meter read")
        verbose_name_plural = _("meter reads")
        ordering = ["register", "read_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="meter_read_value_nonneg"),
            models.UniqueConstraint(
                fields=["company", "external_id"],
                condition=~Q(external_id=""),
                name="meter_read_unique_external_id",
            ),
        ]
        indexes = [models.Index(fields=["register", "read_on"], name="meter_read_register_day")]


class ValidationRule(models.Model):
    """A check applied to new reads; companies switch rules on or off and tune their parameters."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="read_validation_rules")
    code = models.SlugField(_("code"), max_length=64)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("read validation rule")
        verbose_name_plural = _("read validation rules")
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="validation_rule_unique_code")
        ]


class ReadFinding(models.Model):
    """What a rule found about a read: kept with the read for the billing team and auditors."""

    read = models.ForeignKey(MeterRead, on_delete=models.CASCADE, related_name="findings")
    rule_code = models.SlugField(_("rule"), max_length=64)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    message = models.CharField(_("message"), max_length=300)

    class Meta:
        verbose_name = _("read finding")
        verbose_name_plural = _("read findings")
