"""Commissions: schemes as data (basis, rates, staged payouts, clawback), entries accrued from events and
never edited, and monthly statements per organisation that the organisation accepts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kilowatt.billing.models import Invoice
from kilowatt.catalog.models import Product
from kilowatt.channels.models import Organisation, SalesChannel
from kilowatt.core.models import Company
from kilowatt.network.models import Commodity, SupplyPoint
from kilowatt.parties.models import CustomerKind
from kilowatt.sales.models import Contract


class CommissionBasis(models.TextChoices):
    PER_POINT = "point", _("Amount per supply point acquired")
    PER_MWH_CONTRACTED = "mwh_contracted", _("Amount per MWh of contracted yearly volume")
    PER_MWH_BILLED = "mwh_billed", _("Amount per MWh billed (on each paid invoice)")
    PERCENT_BILLED = "percent_billed", _("Per cent of the net amount billed (on each paid invoice)")


BILLED_BASES = frozenset({CommissionBasis.PER_MWH_BILLED, CommissionBasis.PERCENT_BILLED})


class CommissionScheme(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="commission_schemes")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    basis = models.CharField(_("basis"), max_length=16, choices=CommissionBasis.choices)
    business_share = models.DecimalField(
        _("business commission (% paid to the agents)"),
        max_digits=5,
        decimal_places=2,
        default=100,
        help_text=_("The rest is the organisation's own part."),
    )
    clawback_months = models.PositiveSmallIntegerField(
        _("clawback period (months)"),
        default=12,
        help_text=_(
            "A contract ending within this many months of supply start (or a failed switch) is clawed back."
        ),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until (excluded)"), null=True, blank=True)

    class Meta:
        verbose_name = _("commission scheme")
        verbose_name_plural = _("commission schemes")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="commission_scheme_unique_code"),
            models.CheckConstraint(
                condition=Q(business_share__gte=0, business_share__lte=100), name="commission_business_share"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="commission_scheme_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CommissionRate(models.Model):
    """A rate of a scheme; empty conditions match anything, and the most specific matching rate applies."""

    scheme = models.ForeignKey(CommissionScheme, on_delete=models.CASCADE, related_name="rates")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    commodity = models.CharField(_("commodity"), max_length=16, choices=Commodity.choices, blank=True)
    customer_kind = models.CharField(
        _("customer type"), max_length=16, choices=CustomerKind.choices, blank=True
    )
    band_from_kwh = models.DecimalField(
        _("yearly consumption from (kWh)"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    band_to_kwh = models.DecimalField(
        _("yearly consumption below (kWh)"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    rate = models.DecimalField(
        _("rate"), max_digits=12, decimal_places=4, help_text=_("PLN per point, PLN per MWh, or per cent.")
    )

    class Meta:
        verbose_name = _("commission rate")
        verbose_name_plural = _("commission rates")
        constraints = [models.CheckConstraint(condition=Q(rate__gte=0), name="commission_rate_nonneg")]


class StageTrigger(models.TextChoices):
    SIGNED = "signed", _("Contract signed")
    SUPPLY_STARTED = "supply_started", _("Supply started after a successful switch")
    INVOICES_PAID = "invoices_paid", _("Invoices paid")


class CommissionStage(models.Model):
    """Which event releases which share of a point's commission; a scheme's shares sum to 100 %."""

    scheme = models.ForeignKey(CommissionScheme, on_delete=models.CASCADE, related_name="stages")
    trigger = models.CharField(_("released on"), max_length=16, choices=StageTrigger.choices)
    paid_invoices = models.PositiveSmallIntegerField(
        _("number of paid invoices"), default=0, help_text=_("For 'invoices paid': how many.")
    )
    share = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("payout stage")
        verbose_name_plural = _("payout stages")
        ordering = ["scheme", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(share__gt=0, share__lte=100), name="commission_stage_share"),
            models.CheckConstraint(
                condition=~Q(trigger="invoices_paid") | Q(paid_invoices__gt=0),
                name="commission_stage_invoices",
            ),
        ]


class SchemeAssignment(models.Model):
    """Which scheme pays a channel or an organisation (with its branches, unless they have their own)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    scheme = models.ForeignKey(
        CommissionScheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="assignments"
    )
    channel = models.ForeignKey(
        SalesChannel,
        verbose_name=_("sales channel"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until (excluded)"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheme assignment")
        verbose_name_plural = _("scheme assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__isnull=False) | Q(organisation__isnull=False),
                name="scheme_assignment_holder",
            ),
        ]


class EntryKind(models.TextChoices):
    ACCRUAL = "accrual", _("Accrued")
    CLAWBACK = "clawback", _("Clawed back")


class CommissionEntry(models.Model):
    """One accrued (or clawed back) amount for one beneficiary: an agent, or the organisation's own part
    (``agent`` empty). ``key`` names the event and share it comes from, so an event applies once."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="commission_entries")
    scheme = models.ForeignKey(CommissionScheme, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    key = models.CharField(max_length=120)
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="commission_entries"
    )
    supply_point = models.ForeignKey(
        SupplyPoint, verbose_name=_("supply point"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stage = models.ForeignKey(
        CommissionStage,
        verbose_name=_("stage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    base = models.DecimalField(_("base"), max_digits=14, decimal_places=3, help_text=_("Points, MWh or PLN."))
    rate = models.DecimalField(_("rate"), max_digits=12, decimal_places=4)
    amount = models.DecimalField(_("amount (PLN)"), max_digits=12, decimal_places=2)
    description = models.CharField(_("description"), max_length=200)
    occurred_on = models.DateField(_("date"))
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("commission entry")
        verbose_name_plural = _("commission entries")
        ordering = ["occurred_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="commission_entry_once"),
            models.CheckConstraint(
                condition=Q(kind="accrual", reverses__isnull=True)
                | Q(kind="clawback", reverses__isnull=False),
                name="commission_clawback_reverses",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "occurred_on"], name="commission_entry_org_day"),
            models.Index(fields=["contract"], name="commission_entry_contract"),
        ]


class CommissionPayout(models.Model):
    """An export for payout, kept with its file: it can be downloaded again, and each statement it paid
    points at it."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="commission_payouts")
    month = models.DateField(_("up to month"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=120)
    content = models.BinaryField(_("file"))
    total = models.DecimalField(_("total (PLN)"), max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(_("exported at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("commission payout")
        verbose_name_plural = _("commission payouts")
        ordering = ["-created_at", "-id"]


class StatementStatus(models.TextChoices):
    ISSUED = "issued", _("Issued, waiting for the organisation")
    ACCEPTED = "accepted", _("Accepted by the organisation")
    PAID_OUT = "paid_out", _("Exported for payout")


class CommissionStatement(models.Model):
    """An organisation's commission for one month: every entry up to the month's end not settled before."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="commission_statements")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="commission_statements",
    )
    number = models.CharField(_("number"), max_length=40)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (excluded)"))
    business_total = models.DecimalField(_("agents' commission (PLN)"), max_digits=14, decimal_places=2)
    own_total = models.DecimalField(_("organisation's own part (PLN)"), max_digits=14, decimal_places=2)
    total = models.DecimalField(_("total (PLN)"), max_digits=14, decimal_places=2)
    status = models.CharField(_("status"), max_length=16, choices=StatementStatus.choices)
    issued_at = models.DateTimeField(_("issued at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_out_at = models.DateTimeField(_("exported for payout at"), null=True, blank=True)
    payout = models.ForeignKey(
        CommissionPayout,
        verbose_name=_("payout"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
    )

    class Meta:
        verbose_name = _("commission statement")
        verbose_name_plural = _("commission statements")
        ordering = ["-period_start", "organisation__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period_start"], name="commission_statement_once_a_month"
            ),
            models.UniqueConstraint(fields=["company", "number"], name="commission_statement_number"),
        ]

    def __str__(self) -> str:
        return self.number


class StatementLine(models.Model):
    """An entry settled on a statement; an entry is settled on one statement only."""

    statement = models.ForeignKey(CommissionStatement, on_delete=models.PROTECT, related_name="lines")
    entry = models.OneToOneField(CommissionEntry, on_delete=models.PROTECT, related_name="statement_line")

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
