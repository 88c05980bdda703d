"""Sales channels: the channels a company sells through, partner organisations in a hierarchy
(organisation → branch), their agents (users), what each may sell, and sales targets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kilowatt.catalog.models import Product, ProductKind
from kilowatt.core.models import Company
from kilowatt.network.models import Commodity


class ChannelKind(models.TextChoices):
    PARTNER_NETWORK = "partners", _("Partner network")
    HOTLINE = "hotline", _("Hotline (call centre)")
    CUSTOMER_OFFICE = "office", _("Customer office")
    OWN_SALES = "own_sales", _("Own sales force")


class SalesChannel(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="sales_channels")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("sales channel")
        verbose_name_plural = _("sales channels")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="sales_channel_unique_code")]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A partner organisation or one of its branches. ``path`` lists the ids from the root down
    (``/3/7/``), so an organisation and all its branches are found with one prefix match."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="sales_organisations")
    channel = models.ForeignKey(
        SalesChannel, verbose_name=_("sales channel"), on_delete=models.PROTECT, related_name="organisations"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branches",
    )
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    nip = models.CharField(_("NIP"), max_length=10, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    bank_account = models.CharField(
        _("bank account (IBAN) for commission payouts"), max_length=34, blank=True
    )
    path = models.CharField(_("path"), max_length=255, editable=False, db_index=True)
    products = models.ManyToManyField(
        Product,
        verbose_name=_("products it may offer"),
        blank=True,
        related_name="+",
        help_text=_(
            "Leave empty (with no product kinds) to use the configuration of the organisation above."
        ),
    )
    product_kinds = models.JSONField(
        _("product kinds it may offer"),
        default=list,
        blank=True,
        help_text=_("Every active product of these kinds may be offered (e.g. energy, service)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="sales_organisation_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


PRODUCT_KIND_VALUES = frozenset(ProductKind.values)


class AgentRole(models.TextChoices):
    AGENT = "agent", _("Agent (sees own customers)")
    MANAGER = "manager", _("Manager (sees the organisation and its branches)")


class Agent(models.Model):
    """A person selling for an organisation; a user is an agent of at most one organisation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales_agent"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="agents"
    )
    code = models.CharField(_("agent number"), max_length=32)
    role = models.CharField(_("role"), max_length=16, choices=AgentRole.choices, default=AgentRole.AGENT)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["organisation__path", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="agent_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.code})"


class TargetMetric(models.TextChoices):
    SUPPLY_POINTS = "points", _("Supply points")
    VOLUME_MWH = "mwh", _("Yearly volume (MWh)")


class SalesTarget(models.Model):
    """A sales plan for one channel, organisation (with its branches) or agent over ``[start, end)``:
    counted from contracts signed in the period, optionally for one commodity or product."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="sales_targets")
    channel = models.ForeignKey(
        SalesChannel,
        verbose_name=_("sales channel"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
    )
    agent = models.ForeignKey(
        Agent,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (excluded)"))
    metric = models.CharField(_("measure"), max_length=8, choices=TargetMetric.choices)
    commodity = models.CharField(_("commodity"), max_length=16, choices=Commodity.choices, blank=True)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    goal = models.DecimalField(_("goal"), max_digits=14, decimal_places=3)

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ["-period_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(channel__isnull=False, organisation__isnull=True, agent__isnull=True)
                    | Q(channel__isnull=True, organisation__isnull=False, agent__isnull=True)
                    | Q(channel__isnull=True, organisation__isnull=True, agent__isnull=False)
                ),
                name="sales_target_one_holder",
            ),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="sales_target_period"),
            models.CheckConstraint(condition=Q(goal__gt=0), name="sales_target_goal_positive"),
        ]
