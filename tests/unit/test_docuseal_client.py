"""The DocuSeal adapter without a database: the real client against an ``http.server`` on 127.0.0.1
that answers the way DocuSeal's API does, the webhook checks, and what reports are read from events.
Nothing leaves the machine."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from pypdf import PdfReader, PdfWriter

from kilowatt.sales.docuseal import (
    DocuSealClient,
    DocuSealError,
    SignatureArea,
    SignatureWebhookInvalid,
    SignatureWebhookRefused,
    Submission,
    SubmissionIn,
    SubmitterIn,
    signed_pdf_download,
    webhook_headers,
    webhook_verify,
)
from kilowatt.sales.docuseal.signing import signature_areas, submission_reports, webhook_report

NOW = datetime(2026, 3, 10, 8, 30, tzinfo=UTC)


def pdf_of(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = pdf_of(2)

CREATED = {  # POST /submissions/pdf, as DocuSeal's API reference shows it
    "id": 5, "name": "Umowa KW/2026/1", "source": "api", "submitters_order": "random", "status": "pending",
    "expire_at": "2026-03-24T08:30:00.000Z", "created_at": "2026-03-10T08:30:00.270Z",
    "submitters": [
        {"id": 11, "uuid": "884d545b-3396-49f1-8c07-05b8b2a78755", "email": "jan@example.pl",
         "slug": "pAMimKcyrLjqVt", "sent_at": "2026-03-10T08:30:01.310Z", "opened_at": None,
         "completed_at": None, "declined_at": None, "created_at": "2026-03-10T08:30:00.320Z",
         "updated_at": "2026-03-10T08:30:00.320Z", "name": "Jan Nowak",
         "phone": "+48601234567", "external_id": "41", "metadata": {}, "status": "sent", "values": [],
         "preferences": {"send_email": True, "send_sms": True}, "role": "Signer 1",
         "embed_src": "https://docuseal.com/s/pAMimKcyrLjqVt"},
    ],
}  # fmt: skip

COMPLETED = {  # GET /submissions/{id} of a completed submission
    "id": 5, "name": "Umowa KW/2026/1", "slug": "VyL4szTwYoSvXq", "status": "completed",
    "completed_at": "2026-03-11T10:00:00.000Z", "audit_log_url": "https://docuseal.com/blobs/proxy/a/audit.pdf",
    "combined_document_url": None,
    "documents": [{"name": "KW-2026-1", "url": "https://docuseal.com/blobs/proxy/d/KW-2026-1.pdf"}],
    "submitters": [
        {"id": 11, "submission_id": 5, "external_id": "41", "status": "completed",
         "completed_at": "2026-03-11T10:00:00.000Z", "name": "Jan Nowak", "role": "Signer 1",
         "documents": [{"name": "KW-2026-1", "url": "https://docuseal.com/blobs/proxy/d/KW-2026-1.pdf"}]},
    ],
}  # fmt: skip


class Server:
    """What the local server received, and what it answers next: (HTTP status, body, extra headers)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: dict[str, tuple[int, Any, dict[str, str]]] = {}
        self.url = ""

    def answer(self, path: str, status: int, body: Any, **headers: str) -> None:
        self.answers[path] = (status, body, headers)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            state.requests.append(
                {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
            )
            status, answer, headers = state.answers.get(self.path, (404, {"error": "Not found"}, {}))
            payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve  # noqa: N815 (http.server's naming)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def submission_in(**changes: Any) -> SubmissionIn:
    values: dict[str, Any] = {
        "name": "Umowa KW/2026/1",
        "document_name": "KW-2026-1.pdf",
        "pdf": PDF,
        "submitters": (
            SubmitterIn(
                role="Signer 1",
                name="Jan Nowak",
                email="jan@example.pl",
                phone="+48601234567",
                external_id="41",
                send_email=True,
                send_sms=True,
            ),
            SubmitterIn(
                role="Signer 2",
                name="Ewa Nowak",
                email="",
                phone="+48601234568",
                external_id="42",
                send_email=False,
                send_sms=True,
            ),
        ),  # fmt: skip
        "areas": (SignatureArea(role="Signer 1", page=2, x=56, y=700, w=150, h=42, name="Podpis Signer 1"),),
        "expire_at": datetime(2026, 3, 24, 9, 30, tzinfo=UTC) + timedelta(hours=0),
        "message_subject": "Acme: umowa do podpisu",
        "message_body": "Podpisz: {{submitter.link}}",
    }
    values.update(changes)
    return SubmissionIn(**values)


def test_a_submission_is_created_from_our_pdf_with_the_exact_request_docuseal_expects(server):
    server.answer("/submissions/pdf", 200, CREATED)
    client = DocuSealClient(api_key="key-123", base_url=server.url + "/", timeout=5)
    submission = client.submission_create(submission=submission_in())
    [request] = server.requests
    assert (request["method"], request["path"]) == ("POST", "/submissions/pdf")
    assert request["headers"]["X-Auth-Token"] == "key-123"
    assert request["headers"]["Content-Type"] == "application/json"
    body = json.loads(request["body"])
    [document] = body["documents"]
    assert document["name"] == "KW-2026-1.pdf" and base64.b64decode(document["file"]) == PDF
    assert document["fields"] == [
        {"name": "Podpis Signer 1", "type": "signature", "role": "Signer 1", "required": True,
         "areas": [{"x": 56, "y": 700, "w": 150, "h": 42, "page": 2}]},
    ]  # fmt: skip
    assert body["submitters"] == [
        {"role": "Signer 1", "name": "Jan Nowak", "external_id": "41", "send_email": True, "send_sms": True,
         "email": "jan@example.pl", "phone": "+48601234567"},
        {"role": "Signer 2", "name": "Ewa Nowak", "external_id": "42", "send_email": False, "send_sms": True,
         "phone": "+48601234568"},
    ]  # fmt: skip
    assert body["name"] == "Umowa KW/2026/1" and body["order"] == "random"
    assert body["send_email"] is True and body["send_sms"] is True
    assert body["expire_at"] == "2026-03-24 09:30:00 UTC"
    assert body["message"] == {"subject": "Acme: umowa do podpisu", "body": "Podpisz: {{submitter.link}}"}
    assert submission.id == "5" and submission.status == "pending"
    [signer] = submission.submitters
    assert (signer.id, signer.external_id, signer.status) == ("11", "41", "sent")
    assert signer.signing_url == "https://docuseal.com/s/pAMimKcyrLjqVt"


def test_a_submission_is_read_and_its_signed_documents_downloaded_without_the_key(server):
    server.answer("/submissions/5", 200, COMPLETED)
    server.answer("/blobs/proxy/d/KW-2026-1.pdf", 200, PDF, **{"Content-Type": "application/pdf"})
    client = DocuSealClient(api_key="key-123", base_url=server.url, timeout=5)
    submission = client.submission_get(submission_id="5")
    assert server.requests[0]["method"] == "GET" and server.requests[0]["body"] == b""
    assert server.requests[0]["headers"]["X-Auth-Token"] == "key-123"
    assert submission.status == "completed" and submission.combined_document_url == ""
    assert submission.document_urls == ("https://docuseal.com/blobs/proxy/d/KW-2026-1.pdf",)
    assert submission.submitters[0].completed_at == datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
    assert client.document_download(url=server.url + "/blobs/proxy/d/KW-2026-1.pdf") == PDF
    assert "X-Auth-Token" not in server.requests[-1]["headers"]


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            401,
            {"error": "Not authenticated"},
            "DocuSeal refused GET /submissions/5 (HTTP 401): Not authenticated",
        ),
        (422, {"error": "Submitters are required"}, "(HTTP 422): Submitters are required"),
        (500, b"<html>Internal Server Error</html>", "(HTTP 500): <html>Internal Server Error</html>"),
        (200, b"<html>maintenance</html>", "GET /submissions/5 (HTTP 200) with something that is not JSON"),
        (200, {"error": "no id"}, "without a submission id"),
    ],
)
def test_a_refusal_names_the_call_the_http_status_and_docuseals_reason(server, status, body, message):
    server.answer("/submissions/5", status, body)
    with pytest.raises(DocuSealError) as refused:
        DocuSealClient(api_key="k", base_url=server.url, timeout=5).submission_get(submission_id="5")
    assert message in refused.value.message
    assert refused.value.status == (status if "submission id" not in message else None)


def test_a_redirect_is_an_error_and_the_key_is_not_carried_elsewhere(server):
    server.answer("/submissions/5", 302, b"", Location=server.url + "/elsewhere")
    with pytest.raises(DocuSealError, match="HTTP 302"):
        DocuSealClient(api_key="k", base_url=server.url, timeout=5).submission_get(submission_id="5")
    assert [r["path"] for r in server.requests] == ["/submissions/5"]


def test_docuseal_unreachable_and_a_download_that_is_not_a_pdf(server, monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DocuSealError, match="cannot be reached at http://127.0.0.1"):
        DocuSealClient(api_key="k", base_url=f"http://127.0.0.1:{port}", timeout=2).submission_get(
            submission_id="1"
        )
    server.answer("/file.pdf", 200, b"<html>login</html>")
    client = DocuSealClient(api_key="k", base_url=server.url, timeout=5)
    with pytest.raises(DocuSealError, match="not a PDF"):
        client.document_download(url=server.url + "/file.pdf")
    with pytest.raises(DocuSealError, match="HTTP 404"):
        client.document_download(url=server.url + "/missing.pdf")
    with pytest.raises(DocuSealError, match="https"):
        client.document_download(url="http://docuseal.com/file.pdf")
    # A proxy from the environment is not used for this machine's loopback.
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    server.answer("/submissions/5", 200, CREATED)
    assert (
        DocuSealClient(api_key="k", base_url=server.url, timeout=5).submission_get(submission_id="5").id
        == "5"
    )


@pytest.mark.parametrize("base_url", ["http://api.docuseal.com", "ftp://127.0.0.1", "http://10.0.0.5/api"])
def test_the_key_is_never_sent_over_plain_http_off_this_machine(base_url):
    with pytest.raises(ImproperlyConfigured, match="https"):
        DocuSealClient(api_key="k", base_url=base_url)
    with pytest.raises(ImproperlyConfigured, match="API key"):
        DocuSealClient(api_key="", base_url="https://api.docuseal.eu")
    assert "k-secret" not in repr(DocuSealClient(api_key="k-secret", base_url="https://api.docuseal.eu"))


def test_signature_boxes_sit_at_the_foot_of_the_last_page():
    areas = signature_areas(pdf=pdf_of(3), roles=["Signer 1", "Signer 2", "Signer 3", "Signer 4"])
    assert [a.page for a in areas] == [3, 3, 3, 3]
    assert all(a.x > 0 and a.x + a.w < 595 and a.y > 0 and a.y + a.h < 842 for a in areas)
    assert areas[0].y < areas[3].y  # a second row below the first
    assert len({(a.x, a.y) for a in areas}) == 4
    with pytest.raises(DocuSealError, match="not a readable PDF"):
        signature_areas(pdf=b"%PDF-1.7 broken", roles=["Signer 1"])


# --- webhooks -----------------------------------------------------------------------------------------


def form_event(**data: Any) -> dict[str, Any]:
    base = {"id": 11, "submission_id": 5, "external_id": "41", "status": "completed",
            "completed_at": "2026-03-10T08:29:00.000Z", "ip": "83.1.2.3", "ua": "Firefox",
            "submission": {"id": 5, "status": "pending"}}  # fmt: skip
    return {"event_type": "form.completed", "timestamp": "2026-03-10T08:29:01.000Z", "data": base | data}


@pytest.fixture
def secrets(settings):
    settings.DOCUSEAL_WEBHOOK_HEADER = "X-Kilowatt-Webhook-Secret"
    settings.DOCUSEAL_WEBHOOK_SECRET = "s3cret-value"
    settings.DOCUSEAL_WEBHOOK_HMAC_SECRET = ""
    return settings


def test_a_webhook_with_the_secret_header_is_read_whatever_the_headers_case(secrets):
    body = json.dumps(form_event()).encode()
    event = webhook_verify(body=body, headers={"x-kilowatt-webhook-secret": "s3cret-value"}, now=NOW)
    assert event["event_type"] == "form.completed"
    assert webhook_headers(body=body, now=NOW)["X-Kilowatt-Webhook-Secret"] == "s3cret-value"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "webhook_secret_missing"),
        ({"X-Kilowatt-Webhook-Secret": "s3cret-valuE"}, "webhook_secret_wrong"),
        ({"X-Kilowatt-Webhook-Secret": "żółć"}, "webhook_secret_wrong"),
        ({"X-Other": "s3cret-value"}, "webhook_secret_missing"),
    ],
)
def test_a_webhook_without_the_right_secret_is_refused(secrets, headers, code):
    with pytest.raises(SignatureWebhookRefused) as refused:
        webhook_verify(body=json.dumps(form_event()).encode(), headers=headers, now=NOW)
    assert refused.value.code == code and "X-Kilowatt-Webhook-Secret" in refused.value.message


def test_without_a_configured_secret_every_webhook_is_refused(secrets):
    secrets.DOCUSEAL_WEBHOOK_SECRET = ""
    with pytest.raises(SignatureWebhookRefused, match="DOCUSEAL_WEBHOOK_SECRET is not set"):
        webhook_verify(body=b"{}", headers={"X-Kilowatt-Webhook-Secret": ""}, now=NOW)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "no event_type"),
        (b'{"event_type": "form.completed", "data": []}', "no data object"),
    ],
)
def test_a_webhook_with_the_secret_but_no_event_is_invalid(secrets, body, message):
    with pytest.raises(SignatureWebhookInvalid, match=message):
        webhook_verify(body=body, headers={"X-Kilowatt-Webhook-Secret": "s3cret-value"}, now=NOW)


def test_docuseals_hmac_signature_is_checked_when_its_key_is_set(secrets):
    secrets.DOCUSEAL_WEBHOOK_HMAC_SECRET = "whsec_dGVzdA=="
    body = json.dumps(form_event()).encode()
    stamp = int(NOW.timestamp()) - 60
    # As DocuSeal signs: "<unix time>.<hex HMAC-SHA256 of '<unix time>.<body>'>"
    digest = hmac.new(b"whsec_dGVzdA==", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"X-Kilowatt-Webhook-Secret": "s3cret-value", "X-Docuseal-Signature": f"{stamp}.{digest}"}
    assert webhook_verify(body=body, headers=headers, now=NOW)["data"]["id"] == 11
    for changed, code in [
        ({"X-Docuseal-Signature": f"{stamp}.{'0' * 64}"}, "webhook_signature_wrong"),
        ({"X-Docuseal-Signature": ""}, "webhook_signature_missing"),
    ]:
        with pytest.raises(SignatureWebhookRefused) as refused:
            webhook_verify(body=body, headers=headers | changed, now=NOW)
        assert refused.value.code == code
    with pytest.raises(SignatureWebhookRefused) as refused:
        webhook_verify(body=body.replace(b"83.1.2.3", b"83.1.2.4"), headers=headers, now=NOW)
    assert refused.value.code == "webhook_signature_wrong"
    with pytest.raises(SignatureWebhookRefused) as refused:
        webhook_verify(body=body, headers=headers, now=NOW + timedelta(minutes=10))
    assert refused.value.code == "webhook_signature_stale"
    signed = webhook_headers(body=body, now=NOW)
    assert webhook_verify(body=body, headers=signed, now=NOW)["event_type"] == "form.completed"


def test_reports_of_webhooks_carry_a_stable_event_id():
    report = webhook_report(form_event())
    assert (
        report.kind == "form.completed"
        and report.submission_id == "5"
        and report.submission_status == "pending"
    )
    assert report.event_id == "form.completed:5:11:2026-03-10T08:29:01.000Z"
    assert report.submitter.ip == "83.1.2.3" and report.summary["submitter"]["ua"] == "Firefox"
    assert webhook_report(form_event()).event_id == report.event_id
    done = webhook_report({"event_type": "submission.completed", "timestamp": "t", "data": COMPLETED})
    assert (done.submission_id, done.submitter, done.event_id) == ("5", None, "submission.completed:5::t")
    with pytest.raises(SignatureWebhookInvalid, match="does not name a submission"):
        webhook_report({"event_type": "submission.expired", "data": {}})


def test_polling_a_submission_tells_who_signed_and_how_it_ended():
    reports = submission_reports(Submission(id="5", status="pending", submitters=()))
    assert reports == []
    from kilowatt.sales.docuseal import submission_parse

    kinds = [(r.kind, r.event_id) for r in submission_reports(submission_parse(COMPLETED))]
    assert kinds == [
        ("form.completed", "poll:form.completed:5:11"),
        ("submission.completed", "poll:submission.completed:5"),
    ]


class Downloads:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.asked: list[str] = []

    def document_download(self, *, url: str) -> bytes:
        self.asked.append(url)
        return self.files[url]


def test_the_signed_pdf_is_the_combined_document_or_the_documents_then_the_audit_log():
    combined = Submission(id="5", status="completed", submitters=(), document_urls=("d",),
                          combined_document_url="c", audit_log_url="a")  # fmt: skip
    client = Downloads({"c": pdf_of(3), "d": pdf_of(2), "a": pdf_of(1)})
    assert signed_pdf_download(client=client, submission=combined) == client.files["c"] and client.asked == [
        "c"
    ]
    apart = Submission(id="5", status="completed", submitters=(), document_urls=("d",), audit_log_url="a")
    assert len(PdfReader(BytesIO(signed_pdf_download(client=client, submission=apart))).pages) == 3
    alone = Submission(id="5", status="completed", submitters=(), document_urls=("d",))
    assert signed_pdf_download(client=client, submission=alone) == client.files["d"]
    with pytest.raises(DocuSealError, match="gives no signed document"):
        signed_pdf_download(client=client, submission=Submission(id="5", status="completed", submitters=()))
