"""Signing through DocuSeal with its local fake: the contract PDF sent, the signers' webhooks delivered
through the API endpoint (secret header checked, each event once), declines, expiry, and polling for
when no webhook comes."""

from __future__ import annotations

import json
from datetime import date
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from kilowatt.core.clock import FixedClock
from kilowatt.core.models import OutboxEvent, Role
from kilowatt.interfaces.api import signatures as signatures_api
from kilowatt.interfaces.tasks.signatures import signatures_poll
from kilowatt.sales.docuseal import (
    DocuSealError,
    DocuSealSignature,
    FakeDocuSeal,
    signature_requests_poll,
)
from kilowatt.sales.models import (
    ContractDocumentKind,
    ContractSigner,
    ContractStatus,
    OfferTemplate,
    Opportunity,
    SignatureEvent,
    SignatureRequest,
    SignatureStatus,
)
from kilowatt.sales.offers import OfferData, offer_accept, offer_create
from kilowatt.sales.signatures import SignatureRefused, signature_backend_register, signature_request_start
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)
SECRET_HEADER = "X-Kilowatt-Webhook-Secret"


@pytest.fixture
def docuseal(settings, tmp_path, now, monkeypatch) -> FakeDocuSeal:
    settings.SMS_BACKEND = "fake"
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"
    settings.DOCUSEAL_BACKEND = "fake"
    settings.DOCUSEAL_FAKE_DIR = tmp_path / "docuseal"
    settings.DOCUSEAL_WEBHOOK_HEADER = SECRET_HEADER
    settings.DOCUSEAL_WEBHOOK_SECRET = "test-webhook-secret"
    settings.DOCUSEAL_WEBHOOK_HMAC_SECRET = ""
    monkeypatch.setattr(signatures_api, "system_clock", FixedClock(now))
    return FakeDocuSeal(directory=tmp_path / "docuseal")


@pytest.fixture
def contract(company, now, docuseal):
    seller = make_staff("seller", company, Role.SALES_MANAGER)
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    template = OfferTemplate.objects.create(company=company, code="dom", name="Dom", product=prices.product)
    customer = factories.customer(company, now, email="jan@example.pl", phone="601234567")
    point = factories.supply_point(company, customer, now)
    opportunity = Opportunity.objects.create(
        company=company, customer=customer, name="Jan", owner=seller, commodity="electricity", created_at=now
    )
    opportunity.supply_points.set([point])
    offer = offer_create(
        opportunity=opportunity,
        data=OfferData(template_id=template.pk, price_list_id=prices.pk, start_date=date(2026, 4, 1)),
        on_date=TODAY,
        actor=seller,
        now=now,
    )
    return offer_accept(offer=offer, on_date=TODAY, actor=seller, now=now)


def deliver(delivery, *, client: Client | None = None, **headers: str):
    """POST a webhook to our endpoint as DocuSeal would (no session, no CSRF token)."""
    sent = {k: v for k, v in delivery.headers.items() if k.lower() != "content-type"} | headers
    client = client or Client(enforce_csrf_checks=True)
    return client.post(
        reverse("api:docuseal_webhook"), data=delivery.body, content_type="application/json", headers=sent
    )


def started(contract, now) -> SignatureRequest:
    return signature_request_start(contract=contract, provider="docuseal", now=now)


def test_signed_at_docuseal_and_reported_by_webhook(contract, docuseal, now):
    request = started(contract, now)
    party = request.parties.get()
    [state] = docuseal.submissions()
    assert request.external_id == str(state["id"]) and party.external_id == str(state["submitters"][0]["id"])
    assert party.signing_url == state["submitters"][0]["embed_src"]
    assert (docuseal.directory / f"{state['id']}.pdf").read_bytes() == bytes(request.document.content)
    assert (
        state["submitters"][0]["external_id"] == str(party.pk)
        and state["name"]
        in (f"Contract {contract.number}", f"Umowa {contract.number}")  # customer's language
    )
    assert not (docuseal.directory.parent / "sms.jsonl").exists()  # DocuSeal, not our SMS, asks the signer

    deliveries = docuseal.complete(
        submission_id=request.external_id, now=now, ip="83.1.2.3", user_agent="Firefox"
    )
    assert [d.event_type for d in deliveries] == ["form.completed", "submission.completed"]
    for delivery in deliveries:
        answer = deliver(delivery)
        assert answer.status_code == 200, answer.content
        assert answer.json()["request_id"] == request.pk
    request.refresh_from_db()
    contract.refresh_from_db()
    party.refresh_from_db()
    assert request.status == SignatureStatus.SIGNED and contract.status == ContractStatus.SIGNED
    assert contract.signed_on == TODAY
    assert party.signed_at == now and party.ip_address == "83.1.2.3" and party.user_agent == "Firefox"
    signed = contract.documents.get(kind=ContractDocumentKind.SIGNED_CONTRACT)
    assert request.signed_document == signed
    pages = PdfReader(BytesIO(bytes(signed.content))).pages
    assert len(pages) == len(PdfReader(BytesIO(bytes(request.document.content))).pages) + 1
    assert request.document.sha256 in pages[-1].extract_text().replace("\n", "")
    assert (
        OutboxEvent.objects.filter(name="sales.contract.signed-v1", payload__contract_id=contract.pk).count()
        == 1
    )
    assert sorted(request.events.values_list("kind", flat=True)) == ["form.completed", "submission.completed"]


def test_the_same_webhook_twice_changes_nothing(contract, docuseal, now):
    request = started(contract, now)
    deliveries = docuseal.complete(submission_id=request.external_id, now=now)
    for delivery in deliveries + deliveries:
        assert deliver(delivery).status_code == 200
    assert SignatureEvent.objects.filter(request=request).count() == 2
    assert contract.documents.filter(kind=ContractDocumentKind.SIGNED_CONTRACT).count() == 1
    assert OutboxEvent.objects.filter(name="sales.contract.signed-v1").count() == 1


def test_each_signer_is_recorded_and_the_contract_signed_when_the_last_one_signs(contract, docuseal, now):
    ContractSigner.objects.create(
        contract=contract, first_name="Ewa", last_name="Nowak", email="ewa@example.pl"
    )
    request = started(contract, now)
    first, second = request.parties.order_by("id")
    assert first.channel == "sms" and second.channel == "email"
    [state] = docuseal.submissions()
    assert [s["preferences"] for s in state["submitters"]] == [
        {"send_email": False, "send_sms": True},
        {"send_email": True, "send_sms": False},
    ]
    [form] = docuseal.complete(submission_id=request.external_id, submitter_id=first.external_id, now=now)
    assert deliver(form).status_code == 200
    first.refresh_from_db()
    request.refresh_from_db()
    assert first.signed_at == now and request.status == SignatureStatus.PENDING
    for delivery in docuseal.complete(submission_id=request.external_id, now=now):
        assert deliver(delivery).status_code == 200
    request.refresh_from_db()
    assert request.status == SignatureStatus.SIGNED and not request.parties.filter(signed_at=None).exists()


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({SECRET_HEADER: "wrong"}, "webhook_secret_wrong"),
        ({SECRET_HEADER: ""}, "webhook_secret_missing"),
    ],
)
def test_a_webhook_without_the_right_secret_is_refused_and_changes_nothing(
    contract, docuseal, now, headers, code
):
    request = started(contract, now)
    for delivery in docuseal.complete(submission_id=request.external_id, now=now):
        answer = deliver(delivery, **headers)
        assert answer.status_code == 401
        assert answer.json()["code"] == code and SECRET_HEADER in answer.json()["message"]
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING and not request.events.exists()
    assert not request.parties.exclude(signed_at=None).exists()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT


def test_a_declined_form_declines_the_request_and_the_contract_stays_a_draft(contract, docuseal, now):
    request = started(contract, now)
    [delivery] = docuseal.decline(submission_id=request.external_id, reason="Cena za wysoka", now=now)
    assert deliver(delivery).status_code == 200
    request.refresh_from_db()
    contract.refresh_from_db()
    assert request.status == SignatureStatus.DECLINED and request.completed_at == now
    assert contract.status == ContractStatus.DRAFT
    event = request.events.get()
    assert event.kind == "form.declined" and event.payload["submitter"]["decline_reason"] == "Cena za wysoka"


def test_an_expired_submission_expires_the_request(contract, docuseal, now):
    request = started(contract, now)
    [delivery] = docuseal.expire(submission_id=request.external_id, now=now)
    assert deliver(delivery).status_code == 200
    request.refresh_from_db()
    assert request.status == SignatureStatus.EXPIRED


def test_other_submissions_are_acknowledged_and_bad_bodies_refused(contract, docuseal, now):
    request = started(contract, now)
    [delivery] = docuseal.expire(submission_id=request.external_id, now=now)
    body = json.loads(delivery.body)
    body["data"]["id"] = 999999
    stranger = type(delivery)(delivery.event_type, json.dumps(body).encode(), delivery.headers)
    answer = deliver(stranger)
    assert answer.status_code == 200 and answer.json() == {"status": "ignored", "request_id": None}
    broken = type(delivery)(delivery.event_type, b"{not json", delivery.headers)
    answer = deliver(broken)
    assert answer.status_code == 400 and answer.json()["code"] == "webhook_invalid"
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING and not request.events.exists()


def test_a_failed_download_keeps_nothing_so_the_next_delivery_completes(contract, docuseal, now):
    request = started(contract, now)
    deliveries = docuseal.complete(submission_id=request.external_id, now=now)
    audit = docuseal.directory / f"{request.external_id}-audit.pdf"
    kept = audit.read_bytes()
    audit.unlink()
    answer = deliver(deliveries[-1])
    assert answer.status_code == 502 and "HTTP 404" in answer.json()["message"]
    assert not request.events.exists()
    audit.write_bytes(kept)
    assert deliver(deliveries[-1]).status_code == 200
    request.refresh_from_db()
    assert request.status == SignatureStatus.SIGNED


def test_the_hmac_signature_is_checked_when_configured(contract, docuseal, now, settings):
    settings.DOCUSEAL_WEBHOOK_HMAC_SECRET = "whsec_test"
    request = started(contract, now)
    [delivery] = docuseal.expire(submission_id=request.external_id, now=now)
    forged = type(delivery)(
        delivery.event_type, delivery.body.replace(b"expired", b"expirEd"), delivery.headers
    )
    answer = deliver(forged)
    assert answer.status_code == 401 and answer.json()["code"] == "webhook_signature_wrong"
    assert deliver(delivery).status_code == 200
    request.refresh_from_db()
    assert request.status == SignatureStatus.EXPIRED


def test_polling_applies_what_docuseal_says_without_webhooks(contract, docuseal, now):
    request = started(contract, now)
    assert signature_requests_poll(now=now).changed == []  # nobody signed yet
    docuseal.complete(submission_id=request.external_id, now=now, ip="83.1.2.3")  # no webhook delivered
    out = StringIO()
    call_command("signatures-poll", stdout=out)
    assert "checked 1, ended 1, failed 0" in out.getvalue()
    request.refresh_from_db()
    contract.refresh_from_db()
    assert request.status == SignatureStatus.SIGNED and contract.status == ContractStatus.SIGNED
    assert request.parties.get().signed_at == now
    kinds = sorted(request.events.values_list("kind", flat=True))
    assert kinds == ["form.completed", "submission.completed"]
    assert signature_requests_poll(now=now).checked == 0  # no longer pending: not asked again
    assert OutboxEvent.objects.filter(name="sales.contract.signed-v1").count() == 1


def test_polling_by_the_celery_task_declines_and_reports_unreadable_submissions(
    contract, docuseal, now, settings
):
    request = started(contract, now)
    docuseal.decline(submission_id=request.external_id, now=now)
    assert signatures_poll() == 1
    request.refresh_from_db()
    assert request.status == SignatureStatus.DECLINED
    lost = started(contract, now)
    (docuseal.directory / f"{lost.external_id}.json").unlink()
    report = signature_requests_poll(now=now)
    assert report.checked == 1 and "HTTP 404" in report.failed[lost.pk]


def test_a_refusal_by_docuseal_creates_no_request(contract, now, docuseal):
    class Refusing:
        def submission_create(self, *, submission):
            raise DocuSealError("DocuSeal refused POST /submissions/pdf (HTTP 422): Invalid PDF", status=422)

    signature_backend_register("docuseal", lambda: DocuSealSignature(client=Refusing()))
    try:
        with pytest.raises(SignatureRefused, match="HTTP 422"):
            started(contract, now)
    finally:
        signature_backend_register("docuseal", DocuSealSignature)
    assert not SignatureRequest.objects.exists()


def test_the_demo_command_plays_the_signer_and_delivers_the_webhooks(contract, docuseal, now):
    request = started(contract, now)
    out = StringIO()
    call_command("docuseal-fake", "list", stdout=out)
    assert f"{request.external_id} pending" in out.getvalue()
    call_command("docuseal-fake", "complete", request.external_id, stdout=out)
    assert f"submission.completed: request {request.pk} signed" in out.getvalue()
    request.refresh_from_db()
    assert request.status == SignatureStatus.SIGNED
