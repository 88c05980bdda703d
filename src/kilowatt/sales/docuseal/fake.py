"""A faithful local stand-in for DocuSeal, for tests and the demo: nothing leaves the machine.

Submissions are JSON files in a directory (``settings.DOCUSEAL_FAKE_DIR``, var/docuseal-fake by
default), next to the PDF that was sent, so every web process and worker of the demo sees the same
ones. The API side answers like DocuSeal's (``POST /submissions/pdf``, ``GET /submissions/{id}``, the
document links), through the same parser as the real client. The signer's side — ``complete``,
``decline``, ``expire`` — changes a submission the way a signer (or time) would at DocuSeal and returns
the webhooks DocuSeal would then POST, in its shapes and with the headers our settings expect.

When every signer has signed, the "signed" document is the PDF as sent and the audit log is a page
listing the signers (``documents.agreements.signature_audit_append``), as DocuSeal keeps them apart.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from kilowatt.core.clock import WARSAW
from kilowatt.documents.agreements import signature_audit_append
from kilowatt.sales.docuseal.client import (
    DocuSealError,
    Submission,
    SubmissionIn,
    pdf_checked,
    submission_parse,
)
from kilowatt.sales.docuseal.signing import webhook_headers

FAKE_BASE_URL = "https://docuseal.invalid"
FAKE_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Kilowatt-FakeDocuSeal"
_FILE = re.compile(r"^[0-9]+-(signed|audit)\.pdf$")
_API_SUBMITTER_KEYS = ("id", "submission_id", "uuid", "email", "slug", "sent_at", "opened_at", "completed_at",
                       "declined_at", "created_at", "updated_at", "name", "phone", "external_id", "status",
                       "metadata", "values", "preferences", "role")  # fmt: skip
_WEBHOOK_SUBMITTER_KEYS = ("id", "submission_id", "email", "phone", "name", "ua", "ip", "sent_at",
                           "opened_at", "completed_at", "declined_at", "created_at", "updated_at",
                           "external_id", "metadata", "status", "role", "decline_reason", "preferences",
                           "values")  # fmt: skip
_lock = threading.Lock()


@dataclass(frozen=True)
class WebhookDelivery:
    """A webhook as DocuSeal would POST it to our endpoint."""

    event_type: str
    body: bytes
    headers: dict[str, str]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _refused(message: str, status: int) -> DocuSealError:
    values = {"call": "fake DocuSeal", "status": status, "detail": message}
    return DocuSealError(_("DocuSeal refused %(call)s (HTTP %(status)s): %(detail)s") % values, status=status)


def _request_check(submission: SubmissionIn) -> None:
    """What DocuSeal answers 422 to."""
    if not submission.pdf.startswith(b"%PDF-"):
        raise _refused("documents[0].file is not a PDF", 422)
    if not submission.submitters:
        raise _refused("submitters are required", 422)
    roles = {person.role for person in submission.submitters}
    for person in submission.submitters:
        if not person.email and not person.phone:
            raise _refused("submitter email or phone is required", 422)
    if any(area.role not in roles for area in submission.areas):
        raise _refused("field role is not one of the submitters' roles", 422)


class FakeDocuSeal:
    """The DocuSealApi of ``DOCUSEAL_BACKEND=fake``; state in ``directory``, links under ``base_url``."""

    def __init__(self, *, directory: Path | str, base_url: str = FAKE_BASE_URL) -> None:
        self.directory = Path(directory)
        self.base_url = base_url.rstrip("/")

    # --- files

    def _path(self, name: str) -> Path:
        return self.directory / name

    def _load(self, submission_id: str | int) -> dict[str, Any]:
        key = str(submission_id)
        path = self._path(f"{key}.json")
        if not key.isdigit() or not path.exists():
            raise _refused(f"submission {key} not found", 404)
        return json.loads(path.read_text(encoding="utf-8"))

    def _save(self, state: dict[str, Any]) -> None:
        path = self._path(f"{state['id']}.json")
        temporary = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        temporary.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temporary, path)

    def _reserve(self, pdf: bytes) -> int:
        """A new submission id: the next number whose PDF file this process managed to create."""
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            taken = [int(p.stem) for p in self.directory.glob("*.pdf") if p.stem.isdigit()]
            number = max(taken, default=0) + 1
            try:
                with self._path(f"{number}.pdf").open("xb") as file:
                    file.write(pdf)
            except FileExistsError:
                continue
            return number

    def submissions(self) -> list[dict[str, Any]]:
        """Every submission kept, newest first (for the demo's command)."""
        if not self.directory.exists():
            return []
        numbers = [int(p.stem) for p in self.directory.glob("*.json") if p.stem.isdigit()]
        return [self._load(number) for number in sorted(numbers, reverse=True)]

    # --- the API

    def submission_create(self, *, submission: SubmissionIn) -> Submission:
        _request_check(submission)
        with _lock:
            number = self._reserve(submission.pdf)
            state = self._state_new(number, submission)
            self._save(state)
        return submission_parse(self._api_view(state, created=True))

    def _state_new(self, number: int, submission: SubmissionIn) -> dict[str, Any]:
        submitters = []
        for index, person in enumerate(submission.submitters, 1):
            slug = secrets.token_urlsafe(10)
            submitters.append({
                "id": number * 100 + index, "submission_id": number, "uuid": str(uuid.uuid4()), "slug": slug,
                "email": person.email or None, "phone": person.phone or None, "name": person.name,
                "role": person.role, "external_id": person.external_id,
                "status": "sent" if person.send_email or person.send_sms else "awaiting",
                "sent_at": None, "opened_at": None, "completed_at": None, "declined_at": None,
                "created_at": None, "updated_at": None, "ip": None, "ua": None, "decline_reason": None,
                "metadata": {}, "values": [], "documents": [],
                "preferences": {"send_email": person.send_email, "send_sms": person.send_sms},
                "embed_src": f"{self.base_url}/s/{slug}",
            })  # fmt: skip
        expire_at = submission.expire_at.astimezone(UTC) if submission.expire_at else None
        return {
            "id": number, "name": submission.name, "slug": secrets.token_urlsafe(10), "source": "api",
            "submitters_order": "random", "status": "pending", "document_name": submission.document_name,
            "expire_at": _stamp(expire_at) if expire_at else None, "created_at": None, "updated_at": None,
            "archived_at": None, "completed_at": None, "documents": [], "audit_log_url": None,
            "combined_document_url": None, "submitters": submitters, "template": None, "variables": {},
            "created_by_user": None, "submission_events": [],
        }  # fmt: skip

    def submission_archive(self, *, submission_id: str) -> None:
        state = self._load(submission_id)
        state["archived"] = True
        for submitter in state.get("submitters", []):
            if submitter.get("status") not in ("completed", "declined"):
                submitter["status"] = "archived"
        self._save(state)

    def submission_get(self, *, submission_id: str) -> Submission:
        return submission_parse(self._api_view(self._load(submission_id)))

    def document_download(self, *, url: str) -> bytes:
        prefix = f"{self.base_url}/file/"
        name = url[len(prefix) :] if url.startswith(prefix) else ""
        if not _FILE.match(name) or not self._path(name).exists():
            raise _refused(f"no document at {url}", 404)
        return pdf_checked(self._path(name).read_bytes())

    # --- views in DocuSeal's shapes

    def _api_view(self, state: dict[str, Any], *, created: bool = False) -> dict[str, Any]:
        """A submission as GET /submissions/{id} (or, ``created``, POST /submissions/pdf) answers it."""
        view = {key: value for key, value in state.items() if key not in ("submitters", "document_name")}
        view["submitters"] = []
        for submitter in state["submitters"]:
            item = {key: submitter.get(key) for key in _API_SUBMITTER_KEYS}
            item["documents"] = submitter["documents"]
            if created:
                item["embed_src"] = submitter["embed_src"]
            view["submitters"].append(item)
        return view

    def _form_view(self, state: dict[str, Any], submitter: dict[str, Any]) -> dict[str, Any]:
        """A submitter as DocuSeal's form.* webhooks carry it."""
        view = {key: submitter.get(key) for key in _WEBHOOK_SUBMITTER_KEYS}
        view["documents"] = submitter["documents"]
        view["audit_log_url"] = state["audit_log_url"]
        view["submission_url"] = f"{self.base_url}/e/{state['slug']}"
        view["template"] = {"id": state["id"], "name": state["name"], "external_id": None}
        view["submission"] = {
            "id": state["id"], "audit_log_url": state["audit_log_url"],
            "combined_document_url": state["combined_document_url"], "status": state["status"],
            "url": view["submission_url"], "variables": {}, "created_at": state["created_at"],
        }  # fmt: skip
        return view

    def _delivery(self, event_type: str, data: dict[str, Any], now: datetime) -> WebhookDelivery:
        body = json.dumps({"event_type": event_type, "timestamp": _stamp(now), "data": data}).encode("utf-8")
        return WebhookDelivery(event_type=event_type, body=body, headers=webhook_headers(body=body, now=now))

    # --- the signer's side

    def _pending(self, submission_id: str | int, submitter_id: str | int | None) -> tuple[dict, list[dict]]:
        state = self._load(submission_id)
        if state["status"] != "pending":
            raise _refused(f"submission {state['id']} is {state['status']}", 422)
        chosen = [
            s for s in state["submitters"]
            if s["status"] not in ("completed", "declined") and submitter_id in (None, s["id"], str(s["id"]))
        ]  # fmt: skip
        if not chosen:
            raise _refused(f"submission {state['id']} has no such signer left to sign", 422)
        return state, chosen

    def complete(
        self,
        *,
        submission_id: str | int,
        now: datetime,
        submitter_id: str | int | None = None,
        ip: str = "127.0.0.1",
        user_agent: str = FAKE_USER_AGENT,
    ) -> list[WebhookDelivery]:
        """One signer (or every one left) signs; the webhooks DocuSeal would send, in order."""
        with _lock:
            state, chosen = self._pending(submission_id, submitter_id)
            for submitter in chosen:
                stamp = _stamp(now)
                submitter.update(status="completed", opened_at=submitter["opened_at"] or stamp,
                                 completed_at=stamp, updated_at=stamp, ip=ip, ua=user_agent)  # fmt: skip
            if all(s["status"] == "completed" for s in state["submitters"]):
                self._finish(state, now)
            self._save(state)
        deliveries = [self._delivery("form.completed", self._form_view(state, s), now) for s in chosen]
        if state["status"] == "completed":
            deliveries.append(self._delivery("submission.completed", self._api_view(state), now))
        return deliveries

    def decline(
        self,
        *,
        submission_id: str | int,
        now: datetime,
        submitter_id: str | int | None = None,
        reason: str = "",
    ) -> list[WebhookDelivery]:
        """A signer (the first left, unless named) declines; the submission is then declined."""
        with _lock:
            state, chosen = self._pending(submission_id, submitter_id)
            submitter = chosen[0]
            stamp = _stamp(now)
            submitter.update(status="declined", declined_at=stamp, updated_at=stamp, decline_reason=reason)
            state.update(status="declined", updated_at=stamp)
            self._save(state)
        return [self._delivery("form.declined", self._form_view(state, submitter), now)]

    def expire(self, *, submission_id: str | int, now: datetime) -> list[WebhookDelivery]:
        """The submission's time ran out before everyone signed."""
        with _lock:
            state, _chosen = self._pending(submission_id, None)
            state.update(status="expired", updated_at=_stamp(now))
            self._save(state)
        return [self._delivery("submission.expired", self._api_view(state), now)]

    def _finish(self, state: dict[str, Any], now: datetime) -> None:
        number = state["id"]
        original = self._path(f"{number}.pdf").read_bytes()
        combined = signature_audit_append(pdf=original, audit=self._audit(state, original, now),
                                          language=_language())  # fmt: skip
        audit = PdfWriter()
        for page in PdfReader(BytesIO(combined)).pages[len(PdfReader(BytesIO(original)).pages) :]:
            audit.add_page(page)
        out = BytesIO()
        audit.write(out)
        self._path(f"{number}-signed.pdf").write_bytes(original)
        self._path(f"{number}-audit.pdf").write_bytes(out.getvalue())
        name = Path(state["document_name"]).stem
        documents = [{"name": name, "url": f"{self.base_url}/file/{number}-signed.pdf"}]
        state.update(status="completed", completed_at=_stamp(now), documents=documents,
                     audit_log_url=f"{self.base_url}/file/{number}-audit.pdf")  # fmt: skip
        for submitter in state["submitters"]:
            submitter["documents"] = documents

    def _audit(self, state: dict[str, Any], original: bytes, now: datetime) -> dict[str, Any]:
        def local(stamp: str | None) -> str:
            moment = datetime.fromisoformat(stamp) if stamp else None
            return moment.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M:%S") if moment else ""

        with translation.override(_language()):
            return {
                "title": _("%(name)s — signed at DocuSeal (local fake)") % {"name": state["name"]},
                "author": "DocuSeal (fake)",
                "file_name": state["document_name"],
                "sha256": hashlib.sha256(original).hexdigest(),
                "method": "DocuSeal",
                "created_at": local(state["created_at"]),
                "completed_at": local(_stamp(now)),
                "parties": [
                    {"name": s["name"], "channel": "SMS" if s["preferences"]["send_sms"] else _("e-mail"),
                     "destination": s["phone"] if s["preferences"]["send_sms"] else s["email"] or "",
                     "code_sent_at": local(s["sent_at"]), "signed_at": local(s["completed_at"]),
                     "ip_address": s["ip"] or "", "user_agent": s["ua"] or ""}
                    for s in state["submitters"]
                ],
            }  # fmt: skip


def _language() -> str:
    language = (translation.get_language() or "pl")[:2]
    return language if language in ("pl", "en") else "pl"
