"""After signing: annexes, dated price terms, cessions and terminations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kilowatt.catalog.models import PriceList, Product
from kilowatt.parties.models import Customer

from .contracts import Contract


class AnnexKind(models.TextChoices):
    PRICE = "price", _("Price or product change")
    SUPPLY_POINT = "supply_point", _("New supply point")
    BILLING = "billing", _("Billing parameters")


class AnnexStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    CANCELLED = "cancelled", _("Cancelled")


class ContractAnnex(models.Model):
    """A change of a signed contract from ``effective_from``; ``changes`` holds what it changes
    (price list, supply points, billing parameters) as it was agreed."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="annexes")
    number = models.CharField(_("annex number"), max_length=60)
    kind = models.CharField(_("kind"), max_length=16, choices=AnnexKind.choices)
    effective_from = models.DateField(_("in force from"))
    status = models.CharField(
        _("status"), max_length=16, choices=AnnexStatus.choices, default=AnnexStatus.DRAFT
    )
    changes = models.JSONField(_("changes"), default=dict)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("annex")
        verbose_name_plural = _("annexes")
        ordering = ["contract", "effective_from", "id"]
        constraints = [models.UniqueConstraint(fields=["contract", "number"], name="annex_number_once")]

    def __str__(self) -> str:
        return self.number


class ContractPriceTerm(models.Model):
    """Which product and price list a contract bills by over ``[valid_from, valid_to)``. A contract
    starts with one term; a signed price annex closes it and opens the next."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="price_terms")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until (excluded)"), null=True, blank=True)
    annex = models.ForeignKey(
        ContractAnnex,
        verbose_name=_("annex"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("price term")
        verbose_name_plural = _("price terms")
        ordering = ["contract", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "valid_from"], name="price_term_once"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")), name="price_term_period"
            ),
        ]


class ContractCession(models.Model):
    """A contract handed over to a new customer from ``effective_from``: the old contract ends that day
    and a new one with the same terms starts."""

    contract = models.OneToOneField(Contract, on_delete=models.PROTECT, related_name="cession")
    new_customer = models.ForeignKey(
        Customer, verbose_name=_("new customer"), on_delete=models.PROTECT, related_name="+"
    )
    new_contract = models.OneToOneField(
        Contract, verbose_name=_("new contract"), on_delete=models.PROTECT, related_name="ceded_from"
    )
    effective_from = models.DateField(_("from"))
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("cession")
        verbose_name_plural = _("cessions")


class TerminationParty(models.TextChoices):
    CUSTOMER = "customer", _("The customer")
    COMPANY = "company", _("The company")
    AGREEMENT = "agreement", _("By agreement")


class ContractTermination(models.Model):
    """Notice given on ``received_on``; supply ends on ``effective_on`` (excluded) after the notice
    period, and the penalty is computed from the contract's terms for the months left."""

    contract = models.OneToOneField(Contract, on_delete=models.PROTECT, related_name="termination")
    initiated_by = models.CharField(_("given by"), max_length=16, choices=TerminationParty.choices)
    received_on = models.DateField(_("notice received on"))
    effective_on = models.DateField(_("supply ends on (excluded)"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    months_left = models.PositiveSmallIntegerField(_("months of the term left"), default=0)
    penalty = models.DecimalField(_("penalty (PLN)"), max_digits=12, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("termination")
        verbose_name_plural = _("terminations")
        constraints = [models.CheckConstraint(condition=Q(penalty__gte=0), name="termination_penalty_nonneg")]
