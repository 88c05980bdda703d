"""Work shared with the sales channels: message threads with the back office, and promotional gifts
(stock issued to organisations, handed to customers with a contract, returned or settled)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kilowatt.channels.models import Organisation
from kilowatt.core.models import Company
from kilowatt.parties.models import Customer

from .contracts import Contract
from .requests import ContractRequest


class MessageThread(models.Model):
    """A conversation between an organisation's people (channel managers, agents) and the back office or
    switching team, about a contract request, a contract or a customer."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="message_threads")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("sales organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="message_threads",
        help_text=_("Who on the partner side may read it (with the organisations above it)."),
    )
    subject = models.CharField(_("subject"), max_length=200)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    contract_request = models.ForeignKey(
        ContractRequest,
        verbose_name=_("contract request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="message_threads",
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_closed = models.BooleanField(_("closed"), default=False)
    created_at = models.DateTimeField(_("created at"))
    last_message_at = models.DateTimeField(_("last message at"))

    class Meta:
        verbose_name = _("message thread")
        verbose_name_plural = _("message threads")
        ordering = ["-last_message_at", "-id"]
        indexes = [models.Index(fields=["company", "-last_message_at"], name="thread_company_recent")]

    def __str__(self) -> str:
        return self.subject


class ThreadMessage(models.Model):
    thread = models.ForeignKey(MessageThread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_back_office = models.BooleanField(_("from the back office"))
    body = models.TextField(_("message"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["sent_at", "id"]


class ThreadReading(models.Model):
    """Up to when a person has read a thread: later messages by others are unread."""

    thread = models.ForeignKey(MessageThread, on_delete=models.CASCADE, related_name="readings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_until = models.DateTimeField(_("read until"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="thread_reading_once")]


class Gift(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="gifts")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    unit_value = models.DecimalField(_("unit value (PLN)"), max_digits=10, decimal_places=2, default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("promotional gift")
        verbose_name_plural = _("promotional gifts")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="gift_unique_code")]

    def __str__(self) -> str:
        return self.name


class GiftMovementKind(models.TextChoices):
    ISSUED = "issued", _("Issued from headquarters")
    HANDED_OVER = "handed", _("Handed to a customer")
    RETURNED = "returned", _("Returned to headquarters")
    SETTLED = "settled", _("Settled (paid for or written off)")
    COUNT_DIFFERENCE = "difference", _("Stock-take difference")


# How each kind of movement changes the organisation's stock.
GIFT_STOCK_SIGN = {
    GiftMovementKind.ISSUED: 1,
    GiftMovementKind.HANDED_OVER: -1,
    GiftMovementKind.RETURNED: -1,
    GiftMovementKind.SETTLED: -1,
    GiftMovementKind.COUNT_DIFFERENCE: 1,
}


class GiftMovement(models.Model):
    """One change of an organisation's gift stock; the stock is the signed sum of its movements."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="gift_movements")
    gift = models.ForeignKey(Gift, verbose_name=_("gift"), on_delete=models.PROTECT, related_name="movements")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="gift_movements"
    )
    kind = models.CharField(_("movement"), max_length=16, choices=GiftMovementKind.choices)
    quantity = models.IntegerField(
        _("quantity"), help_text=_("Positive, except a stock-take difference, which may be negative.")
    )
    on_date = models.DateField(_("date"))
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gifts",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("gift movement")
        verbose_name_plural = _("gift movements")
        ordering = ["on_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="difference") | Q(quantity__gt=0), name="gift_movement_quantity_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind="handed") | Q(contract__isnull=False), name="gift_handover_has_contract"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "gift"], name="gift_movement_stock")]


class GiftStockTake(models.Model):
    """A count of an organisation's stock at a period's end, against what the movements say."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="gift_stock_takes")
    counted_on = models.DateField(_("counted on"))
    expected = models.IntegerField(_("expected"))
    counted = models.IntegerField(_("counted"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("gift stock take")
        verbose_name_plural = _("gift stock takes")
        ordering = ["-counted_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "gift", "counted_on"], name="gift_stock_take_once_a_day"
            ),
        ]
