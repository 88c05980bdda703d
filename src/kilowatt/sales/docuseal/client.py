"""The DocuSeal REST API (docuseal.com, docuseal.eu or self-hosted) behind an adapter.

``DocuSealApi`` is what the rest of Kilowatt uses: create a submission from a PDF, read a submission,
download a signed document. ``DocuSealClient`` is the real one (``X-Auth-Token``; urllib; HTTPS only,
except on this machine's loopback, which is reached without proxies; never follows a redirect with
the key); ``FakeDocuSeal`` (``fake.py``) keeps submissions as files on this machine.
``docuseal_client()`` returns the one ``DOCUSEAL_BACKEND`` asks for ("fake" or "api").
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from kilowatt.core.http import opener_for, url_allowed
from kilowatt.sales.models import SignatureProvider
from kilowatt.sales.signatures import SignatureRefused

DOCUSEAL_URL = "https://api.docuseal.com"
MAX_PDF_BYTES = 50 * 1024 * 1024
USER_AGENT = "Kilowatt"


class DocuSealError(SignatureRefused):
    """DocuSeal refused a call or could not be reached; the message says which and why."""

    code = "docuseal_error"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when there was an answer


# --- what goes to DocuSeal and what comes back --------------------------------------------------------


@dataclass(frozen=True)
class SubmitterIn:
    role: str
    name: str
    email: str
    phone: str  # E.164 or ""
    external_id: str
    send_email: bool
    send_sms: bool


@dataclass(frozen=True)
class SignatureArea:
    """Where a role signs: a page (from 1) and a box in PDF points from the page's top-left corner."""

    role: str
    page: int
    x: float
    y: float
    w: float
    h: float
    name: str = "Signature"  # the field's name, shown to the signer


@dataclass(frozen=True)
class SubmissionIn:
    name: str
    document_name: str
    pdf: bytes
    submitters: tuple[SubmitterIn, ...]
    areas: tuple[SignatureArea, ...] = ()
    expire_at: datetime | None = None
    message_subject: str = ""
    message_body: str = ""


@dataclass(frozen=True)
class SubmitterState:
    id: str
    external_id: str
    status: str  # awaiting, sent, opened, completed, declined
    signing_url: str = ""
    completed_at: datetime | None = None
    ip: str = ""
    user_agent: str = ""
    decline_reason: str = ""


@dataclass(frozen=True)
class Submission:
    id: str
    status: str  # pending, completed, declined, expired
    submitters: tuple[SubmitterState, ...]
    document_urls: tuple[str, ...] = ()
    combined_document_url: str = ""
    audit_log_url: str = ""


class DocuSealApi(Protocol):
    def submission_create(self, *, submission: SubmissionIn) -> Submission:
        """POST /submissions/pdf. Raises DocuSealError."""
        ...

    def submission_get(self, *, submission_id: str) -> Submission:
        """GET /submissions/{id}. Raises DocuSealError."""
        ...

    def document_download(self, *, url: str) -> bytes:
        """A PDF of a completed submission (a URL DocuSeal gave). Raises DocuSealError."""
        ...

    def submission_archive(self, *, submission_id: str) -> None:
        """DELETE /submissions/{id}: the signers' links stop working. Raises DocuSealError."""
        ...


def submission_payload(submission: SubmissionIn) -> dict[str, Any]:
    """The JSON body of POST /submissions/pdf."""
    fields = [
        {"name": area.name, "type": "signature", "role": area.role, "required": True,
         "areas": [{"x": area.x, "y": area.y, "w": area.w, "h": area.h, "page": area.page}]}
        for area in submission.areas
    ]  # fmt: skip
    document: dict[str, Any] = {
        "name": submission.document_name,
        "file": base64.b64encode(submission.pdf).decode("ascii"),
    }
    if fields:
        document["fields"] = fields
    submitters = []
    for person in submission.submitters:
        entry = {"role": person.role, "name": person.name, "external_id": person.external_id,
                 "send_email": person.send_email, "send_sms": person.send_sms}  # fmt: skip
        if person.email:
            entry["email"] = person.email
        if person.phone:
            entry["phone"] = person.phone
        submitters.append(entry)
    payload: dict[str, Any] = {
        "name": submission.name,
        "documents": [document],
        "submitters": submitters,
        "send_email": True,
        "send_sms": any(person.send_sms for person in submission.submitters),
        "order": "random",
    }
    if submission.expire_at is not None:
        payload["expire_at"] = submission.expire_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if submission.message_subject:
        payload["message"] = {"subject": submission.message_subject, "body": submission.message_body}
    return payload


def text_of(value: Any) -> str:
    return "" if value is None else str(value)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" UTC", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def submitter_parse(data: Mapping[str, Any]) -> SubmitterState:
    return SubmitterState(
        id=text_of(data.get("id")),
        external_id=text_of(data.get("external_id")),
        status=text_of(data.get("status")),
        signing_url=text_of(data.get("embed_src")),
        completed_at=_time(data.get("completed_at")),
        ip=text_of(data.get("ip")),
        user_agent=text_of(data.get("ua")),
        decline_reason=text_of(data.get("decline_reason")),
    )


def submission_parse(data: Any) -> Submission:
    """A submission as DocuSeal's API (and its submission.* webhooks) serialises it."""
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        raise DocuSealError(_("DocuSeal answered without a submission id."))
    documents = data.get("documents") or []
    return Submission(
        id=text_of(data["id"]),
        status=text_of(data.get("status")) or "pending",
        submitters=tuple(submitter_parse(s) for s in data.get("submitters") or [] if isinstance(s, dict)),
        document_urls=tuple(text_of(d["url"]) for d in documents if isinstance(d, dict) and d.get("url")),
        combined_document_url=text_of(data.get("combined_document_url")),
        audit_log_url=text_of(data.get("audit_log_url")),
    )


# --- the real client ------------------------------------------------------------------------------------


def _url_checked(url: str) -> bool:
    """True when ``url`` is on this machine's loopback; raises DocuSealError unless HTTPS or loopback."""
    allowed, loopback = url_allowed(url)
    if not allowed:
        raise DocuSealError(_("DocuSeal addresses must be https:// (got %(url)s).") % {"url": url})
    return loopback


def _error_detail(body: bytes) -> str:
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return body[:200].decode("utf-8", "replace").strip()
    if isinstance(answer, dict) and answer.get("error"):
        return str(answer["error"])
    return str(answer)[:200]


class DocuSealClient:
    """DocuSeal's REST API. ``base_url`` is https://api.docuseal.com, https://api.docuseal.eu or a
    self-hosted instance's ``https://…/api``; http only on this machine's loopback (tests)."""

    def __init__(self, *, api_key: str, base_url: str = DOCUSEAL_URL, timeout: float = 20.0) -> None:
        if not api_key:
            raise ImproperlyConfigured("DocuSealClient needs an API key (DOCUSEAL_API_KEY)")
        try:
            loopback = _url_checked(base_url)
        except DocuSealError as error:
            raise ImproperlyConfigured(f"DOCUSEAL_URL must be https:// (got {base_url!r})") from error
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._api_key = api_key
        self._opener = opener_for(loopback=loopback)  # the API key never follows a redirect

    def __repr__(self) -> str:  # never the key
        return f"DocuSealClient(base_url={self.base_url!r})"

    def _call(self, *, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        headers = {"X-Auth-Token": self._api_key, "Accept": "application/json", "User-Agent": USER_AGENT}
        data = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        request = Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, body = response.status, response.read()
        except HTTPError as error:
            status, body = error.code, error.read()
        except (URLError, OSError) as error:
            reason = getattr(error, "reason", None) or error
            message = _("DocuSeal cannot be reached at %(url)s: %(reason)s")
            raise DocuSealError(message % {"url": self.base_url, "reason": reason}) from error
        values = {"call": f"{method} {path}", "status": status}
        if status >= 300:
            message = _("DocuSeal refused %(call)s (HTTP %(status)s): %(detail)s")
            raise DocuSealError(message % {**values, "detail": _error_detail(body)}, status=status)
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            message = _("DocuSeal answered %(call)s (HTTP %(status)s) with something that is not JSON.")
            raise DocuSealError(message % values, status=status) from None

    def submission_create(self, *, submission: SubmissionIn) -> Submission:
        answer = self._call(method="POST", path="/submissions/pdf", payload=submission_payload(submission))
        return submission_parse(answer)

    def submission_get(self, *, submission_id: str) -> Submission:
        answer = self._call(method="GET", path=f"/submissions/{quote(submission_id, safe='')}")
        return submission_parse(answer)

    def submission_archive(self, *, submission_id: str) -> None:
        self._call(method="DELETE", path=f"/submissions/{quote(submission_id, safe='')}")

    def document_download(self, *, url: str) -> bytes:
        # Document links are signed by DocuSeal: the API key is never sent with them.
        opener = opener_for(loopback=_url_checked(url), redirects=True)
        request = Request(url, headers={"Accept": "application/pdf", "User-Agent": USER_AGENT})
        try:
            with opener.open(request, timeout=self.timeout) as response:
                body = response.read(MAX_PDF_BYTES + 1)
        except HTTPError as error:
            message = _("DocuSeal refused the download of the signed document (HTTP %(status)s): %(detail)s")
            detail = _error_detail(error.read())
            values = {"status": error.code, "detail": detail}
            raise DocuSealError(message % values, status=error.code) from None
        except (URLError, OSError) as error:
            reason = getattr(error, "reason", None) or error
            message = _("The signed document cannot be downloaded from DocuSeal: %(reason)s")
            raise DocuSealError(message % {"reason": reason}) from error
        return pdf_checked(body)


def pdf_checked(body: bytes) -> bytes:
    if len(body) > MAX_PDF_BYTES or not body.startswith(b"%PDF-"):
        raise DocuSealError(_("The document downloaded from DocuSeal is not a PDF."))
    return body


def docuseal_client() -> DocuSealApi:
    """The client of settings.DOCUSEAL_BACKEND: "fake" (files in DOCUSEAL_FAKE_DIR) or "api"
    (DOCUSEAL_URL, DOCUSEAL_API_KEY). Raises ImproperlyConfigured."""
    backend = getattr(settings, "DOCUSEAL_BACKEND", "fake")
    if backend == "fake":
        from kilowatt.sales.docuseal.fake import FakeDocuSeal

        return FakeDocuSeal(directory=settings.DOCUSEAL_FAKE_DIR)
    if backend == "api":
        api_key = getattr(settings, "DOCUSEAL_API_KEY", "")
        if not api_key:
            raise ImproperlyConfigured("DOCUSEAL_BACKEND=api needs DOCUSEAL_API_KEY in the environment")
        return DocuSealClient(api_key=api_key, base_url=getattr(settings, "DOCUSEAL_URL", DOCUSEAL_URL))
    raise ImproperlyConfigured(f"DOCUSEAL_BACKEND must be 'fake' or 'api' (got {backend!r})")


def signature_provider_default() -> str:
    """The provider new signature requests use (settings.SIGNATURE_PROVIDER). Raises ImproperlyConfigured."""
    provider = getattr(settings, "SIGNATURE_PROVIDER", SignatureProvider.BUILTIN)
    if provider not in SignatureProvider.values:
        choices = ", ".join(SignatureProvider.values)
        raise ImproperlyConfigured(f"SIGNATURE_PROVIDER must be one of {choices} (got {provider!r})")
    return provider
