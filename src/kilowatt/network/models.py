"""DSOs, distribution areas, tariff groups, supply points, meters and their registers."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company
from kilowatt.parties.models import Address, Customer


class Commodity(models.TextChoices):
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")


class Zone(models.TextChoices):
    """Time zones of a tariff; which hours belong to which is data (catalog.TimeZoneSchedule)."""

    ALL_DAY = "all", _("All day")
    PEAK = "peak", _("Peak (day)")
    OFF_PEAK = "offpeak", _("Off-peak (night)")
    MORNING_PEAK = "peak_morning", _("Morning peak")
    AFTERNOON_PEAK = "peak_afternoon", _("Afternoon peak")


class Dso(models.Model):
    """A distribution system operator (reference data shared by all companies)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, default="PL")
    electricity = models.BooleanField(_("electricity"), default=True)
    gas = models.BooleanField(_("gas"), default=False)
    gs1_prefix = models.CharField(
        _("GS1 company prefix"),
        max_length=12,
        blank=True,
        help_text=_("Supply point codes of this DSO begin with it, e.g. 5905435."),
    )
    eic = models.CharField(_("EIC"), max_length=16, blank=True)
    is_reference_data = models.BooleanField(_("shipped reference data"), default=False)

    class Meta:
        verbose_name = _("DSO")
        verbose_name_plural = _("DSOs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DistributionArea(models.Model):
    dso = models.ForeignKey(Dso, on_delete=models.PROTECT, related_name="areas")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("distribution area")
        verbose_name_plural = _("distribution areas")
        constraints = [models.UniqueConstraint(fields=["dso", "code"], name="area_unique_code")]

    def __str__(self) -> str:
        return f"{self.dso.code}: {self.name}"


class TariffGroup(models.Model):
    code = models.CharField(_("code"), max_length=16)
    country = models.CharField(_("country"), max_length=2, default="PL")
    commodity = models.CharField(_("commodity"), max_length=16, choices=Commodity.choices)
    zones = models.JSONField(_("zones"), default=list, help_text=_("Zone codes of this group, in order."))
    is_household = models.BooleanField(_("household"), default=False)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tariff group")
        verbose_name_plural = _("tariff groups")
        ordering = ["commodity", "code"]
        constraints = [
            models.UniqueConstraint(fields=["country", "commodity", "code"], name="tariff_group_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class ConsumptionBand(models.Model):
    """An annual-consumption band (capacity-fee band, gas W-group) valid over ``[valid_from, valid_to)``."""

    code = models.CharField(_("code"), max_length=32)
    country = models.CharField(_("country"), max_length=2, default="PL")
    commodity = models.CharField(_("commodity"), max_length=16, choices=Commodity.choices)
    households_only = models.BooleanField(_("households only"), default=False)
    lower_kwh = models.DecimalField(_("from kWh a year (included)"), max_digits=14, decimal_places=3)
    upper_kwh = models.DecimalField(
        _("to kWh a year (excluded)"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (excluded)"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=100)

    class Meta:
        verbose_name = _("consumption band")
        verbose_name_plural = _("consumption bands")
        ordering = ["commodity", "lower_kwh"]
        constraints = [
            models.CheckConstraint(
                condition=Q(upper_kwh__isnull=True) | Q(upper_kwh__gt=F("lower_kwh")),
                name="band_upper_gt_lower",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class SupplyPointStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    SWITCHING = "switching", _("Switching in progress")
    ACTIVE = "active", _("Supplied")
    SUSPENDED = "suspended", _("Supply suspended")
    ENDED = "ended", _("Supply ended")


class SupplyPoint(models.Model):
    """A PPE/PPG/EAN/EIC point where the customer takes energy."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="supply_points")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="supply_points")
    code = models.CharField(_("code (PPE/PPG)"), max_length=32)
    legacy_code = models.CharField(_("legacy DSO code"), max_length=40, blank=True)
    commodity = models.CharField(_("commodity"), max_length=16, choices=Commodity.choices)
    country = models.CharField(_("country"), max_length=2, default="PL")
    dso = models.ForeignKey(
        Dso, verbose_name=_("DSO"), on_delete=models.PROTECT, related_name="supply_points"
    )
    area = models.ForeignKey(
        DistributionArea,
        verbose_name=_("distribution area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supply_points",
    )
    tariff_group = models.ForeignKey(
        TariffGroup, verbose_name=_("tariff group"), on_delete=models.PROTECT, related_name="supply_points"
    )
    contracted_capacity_kw = models.DecimalField(
        _("contracted capacity (kW)"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    phases = models.PositiveSmallIntegerField(
        _("phases"), null=True, blank=True, choices=[(1, _("1-phase")), (3, _("3-phase"))]
    )
    annual_consumption_kwh = models.DecimalField(
        _("estimated annual consumption (kWh)"), max_digits=14, decimal_places=3
    )
    consumption_band = models.CharField(_("consumption band"), max_length=32, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=SupplyPointStatus.choices, default=SupplyPointStatus.PROSPECT
    )
    address = models.ForeignKey(
        Address, verbose_name=_("address"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("supply point")
        verbose_name_plural = _("supply points")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="supply_point_unique_code"),
            models.CheckConstraint(
                condition=Q(annual_consumption_kwh__gte=0), name="supply_point_annual_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(contracted_capacity_kw__isnull=True) | Q(contracted_capacity_kw__gt=0),
                name="supply_point_capacity_positive",
            ),
        ]
        indexes = [models.Index(fields=["code"], name="supply_point_code_idx")]

    def __str__(self) -> str:
        return self.code


class Meter(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="meters")
    serial_number = models.CharField(_("serial number"), max_length=40)
    commodity = models.CharField(_("commodity"), max_length=16, choices=Commodity.choices)
    manufacturer = models.CharField(_("manufacturer"), max_length=80, blank=True)
    multiplier = models.DecimalField(_("multiplier"), max_digits=10, decimal_places=3, default=1)
    is_smart = models.BooleanField(_("smart meter"), default=False)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["serial_number"]
        constraints = [
            models.UniqueConstraint(fields=["company", "serial_number"], name="meter_unique_serial"),
            models.CheckConstraint(condition=Q(multiplier__gt=0), name="meter_multiplier_positive"),
        ]

    def __str__(self) -> str:
        return self.serial_number


class Direction(models.TextChoices):
    IMPORT = "import", _("Taken from the grid")
    EXPORT = "export", _("Fed into the grid")


class MeterRegister(models.Model):
    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="registers")
    code = models.CharField(_("register code (OBIS)"), max_length=16)
    zone = models.CharField(_("zone"), max_length=16, choices=Zone.choices)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.IMPORT
    )
    unit = models.CharField(_("unit"), max_length=8, default="kWh")
    digits = models.PositiveSmallIntegerField(_("integer digits"), default=6)

    class Meta:
        verbose_name = _("meter register")
        verbose_name_plural = _("meter registers")
        ordering = ["meter", "direction", "code"]
        constraints = [models.UniqueConstraint(fields=["meter", "code"], name="register_unique_code")]

    def __str__(self) -> str:
        return f"{self.meter.serial_number} {self.code} ({self.get_zone_display()})"


class MeterInstallation(models.Model):
    """A meter mounted at a supply point over ``[installed_on, removed_on)``."""

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="installations")
    supply_point = models.ForeignKey(
        SupplyPoint, on_delete=models.PROTECT, related_name="meter_installations"
    )
    installed_on = models.DateField(_("installed on"))
    removed_on = models.DateField(_("removed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("meter installation")
        verbose_name_plural = _("meter installations")
        ordering = ["-installed_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gt=F("installed_on")),
                name="installation_removed_after_installed",
            ),
            models.UniqueConstraint(
                fields=["meter"], condition=Q(removed_on__isnull=True), name="installation_one_open_per_meter"
            ),
        ]
