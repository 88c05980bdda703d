"""Contract requests checked by the back office: required fields, the life cycle, who may do what,
comments, notifications (rows and e-mails), audit and events."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest

from kilowatt.catalog.models import PriceList, Product
from kilowatt.core.errors import PermissionDenied, ValidationFailed
from kilowatt.core.messaging import EmailNotSent
from kilowatt.core.models import AuditEntry, OutboxEvent, Role
from kilowatt.sales.models import (
    ContractSigner,
    ContractStatus,
    RequestKind,
    RequestNotification,
    RequestStatus,
    RequiredField,
)
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create
from kilowatt.sales.requests import (
    REQUEST_FIELDS,
    contract_request_approve,
    contract_request_create,
    contract_request_missing,
    contract_request_reject,
    contract_request_return,
    contract_request_submit,
    contract_request_take,
    contract_requests_of_company,
    request_comment_add,
    request_notifications_read,
    request_notifications_unread_by_request,
    request_notifications_unread_counts,
    required_field_add,
)
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(company):
    product = Product.objects.create(company=company, code="prad", name="Prąd", commodity="electricity")
    price_list = PriceList.objects.create(
        company=company, product=product, code="prad-2026", name="Prąd 2026", valid_from=date(2026, 1, 1)
    )
    return product, price_list


@pytest.fixture
def people(company):
    seller = make_staff("sam", company, Role.SALES_MANAGER)
    seller.email = "sam@acme.example"
    seller.save()
    verifier = make_staff("vera", company, Role.BACK_OFFICE)
    verifier.email = "vera@acme.example"
    verifier.save()
    return seller, verifier


def draft_contract(company, now, offer, *, pesel: str = "", signer: bool = False):
    customer = factories.customer(company, now, pesel=pesel)
    point = factories.supply_point(company, customer, now)
    product, price_list = offer
    contract = contract_create(
        company=company,
        data=ContractData(
            customer_id=customer.pk,
            kind="comprehensive",
            product_id=product.pk,
            price_list_id=price_list.pk,
            start_date=date(2026, 4, 1),
            supply_point_ids=[point.pk],
        ),
        actor=None,
        now=now,
    )
    if signer:
        ContractSigner.objects.create(contract=contract, first_name="Jan", last_name="Kowalski")
    return contract


def test_submit_names_every_missing_field_and_unknown_configured_ones(company, now, offer, people):
    seller, _verifier = people
    contract = draft_contract(company, now, offer)  # a person without PESEL, no signing person
    RequiredField.objects.create(company=company, kind=RequestKind.NEW, field="customer.phone")  # present
    RequiredField.objects.create(company=company, kind=RequestKind.NEW, field="supply_points.capacity")
    RequiredField.objects.create(company=company, kind=RequestKind.NEW, field="customer.shoe_size")
    RequiredField.objects.create(company=company, kind=RequestKind.ANNEX, field="customer.email")
    request = contract_request_create(contract=contract, kind=RequestKind.NEW, submitted_by=seller, now=now)
    with pytest.raises(ValidationFailed) as refused:
        contract_request_submit(request=request, actor=seller, now=now)
    errors = {e.field: e for e in refused.value.errors}
    assert set(errors) == {"customer.tax_id", "signers", "supply_points.capacity", "customer.shoe_size"}
    assert "PESEL" in errors["customer.tax_id"].message
    assert "signing person" in errors["signers"].message
    assert errors["customer.shoe_size"].code == "unknown_field"
    assert "customer.shoe_size" in errors["customer.shoe_size"].message
    request.refresh_from_db()
    assert request.status == RequestStatus.DRAFT
    assert {"customer.tax_id", "signers"} <= {
        e.field for e in contract_request_missing(contract=contract, kind="new")
    }
    assert "customer.phone" in REQUEST_FIELDS


def test_required_field_add_refuses_unknown_codes(company, now):
    with pytest.raises(ValidationFailed) as refused:
        required_field_add(company=company, kind="new", field="customer.shoe_size", actor=None, now=now)
    assert refused.value.field == "field" and "customer.email" in refused.value.message
    required_field_add(company=company, kind="new", field="customer.email", actor=None, now=now)
    required_field_add(company=company, kind="new", field="customer.email", actor=None, now=now)
    assert RequiredField.objects.filter(company=company).count() == 1


def test_full_path_with_comments_notifications_audit_and_events(
    company, now, offer, people, mailoutbox, django_capture_on_commit_callbacks
):
    seller, verifier = people
    contract = draft_contract(company, now, offer, pesel=factories.PESELS[0], signer=True)
    later = now + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        request = contract_request_create(contract=contract, kind="new", submitted_by=seller, now=now)
        contract_request_submit(request=request, actor=seller, now=now)
    assert not RequestNotification.objects.exists() and not mailoutbox  # waits in the queue
    assert list(contract_requests_of_company(company=company, status="submitted")) == [request]
    with django_capture_on_commit_callbacks(execute=True):
        contract_request_take(request=request, actor=verifier, now=later)
    request.refresh_from_db()
    assert (request.status, request.responsible) == (RequestStatus.IN_REVIEW, verifier)
    assert [m.to for m in mailoutbox] == [["sam@acme.example"]] and "vera" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        contract_request_return(request=request, actor=verifier, comment="Brak pełnomocnictwa.", now=later)
    assert request_notifications_unread_counts(company=company) == {seller.pk: 2}
    assert request_notifications_unread_by_request(company=company, user=seller) == {request.pk: 2}
    with django_capture_on_commit_callbacks(execute=True):
        request_comment_add(request=request, author=seller, text="Dosłane mailem.", now=later)
        contract_request_submit(request=request, actor=seller, now=later)
    assert request_notifications_unread_counts(company=company) == {seller.pk: 2, verifier.pk: 2}
    assert request_notifications_read(user=seller, request=request, now=later) == 2
    with django_capture_on_commit_callbacks(execute=True):
        contract_request_take(request=request, actor=verifier, now=later)  # taken again after resubmission
        contract_request_approve(request=request, actor=verifier, now=later)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.decided_at == later
    assert [c.text for c in request.comments.all()] == ["Brak pełnomocnictwa.", "Dosłane mailem."]
    assert "approved" in RequestNotification.objects.filter(user=seller).first().text
    assert len(mailoutbox) == 6  # take, return, take, approve to sam; comment, resubmission to vera
    names = list(
        OutboxEvent.objects.filter(name__startswith="sales.contract-request.").values_list("name", flat=True)
    )
    assert "sales.contract-request.approved-v1" in names and "sales.contract-request.returned-v1" in names
    audits = AuditEntry.objects.filter(entity="sales.contractrequest", entity_id=request.pk)
    assert audits.count() == 7  # created, submitted, taken, returned, submitted, taken, approved


def test_who_may_do_what(company, other_company, now, offer, people):
    seller, verifier = people
    admin = make_staff("adam", company, Role.ADMIN)
    rival = make_staff("rita", other_company, Role.ADMIN)
    contract = draft_contract(company, now, offer, pesel=factories.PESELS[0], signer=True)
    request = contract_request_create(contract=contract, kind="new", submitted_by=seller, now=now)
    with pytest.raises(ValidationFailed) as refused:
        contract_request_take(request=request, actor=verifier, now=now)
    assert refused.value.code == "invalid_transition"  # a draft is not in the queue yet
    contract_request_submit(request=request, actor=seller, now=now)
    for actor in (seller, rival):
        with pytest.raises(PermissionDenied):
            contract_request_take(request=request, actor=actor, now=now)
    with pytest.raises(PermissionDenied):
        contract_request_take(request=request, actor=verifier, responsible=seller, now=now)
    with pytest.raises(ValidationFailed) as refused:
        contract_request_approve(request=request, actor=verifier, now=now)
    assert refused.value.code == "invalid_transition"
    contract_request_take(request=request, actor=verifier, now=now)
    with pytest.raises(PermissionDenied):
        contract_request_approve(request=request, actor=admin, now=now)  # vera is responsible
    with pytest.raises(PermissionDenied):
        contract_request_approve(request=request, actor=seller, now=now)
    with pytest.raises(ValidationFailed) as refused:
        contract_request_reject(request=request, actor=verifier, reason=" ", now=now)
    assert refused.value.field == "reason"
    contract_request_take(request=request, actor=verifier, responsible=admin, now=now)  # handed over
    contract_request_reject(request=request, actor=admin, reason="Klient zrezygnował.", now=now)
    with pytest.raises(ValidationFailed):
        contract_request_submit(request=request, actor=seller, now=now)
    with pytest.raises(PermissionDenied):
        request_comment_add(request=request, author=rival, text="?", now=now)


def test_salesperson_admin_cannot_review_own_request(company, now, offer):
    admin = make_staff("adam", company, Role.ADMIN)
    contract = draft_contract(company, now, offer, pesel=factories.PESELS[0], signer=True)
    request = contract_request_create(contract=contract, kind="new", submitted_by=admin, now=now)
    contract_request_submit(request=request, actor=admin, now=now)
    with pytest.raises(PermissionDenied):
        contract_request_take(request=request, actor=admin, now=now)


def test_one_open_request_and_new_only_for_a_draft(company, now, offer, people):
    seller, _verifier = people
    contract = draft_contract(company, now, offer, pesel=factories.PESELS[0], signer=True)
    contract_request_create(contract=contract, kind="new", submitted_by=seller, now=now)
    with pytest.raises(ValidationFailed) as refused:
        contract_request_create(contract=contract, kind="new", submitted_by=seller, now=now)
    assert refused.value.code == "open_request"
    contract_change_status(
        contract=contract, status=ContractStatus.SIGNED, on_date=now.date(), actor=None, now=now
    )
    other = draft_contract(company, now, offer, pesel=factories.PESELS[1])
    contract_change_status(
        contract=other, status=ContractStatus.SIGNED, on_date=now.date(), actor=None, now=now
    )
    with pytest.raises(ValidationFailed) as refused:
        contract_request_create(contract=other, kind="new", submitted_by=seller, now=now)
    assert refused.value.code == "not_draft"
    assert contract_request_create(contract=other, kind="annex", submitted_by=seller, now=now).kind == "annex"


def test_a_mail_that_fails_does_not_undo_the_change(
    company, now, offer, people, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    seller, verifier = people

    def refuse(**kwargs):
        raise EmailNotSent("mail server down")

    monkeypatch.setattr("kilowatt.sales.requests.email_send", refuse)
    contract = draft_contract(company, now, offer, pesel=factories.PESELS[0], signer=True)
    request = contract_request_create(contract=contract, kind="new", submitted_by=seller, now=now)
    contract_request_submit(request=request, actor=seller, now=now)
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        contract_request_take(request=request, actor=verifier, now=now)
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_REVIEW
    assert RequestNotification.objects.filter(user=seller).count() == 1
    assert "mail server down" in caplog.text
