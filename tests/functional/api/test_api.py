from datetime import date

import pytest
from django.test import Client

from kilowatt.catalog.models import PriceList, Product
from kilowatt.core.models import ApiToken
from kilowatt.network.models import Dso, SupplyPoint, TariffGroup
from kilowatt.parties.models import Customer
from tests import factories

CUSTOMER = {
    "kind": "person",
    "first_name": "Anna",
    "last_name": "Wiśniewska",
    "pesel": "02070803628",
    "email": "anna@example.pl",
    "phone": "+48 601 111 222",
    "address": {"street": "Długa", "building_number": "5", "postal_code": "80-827", "city": "Gdańsk"},
}


def post(client, path, body, **headers):
    return client.post(path, body, content_type="application/json", **headers)


def put(client, path, body):
    return client.put(path, body, content_type="application/json")


def point_body(customer_id, **overrides):
    body = {
        "customer_id": customer_id,
        "code": factories.ppe_code(),
        "commodity": "electricity",
        "dso_id": Dso.objects.get(code="pge-dystrybucja").pk,
        "tariff_group_id": TariffGroup.objects.get(code="G11").pk,
        "annual_consumption_kwh": "2100.5",
        "phases": 1,
        "address": CUSTOMER["address"],
    }
    body.update(overrides)
    return body


@pytest.mark.django_db
def test_customer_create_read_update_list(api):
    created = post(api, "/api/v1/customers", CUSTOMER)
    assert created.status_code == 201, created.content
    customer = created.json()
    assert customer["number"] == "K/000001/2026" or customer["number"].startswith("K/000001/")
    assert customer["phone"] == "+48601111222"
    changed = put(api, f"/api/v1/customers/{customer['id']}", {**CUSTOMER, "last_name": "Nowak"})
    assert changed.status_code == 200 and changed.json()["last_name"] == "Nowak"
    assert api.get(f"/api/v1/customers/{customer['id']}").json()["display_name"] == "Anna Nowak"
    listed = api.get("/api/v1/customers", {"q": "nowak"}).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == customer["id"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "reported"),
    [("pesel", "02070803629", "pesel"), ("nip", "5260250275", "nip"), ("email", "nope", "email")],
)
def test_invalid_identifiers_are_refused_naming_the_field(api, field, value, reported):
    response = post(api, "/api/v1/customers", {**CUSTOMER, field: value})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == reported and body["code"] and body["message"]
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_bad_postal_code_and_missing_field(api):
    body = {**CUSTOMER, "address": {**CUSTOMER["address"], "postal_code": "8O-827"}}
    assert post(api, "/api/v1/customers", body).json()["field"] == "address.postal_code"
    missing = {k: v for k, v in CUSTOMER.items() if k != "address"}
    response = post(api, "/api/v1/customers", missing)
    assert response.status_code == 422 and response.json()["field"] == "address"


@pytest.mark.django_db
def test_supply_point_bad_code_and_code_in_use(api):
    customer_id = post(api, "/api/v1/customers", CUSTOMER).json()["id"]
    good = point_body(customer_id)
    assert post(api, "/api/v1/supply-points", good).status_code == 201
    again = post(api, "/api/v1/supply-points", good)
    assert (
        again.status_code == 422 and again.json()["field"] == "code" and "in use" in again.json()["message"]
    )
    wrong = post(
        api,
        "/api/v1/supply-points",
        point_body(
            customer_id, code=good["code"][:-1] + "0" if good["code"][-1] != "0" else good["code"][:-1] + "1"
        ),
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "code"
    assert SupplyPoint.objects.count() == 1


@pytest.mark.django_db
def test_meter_create_and_install(api):
    customer_id = post(api, "/api/v1/customers", CUSTOMER).json()["id"]
    point = post(api, "/api/v1/supply-points", point_body(customer_id)).json()
    meter = post(
        api,
        "/api/v1/meters",
        {"serial_number": "M-1", "commodity": "electricity", "registers": [{"code": "1.8.0", "zone": "all"}]},
    )
    assert meter.status_code == 201
    installed = post(
        api,
        f"/api/v1/meters/{meter.json()['id']}/install",
        {"supply_point_id": point["id"], "installed_on": "2026-01-01"},
    )
    assert installed.status_code == 201 and installed.json()["removed_on"] is None


@pytest.mark.django_db
def test_contract_life_cycle_over_the_api(api, company):
    customer_id = post(api, "/api/v1/customers", CUSTOMER).json()["id"]
    point = post(api, "/api/v1/supply-points", point_body(customer_id)).json()
    product = Product.objects.create(company=company, code="p", name="P", commodity="electricity")
    price_list = PriceList.objects.create(
        company=company, product=product, code="p26", name="P 2026", valid_from=date(2026, 1, 1)
    )
    body = {
        "customer_id": customer_id,
        "kind": "comprehensive",
        "product_id": product.pk,
        "price_list_id": price_list.pk,
        "start_date": "2026-04-01",
        "supply_point_ids": [point["id"]],
    }
    contract = post(api, "/api/v1/contracts", body)
    assert contract.status_code == 201 and contract.json()["supply_point_ids"] == [point["id"]]
    signed = post(
        api,
        f"/api/v1/contracts/{contract.json()['id']}/status",
        {"status": "signed", "on_date": "2026-03-10"},
    )
    assert signed.status_code == 200 and signed.json()["signed_on"] == "2026-03-10"
    refused = post(
        api, f"/api/v1/contracts/{contract.json()['id']}/status", {"status": "draft", "on_date": "2026-03-10"}
    )
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_transition"
    assert api.get("/api/v1/products").json()[0]["code"] == "p"
    assert api.get(f"/api/v1/price-lists/{price_list.pk}").json()["components"] == []


@pytest.mark.django_db
def test_another_companys_token_sees_nothing_and_changes_nothing(api, rival_api):
    customer = post(api, "/api/v1/customers", CUSTOMER).json()
    point = post(api, "/api/v1/supply-points", point_body(customer["id"])).json()
    assert rival_api.get(f"/api/v1/customers/{customer['id']}").status_code == 404
    assert rival_api.get(f"/api/v1/supply-points/{point['id']}").status_code == 404
    assert rival_api.get("/api/v1/customers").json()["count"] == 0
    assert rival_api.get("/api/v1/supply-points").json()["count"] == 0
    assert (
        put(rival_api, f"/api/v1/customers/{customer['id']}", {**CUSTOMER, "last_name": "X"}).status_code
        == 404
    )
    # a rival cannot attach a supply point to our customer either
    assert post(rival_api, "/api/v1/supply-points", point_body(customer["id"])).status_code == 404
    assert Customer.objects.get(pk=customer["id"]).last_name == "Wiśniewska"


@pytest.mark.django_db
def test_scopes_and_revocation(read_only_api, api):
    assert read_only_api.get("/api/v1/customers").status_code == 200
    refused = post(read_only_api, "/api/v1/customers", CUSTOMER)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert api.get("/api/v1/customers").status_code == 401
    assert Client().get("/api/v1/customers").status_code == 401


@pytest.mark.django_db
def test_idempotency_key_makes_a_repeat_harmless(api):
    first = post(api, "/api/v1/customers", CUSTOMER, HTTP_IDEMPOTENCY_KEY="abc-1")
    repeat = post(api, "/api/v1/customers", CUSTOMER, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == repeat.status_code == 201
    assert first.json() == repeat.json()
    assert Customer.objects.count() == 1
    reused = post(api, "/api/v1/customers", {**CUSTOMER, "first_name": "Ola"}, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"


@pytest.mark.django_db
def test_lists_have_bounded_queries(api, company, now, django_assert_max_num_queries):
    for index in range(30):
        customer = factories.customer(company, now, pesel="", email=f"c{index}@example.pl")
        factories.supply_point(company, customer, now)
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/customers", {"page_size": 30}).json()["items"]) == 30
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/supply-points", {"page_size": 30}).json()["items"]) == 30


@pytest.mark.django_db
def test_openapi_and_docs(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in [
        "/api/v1/customers",
        "/api/v1/supply-points",
        "/api/v1/meters",
        "/api/v1/contracts",
        "/api/v1/products",
        "/api/v1/price-lists",
    ]:
        assert path in paths
    docs = client.get("/api/v1/docs").content.decode()
    assert "cdn." not in docs and "/static/ninja/" in docs
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


@pytest.mark.django_db
def test_staff_session_acts_for_its_company_and_needs_csrf_to_change(
    back_office_user, company, other_company, now
):
    stranger = factories.customer(other_company, now)
    session = Client(enforce_csrf_checks=True)
    session.force_login(back_office_user)
    assert session.get("/api/v1/customers").json()["count"] == 0
    assert session.get(f"/api/v1/customers/{stranger.pk}").status_code == 404
    assert post(session, "/api/v1/customers", CUSTOMER).status_code == 403  # no CSRF token
    session.get("/")  # the page sets the CSRF cookie
    token = session.cookies["csrftoken"].value
    created = post(session, "/api/v1/customers", CUSTOMER, HTTP_X_CSRFTOKEN=token)
    assert created.status_code == 201 and Customer.objects.get(pk=created.json()["id"]).company == company
