"""Contracts: the record linking customer, supply points, product and price list."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kilowatt.catalog.models import PriceList, Product
from kilowatt.core.models import Company
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer


class ContractKind(models.TextChoices):
    SALES = "sales", _("Sales only")
    COMPREHENSIVE = "comprehensive", _("Comprehensive (sales and distribution)")
    DISTRIBUTION = "distribution", _("Distribution")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    ACTIVE = "active", _("In force")
    TERMINATED = "terminated", _("Terminated")
    ENDED = "ended", _("Ended")


BILLING_CYCLES = [(1, _("monthly")), (2, _("every 2 months")), (6, _("every 6 months")), (12, _("yearly"))]


class Contract(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="contracts")
    number = models.CharField(_("contract number"), max_length=40)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContractKind.choices)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="contracts"
    )
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.PROTECT, related_name="contracts"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    start_date = models.DateField(_("supply from"))
    end_date = models.DateField(_("supply until (excluded)"), null=True, blank=True)
    billing_cycle_months = models.PositiveSmallIntegerField(
        _("billing cycle"), choices=BILLING_CYCLES, default=2
    )
    forecast_billing = models.BooleanField(
        _("forecast invoices between settlements"),
        default=False,
        help_text=_(
            "Monthly forecast invoices within a billing cycle longer than a month, then a settlement."
        ),
    )
    payment_term_days = models.PositiveSmallIntegerField(_("payment term (days)"), default=14)
    notice_period_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=30)
    early_termination_fee = models.DecimalField(
        _("early termination fee (PLN)"), max_digits=12, decimal_places=2, default=0
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="contract_unique_number"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")),
                name="contract_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(billing_cycle_months__in=[1, 2, 6, 12]), name="contract_billing_cycle"
            ),
            models.CheckConstraint(condition=Q(early_termination_fee__gte=0), name="contract_fee_nonneg"),
        ]

    def __str__(self) -> str:
        return self.number


class ContractSupplyPoint(models.Model):
    """A supply point covered by a contract over ``[valid_from, valid_to)``."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="supply_point_links")
    supply_point = models.ForeignKey(SupplyPoint, on_delete=models.PROTECT, related_name="contract_links")
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until (excluded)"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract supply point")
        verbose_name_plural = _("contract supply points")
        constraints = [
            models.UniqueConstraint(fields=["contract", "supply_point"], name="contract_supply_point_unique"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="contract_sp_period",
            ),
        ]
