"""Payment gateways: the fake round trip, tampering refused, and Przelewy24 against a local server."""

import base64
import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from kilowatt.finance.gateway import (
    FakeGateway,
    GatewayError,
    GatewayNotification,
    NotificationInvalid,
    PaymentNotConfirmed,
    Przelewy24Gateway,
    amount_to_grosz,
    payment_gateway,
)

PAID_AT = datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("Europe/Warsaw"))
START = {
    "payment_id": "PAY-000123",
    "amount": Decimal("123.45"),
    "currency": "PLN",
    "description": "Faktura FV/000001/2026",
    "email": "jan@example.com",
    "return_url": "https://kilowatt.example/portal/paid",
    "notify_url": "https://kilowatt.example/api/v1/notify",
    "language": "pl",
}


# --- the fake


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway(secret="test-secret", base_url="https://kilowatt.example/")


def test_amount_in_grosz():
    assert amount_to_grosz(Decimal("123.45")) == 12345
    assert amount_to_grosz(Decimal("0.10")) == 10
    assert amount_to_grosz(Decimal("7")) == 700
    for bad in (Decimal("0"), Decimal("-1.00"), Decimal("1.001"), Decimal("NaN")):
        with pytest.raises(ValueError):
            amount_to_grosz(bad)


def test_fake_round_trip(fake):
    start = fake.payment_start(**START)
    assert start.redirect_url == f"https://kilowatt.example/fake-gateway/{start.token}"
    session = fake.fake_session(token=start.token)
    assert (session.payment_id, session.amount, session.notify_url) == (
        "PAY-000123",
        Decimal("123.45"),
        START["notify_url"],
    )
    body, headers = fake.fake_notification(token=start.token, status="paid", paid_at=PAID_AT)
    assert json.loads(body)["amount"] == 12345  # grosz on the wire, as real gateways send it
    notification = fake.notification_verify(body=body, headers={k.lower(): v for k, v in headers.items()})
    assert notification == GatewayNotification(
        payment_id="PAY-000123",
        transaction_id=notification.transaction_id,
        amount=Decimal("123.45"),
        currency="PLN",
        status="paid",
        paid_at=PAID_AT,
    )
    assert notification.transaction_id.startswith("fake-")
    fake.payment_confirm(notification=notification, amount=Decimal("123.45"))
    with pytest.raises(PaymentNotConfirmed):
        fake.payment_confirm(notification=notification, amount=Decimal("123.46"))


def test_fake_failed_payment(fake):
    start = fake.payment_start(**START)
    body, headers = fake.fake_notification(token=start.token, status="failed", paid_at=None)
    notification = fake.notification_verify(body=body, headers=headers)
    assert (notification.status, notification.paid_at) == ("failed", None)
    with pytest.raises(PaymentNotConfirmed):
        fake.payment_confirm(notification=notification, amount=Decimal("123.45"))


def test_fake_refuses_a_tampered_body_or_signature(fake):
    start = fake.payment_start(**START)
    body, headers = fake.fake_notification(token=start.token, status="paid", paid_at=PAID_AT)
    tampered = body.replace(b"12345", b"99999")
    with pytest.raises(NotificationInvalid, match="signature"):
        fake.notification_verify(body=tampered, headers=headers)
    with pytest.raises(NotificationInvalid, match="signature"):
        fake.notification_verify(body=body, headers={})
    other = FakeGateway(secret="another-secret", base_url="")
    with pytest.raises(NotificationInvalid, match="signature"):
        other.notification_verify(body=body, headers=headers)
    with pytest.raises(NotificationInvalid):
        fake.fake_session(token=start.token[:-1] + ("0" if start.token[-1] != "0" else "1"))


def test_fake_refuses_a_signed_body_of_the_wrong_shape(fake):
    body = json.dumps(
        {"paymentId": "X", "transactionId": "T", "amount": "12.34", "currency": "PLN", "status": "paid"}
    ).encode()
    headers = {"X-Fake-Signature": fake._signature(body)}
    with pytest.raises(NotificationInvalid, match="amount"):
        fake.notification_verify(body=body, headers=headers)


# --- Przelewy24

MERCHANT, POS, CRC, API_KEY = 11111, 22222, "crc-key-0123", "api-key-4567"


def independent_sign(text: str) -> str:
    """SHA-384 of the JSON written by hand in the documented field order (PHP json_encode, unescaped)."""
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


class P24Server:
    """A local stand-in for Przelewy24's API on 127.0.0.1: records requests, answers like the docs say."""

    def __init__(self):
        self.requests: list[dict] = []
        self.verify_status = "success"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "body": body,
                        "authorization": self.headers.get("Authorization"),
                    }
                )
                if self.path == "/api/v1/transaction/register" and body.get("sign"):
                    status, answer = 200, {"data": {"token": "TOKEN-ABC-123"}, "responseCode": 0}
                elif self.path == "/api/v1/transaction/verify":
                    status, answer = 200, {"data": {"status": server.verify_status}, "responseCode": 0}
                else:
                    status, answer = 400, {"error": "Incorrect sign", "code": 400}
                content = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_POST = do_PUT = _answer

            def log_message(self, format, *args):  # keep the test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def p24_server(monkeypatch) -> Iterator[P24Server]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = P24Server()
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def p24(p24_server) -> Przelewy24Gateway:
    return Przelewy24Gateway(
        merchant_id=MERCHANT,
        pos_id=POS,
        crc=CRC,
        api_key=API_KEY,
        sandbox=True,
        base_url=p24_server.url,
        timeout=5,
    )


def test_p24_hosts():
    kwargs = {"merchant_id": 1, "pos_id": 1, "crc": "c", "api_key": "k"}
    assert Przelewy24Gateway(**kwargs, sandbox=True).base_url == "https://sandbox.przelewy24.pl"
    assert Przelewy24Gateway(**kwargs, sandbox=False).base_url == "https://secure.przelewy24.pl"


def test_p24_signatures_match_the_documented_field_order():
    gateway = Przelewy24Gateway(merchant_id=MERCHANT, pos_id=POS, crc=CRC, api_key=API_KEY, sandbox=True)
    assert gateway.register_sign(session_id="PAY-1", amount=12345, currency="PLN") == independent_sign(
        '{"sessionId":"PAY-1","merchantId":11111,"amount":12345,"currency":"PLN","crc":"crc-key-0123"}'
    )
    assert gateway.verify_sign(session_id="PAY-1", order_id=987654321, amount=12345, currency="PLN") == (
        independent_sign(
            '{"sessionId":"PAY-1","orderId":987654321,"amount":12345,"currency":"PLN","crc":"crc-key-0123"}'
        )
    )
    notification = {
        "merchantId": MERCHANT,
        "posId": POS,
        "sessionId": "PAY-1",
        "amount": 12345,
        "originAmount": 12345,
        "currency": "PLN",
        "orderId": 987654321,
        "methodId": 25,
        "statement": "p24-Zwrot/Łódź",
    }
    assert gateway.notification_sign(data=notification) == independent_sign(
        '{"merchantId":11111,"posId":22222,"sessionId":"PAY-1","amount":12345,"originAmount":12345,'
        '"currency":"PLN","orderId":987654321,"methodId":25,"statement":"p24-Zwrot/Łódź","crc":"crc-key-0123"}'
    )


def test_p24_register_against_a_local_server(p24, p24_server):
    start = p24.payment_start(**START)
    assert start.token == "TOKEN-ABC-123"
    assert start.redirect_url == f"{p24_server.url}/trnRequest/TOKEN-ABC-123"
    (request,) = p24_server.requests
    assert (request["method"], request["path"]) == ("POST", "/api/v1/transaction/register")
    assert request["authorization"] == "Basic " + base64.b64encode(b"22222:api-key-4567").decode()
    body = request["body"]
    assert (body["merchantId"], body["posId"], body["sessionId"], body["amount"]) == (
        MERCHANT,
        POS,
        "PAY-000123",
        12345,
    )
    assert (body["urlReturn"], body["urlStatus"], body["email"]) == (
        START["return_url"],
        START["notify_url"],
        START["email"],
    )
    assert body["sign"] == independent_sign(
        '{"sessionId":"PAY-000123","merchantId":11111,"amount":12345,"currency":"PLN","crc":"crc-key-0123"}'
    )


def p24_notification(**changes) -> bytes:
    data = {
        "merchantId": MERCHANT,
        "posId": POS,
        "sessionId": "PAY-000123",
        "amount": 12345,
        "originAmount": 12345,
        "currency": "PLN",
        "orderId": 987654321,
        "methodId": 154,
        "statement": "p24-A12-B34-C56",
    }
    text = json.dumps(data | {"crc": CRC}, separators=(",", ":"), ensure_ascii=False)
    data["sign"] = hashlib.sha384(text.encode()).hexdigest()
    return json.dumps(data | changes).encode()


def test_p24_notification_verify_and_confirm(p24, p24_server):
    notification = p24.notification_verify(body=p24_notification(), headers={})
    assert notification == GatewayNotification(
        payment_id="PAY-000123",
        transaction_id="987654321",
        amount=Decimal("123.45"),
        currency="PLN",
        status="paid",
        paid_at=None,
    )
    p24.payment_confirm(notification=notification, amount=Decimal("123.45"))
    (request,) = p24_server.requests
    assert (request["method"], request["path"]) == ("PUT", "/api/v1/transaction/verify")
    body = request["body"]
    assert (body["sessionId"], body["orderId"], body["amount"], body["currency"]) == (
        "PAY-000123",
        987654321,
        12345,
        "PLN",
    )
    assert body["sign"] == independent_sign(
        '{"sessionId":"PAY-000123","orderId":987654321,"amount":12345,"currency":"PLN","crc":"crc-key-0123"}'
    )
    p24_server.verify_status = "error"
    with pytest.raises(PaymentNotConfirmed):
        p24.payment_confirm(notification=notification, amount=Decimal("123.45"))
    with pytest.raises(PaymentNotConfirmed):  # not the amount we asked for: no call at all
        p24.payment_confirm(notification=notification, amount=Decimal("100.00"))
    assert len(p24_server.requests) == 2


def test_p24_refuses_tampered_or_foreign_notifications(p24):
    with pytest.raises(NotificationInvalid, match="signature"):
        p24.notification_verify(body=p24_notification(amount=1), headers={})
    with pytest.raises(NotificationInvalid, match="another merchant"):
        p24.notification_verify(body=p24_notification(merchantId=99), headers={})
    with pytest.raises(NotificationInvalid, match="orderId"):
        p24.notification_verify(body=p24_notification(orderId="987654321"), headers={})
    with pytest.raises(NotificationInvalid, match="JSON"):
        p24.notification_verify(body=b"sessionId=PAY", headers={})


def test_p24_errors_are_reported(p24_server):
    refused = Przelewy24Gateway(
        merchant_id=MERCHANT,
        pos_id=POS,
        crc=CRC,
        api_key=API_KEY,
        sandbox=True,
        base_url=p24_server.url + "/wrong-path",
        timeout=5,
    )
    with pytest.raises(GatewayError, match="HTTP 400.*Incorrect sign"):
        refused.payment_start(**START)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    unreachable = Przelewy24Gateway(
        merchant_id=MERCHANT,
        pos_id=POS,
        crc=CRC,
        api_key=API_KEY,
        sandbox=True,
        base_url=f"http://127.0.0.1:{port}",
        timeout=5,
    )
    with pytest.raises(GatewayError, match="cannot be reached"):
        unreachable.payment_start(**START)


def test_payment_gateway_from_settings(settings, monkeypatch):
    settings.PAYMENT_GATEWAY = "fake"
    assert isinstance(payment_gateway(), FakeGateway)
    settings.PAYMENT_GATEWAY = "przelewy24"
    for name in ("P24_MERCHANT_ID", "P24_POS_ID", "P24_CRC", "P24_API_KEY", "P24_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ImproperlyConfigured, match="P24_MERCHANT_ID"):
        payment_gateway()
    monkeypatch.setenv("P24_MERCHANT_ID", "11111")
    monkeypatch.setenv("P24_CRC", CRC)
    monkeypatch.setenv("P24_API_KEY", API_KEY)
    gateway = payment_gateway()
    assert isinstance(gateway, Przelewy24Gateway)
    assert (gateway.pos_id, gateway.base_url) == (11111, "https://sandbox.przelewy24.pl")
    monkeypatch.setenv("P24_SANDBOX", "0")
    assert payment_gateway().base_url == "https://secure.przelewy24.pl"
    settings.PAYMENT_GATEWAY = "paypal"
    with pytest.raises(ImproperlyConfigured, match="fake or przelewy24"):
        payment_gateway()
