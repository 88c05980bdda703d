"""Contract requests in the back office: a submission refused with the missing fields named, the whole
take → return → resubmit → approve path with comments and notifications, a salesperson who may not
approve, another company that never reaches the pages, a tender upload and a DSO file."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from kilowatt.catalog.models import PriceList, Product
from kilowatt.core.models import Role
from kilowatt.network.models import Dso
from kilowatt.sales.models import ContractRequest, ContractSigner, ContractStatus, RequestNotification
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.login(username=user.username, password="s3cret-pass!")
    return client


@pytest.fixture
def contract(company, now):
    product = Product.objects.create(company=company, code="prad", name="Prąd", commodity="electricity")
    price_list = PriceList.objects.create(
        company=company, product=product, code="prad-2026", name="Prąd 2026", valid_from=date(2026, 1, 1)
    )
    customer = factories.customer(company, now, pesel=factories.PESELS[0])
    point = factories.supply_point(company, customer, now)
    return contract_create(
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


@pytest.fixture
def seller(company):
    return make_staff("sam", company, Role.SALES_MANAGER)


@pytest.fixture
def verifier(company):
    return make_staff("vera", company, Role.BACK_OFFICE)


def test_refused_then_reviewed_returned_resubmitted_and_approved(
    company, contract, seller, verifier, django_assert_max_num_queries
):
    sales, back_office = _client(seller), _client(verifier)
    assert "signing person" in sales.get(f"/contracts/{contract.pk}/request/").content.decode()
    response = sales.post(f"/contracts/{contract.pk}/request/", follow=True)
    request = ContractRequest.objects.get(contract=contract)
    assert response.redirect_chain[-1][0] == f"/contract-requests/{request.pk}/"
    page = response.content.decode()
    assert (
        "cannot be submitted yet" in page
        and "Missing: signing person." in page
        and 'data-field="signers"' in page
    )
    assert request.status == "draft"

    ContractSigner.objects.create(contract=contract, first_name="Jan", last_name="Kowalski")
    action = f"/contract-requests/{request.pk}/action/"
    assert sales.post(action, {"action": "submit"}).status_code == 302
    assert sales.post(action, {"action": "approve"}).status_code == 403  # no contracts.verify
    assert sales.post(action, {"action": "take"}).status_code == 403
    request.refresh_from_db()
    assert request.status == "submitted"
    assert "Take for review" not in sales.get(f"/contract-requests/{request.pk}/").content.decode()

    with django_assert_max_num_queries(15):
        queue = back_office.get("/contract-requests/?status=submitted").content.decode()
    assert contract.number in queue
    back_office.post(action, {"action": "take", "responsible": verifier.pk})
    back_office.post(action, {"action": "return", "text": "Dołączcie pełnomocnictwo."})
    request.refresh_from_db()
    assert (request.status, request.responsible) == ("returned", verifier)
    assert 'class="badge warn">2<' in sales.get("/contract-requests/").content.decode()  # two unread

    page = sales.get(f"/contract-requests/{request.pk}/").content.decode()
    assert "Dołączcie pełnomocnictwo." in page and "Submit again" in page
    assert not RequestNotification.objects.filter(user=seller, read_at__isnull=True).exists()  # read on view
    sales.post(action, {"action": "comment", "text": "Dosłane."})
    sales.post(action, {"action": "submit"})
    assert RequestNotification.objects.filter(user=verifier, read_at__isnull=True).count() == 2
    back_office.post(action, {"action": "take", "responsible": verifier.pk})
    back_office.post(action, {"action": "approve", "text": "OK"})
    request.refresh_from_db()
    assert request.status == "approved"
    page = back_office.get(f"/contract-requests/{request.pk}/").content.decode()
    assert "Dosłane." in page and "OK" in page and 'value="approve"' not in page


def test_another_company_gets_not_found(company, other_company, contract, seller, now):
    request = ContractRequest.objects.create(
        company=company, contract=contract, kind="new", submitted_by=seller, created_at=now, updated_at=now
    )
    rival = _client(make_staff("rita", other_company, Role.ADMIN))
    for url in (
        f"/contract-requests/{request.pk}/",
        f"/contracts/{contract.pk}/request/",
        f"/contracts/{contract.pk}/points-import/",
    ):
        assert rival.get(url).status_code == 404, url
    assert (
        rival.post(f"/contract-requests/{request.pk}/action/", {"action": "comment", "text": "x"}).status_code
        == 404
    )
    assert rival.post(f"/contracts/{contract.pk}/request/").status_code == 404
    assert str(contract.number) not in rival.get("/contract-requests/").content.decode()
    assert _client(make_staff("bill", company, Role.BILLING)).get("/contract-requests/").status_code == 403


def test_tender_upload_and_dso_file(company, now, contract, seller, verifier):
    code = factories.ppe_code()
    content = (
        "supply_point_code;dso_code;tariff_group;annual_consumption_kwh;building_number;postal_code;city\n"
        f"{code};pge-dystrybucja;G11;3100;7;30-001;Kraków\n"
        f"{code[:-1]}0;nowhere;G11;3100;7;30-001;Kraków\n"
    ).encode()
    sales = _client(seller)
    page = sales.post(
        f"/contracts/{contract.pk}/points-import/", {"file": SimpleUploadedFile("t.csv", content)}
    ).content.decode()
    assert "Nothing was saved" in page and "dso_code" in page and "No DSO with this code." in page
    good = content.decode().splitlines()[:2]
    page = sales.post(
        f"/contracts/{contract.pk}/points-import/",
        {"file": SimpleUploadedFile("t.csv", "\n".join(good).encode())},
    ).content.decode()
    assert "New supply points: 1" in page
    assert contract.supply_point_links.count() == 2

    contract_change_status(
        contract=contract, status=ContractStatus.SIGNED, on_date=date(2026, 3, 10), actor=None, now=now
    )
    assert sales.get("/contracts/dso-export/").status_code == 403  # a salesperson sends no DSO files
    back_office = _client(verifier)
    assert "Download" in back_office.get("/contracts/dso-export/").content.decode()
    dso = Dso.objects.get(code="pge-dystrybucja")
    refused = back_office.get(
        "/contracts/dso-export/", {"dso": dso.pk, "signed_from": "2026-03-10", "signed_to": "2026-03-01"}
    )
    assert "The period must end after it starts." in refused.content.decode()
    response = back_office.get(
        "/contracts/dso-export/", {"dso": dso.pk, "signed_from": "2026-03-01", "signed_to": "2026-04-01"}
    )
    assert (
        response["Content-Disposition"] == 'attachment; filename="pge-dystrybucja_2026-03-01_2026-04-01.xlsx"'
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and {rows[1][8], rows[2][8]} == set(
        contract.supply_point_links.values_list("supply_point__code", flat=True)
    )
