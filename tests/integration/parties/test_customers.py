import pytest

from kilowatt.core.errors import ValidationFailed
from kilowatt.parties.models import Address, Consent, Customer
from kilowatt.parties.operations import (
    ContactData,
    consent_grant,
    consent_withdraw,
    contact_add,
    customer_create,
    customer_update,
)
from kilowatt.parties.queries import customers_search
from tests import factories


def fields_of(exc: ValidationFailed) -> set[str]:
    return {error.field for error in exc.errors}


@pytest.mark.django_db
def test_person_is_created_with_normalised_data_and_a_number(company, now):
    customer = customer_create(
        company=company,
        data=factories.person_data(pesel="440514 01359", phone="601-234-567", email="Jan@Example.PL"),
        actor=None,
        now=now,
    )
    assert customer.number == "K/000001/2026"
    assert (customer.pesel, customer.phone, customer.email) == (
        "44051401359",
        "+48601234567",
        "jan@example.pl",
    )
    assert customer.search_text == "jan kowalski warszawa jan@example.pl"


@pytest.mark.django_db
def test_every_bad_field_is_named_and_nothing_is_stored(company, now):
    data = factories.person_data(
        pesel="44051401358",
        nip="5260250275",
        address=factories.address(postal_code="0095"),
        email="nope",
    )
    with pytest.raises(ValidationFailed) as caught:
        customer_create(company=company, data=data, actor=None, now=now)
    assert fields_of(caught.value) == {"pesel", "nip", "address.postal_code", "email"}
    assert "check digit" in next(e.message for e in caught.value.errors if e.field == "nip")
    assert Customer.objects.count() == 0
    assert Address.objects.count() == 0


@pytest.mark.django_db
def test_business_needs_a_nip_and_a_name(company, now):
    with pytest.raises(ValidationFailed) as caught:
        customer_create(
            company=company, data=factories.business_data(nip="", business_name=""), actor=None, now=now
        )
    assert fields_of(caught.value) == {"nip", "business_name"}


@pytest.mark.django_db
def test_same_pesel_twice_in_one_company_is_refused_but_allowed_in_another(company, other_company, now):
    factories.customer(company, now, pesel="44051401359")
    with pytest.raises(ValidationFailed) as caught:
        factories.customer(company, now, pesel="44051401359", email="other@example.pl")
    assert caught.value.field == "pesel" and caught.value.code == "duplicate"
    assert factories.customer(other_company, now, pesel="44051401359").company == other_company


@pytest.mark.django_db
def test_update_keeps_own_identifiers_and_refuses_a_bad_one_without_change(company, now):
    customer = factories.customer(company, now, pesel="44051401359")
    customer_update(
        customer=customer,
        data=factories.person_data(pesel="44051401359", address=factories.address(city="Gdańsk")),
        actor=None,
        now=now,
    )
    with pytest.raises(ValidationFailed):
        customer_update(
            customer=customer,
            data=factories.person_data(
                pesel="44051401359", first_name="Piotr", address=factories.address(postal_code="x")
            ),
            actor=None,
            now=now,
        )
    customer.refresh_from_db()
    assert customer.first_name == "Jan"


@pytest.mark.django_db
def test_contacts_and_consents(company, now):
    customer = customer_create(company=company, data=factories.business_data(), actor=None, now=now)
    signer = contact_add(
        customer=customer,
        data=ContactData(first_name="Ewa", last_name="Nowak", is_signing_person=True),
        actor=None,
        now=now,
    )
    assert signer.is_signing_person
    with pytest.raises(ValidationFailed) as caught:
        contact_add(
            customer=customer, data=ContactData(first_name="", last_name="X", phone="12"), actor=None, now=now
        )
    assert fields_of(caught.value) == {"first_name", "phone"}
    first = consent_grant(customer=customer, kind="marketing", source="web form", actor=None, now=now)
    assert consent_grant(customer=customer, kind="marketing", source="phone", actor=None, now=now) == first
    consent_withdraw(customer=customer, kind="marketing", actor=None, now=now)
    consent_grant(customer=customer, kind="marketing", source="phone", actor=None, now=now)
    assert list(Consent.objects.filter(customer=customer).values_list("source", "withdrawn_at")) in (
        [("phone", None), ("web form", now)],
        [("web form", now), ("phone", None)],
    )


@pytest.mark.django_db
def test_search_by_every_identifier_stays_in_the_company(company, other_company, now):
    customer = factories.customer(company, now, pesel="44051401359", last_name="Łukasiewicz")
    factories.customer(other_company, now, pesel="44051401359", last_name="Łukasiewicz")
    for text in [
        "44051401359",
        "lukasiew",
        "Łukasiewicz",
        "+48 601 234 567",
        "jan@example.pl",
        customer.number,
    ]:
        assert customers_search(company=company, text=text) == [customer], text
    assert customers_search(company=company, text="Zieliński") == []
