"""Register reads and the validation rules they are checked against (rules are data, per company)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company
from kilowatt.network.models import Direction, MeterRegister, SupplyPoint


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


class IntervalQuality:
    """Status of one interval, one byte each in ``IntervalDay.quality`` (an empty value: all actual)."""

    ACTUAL = ord("A")
    ESTIMATED = ord("E")
    CODES = frozenset({ACTUAL, ESTIMATED})


class IntervalDay(models.Model):
    """One Polish calendar day of quarter-hour or hourly energy of a supply point in one direction.

    Compact: the values are one blob of little-endian int64 in Wh (kWh × 1000, exact), ``interval_count``
    of them: 96/92/100 quarter-hours or 24/23/25 hours (DST days in Europe/Warsaw). Append-only: a
    correction is a new revision that supersedes the previous one; the current series of a key is the
    revision nobody supersedes. Helpers and use cases live in ``kilowatt.metering.intervals``.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="interval_days")
    supply_point = models.ForeignKey(SupplyPoint, on_delete=models.PROTECT, related_name="interval_days")
    day = models.DateField(_("day (Polish calendar)"))
    resolution_minutes = models.PositiveSmallIntegerField(
        _("resolution (minutes)"), choices=[(15, _("quarter-hour")), (60, _("hour"))]
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    values = models.BinaryField(_("values (int64 Wh, little-endian)"))
    interval_count = models.PositiveSmallIntegerField(_("intervals"))
    total_wh = models.BigIntegerField(_("total (Wh)"))
    quality = models.BinaryField(_("quality per interval"), blank=True, default=b"")
    estimated_count = models.PositiveSmallIntegerField(_("estimated intervals"), default=0)
    highest_severity = models.CharField(
        _("validation result"), max_length=16, choices=Severity.choices, blank=True
    )
    findings = models.JSONField(_("findings"), default=list, blank=True)
    source = models.CharField(_("source"), max_length=32)
    file_hash = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("interval day")
        verbose_name_plural = _("interval days")
        ordering = ["supply_point", "direction", "resolution_minutes", "day", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["supply_point", "day", "direction", "resolution_minutes", "revision"],
                name="interval_day_unique_revision",
            ),
            models.CheckConstraint(
                condition=Q(resolution_minutes__in=[15, 60]), name="interval_day_resolution"
            ),
            models.CheckConstraint(
                condition=Q(interval_count__gte=23, interval_count__lte=100), name="interval_day_count"
            ),
            models.CheckConstraint(condition=Q(total_wh__gte=0), name="interval_day_total_nonneg"),
            models.CheckConstraint(
                condition=Q(estimated_count__lte=models.F("interval_count")),
                name="interval_day_estimated_le_count",
            ),
            models.CheckConstraint(condition=Q(revision__gte=1), name="interval_day_revision_positive"),
        ]
