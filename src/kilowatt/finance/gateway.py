"""Online (card, BLIK, pay-by-link) payments through a payment gateway: Przelewy24, and a local fake.

The flow, whichever gateway: `payment_start` registers the payment and gives the page to send the
customer to; the gateway later POSTs a notification to `notify_url`, which `notification_verify`
checks (signature and shape) before anything is booked; then `payment_confirm` tells the gateway the
payment was accepted (Przelewy24 settles only verified transactions). Amounts are Decimal PLN here and
integers in grosz on the wire. No database and no clock: the caller stores the payment and passes times.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import quote

from django.utils.translation import gettext as _

from kilowatt.core.money import from_minor_units, is_money, to_minor_units

PAID = "paid"
FAILED = "failed"
STATUSES = (PAID, FAILED)

P24_SANDBOX_URL = "https://sandbox.przelewy24.pl"
P24_PRODUCTION_URL = "https://secure.przelewy24.pl"
FAKE_SIGNATURE_HEADER = "X-Fake-Signature"


@dataclass(frozen=True)
class GatewayStart:
    """Where to send the customer, and the gateway's token for this payment (keep it with the payment)."""

    redirect_url: str
    token: str


@dataclass(frozen=True)
class GatewayNotification:
    """A verified notification: our payment id, the gateway's transaction id, what was paid, how it ended."""

    payment_id: str
    transaction_id: str
    amount: Decimal
    currency: str
    status: str  # PAID or FAILED
    paid_at: datetime | None  # when the gateway says; None when it does not (Przelewy24)


class GatewayError(Exception):
    """The gateway refused a call or could not be reached; the message says which and why."""


class NotificationInvalid(GatewayError):
    """A notification that must not be trusted: bad signature, wrong merchant or not the expected shape."""


class PaymentNotConfirmed(GatewayError):
    """The gateway did not confirm the payment (or the amount is not the one expected)."""


class PaymentGateway(Protocol):
    def payment_start(
        self,
        *,
        payment_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        email: str,
        return_url: str,
        notify_url: str,
        language: str,
    ) -> GatewayStart:
        """Register the payment with the gateway. Raises GatewayError."""
        ...

    def notification_verify(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayNotification:
        """Check a notification the gateway POSTed. Raises NotificationInvalid."""
        ...

    def payment_confirm(self, *, notification: GatewayNotification, amount: Decimal) -> None:
        """Accept a paid notification for the `amount` we expect. Raises PaymentNotConfirmed, GatewayError."""
        ...


def amount_to_grosz(amount: Decimal) -> int:
    """12.34 -> 1234; refuses amounts that are not positive or have more than 2 decimals."""
    if not isinstance(amount, Decimal) or not is_money(amount) or amount <= 0:
        raise ValueError(
            _("%(value)s is not an amount of money to pay (more than 0, 2 decimals)") % {"value": amount}
        )
    return to_minor_units(amount)


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header's value whatever its case (Django's request.headers is case-insensitive; a dict is not)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")


def _json_object(*, body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise NotificationInvalid(_("the notification is not JSON")) from None
    if not isinstance(data, dict):
        raise NotificationInvalid(_("the notification is not a JSON object"))
    return data


def _field(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, kind):
        reason = _("the notification field %(key)s is missing or not a %(kind)s")
        raise NotificationInvalid(reason % {"key": key, "kind": kind.__name__})
    return value


def _canonical_json(fields: dict[str, Any]) -> str:
    """JSON as PHP's json_encode(..., JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES) writes it."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


# --- the local fake


@dataclass(frozen=True)
class FakeSession:
    """A payment started on the fake gateway, as its page shows it (decoded from the token)."""

    payment_id: str
    amount: Decimal
    currency: str
    description: str
    email: str
    return_url: str
    notify_url: str
    language: str


class FakeGateway:
    """A faithful local stand-in for a real gateway, for tests and the demo: no network, nothing stored.

    `payment_start` sends the customer to `{base_url}/fake-gateway/{token}`; the token carries the
    payment (signed, so it cannot be altered) and `fake_session` reads it back for that page. The page
    then POSTs `fake_notification(...)` to the payment's notify_url, the way a real gateway would:
    a JSON body signed with HMAC-SHA256 of the secret in the X-Fake-Signature header.
    """

    def __init__(self, secret: str, base_url: str):
        if not secret:
            raise ValueError("FakeGateway needs a secret")
        self.secret = secret.encode("utf-8")
        self.base_url = base_url.rstrip("/")

    def _signature(self, payload: bytes) -> str:
        return hmac.new(self.secret, payload, hashlib.sha256).hexdigest()

    def payment_start(
        self,
        *,
        payment_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        email: str,
        return_url: str,
        notify_url: str,
        language: str,
    ) -> GatewayStart:
        session = {"paymentId": payment_id, "amount": amount_to_grosz(amount), "currency": currency,
                   "description": description, "email": email, "returnUrl": return_url,
                   "notifyUrl": notify_url, "language": language}  # fmt: skip
        payload = base64.urlsafe_b64encode(_canonical_json(session).encode("utf-8")).rstrip(b"=")
        token = f"{payload.decode('ascii')}.{self._signature(payload)}"
        return GatewayStart(redirect_url=f"{self.base_url}/fake-gateway/{quote(token, safe='')}", token=token)

    def fake_session(self, *, token: str) -> FakeSession:
        """The payment a token stands for. Raises NotificationInvalid for a token not made here."""
        payload, _dot, signature = token.partition(".")
        if not hmac.compare_digest(self._signature(payload.encode("ascii", "replace")), signature):
            raise NotificationInvalid(_("the fake gateway token is not valid"))
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (binascii.Error, ValueError):
            raise NotificationInvalid(_("the fake gateway token is not valid")) from None
        return FakeSession(payment_id=data["paymentId"], amount=from_minor_units(data["amount"]),
                           currency=data["currency"], description=data["description"], email=data["email"],
                           return_url=data["returnUrl"], notify_url=data["notifyUrl"],
                           language=data["language"])  # fmt: skip

    def fake_notification(
        self, *, token: str, status: str, paid_at: datetime | None
    ) -> tuple[bytes, dict[str, str]]:
        """The (body, headers) the fake page POSTs to the notify_url: the customer paid or gave up."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        session = self.fake_session(token=token)
        notification = {
            "paymentId": session.payment_id,
            "transactionId": "fake-" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:20],
            "amount": amount_to_grosz(session.amount),
            "currency": session.currency,
            "status": status,
            "paidAt": paid_at.isoformat() if paid_at is not None and status == PAID else None,
        }
        body = _canonical_json(notification).encode("utf-8")
        headers = {"Content-Type": "application/json", FAKE_SIGNATURE_HEADER: self._signature(body)}
        return body, headers

    def notification_verify(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayNotification:
        given = _header(headers, FAKE_SIGNATURE_HEADER)
        if not given or not hmac.compare_digest(self._signature(body), given):
            raise NotificationInvalid(_("the notification's signature is not valid"))
        data = _json_object(body=body)
        status = _field(data, "status", str)
        if status not in STATUSES:
            raise NotificationInvalid(_("the notification status %(value)s is unknown") % {"value": status})
        paid_at_text = data.get("paidAt")
        try:
            paid_at = datetime.fromisoformat(paid_at_text) if isinstance(paid_at_text, str) else None
        except ValueError:
            raise NotificationInvalid(_("the notification field paidAt is not a time")) from None
        return GatewayNotification(payment_id=_field(data, "paymentId", str),
                                   transaction_id=_field(data, "transactionId", str),
                                   amount=from_minor_units(_field(data, "amount", int)),
                                   currency=_field(data, "currency", str), status=status,
                                   paid_at=paid_at)  # fmt: skip

    def payment_confirm(self, *, notification: GatewayNotification, amount: Decimal) -> None:
        if notification.status != PAID:
            raise PaymentNotConfirmed(_("the payment was not made"))
        if notification.amount != amount:
            reason = _("the gateway reports %(paid)s paid, not the %(expected)s expected")
            raise PaymentNotConfirmed(reason % {"paid": notification.amount, "expected": amount})


# --- Przelewy24


class Przelewy24Gateway:
    """Przelewy24 REST API v1: transaction/register, the JSON notification, transaction/verify.

    Basic auth is posId:apiKey (the panel's "API key"); `crc` is the panel's CRC key for the SHA-384
    signatures. `base_url` overrides the host (sandbox or production) for tests. Uses urllib only.
    """

    def __init__(
        self,
        *,
        merchant_id: int,
        pos_id: int,
        crc: str,
        api_key: str,
        sandbox: bool,
        base_url: str | None = None,
        timeout: float = 20.0,
    ):
        self.merchant_id = int(merchant_id)
        self.pos_id = int(pos_id)
        self.crc = crc
        self.api_key = api_key
        self.sandbox = sandbox
        self.base_url = (base_url or (P24_SANDBOX_URL if sandbox else P24_PRODUCTION_URL)).rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:  # never the keys
        ids = f"merchant_id={self.merchant_id}, pos_id={self.pos_id}"
        return f"Przelewy24Gateway({ids}, base_url={self.base_url!r})"

    # signatures: SHA-384 of the JSON of these fields, in this order, with the CRC key last

    def register_sign(self, *, session_id: str, amount: int, currency: str) -> str:
        fields = {"sessionId": session_id, "merchantId": self.merchant_id, "amount": amount,
                  "currency": currency, "crc": self.crc}  # fmt: skip
        return hashlib.sha384(_canonical_json(fields).encode("utf-8")).hexdigest()

    def notification_sign(self, *, data: Mapping[str, Any]) -> str:
        keys = ("merchantId", "posId", "sessionId", "amount", "originAmount", "currency", "orderId",
                "methodId", "statement")  # fmt: skip
        fields = {key: data[key] for key in keys} | {"crc": self.crc}
        return hashlib.sha384(_canonical_json(fields).encode("utf-8")).hexdigest()

    def verify_sign(self, *, session_id: str, order_id: int, amount: int, currency: str) -> str:
        fields = {"sessionId": session_id, "orderId": order_id, "amount": amount, "currency": currency,
                  "crc": self.crc}  # fmt: skip
        return hashlib.sha384(_canonical_json(fields).encode("utf-8")).hexdigest()

    def _call(self, *, method: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        credentials = base64.b64encode(f"{self.pos_id}:{self.api_key}".encode()).decode("ascii")
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            method=method,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Basic {credentials}",
            },  # fmt: skip
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            detail = _p24_error(error.read())
            reason = _("Przelewy24 refused %(path)s (HTTP %(status)d): %(detail)s")
            raise GatewayError(reason % {"path": path, "status": error.code, "detail": detail}) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = _("Przelewy24 cannot be reached at %(url)s: %(error)s")
            raise GatewayError(reason % {"url": self.base_url, "error": error}) from None
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            answer = None
        if not isinstance(answer, dict):
            raise GatewayError(
                _("Przelewy24 answered %(path)s with something that is not JSON") % {"path": path}
            )
        return answer

    def payment_start(
        self,
        *,
        payment_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        email: str,
        return_url: str,
        notify_url: str,
        language: str,
    ) -> GatewayStart:
        grosz = amount_to_grosz(amount)
        payload = {
            "merchantId": self.merchant_id,
            "posId": self.pos_id,
            "sessionId": payment_id,
            "amount": grosz,
            "currency": currency,
            "description": description,
            "email": email,
            "country": "PL",
            "language": language,
            "urlReturn": return_url,
            "urlStatus": notify_url,
            "encoding": "UTF-8",
            "sign": self.register_sign(session_id=payment_id, amount=grosz, currency=currency),
        }
        answer = self._call(method="POST", path="/api/v1/transaction/register", payload=payload)
        data = answer.get("data")
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise GatewayError(_("Przelewy24 registered the payment but gave no token"))
        return GatewayStart(redirect_url=f"{self.base_url}/trnRequest/{quote(token, safe='')}", token=token)

    def notification_verify(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayNotification:
        data = _json_object(body=body)
        for key in ("merchantId", "posId", "amount", "originAmount", "orderId", "methodId"):
            _field(data, key, int)
        for key in ("sessionId", "currency", "statement", "sign"):
            _field(data, key, str)
        if data["merchantId"] != self.merchant_id or data["posId"] != self.pos_id:
            raise NotificationInvalid(_("the notification is for another merchant"))
        if not hmac.compare_digest(self.notification_sign(data=data), data["sign"]):
            raise NotificationInvalid(_("the notification's signature is not valid"))
        # Przelewy24 notifies only successful payments; it gives no time of payment.
        return GatewayNotification(payment_id=data["sessionId"], transaction_id=str(data["orderId"]),
                                   amount=from_minor_units(data["amount"]), currency=data["currency"],
                                   status=PAID, paid_at=None)  # fmt: skip

    def payment_confirm(self, *, notification: GatewayNotification, amount: Decimal) -> None:
        """PUT transaction/verify with the amount we expect: Przelewy24 settles only what is verified."""
        if notification.status != PAID:
            raise PaymentNotConfirmed(_("the payment was not made"))
        if notification.amount != amount:
            reason = _("the gateway reports %(paid)s paid, not the %(expected)s expected")
            raise PaymentNotConfirmed(reason % {"paid": notification.amount, "expected": amount})
        grosz = amount_to_grosz(amount)
        order_id = int(notification.transaction_id)
        payload = {
            "merchantId": self.merchant_id,
            "posId": self.pos_id,
            "sessionId": notification.payment_id,
            "amount": grosz,
            "currency": notification.currency,
            "orderId": order_id,
            "sign": self.verify_sign(
                session_id=notification.payment_id,
                order_id=order_id,
                amount=grosz,
                currency=notification.currency,
            ),  # fmt: skip
        }
        answer = self._call(method="PUT", path="/api/v1/transaction/verify", payload=payload)
        data = answer.get("data")
        if not isinstance(data, dict) or data.get("status") != "success":
            raise PaymentNotConfirmed(
                _("Przelewy24 did not confirm the payment %(id)s") % {"id": notification.payment_id}
            )


def _p24_error(raw: bytes) -> str:
    """The "error" text of a Przelewy24 error answer, else the start of the body."""
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return raw[:200].decode("utf-8", "replace")
    if isinstance(answer, dict) and answer.get("error") is not None:
        return str(answer["error"])
    return str(answer)[:200]


# --- configuration


def payment_gateway() -> PaymentGateway:
    """The gateway of settings.PAYMENT_GATEWAY ("fake", the default, or "przelewy24"); secrets from the env.

    fake: KILOWATT_FAKE_GATEWAY_SECRET (else one derived from SECRET_KEY); its page is under settings.SITE_URL
    (else a path on this site). przelewy24: P24_MERCHANT_ID, P24_POS_ID (default: the merchant id), P24_CRC,
    P24_API_KEY, P24_SANDBOX (default 1: set 0 for real payments). Raises ImproperlyConfigured.
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    kind = getattr(settings, "PAYMENT_GATEWAY", "fake")
    if kind == "fake":
        secret = (
            os.environ.get("KILOWATT_FAKE_GATEWAY_SECRET")
            or hmac.new(
                settings.SECRET_KEY.encode("utf-8"), b"kilowatt.finance.gateway.fake", hashlib.sha256
            ).hexdigest()
        )
        return FakeGateway(secret=secret, base_url=getattr(settings, "SITE_URL", "") or "")
    if kind == "przelewy24":

        def required(name: str) -> str:
            value = os.environ.get(name, "").strip()
            if not value:
                raise ImproperlyConfigured(
                    _("PAYMENT_GATEWAY is przelewy24 but %(name)s is not set") % {"name": name}
                )
            return value

        def number(name: str, value: str) -> int:
            if not value.isdigit():
                raise ImproperlyConfigured(
                    _("%(name)s must be a number, not %(value)s") % {"name": name, "value": value}
                )
            return int(value)

        merchant_id = number("P24_MERCHANT_ID", required("P24_MERCHANT_ID"))
        pos_text = os.environ.get("P24_POS_ID", "").strip()
        sandbox = os.environ.get("P24_SANDBOX", "1").strip().lower() not in {"0", "false", "no", "off"}
        return Przelewy24Gateway(
            merchant_id=merchant_id,
            pos_id=number("P24_POS_ID", pos_text) if pos_text else merchant_id,
            crc=required("P24_CRC"),
            api_key=required("P24_API_KEY"),
            sandbox=sandbox,
        )
    raise ImproperlyConfigured(
        _("PAYMENT_GATEWAY is %(value)s; it must be fake or przelewy24") % {"value": repr(kind)}
    )
