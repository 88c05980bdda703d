"""Who may see and do what in finance and collections, and that no company sees another's cases, refunds
or payments; the gateway's notification is refused unless signed; online payments are recorded once."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from kilowatt.collections.models import DunningCase, DunningPolicy, DunningStep
from kilowatt.collections.run import dunning_run
from kilowatt.core.clock import system_clock
from kilowatt.core.models import Role
from kilowatt.finance.gateway import payment_gateway
from kilowatt.finance.models import GatewayPayment, LedgerEntry, Refund, RefundStatus
from kilowatt.finance.operations import Posting, ledger_post_many
from tests import factories
from tests.conftest import make_staff
from tests.functional.api.conftest import token_client

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 10)


def _client(username, company, role) -> Client:
    make_staff(username, company, role)
    client = Client()
    client.login(username=username, password="s3cret-pass!")
    return client


@pytest.fixture
def case(company, now):
    customer = factories.customer(company, now)
    ledger_post_many(
        company=company,
        postings=[
            Posting(customer.pk, "invoice", "invoice", 1, "FV/000001/2026", Decimal("99.00"), DAY, DAY)
        ],
        now=now,
    )
    policy = DunningPolicy.objects.create(company=company, name="All")
    DunningStep.objects.create(
        policy=policy, position=0, name="Reminder", action="reminder", days_after_due=1
    )
    DunningStep.objects.create(
        policy=policy, position=1, name="Demand", action="demand_letter", days_after_due=2
    )
    dunning_run(company=company, on_date=DAY + timedelta(days=5), now=now)
    return DunningCase.objects.get(customer=customer)


def test_roles_see_collections_but_only_collections_staff_act(company, case):
    callcentre = _client("cc", company, Role.CALL_CENTRE)
    assert callcentre.get("/collections/").status_code == 200
    assert callcentre.get(f"/collections/cases/{case.pk}/").status_code == 200
    action = {"action": "pause", "reason": "promised to pay"}
    assert callcentre.post(f"/collections/cases/{case.pk}/action/", action).status_code == 403
    assert callcentre.post("/collections/", {"on_date": "2026-03-20"}).status_code == 403
    sales = _client("sa", company, Role.SALES_MANAGER)
    assert sales.get("/collections/").status_code == 403
    collector = _client("co", company, Role.COLLECTIONS)
    assert collector.post(f"/collections/cases/{case.pk}/action/", action).status_code == 302
    case.refresh_from_db()
    assert case.status == "paused" and case.events.filter(kind="paused", made_by="co").exists()


def test_another_companys_staff_never_reach_a_case(company, other_company, case):
    rival = _client("rival", other_company, Role.ADMIN)
    assert rival.get(f"/collections/cases/{case.pk}/").status_code == 404
    assert (
        rival.post(f"/collections/cases/{case.pk}/action/", {"action": "close", "reason": "x"}).status_code
        == 404
    )
    assert rival.post(f"/customers/{case.customer_id}/disputes/new/", {"subject": "x"}).status_code == 404
    assert case.customer.display_name not in rival.get("/collections/").content.decode()
    rival_api = token_client(other_company, scopes=("collections",))
    assert rival_api.get("/api/v1/collections/cases").json()["count"] == 0
    assert token_client(company, scopes=("read",)).get("/api/v1/collections/cases").status_code == 403
    assert (
        token_client(company, scopes=("collections",)).get("/api/v1/collections/cases").json()["count"] == 1
    )


def test_refund_needs_a_second_person_with_the_right_to_approve(company, now):
    customer = factories.customer(company, now)
    ledger_post_many(
        company=company,
        postings=[Posting(customer.pk, "payment", "bank_transaction", 9, "P", Decimal("-80.00"), DAY, None)],
        now=now,
    )
    collector = _client("co", company, Role.COLLECTIONS)
    collector.post(
        f"/customers/{customer.pk}/refunds/new/",
        {"amount": "80.00", "account": "PL61109010140000071219812874", "reason": "overpaid"},
    )
    refund = Refund.objects.get(customer=customer)
    assert collector.post(f"/payments/refunds/{refund.pk}/", {"decision": "approve"}).status_code == 403
    finance = _client("fi", company, Role.FINANCE)
    finance.post(f"/payments/refunds/{refund.pk}/", {"decision": "approve"})
    refund.refresh_from_db()
    assert refund.status == RefundStatus.APPROVED and refund.decided_by == "fi"
    assert LedgerEntry.objects.get(customer=customer, kind="refund").amount == Decimal("80.00")


def test_online_payment_recorded_once_and_forged_notifications_refused(company, now, settings):
    settings.PAYMENT_GATEWAY = "fake"
    customer = factories.customer(company, now)
    api = token_client(company, scopes=("payments",))
    started = api.post(
        "/api/v1/payments/online",
        json.dumps({"customer_id": customer.pk, "amount": "45.50", "return_url": "/"}),
        content_type="application/json",
    ).json()
    token = started["redirect_url"].rsplit("/fake-gateway/", 1)[1]
    page = Client().get(f"/fake-gateway/{token}")
    assert page.status_code == 200 and "45.50" in page.content.decode()

    gateway = payment_gateway()
    body, headers = gateway.fake_notification(token=_unquote(token), status="paid", paid_at=now)
    forged = body.replace(b"4550", b"9999")
    notify = "/api/v1/payments/gateway/notify"
    assert Client().post(notify, forged, content_type="application/json", headers=headers).status_code == 400
    for _ in range(2):  # the gateway may repeat its notification
        response = Client().post(notify, body, content_type="application/json", headers=headers)
        assert response.status_code == 200
    payment = GatewayPayment.objects.get(session_id=started["session_id"])
    assert payment.status == "paid"
    assert LedgerEntry.objects.filter(customer=customer, kind="payment").count() == 1
    assert (
        token_client(company, scopes=("read",))
        .post(
            "/api/v1/payments/online",
            json.dumps({"customer_id": customer.pk, "amount": "1.00", "return_url": "/"}),
            content_type="application/json",
        )
        .status_code
        == 403
    )


def _unquote(token: str) -> str:
    from urllib.parse import unquote

    return unquote(token)


def test_write_off_and_credit_transfer_need_the_right_to_approve(company, other_company, now):
    debtor, payer = factories.customer(company, now), factories.customer(company, now)
    stranger = factories.customer(other_company, now)
    stranger.number = "K/999999/2026"  # a number no customer of this company has
    stranger.save()
    ledger_post_many(
        company=company,
        postings=[
            Posting(debtor.pk, "invoice", "invoice", 5, "FV/000005/2026", Decimal("70.00"), DAY, DAY),
            Posting(payer.pk, "payment", "bank_transaction", 6, "P", Decimal("-40.00"), DAY, None),
        ],
        now=now,
    )
    debt = LedgerEntry.objects.get(customer=debtor, kind="invoice")
    collector = _client("co", company, Role.COLLECTIONS)
    write_off = f"/customers/{debtor.pk}/debts/{debt.pk}/write-off/"
    assert collector.post(write_off, {"amount": "20.00", "reason": "goodwill"}).status_code == 403
    finance = _client("fi", company, Role.FINANCE)
    finance.post(write_off, {"amount": "20.00", "reason": "goodwill"})
    assert LedgerEntry.objects.get(customer=debtor, kind="write_off").amount == Decimal("-20.00")
    move = f"/customers/{payer.pk}/credit-transfer/"
    finance.post(move, {"amount": "40.00", "target": stranger.number, "reason": "family"})
    assert not LedgerEntry.objects.filter(kind="transfer").exists()  # another company's customer
    finance.post(move, {"amount": "40.00", "target": debtor.number, "reason": "same household"})
    assert LedgerEntry.objects.get(customer=debtor, kind="transfer").amount == Decimal("-40.00")
    balance = sum(LedgerEntry.objects.filter(customer=debtor).values_list("amount", flat=True))
    assert balance == Decimal("10.00")


def test_journal_download_of_a_day(company, now):
    from kilowatt.finance.journal import journal_accounts_default

    journal_accounts_default(company=company)
    customer = factories.customer(company, now)
    ledger_post_many(
        company=company,
        postings=[
            Posting(customer.pk, "invoice", "invoice", 7, "FV/000007/2026", Decimal("12.30"), DAY, DAY)
        ],
        now=now,
    )
    finance = _client("fi", company, Role.FINANCE)
    today = system_clock.today().isoformat()
    assert finance.get(f"/payments/journal/?day={today}&format=csv").status_code == 302  # the day is not over
    recorded = timezone.localdate(now).isoformat()  # the entry was recorded at the fixtures' clock
    response = finance.get(f"/payments/journal/?day={recorded}&format=xml")
    assert response.status_code == 200 and b"FV/000007/2026" in response.content
    sales = _client("sa", company, Role.SALES_MANAGER)
    assert sales.get(f"/payments/journal/?day={recorded}").status_code == 403


def test_interest_note_prints_as_a_letter_for_its_company_only(company, other_company, now):
    from kilowatt.finance.allocation import ledger_allocate
    from kilowatt.finance.interest import interest_notes_issue
    from kilowatt.finance.models import FinancePolicy

    FinancePolicy.objects.create(company=company, interest_minimum=Decimal("0.01"))
    customer = factories.customer(company, now)
    ledger_post_many(
        company=company,
        postings=[
            Posting(customer.pk, "invoice", "invoice", 8, "FV/000008/2026", Decimal("500.00"), DAY, DAY),
            Posting(
                customer.pk,
                "payment",
                "bank_transaction",
                9,
                "P",
                Decimal("-500.00"),
                DAY + timedelta(30),
                None,
            ),
        ],
        now=now,
    )
    ledger_allocate(customer=customer, now=now)
    with transaction.atomic():
        (note,) = interest_notes_issue(company=company, on_date=DAY + timedelta(days=31), now=now)
    finance = _client("fi", company, Role.FINANCE)
    assert (
        finance.get(f"/payments/interest-notes/{note.pk}/pdf/").status_code == 302
    )  # no address, no account
    company.street, company.postal_code, company.city = "ul. Prosta 20", "00-850", "Warszawa"
    company.bank_account_prefix = "109010147777"
    company.save()
    pdf = finance.get(f"/payments/interest-notes/{note.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        _client("rival", other_company, Role.ADMIN)
        .get(f"/payments/interest-notes/{note.pk}/pdf/")
        .status_code
        == 404
    )
