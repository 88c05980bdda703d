"""Products, price lists, DSO distribution tariffs, national rates, time-zone schedules, discounts, fees.

Every rate is a dated row ``[valid_from, valid_to)``, never a constant in code. Rows shipped with
Kilowatt carry ``is_reference_data`` and stay unconfirmed until a user checks them against the
published tariff.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company
from kilowatt.network.models import Commodity, Dso, TariffGroup, Zone


class Dated(models.Model):
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (excluded)"), null=True, blank=True)

    class Meta:
        abstract = True


class ReferenceData(models.Model):
    is_reference_data = models.BooleanField(_("shipped reference data"), default=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        abstract = True

    @property
    def needs_confirmation(self) -> bool:
        return self.is_reference_data and self.confirmed_at is None


def _valid_period(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")), name=name
    )


class ProductKind(models.TextChoices):
    ENERGY = "energy", _("Energy supply")
    SERVICE = "service", _("Additional service")


class Pricing(models.TextChoices):
    FIXED = "fixed", _("Fixed price")
    VARIABLE = "variable", _("Variable price")
    SPOT_INDEXED = "spot_indexed", _("Spot-indexed")


class Product(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="products")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    commodity = models.CharField(_("commodity"), max_length=16, choices=Commodity.choices, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ProductKind.choices, default=ProductKind.ENERGY)
    pricing = models.CharField(_("pricing"), max_length=16, choices=Pricing.choices, default=Pricing.FIXED)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="product_unique_code")]

    def __str__(self) -> str:
        return self.name


class PriceList(Dated):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="price_lists")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="price_lists")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    tariff_groups = models.ManyToManyField(TariffGroup, verbose_name=_("tariff groups"), blank=True)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4, default="0.23")
    excise_included = models.BooleanField(_("excise included in the energy price"), default=True)
    expected_margin_per_mwh = models.DecimalField(
        _("expected margin (PLN/MWh)"),
        max_digits=10,
        decimal_places=2,
        default=0,
        help_text=_("Over the cost of energy bought; campaigns estimate their profitability by it."),
    )

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["product", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="price_list_unique_code"),
            _valid_period("price_list_valid_period"),
        ]

    def __str__(self) -> str:
        return self.name


class PriceComponentKind(models.TextChoices):
    ENERGY = "energy", _("Energy")
    HANDLING_FEE = "handling_fee", _("Handling fee")
    SUBSCRIPTION = "subscription", _("Subscription fee")
    FUEL = "fuel", _("Gas fuel")


class PriceComponent(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="components")
    kind = models.CharField(_("component"), max_length=32, choices=PriceComponentKind.choices)
    zone = models.CharField(_("zone"), max_length=16, choices=Zone.choices, blank=True)
    tariff_group = models.ForeignKey(
        TariffGroup,
        verbose_name=_("tariff group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    unit = models.CharField(_("unit"), max_length=16, help_text=_("kWh, month"))
    unit_price = models.DecimalField(_("net unit price (PLN)"), max_digits=14, decimal_places=6)

    class Meta:
        verbose_name = _("price component")
        verbose_name_plural = _("price components")
        ordering = ["kind", "zone"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "kind", "zone", "tariff_group"],
                name="price_component_unique",
                nulls_distinct=False,
            ),
        ]


class DistributionTariff(Dated, ReferenceData):
    """A DSO's tariff (approved by the regulator) for one tariff group over a period."""

    dso = models.ForeignKey(Dso, on_delete=models.PROTECT, related_name="tariffs")
    tariff_group = models.ForeignKey(
        TariffGroup, on_delete=models.PROTECT, related_name="distribution_tariffs"
    )
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("distribution tariff")
        verbose_name_plural = _("distribution tariffs")
        ordering = ["dso", "tariff_group", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["dso", "tariff_group", "valid_from"], name="distribution_tariff_unique"
            ),
            _valid_period("distribution_tariff_valid_period"),
        ]

    def __str__(self) -> str:
        return self.name


class DistributionComponent(models.TextChoices):
    FIXED_NETWORK = "fixed_network", _("Fixed network charge")
    VARIABLE_NETWORK = "variable_network", _("Variable network charge")
    SUBSCRIPTION = "subscription", _("Subscription fee")


class DistributionRate(models.Model):
    """One rate of a distribution tariff; ``variant`` tells phases (1f/3f) or billing months (1m/2m/6m)."""

    tariff = models.ForeignKey(DistributionTariff, on_delete=models.CASCADE, related_name="rates")
    component = models.CharField(_("component"), max_length=32, choices=DistributionComponent.choices)
    zone = models.CharField(_("zone"), max_length=16, choices=Zone.choices, blank=True)
    variant = models.CharField(_("variant"), max_length=16, blank=True)
    unit = models.CharField(_("unit"), max_length=16)
    price = models.DecimalField(_("net price (PLN)"), max_digits=14, decimal_places=6)

    class Meta:
        verbose_name = _("distribution rate")
        verbose_name_plural = _("distribution rates")
        ordering = ["component", "zone", "variant"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "component", "zone", "variant"], name="distribution_rate_unique"
            ),
        ]


class NationalRateKind(models.TextChoices):
    QUALITY = "quality", _("Quality rate")
    OZE = "oze", _("Renewables (OZE) rate")
    COGENERATION = "cogeneration", _("Cogeneration rate")
    CAPACITY_HOUSEHOLD = "capacity_household", _("Capacity fee (households)")
    CAPACITY_OTHER = "capacity_other", _("Capacity fee (other customers)")
    EXCISE = "excise", _("Excise duty")


class NationalRate(Dated, ReferenceData):
    """A rate set nationally (regulator, statute), the same at every DSO."""

    country = models.CharField(_("country"), max_length=2, default="PL")
    commodity = models.CharField(_("commodity"), max_length=16, choices=Commodity.choices)
    kind = models.CharField(_("rate"), max_length=32, choices=NationalRateKind.choices)
    band = models.CharField(_("consumption band"), max_length=32, blank=True)
    unit = models.CharField(_("unit"), max_length=16)
    price = models.DecimalField(_("net price (PLN)"), max_digits=14, decimal_places=6)

    class Meta:
        verbose_name = _("national rate")
        verbose_name_plural = _("national rates")
        ordering = ["kind", "band", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "commodity", "kind", "band", "valid_from"], name="national_rate_unique"
            ),
            _valid_period("national_rate_valid_period"),
        ]


class DayType(models.TextChoices):
    EVERY_DAY = "all", _("Every day")
    WORKING_DAY = "working", _("Working days (Mon–Fri, not holidays)")
    FREE_DAY = "free", _("Weekends and public holidays")


class TimeZoneSchedule(Dated, ReferenceData):
    """Which hours belong to which zone, per DSO and tariff group."""

    dso = models.ForeignKey(Dso, on_delete=models.PROTECT, related_name="time_zone_schedules")
    tariff_group = models.ForeignKey(
        TariffGroup, on_delete=models.PROTECT, related_name="time_zone_schedules"
    )
    winter_time_all_year = models.BooleanField(
        _("zone hours kept on winter time all year"),
        default=False,
    )

    class Meta:
        verbose_name = _("time-zone schedule")
        verbose_name_plural = _("time-zone schedules")
        constraints = [
            models.UniqueConstraint(fields=["dso", "tariff_group", "valid_from"], name="tz_schedule_unique"),
            _valid_period("tz_schedule_valid_period"),
        ]

    def __str__(self) -> str:
        return f"{self.dso.code} {self.tariff_group.code} {self.valid_from}"


class TimeZoneRule(models.Model):
    """Hours ``[start_hour, end_hour)`` of a day type (and months, if given) belong to ``zone``."""

    schedule = models.ForeignKey(TimeZoneSchedule, on_delete=models.CASCADE, related_name="rules")
    zone = models.CharField(_("zone"), max_length=16, choices=Zone.choices)
    day_type = models.CharField(_("days"), max_length=16, choices=DayType.choices, default=DayType.EVERY_DAY)
    months = models.JSONField(_("months"), default=list, blank=True, help_text=_("Empty means all months."))
    start_hour = models.PositiveSmallIntegerField(_("from hour"))
    end_hour = models.PositiveSmallIntegerField(_("to hour (excluded)"))

    class Meta:
        verbose_name = _("time-zone rule")
        verbose_name_plural = _("time-zone rules")
        ordering = ["schedule", "day_type", "start_hour"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_hour__lt=F("end_hour")) & Q(end_hour__lte=24), name="tz_rule_hours"
            ),
        ]


class AdjustmentKind(models.TextChoices):
    PERCENT = "percent", _("Per cent of the component")
    AMOUNT = "amount", _("Amount (PLN)")


class Discount(Dated):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="discounts")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=AdjustmentKind.choices)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=4)
    applies_to = models.CharField(
        _("applies to"), max_length=32, choices=PriceComponentKind.choices, default=PriceComponentKind.ENERGY
    )

    class Meta:
        verbose_name = _("discount")
        verbose_name_plural = _("discounts")
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="discount_unique_code"),
            _valid_period("discount_valid_period"),
            models.CheckConstraint(condition=Q(value__gt=0), name="discount_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Fee(Dated):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="fees")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    amount = models.DecimalField(_("net amount (PLN)"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4, default="0.23")

    class Meta:
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="fee_unique_code"),
            _valid_period("fee_valid_period"),
        ]

    def __str__(self) -> str:
        return self.name


class GasConversionFactor(Dated, ReferenceData):
    """kWh per m³ of gas in a DSO's area over a period (mean gross calorific value ÷ 3.6).

    An area-less row applies to every area of the DSO that has no row of its own.
    """

    dso = models.ForeignKey(Dso, on_delete=models.PROTECT, related_name="gas_conversion_factors")
    area = models.ForeignKey(
        "network.DistributionArea",
        verbose_name=_("distribution area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gas_conversion_factors",
    )
    factor = models.DecimalField(_("kWh per m³"), max_digits=8, decimal_places=4)

    class Meta:
        verbose_name = _("gas conversion factor")
        verbose_name_plural = _("gas conversion factors")
        ordering = ["dso", "area", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["dso", "area", "valid_from"], name="gas_factor_unique", nulls_distinct=False
            ),
            _valid_period("gas_factor_valid_period"),
            models.CheckConstraint(condition=Q(factor__gt=0), name="gas_factor_positive"),
        ]


class LoadProfile(Dated, ReferenceData):
    """A standard load profile of a tariff group: how a year's consumption spreads over months and zones.

    Used to estimate missing reads, to split consumption at a price change when no read marks it, and
    for the share of consumption in capacity-fee hours (working days 7–22) of customers without
    interval data.
    """

    tariff_group = models.ForeignKey(TariffGroup, on_delete=models.PROTECT, related_name="load_profiles")
    monthly_shares = models.JSONField(
        _("monthly shares"), help_text=_("Twelve fractions of the annual consumption, January first.")
    )
    zone_shares = models.JSONField(_("zone shares"), default=dict, help_text=_("{zone: fraction}"))
    capacity_hours_share = models.DecimalField(
        _("share in capacity-fee hours"), max_digits=6, decimal_places=4, default=0
    )

    class Meta:
        verbose_name = _("standard load profile")
        verbose_name_plural = _("standard load profiles")
        ordering = ["tariff_group", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["tariff_group", "valid_from"], name="load_profile_unique"),
            _valid_period("load_profile_valid_period"),
        ]

    def __str__(self) -> str:
        return f"{self.tariff_group.code} {self.valid_from}"


class CompetitorPriceList(Dated):
    """Another supplier's published prices (or the incumbent's approved tariff), kept as data so that
    an offer can show what the customer pays now and what competitors would charge."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="competitor_price_lists")
    competitor = models.CharField(_("competitor"), max_length=120)
    name = models.CharField(_("name"), max_length=200)
    commodity = models.CharField(_("commodity"), max_length=16, choices=Commodity.choices)
    tariff_group = models.ForeignKey(
        TariffGroup,
        verbose_name=_("tariff group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the prices apply to every tariff group of the commodity."),
    )
    is_incumbent_tariff = models.BooleanField(
        _("incumbent's tariff"),
        default=False,
        help_text=_("The default seller's tariff a customer pays who never chose a supplier."),
    )
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4, default="0.23")
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("competitor price list")
        verbose_name_plural = _("competitor price lists")
        ordering = ["competitor", "-valid_from"]
        constraints = [_valid_period("competitor_price_list_valid_period")]

    def __str__(self) -> str:
        return f"{self.competitor}: {self.name}"


class CompetitorPrice(models.Model):
    price_list = models.ForeignKey(CompetitorPriceList, on_delete=models.CASCADE, related_name="components")
    kind = models.CharField(_("component"), max_length=32, choices=PriceComponentKind.choices)
    zone = models.CharField(_("zone"), max_length=16, choices=Zone.choices, blank=True)
    unit = models.CharField(_("unit"), max_length=16, help_text=_("kWh, month"))
    unit_price = models.DecimalField(_("net unit price (PLN)"), max_digits=14, decimal_places=6)

    class Meta:
        verbose_name = _("competitor price")
        verbose_name_plural = _("competitor prices")
        ordering = ["kind", "zone"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "kind", "zone"], name="competitor_price_unique"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="competitor_price_nonneg"),
        ]
