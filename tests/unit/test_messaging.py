"""E-mail and SMS adapters: Django's locmem mail, the fake SMS outbox, SMSAPI against a local server.

The SMSAPI tests talk to an ``http.server`` on 127.0.0.1 that answers the way SMSAPI.pl does;
nothing leaves the machine.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from kilowatt.core import messaging
from kilowatt.core.identifiers import InvalidIdentifier
from kilowatt.core.messaging import (
    EmailNotSent,
    FakeSmsSender,
    SmsApiSender,
    SmsNotSent,
    email_send,
    sms_sender,
)

PDF = b"%PDF-1.7\n% a letter\n%%EOF\n"


# --- e-mail ---------------------------------------------------------------------------------------


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Kilowatt Energia <bok@kilowatt.example>"
    from django.core import mail

    mail.outbox = []
    return mail.outbox


def test_settings_default_to_files_in_var_mail_and_a_fake_sms_outbox():
    import kilowatt.settings as configured

    assert configured.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend"
    assert configured.EMAIL_FILE_PATH == configured.VAR_DIR / "mail"
    assert configured.SMS_BACKEND == "fake"
    assert configured.SMS_FAKE_FILE == configured.VAR_DIR / "sms" / "outbox.jsonl"


def test_an_email_with_a_pdf_attachment_goes_through_the_configured_backend(locmem):
    message_id = email_send(
        to="jan.kowalski@example.pl",
        subject="Wezwanie do zapłaty WZ/2026/000007",
        body="Szanowny Panie,\nw załączeniu wezwanie do zapłaty.",
        attachments=[("WZ-2026-000007.pdf", PDF, "application/pdf")],
    )
    assert len(locmem) == 1
    sent = locmem[0]
    assert sent.to == ["jan.kowalski@example.pl"]
    assert sent.from_email == "Kilowatt Energia <bok@kilowatt.example>"
    assert sent.subject == "Wezwanie do zapłaty WZ/2026/000007"
    assert "w załączeniu" in sent.body
    assert sent.attachments == [("WZ-2026-000007.pdf", PDF, "application/pdf")]
    # the id returned is the one the message carries, in the sender's domain
    assert message_id.startswith("<") and message_id.endswith("@kilowatt.example>")
    assert sent.message()["Message-ID"] == message_id
    assert email_send(to="anna@example.pl", subject="x", body="y") != message_id


def test_the_file_backend_writes_the_message_into_the_mail_folder(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    message_id = email_send(to="jan@example.pl", subject="Przypomnienie", body="Treść", from_email="a@b.pl")
    files = list((tmp_path / "mail").iterdir())
    assert len(files) == 1
    content = files[0].read_text()
    assert message_id in content and "To: jan@example.pl" in content


@pytest.mark.parametrize("address", ["", "jan.kowalski", "jan@", "a b@example.pl"])
def test_a_bad_address_is_refused_before_anything_is_sent(locmem, address):
    with pytest.raises(EmailNotSent, match="is not an e-mail address"):
        email_send(to=address, subject="x", body="y")
    assert locmem == []


def test_a_subject_with_a_line_break_is_refused_not_sent(locmem):
    with pytest.raises(EmailNotSent, match="jan@example.pl"):
        email_send(to="jan@example.pl", subject="x\nBcc: everyone@example.pl", body="y")
    assert locmem == []


def test_a_backend_failure_becomes_email_not_sent(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    def refuse(self, messages):
        raise ConnectionRefusedError("connection refused by smtp.example.pl")

    monkeypatch.setattr(LocmemBackend, "send_messages", refuse)
    with pytest.raises(EmailNotSent, match="connection refused by smtp.example.pl"):
        email_send(to="jan@example.pl", subject="x", body="y")


# --- fake SMS -------------------------------------------------------------------------------------


def test_the_fake_sms_sender_writes_json_lines_and_reads_them_back(tmp_path):
    outbox = tmp_path / "sms" / "outbox.jsonl"
    sender = FakeSmsSender(path=outbox)
    first = sender.send(to="500 100 200", text="Przypominamy o zapłacie 199,91 zł do 31.03.2026.")
    second = sender.send(to="+420 601 123 456", text="Second")
    assert first != second and first.startswith("fake-")
    assert [message.to for message in sender.sent] == ["+48500100200", "+420601123456"]  # E.164
    lines = outbox.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == {
        "id": first,
        "to": "+48500100200",
        "text": "Przypominamy o zapłacie 199,91 zł do 31.03.2026.",
    }
    assert "zapłacie" in lines[0]  # UTF-8, not \\u escapes: readable in the demo
    assert FakeSmsSender(path=outbox).outbox_read() == sender.sent  # another process reads the same


def test_the_fake_sender_without_a_file_keeps_messages_in_memory_only():
    sender = FakeSmsSender()
    sender.send(to="+48 600 700 800", text="x")
    assert [message.to for message in sender.sent] == ["+48600700800"]
    assert sender.outbox_read() == []


@pytest.mark.parametrize("number", ["12", "not a phone", "+48 100 200"])
def test_a_number_that_is_not_a_phone_is_refused(tmp_path, number):
    sender = FakeSmsSender(path=tmp_path / "outbox.jsonl")
    with pytest.raises(InvalidIdentifier):
        sender.send(to=number, text="x")
    with pytest.raises(InvalidIdentifier, match="no phone number"):
        sender.send(to="", text="x")
    with pytest.raises(SmsNotSent, match="needs a text"):
        sender.send(to="500100200", text="  ")
    assert sender.sent == [] and not (tmp_path / "outbox.jsonl").exists()


def test_sms_sender_follows_the_settings(settings, tmp_path):
    settings.SMS_BACKEND = "fake"
    settings.SMS_FAKE_FILE = tmp_path / "outbox.jsonl"
    sender = sms_sender()
    assert isinstance(sender, FakeSmsSender) and sender is sms_sender()  # one per configuration
    sender.send(to="500100200", text="x")
    assert (tmp_path / "outbox.jsonl").exists()

    settings.SMS_BACKEND = "smsapi"
    settings.SMSAPI_TOKEN = ""
    with pytest.raises(ImproperlyConfigured, match="SMSAPI_TOKEN"):
        sms_sender()
    settings.SMSAPI_TOKEN = "token-123"
    settings.SMSAPI_BASE_URL = "https://api.smsapi.pl"
    settings.SMSAPI_SENDER_NAME = "Kilowatt"
    api = sms_sender()
    assert isinstance(api, SmsApiSender)
    assert api.url == "https://api.smsapi.pl/sms.do" and api.sender_name == "Kilowatt"

    settings.SMS_BACKEND = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured, match="carrier-pigeon"):
        sms_sender()


# --- SMSAPI against a local server ----------------------------------------------------------------


class FakeSmsApi:
    """What the local server received and what it answers next: (HTTP status, JSON body)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer: tuple[int, Any] = (200, {})


@pytest.fixture
def smsapi() -> Iterator[tuple[FakeSmsApi, str]]:
    state = FakeSmsApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8")
            state.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "params": parse_qs(body, strict_parsing=True),
                }
            )
            status, answer = state.answer
            payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_smsapi_sends_the_normalised_number_with_the_bearer_token_and_returns_its_id(smsapi):
    state, base_url = smsapi
    state.answer = (
        200,
        {
            "count": 1,
            "list": [
                {
                    "id": "6A2F3E1B0000AB12",
                    "points": 0.16,
                    "number": "48500100200",
                    "date_sent": 1773136200,
                    "submitted_number": "48500100200",
                    "status": "QUEUE",
                    "error": None,
                    "idx": None,
                    "parts": 1,
                }
            ],
        },
    )
    sender = SmsApiSender(token="secret-token", base_url=base_url, sender_name="Kilowatt", timeout=5)
    message_id = sender.send(to="500-100-200", text="Zaległość 199,91 zł, termin 31.03.2026.")
    assert message_id == "6A2F3E1B0000AB12"
    [request] = state.requests
    assert request["path"] == "/sms.do"
    assert request["headers"]["Authorization"] == "Bearer secret-token"
    assert request["params"] == {
        "to": ["48500100200"],
        "message": ["Zaległość 199,91 zł, termin 31.03.2026."],
        "from": ["Kilowatt"],
        "format": ["json"],
        "encoding": ["utf-8"],
    }


def test_smsapi_error_answer_raises_sms_not_sent_with_the_providers_message(smsapi):
    state, base_url = smsapi
    # SMSAPI answers a refused message with HTTP 200 and an error object
    state.answer = (200, {"invalid_numbers": [], "error": 13, "message": "No correct phone numbers"})
    sender = SmsApiSender(token="secret-token", base_url=base_url)
    with pytest.raises(SmsNotSent) as error:
        sender.send(to="+48 500 100 200", text="x")
    assert "No correct phone numbers" in str(error.value)
    assert "+48500100200" in str(error.value)
    assert error.value.code == "13" and error.value.status == 200
    assert "from" not in state.requests[0]["params"]  # no sender name: the account's default


def test_smsapi_http_error_raises_sms_not_sent_with_the_providers_message(smsapi):
    state, base_url = smsapi
    state.answer = (401, {"message": "Authorization failed", "error": "authorization_failed", "errors": None})
    with pytest.raises(SmsNotSent, match="Authorization failed") as error:
        SmsApiSender(token="wrong", base_url=base_url).send(to="500100200", text="x")
    assert error.value.status == 401 and error.value.code == "authorization_failed"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((502, b"<html>Bad gateway</html>"), "not JSON"),
        ((200, {"count": 0, "list": []}), "no message id"),
        (
            (200, {"count": 1, "list": [{"id": "1", "error": 14, "message": "Invalid sender"}]}),
            "Invalid sender",
        ),
    ],
)
def test_smsapi_answers_without_a_message_id_are_failures(smsapi, answer, reason):
    state, base_url = smsapi
    state.answer = answer
    with pytest.raises(SmsNotSent, match=reason):
        SmsApiSender(token="t", base_url=base_url).send(to="500100200", text="x")


def test_smsapi_unreachable_raises_sms_not_sent():
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SmsNotSent, match="could not be reached"):
        SmsApiSender(token="t", base_url=f"http://127.0.0.1:{port}", timeout=2).send(to="500100200", text="x")


@pytest.mark.parametrize("base_url", ["http://api.smsapi.pl", "ftp://127.0.0.1", "http://10.0.0.5"])
def test_the_token_is_never_sent_over_plain_http_off_this_machine(base_url):
    with pytest.raises(ImproperlyConfigured, match="https"):
        SmsApiSender(token="t", base_url=base_url)
    with pytest.raises(ImproperlyConfigured, match="token"):
        SmsApiSender(token="", base_url=messaging.SMSAPI_BASE_URL)
