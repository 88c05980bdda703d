"""Signature requests: who signs which document, through which provider, and what came back."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company

from .contracts import Contract, ContractDocument, ContractSigner


class SignatureProvider(models.TextChoices):
    BUILTIN = "builtin", _("Built-in signature (one-time code)")
    DOCUSEAL = "docuseal", _("DocuSeal")


class SignatureStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for signatures")
    SIGNED = "signed", _("Signed")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class SignatureRequest(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="signature_requests")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="signature_requests")
    document = models.ForeignKey(
        ContractDocument, verbose_name=_("document"), on_delete=models.PROTECT, related_name="+"
    )
    provider = models.CharField(_("provider"), max_length=16, choices=SignatureProvider.choices)
    external_id = models.CharField(_("id at the provider"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=SignatureStatus.choices, default=SignatureStatus.PENDING
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    signed_document = models.ForeignKey(
        ContractDocument,
        verbose_name=_("signed document"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("signature request")
        verbose_name_plural = _("signature requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~Q(external_id=""),
                name="signature_request_external_once",
            ),
            # One request waits at a time per document: a second one would send a second set of codes.
            models.UniqueConstraint(
                fields=["document"], condition=Q(status="pending"), name="signature_request_one_pending"
            ),
        ]


class SignatureParty(models.Model):
    """One signer of a request. For the built-in signature: the code sent (stored hashed), the
    attempts, and the moment, address and browser the code was entered from."""

    request = models.ForeignKey(SignatureRequest, on_delete=models.CASCADE, related_name="parties")
    signer = models.ForeignKey(ContractSigner, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=8, choices=[("sms", "SMS"), ("email", _("e-mail"))])
    destination = models.CharField(_("sent to"), max_length=254)
    code_hash = models.CharField(max_length=128, blank=True)
    code_sent_at = models.DateTimeField(_("code sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    external_id = models.CharField(_("id at the provider"), max_length=100, blank=True)
    signing_url = models.URLField(_("signing link"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("signer")
        verbose_name_plural = _("signers")
        ordering = ["id"]


class SignatureEvent(models.Model):
    """A status report received from a signing service (webhook or polling), kept once per event id."""

    request = models.ForeignKey(SignatureRequest, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(_("event id"), max_length=200)
    kind = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("signature event")
        verbose_name_plural = _("signature events")
        ordering = ["received_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "event_id"], name="signature_event_once")]
