"""The built-in signature: one-time codes by SMS or e-mail, attempts, expiry, the signed PDF with its
audit page, and the contract signed with its event."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from io import BytesIO

import pytest
from django.core import mail
from pypdf import PdfReader

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import OutboxEvent, Role
from kilowatt.sales.contracting import SigningPersonMissing
from kilowatt.sales.models import (
    ContractDocumentKind,
    ContractStatus,
    OfferTemplate,
    Opportunity,
    SignatureStatus,
)
from kilowatt.sales.offers import OfferData, offer_accept, offer_create
from kilowatt.sales.signatures import (
    MAX_ATTEMPTS,
    SignatureRefused,
    SignerChannel,
    signature_code_confirm,
    signature_code_resend,
    signature_request_start,
)
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)


@pytest.fixture
def contract(company, now, settings, tmp_path):
    settings.SMS_BACKEND = "fake"
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"
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


def _code_from_sms(path) -> str:
    return factories.one_time_code(path.read_text())


def test_signed_with_a_code_by_sms(contract, now, settings):
    request = signature_request_start(contract=contract, now=now)
    party = request.parties.get()
    assert party.channel == "sms" and party.destination == "+48601234567"
    code = _code_from_sms(settings.SMS_FAKE_FILE)
    assert code not in party.code_hash
    signature_code_confirm(party=party, code=code, ip_address="10.1.2.3", user_agent="Firefox", now=now)
    request.refresh_from_db()
    contract.refresh_from_db()
    assert request.status == SignatureStatus.SIGNED and contract.status == ContractStatus.SIGNED
    assert contract.signed_on == date(2026, 3, 10)
    signed = contract.documents.get(kind=ContractDocumentKind.SIGNED_CONTRACT)
    original = request.document
    assert signed.sha256 == hashlib.sha256(bytes(signed.content)).hexdigest()
    pages = PdfReader(BytesIO(bytes(signed.content))).pages
    assert len(pages) == len(PdfReader(BytesIO(bytes(original.content))).pages) + 1
    audit = pages[-1].extract_text()
    assert original.sha256 in audit.replace("\n", "") and "10.1.2.3" in audit and "Firefox" in audit
    assert OutboxEvent.objects.filter(
        name="sales.contract.signed-v1", payload__contract_id=contract.pk
    ).exists()
    with pytest.raises(SignatureRefused):
        signature_code_confirm(party=party, code=code, ip_address=None, user_agent="", now=now)


def test_wrong_codes_expiry_and_resend(contract, now, settings):
    request = signature_request_start(
        contract=contract, channels=[SignerChannel(contract.signers.get().pk, "email")], now=now
    )
    party = request.parties.get()
    assert party.channel == "email" and len(mail.outbox) == 1
    code = factories.one_time_code(mail.outbox[0].body)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(SignatureRefused) as refused:
        signature_code_confirm(party=party, code=wrong, ip_address=None, user_agent="", now=now)
    assert refused.value.code == "wrong_code" and "4 attempt" in refused.value.message
    party.refresh_from_db()
    assert party.attempts == 1
    with pytest.raises(SignatureRefused) as refused:
        signature_code_confirm(
            party=party, code=code, ip_address=None, user_agent="", now=now + timedelta(minutes=16)
        )
    assert refused.value.code == "code_expired"
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(SignatureRefused):
            signature_code_confirm(party=party, code=wrong, ip_address=None, user_agent="", now=now)
    with pytest.raises(SignatureRefused) as refused:
        signature_code_confirm(party=party, code=code, ip_address=None, user_agent="", now=now)
    assert refused.value.code == "too_many_attempts"
    with pytest.raises(SignatureRefused) as refused:
        signature_code_resend(party=party, now=now + timedelta(seconds=30))
    assert refused.value.code == "resend_too_soon"
    later = now + timedelta(minutes=2)
    signature_code_resend(party=party, now=later)
    fresh = factories.one_time_code(mail.outbox[-1].body)
    signature_code_confirm(party=party, code=fresh, ip_address="::1", user_agent="", now=later)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SIGNED


def test_a_new_request_cancels_the_pending_one(contract, now, settings):
    first = signature_request_start(contract=contract, now=now)
    old_code = _code_from_sms(settings.SMS_FAKE_FILE)
    second = signature_request_start(contract=contract, now=now)
    first.refresh_from_db()
    assert first.status == SignatureStatus.CANCELLED and second.status == SignatureStatus.PENDING
    with pytest.raises(SignatureRefused):
        signature_code_confirm(
            party=first.parties.get(), code=old_code, ip_address=None, user_agent="", now=now
        )


def test_a_contract_without_signers_or_reachable_signers_is_refused(contract, now):
    signer = contract.signers.get()
    signer.phone = ""
    signer.email = ""
    signer.save()
    with pytest.raises(ValidationFailed) as refused:
        signature_request_start(contract=contract, now=now)
    assert refused.value.field == "signers" and "no e-mail address" in refused.value.message
    contract.signers.all().delete()
    with pytest.raises(SigningPersonMissing) as refused:
        signature_request_start(contract=contract, now=now)
    assert "no signing person" in refused.value.message
