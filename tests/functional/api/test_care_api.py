"""The phone system's caller look-up: customers of the token's company only, whatever the spelling of the
number; a number nobody has (or that cannot be read) is an empty list, never an error; the token needs the
"callers" scope, a staff session the care.callers permission."""

from __future__ import annotations

import pytest
from django.test import Client

from kilowatt.core.models import Role
from kilowatt.parties.operations import ContactData, contact_add
from tests import factories
from tests.conftest import NOW, make_staff
from tests.functional.api.conftest import token_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/care/callers"
PHONE = "+48600100200"


@pytest.fixture
def callers(company, other_company):
    ours = factories.customer(company, NOW, phone=PHONE)
    theirs = factories.customer(other_company, NOW, phone=PHONE, last_name="Obcy")
    return ours, theirs


def test_a_token_finds_only_its_own_companys_customers_in_any_spelling(company, other_company, callers):
    ours, theirs = callers
    pbx = token_client(company, scopes=("callers",))
    for spelling in ("600100200", "+48 600 100 200", "0048600100200", "600-100-200"):
        body = pbx.get(URL, {"number": spelling}).json()
        assert body["number"] == PHONE
        assert [c["id"] for c in body["customers"]] == [ours.pk], spelling
    found = body["customers"][0]
    assert found == {
        "id": ours.pk,
        "number": ours.number,
        "display_name": "Jan Kowalski",
        "kind": "person",
        "city": "Warszawa",
        "url_card": f"http://testserver/care/caller/?number=%2B48600100200&customer={ours.pk}",
    }
    rival = token_client(other_company, scopes=("callers",))
    assert [c["id"] for c in rival.get(URL, {"number": PHONE}).json()["customers"]] == [theirs.pk]


def test_a_contact_persons_phone_finds_the_customer_and_the_card_link_opens_registration(
    company, callers, admin_user
):
    ours, _theirs = callers
    business = factories.customer(company, NOW, kind="business", business_name="Piekarnia", nip="5260250274",
                                  first_name="", last_name="", phone="")  # fmt: skip
    contact_add(
        customer=business,
        data=ContactData(first_name="Ewa", last_name="Nowak", phone="601 234 999"),
        actor=None,
        now=NOW,
    )
    body = token_client(company, scopes=("callers",)).get(URL, {"number": "601234999"}).json()
    assert [c["id"] for c in body["customers"]] == [business.pk] and body["customers"][0][
        "kind"
    ] == "business"

    staff = Client()
    staff.force_login(admin_user)
    url_card = (
        token_client(company, scopes=("callers",))
        .get(URL, {"number": PHONE})
        .json()["customers"][0]["url_card"]
    )
    response = staff.get(url_card)
    assert response.status_code == 302
    assert response.url == f"/care/tickets/new/?customer={ours.pk}&phone=%2B48600100200"


@pytest.mark.parametrize("number", ["+48221112233", "abc", "", "12", "+999 1"])
def test_a_number_that_matches_nobody_or_cannot_be_read_is_an_empty_list(company, callers, number):
    response = token_client(company, scopes=("callers",)).get(URL, {"number": number})
    assert response.status_code == 200
    body = response.json()
    assert body["customers"] == []
    assert body["number"] == ("+48221112233" if number == "+48221112233" else None)
    assert token_client(company, scopes=("callers",)).get(URL).json() == {"number": None, "customers": []}


def test_the_callers_scope_or_permission_is_needed(company, callers):
    assert Client().get(URL, {"number": PHONE}).status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer nope").get(URL, {"number": PHONE}).status_code == 401
    read_only = token_client(company, scopes=("read", "write"))
    response = read_only.get(URL, {"number": PHONE})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"

    staff = Client()
    staff.force_login(make_staff("cora", company, Role.CALL_CENTRE))  # care.callers
    assert [c["id"] for c in staff.get(URL, {"number": PHONE}).json()["customers"]] == [callers[0].pk]
    sales = Client()
    sales.force_login(make_staff("sam", company, Role.SALES_MANAGER))  # no care.callers
    assert sales.get(URL, {"number": PHONE}).status_code == 403
