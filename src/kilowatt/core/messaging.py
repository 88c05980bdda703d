"""E-mail and SMS to customers, each behind an adapter with one real and one local implementation.

E-mail goes through Django's mail framework, so where it goes is configuration (``EMAIL_BACKEND``):
SMTP in production, files in var/mail for the demo, memory (locmem) in tests. ``email_send``
returns the Message-ID it gave the message, to be kept with the customer's correspondence.

SMS goes through an ``SmsSender``; ``sms_sender()`` returns the configured one (``SMS_BACKEND``):

- ``"fake"`` — ``FakeSmsSender``: appends each message as a JSON line to ``SMS_FAKE_FILE``
  (var/sms/outbox.jsonl) and keeps it in memory; for the demo and tests, nothing leaves the machine;
- ``"smsapi"`` — ``SmsApiSender``: SMSAPI.pl's HTTPS API (``SMSAPI_TOKEN``, ``SMSAPI_SENDER_NAME``).

Phone numbers are normalised to E.164 (``core.phones``) before anything is sent; a number that is
not one raises InvalidIdentifier, a message the provider refused raises SmsNotSent with its reason.
"""

from __future__ import annotations

import json
import smtplib
import threading
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import BadHeaderError, EmailMessage, make_msgid
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from kilowatt.core.http import opener_for, url_allowed
from kilowatt.core.identifiers import InvalidIdentifier
from kilowatt.core.phones import phone_normalise

SMSAPI_BASE_URL = "https://api.smsapi.pl"

# --- e-mail ---------------------------------------------------------------------------------------


class EmailNotSent(RuntimeError):
    """The e-mail was not handed to the mail server; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _message_id_domain(from_email: str) -> str:
    # make_msgid's default domain is the machine's FQDN, a DNS look-up that can hang on an intranet.
    address = parseaddr(from_email)[1]
    return address.rpartition("@")[2] or "localhost"


def email_send(
    *,
    to: str,
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    from_email: str | None = None,
) -> str:
    """Send a plain-text e-mail to one customer through the configured backend; return its Message-ID.

    ``attachments`` are ``(filename, content, mimetype)``, e.g. ``("WZ-2026-7.pdf", pdf, "application/pdf")``;
    ``from_email`` defaults to DEFAULT_FROM_EMAIL. Raises EmailNotSent.
    """
    address = (to or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise EmailNotSent(_("%(address)s is not an e-mail address.") % {"address": repr(address)}) from None
    sender = from_email or settings.DEFAULT_FROM_EMAIL
    message_id = make_msgid(domain=_message_id_domain(sender))
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=sender,
        to=[address],
        headers={"Message-ID": message_id},
    )
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    try:
        sent = message.send(fail_silently=False)
    except (BadHeaderError, smtplib.SMTPException, OSError) as error:
        reason = str(error) or error.__class__.__name__
        raise EmailNotSent(
            _("The e-mail to %(address)s was not sent: %(reason)s") % {"address": address, "reason": reason}
        ) from error
    if not sent:
        raise EmailNotSent(
            _("The e-mail to %(address)s was not sent: %(reason)s")
            % {"address": address, "reason": _("the mail backend refused it")}
        )
    return message_id


# --- SMS ------------------------------------------------------------------------------------------


class SmsNotSent(RuntimeError):
    """The SMS was not accepted for delivery; the message carries the provider's reason."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # the provider's error code, when it gave one
        self.status = status  # the HTTP status, when there was an answer


class SmsSender(Protocol):
    def send(self, *, to: str, text: str) -> str:
        """Send ``text`` to the phone number ``to``; return the provider's message id.

        Raises InvalidIdentifier (not a phone number), SmsNotSent.
        """
        ...


@dataclass(frozen=True)
class SmsMessage:
    id: str
    to: str  # E.164
    text: str


def _recipient(to: str) -> str:
    number = phone_normalise(to)
    if not number:
        raise InvalidIdentifier(_("There is no phone number to send the SMS to."))
    return number


def _text(text: str) -> str:
    if not (text or "").strip():
        raise SmsNotSent(_("An SMS needs a text."))
    return text


class FakeSmsSender:
    """Sends nothing: keeps each message in ``sent`` and appends it to a JSON-lines file (if given)."""

    def __init__(self, *, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.sent: list[SmsMessage] = []
        self._lock = threading.Lock()

    def send(self, *, to: str, text: str) -> str:
        message = SmsMessage(id=f"fake-{uuid.uuid4().hex}", to=_recipient(to), text=_text(text))
        line = json.dumps(asdict(message), ensure_ascii=False) + "\n"
        with self._lock:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as outbox:
                    outbox.write(line)
            self.sent.append(message)
        return message.id

    def outbox_read(self) -> list[SmsMessage]:
        """The messages in the file, oldest first (every process's, not only this sender's)."""
        if self.path is None or not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as outbox:
            return [SmsMessage(**json.loads(line)) for line in outbox if line.strip()]


class SmsApiSender:
    """SMSAPI.pl (``POST {base_url}/sms.do``, bearer token, JSON answers), with urllib.

    ``base_url`` must be HTTPS, except on this machine's loopback address (tests). The token is
    never sent where a redirect points. ``sender_name`` is a sender name registered with SMSAPI
    (empty: the account's default).
    """

    def __init__(
        self, *, token: str, base_url: str = SMSAPI_BASE_URL, sender_name: str = "", timeout: float = 10.0
    ) -> None:
        if not token:
            raise ImproperlyConfigured("SmsApiSender needs an SMSAPI token (SMSAPI_TOKEN)")
        allowed, loopback = url_allowed(base_url)
        if not allowed:
            raise ImproperlyConfigured(f"SMSAPI base URL must be https:// (got {base_url!r})")
        self.url = base_url.rstrip("/") + "/sms.do"
        self.sender_name = sender_name
        self.timeout = timeout
        self._token = token
        self._opener = opener_for(loopback=loopback)  # the token never follows a redirect

    def send(self, *, to: str, text: str) -> str:
        number = _recipient(to)
        params = {"to": number.lstrip("+"), "message": _text(text), "format": "json", "encoding": "utf-8"}
        if self.sender_name:
            params["from"] = self.sender_name
        request = Request(
            self.url,
            data=urlencode(params).encode("utf-8"),
            method="POST",
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
                "User-Agent": "Kilowatt",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, body = response.status, response.read()
        except HTTPError as error:
            status, body = error.code, error.read()
        except (URLError, OSError) as error:
            reason = getattr(error, "reason", None) or error
            raise SmsNotSent(_("SMSAPI could not be reached: %(reason)s") % {"reason": reason}) from error
        return self._message_id(number=number, status=status, body=body)

    def _refused(self, *, number: str, reason: str, code: Any = None, status: int) -> SmsNotSent:
        values = {"number": number, "reason": reason, "code": code}
        if code in (None, ""):
            return SmsNotSent(
                _("SMSAPI did not send the SMS to %(number)s: %(reason)s") % values, status=status
            )
        message = _("SMSAPI did not send the SMS to %(number)s: %(reason)s (error %(code)s)") % values
        return SmsNotSent(message, code=str(code), status=status)

    def _message_id(self, *, number: str, status: int, body: bytes) -> str:
        try:
            answer = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            reason = _("the answer (HTTP %(status)s) is not JSON") % {"status": status}
            raise self._refused(number=number, reason=reason, status=status) from None
        if not isinstance(answer, dict):
            answer = {}
        if status >= 400 or answer.get("error"):
            reason = str(answer.get("message") or _("HTTP status %(status)s") % {"status": status})
            raise self._refused(number=number, reason=reason, code=answer.get("error"), status=status)
        entries = answer.get("list") or []
        entry = entries[0] if entries and isinstance(entries[0], dict) else {}
        if entry.get("error"):
            reason = str(entry.get("message") or entry.get("status") or _("refused"))
            raise self._refused(number=number, reason=reason, code=entry["error"], status=status)
        if not entry.get("id"):
            reason = _("the answer carries no message id")
            raise self._refused(number=number, reason=reason, status=status)
        return str(entry["id"])


_senders: dict[tuple[str, ...], SmsSender] = {}
_senders_lock = threading.Lock()


def sms_sender() -> SmsSender:
    """The SMS sender the settings ask for (SMS_BACKEND "fake" or "smsapi"), one per configuration."""
    backend = getattr(settings, "SMS_BACKEND", "fake")
    if backend == "fake":
        path = str(settings.SMS_FAKE_FILE)
        key: tuple[str, ...] = ("fake", path)
    elif backend == "smsapi":
        token = getattr(settings, "SMSAPI_TOKEN", "")
        if not token:
            raise ImproperlyConfigured("SMS_BACKEND=smsapi needs SMSAPI_TOKEN in the environment")
        base_url = getattr(settings, "SMSAPI_BASE_URL", SMSAPI_BASE_URL)
        key = ("smsapi", token, base_url, getattr(settings, "SMSAPI_SENDER_NAME", ""))
    else:
        raise ImproperlyConfigured(f"SMS_BACKEND must be 'fake' or 'smsapi' (got {backend!r})")
    with _senders_lock:
        sender = _senders.get(key)
        if sender is None:
            if key[0] == "fake":
                sender = FakeSmsSender(path=key[1])
            else:
                sender = SmsApiSender(token=key[1], base_url=key[2], sender_name=key[3])
            _senders[key] = sender
        return sender
