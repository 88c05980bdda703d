import io

import pytest
from openpyxl import load_workbook

from kilowatt.core.models import Role
from kilowatt.parties.models import Customer
from tests import factories
from tests.conftest import make_staff


@pytest.fixture
def staff_client(client, back_office_user):
    client.force_login(back_office_user)
    return client


@pytest.mark.django_db
def test_pages_need_a_login(client):
    response = client.get("/lists/customers/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_login_with_the_printed_password(client, back_office_user):
    response = client.post("/login/", {"username": "anna", "password": "s3cret-pass!"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def _collections_history(company, customer, now):
    from datetime import date, timedelta
    from decimal import Decimal

    from kilowatt.collections.instalments import instalment_plan_create
    from kilowatt.collections.models import DunningPolicy, DunningStep
    from kilowatt.collections.run import dunning_run
    from kilowatt.finance.models import LedgerEntry
    from kilowatt.finance.operations import Posting, ledger_post_many

    day = date(2026, 3, 1)
    ledger_post_many(
        company=company,
        postings=[
            Posting(customer.pk, "invoice", "invoice", n, f"FV/{n:06d}/2026", Decimal("100.00"), day, day)
            for n in range(1, 5)
        ]
        + [
            Posting(customer.pk, "payment", "bank_transaction", n, "P", Decimal("-30.00"), day, None)
            for n in (1, 2)
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
    for night in range(3):
        dunning_run(company=company, on_date=day + timedelta(days=5 + night), now=now)
    instalment_plan_create(
        customer=customer,
        entries=list(LedgerEntry.objects.filter(customer=customer, kind="invoice")[:2]),
        count=3,
        first_due=day + timedelta(days=20),
        grace_days=7,
        created_by="staff",
        on_date=day + timedelta(days=8),
        now=now,
    )


@pytest.mark.django_db
def test_customer_360_shows_its_panels_with_bounded_queries(
    staff_client, company, now, django_assert_max_num_queries
):
    customer = factories.customer(company, now, pesel="44051401359")
    for _ in range(3):
        factories.supply_point(company, customer, now)
    _collections_history(company, customer, now)
    # Each panel reads with a fixed number of queries, however many invoices, payments, notices and
    # instalments the customer has: the bound holds with several of each. Care's tickets and
    # correspondence panels take one query each.
    with django_assert_max_num_queries(39):
        page = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    for panel in [
        "panel-customer",
        "panel-contacts",
        "panel-supply_points",
        "panel-contracts",
        "panel-history",
        "panel-finance",
        "panel-collections",
    ]:
        assert panel in page
    assert customer.supply_points.first().code in page and "44051401359" in page


@pytest.mark.django_db
def test_another_companys_customer_is_not_found(staff_client, other_company, now):
    stranger = factories.customer(other_company, now)
    assert staff_client.get(f"/customers/{stranger.pk}/").status_code == 404
    assert staff_client.get(f"/customers/{stranger.pk}/edit/").status_code == 404
    assert stranger.number not in staff_client.get("/lists/customers/").content.decode()
    assert (
        staff_client.get("/search/", {"q": stranger.last_name}).content.decode().count(stranger.number) == 0
    )


@pytest.mark.django_db
def test_company_switcher_refuses_a_company_the_user_has_no_role_in(staff_client, other_company):
    assert staff_client.post("/company/", {"company": other_company.pk}).status_code == 403


@pytest.mark.django_db
def test_create_customer_shows_each_error_next_to_its_field_and_saves_nothing(staff_client):
    response = staff_client.post(
        "/customers/new/",
        {
            "kind": "person",
            "first_name": "Jan",
            "last_name": "Nowak",
            "pesel": "44051401358",
            "nip": "1234567890",
            "preferred_channel": "paper",
            "address_building_number": "1",
            "address_postal_code": "00950",
            "address_city": "Warszawa",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="field-pesel"' in page and "has-error" in page
    assert page.count('class="field has-error"') == 2  # PESEL and NIP; the postal code was normalised
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_create_and_edit_customer_records_history(staff_client, company):
    form = {
        "kind": "business",
        "business_name": "Hurtownia Zenit",
        "nip": "5260250274",
        "email": "z@zenit.pl",
        "preferred_channel": "email",
        "address_building_number": "2",
        "address_postal_code": "30-001",
        "address_city": "Kraków",
    }
    response = staff_client.post("/customers/new/", form)
    customer = Customer.objects.get()
    assert response["Location"] == f"/customers/{customer.pk}/"
    staff_client.post(f"/customers/{customer.pk}/edit/", {**form, "business_name": "Hurtownia Zenit S.A."})
    page = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Hurtownia Zenit → Hurtownia Zenit S.A." in page


@pytest.mark.django_db
def test_list_filters_sorts_paginates_and_exports_only_the_company(staff_client, company, other_company, now):
    for index in range(60):
        factories.customer(
            company, now, pesel="", email=f"c{index}@example.pl", last_name=f"Nazwisko{index:02d}"
        )
    factories.customer(other_company, now, pesel="", last_name="Obcy")
    page = staff_client.get("/lists/customers/", {"sort": "-last_name"}).content.decode()
    assert "Nazwisko59" in page and "Nazwisko00" not in page
    last = Customer.objects.get(last_name="Nazwisko59")
    assert f'href="/customers/{last.pk}/"' in page
    export = staff_client.get("/lists/customers/", {"q": "nazwisko1", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == [f"Jan Nazwisko{i}" for i in range(10, 20)]
    full = load_workbook(io.BytesIO(staff_client.get("/lists/customers/", {"export": "xlsx"}).content)).active
    assert full.max_row == 61 and all("Obcy" not in str(row) for row in full.iter_rows(values_only=True))


@pytest.mark.django_db
def test_export_needs_the_export_permission(client, company):
    client.force_login(make_staff("cc", company, Role.CALL_CENTRE))
    assert client.get("/lists/customers/").status_code == 200
    assert client.get("/lists/customers/", {"export": "xlsx"}).status_code == 403
    assert client.get("/imports/customers/").status_code == 403


@pytest.mark.django_db
def test_read_only_roles_cannot_open_forms(client, company, now):
    client.force_login(make_staff("fin", company, Role.FINANCE))
    customer = factories.customer(company, now)
    assert client.get(f"/customers/{customer.pk}/").status_code == 200
    assert client.get(f"/customers/{customer.pk}/edit/").status_code == 403


@pytest.mark.django_db
def test_user_without_a_company_gets_a_clear_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    response = client.get("/")
    assert response.status_code == 403
    assert 'id="no-company"' in response.content.decode()


@pytest.mark.django_db
def test_lists_have_bounded_queries(staff_client, company, now, django_assert_max_num_queries):
    for index in range(30):
        customer = factories.customer(company, now, pesel="", email=f"q{index}@example.pl")
        factories.supply_point(company, customer, now)
    for name in ["customers", "supply_points", "meters", "contracts"]:
        with django_assert_max_num_queries(12):
            assert staff_client.get(f"/lists/{name}/").status_code == 200


@pytest.mark.django_db
def test_supply_point_form_refuses_a_bad_code(staff_client, company, now):
    customer = factories.customer(company, now)
    data = factories.supply_point_data()
    response = staff_client.post(
        f"/customers/{customer.pk}/supply-points/new/",
        {
            "code": data.code[:-1] + str((int(data.code[-1]) + 1) % 10),
            "commodity": "electricity",
            "dso_id": data.dso_id,
            "tariff_group_id": data.tariff_group_id,
            "annual_consumption_kwh": "1000",
            "address_building_number": "1",
            "address_postal_code": "00-001",
            "address_city": "Warszawa",
        },
    )
    assert 'id="field-code"' in response.content.decode() and "check digit" in response.content.decode()
    assert customer.supply_points.count() == 0


@pytest.mark.django_db
def test_admin_extends_a_dictionary_and_a_duplicate_is_refused(client, admin_user, back_office_user):
    client.force_login(admin_user)
    entry = {"dictionary": "contact_role", "code": "ceo", "label_pl": "Prezes", "label_en": "CEO"}
    assert client.post("/dictionaries/", entry).status_code == 302
    again = client.post("/dictionaries/", entry).content.decode()
    assert 'id="field-code"' in again and "already in the list" in again
    assert "Prezes" in client.get("/dictionaries/").content.decode()
    client.force_login(back_office_user)
    assert client.get("/dictionaries/").status_code == 403


@pytest.mark.django_db
def test_contract_is_created_from_the_customer_page_and_signed(staff_client, company, now):
    from datetime import date

    from kilowatt.catalog.models import PriceList, Product
    from kilowatt.sales.models import Contract

    customer = factories.customer(company, now)
    point = factories.supply_point(company, customer, now)
    product = Product.objects.create(company=company, code="p", name="Prąd", commodity="electricity")
    price_list = PriceList.objects.create(
        company=company, product=product, code="p26", name="Prąd 2026", valid_from=date(2026, 1, 1)
    )
    form = {
        "kind": "comprehensive",
        "product_id": product.pk,
        "price_list_id": price_list.pk,
        "billing_cycle_months": 2,
        "payment_term_days": 14,
        "notice_period_days": 30,
    }
    missing = staff_client.post(f"/customers/{customer.pk}/contracts/new/", form).content.decode()
    assert 'id="field-supply_point_ids"' in missing and 'id="field-start_date"' in missing
    assert Contract.objects.count() == 0
    staff_client.post(
        f"/customers/{customer.pk}/contracts/new/",
        {**form, "supply_point_ids": [point.pk], "start_date": "2026-04-01"},
    )
    contract = Contract.objects.get()
    assert "→ Signed" in staff_client.get(f"/customers/{customer.pk}/").content.decode()
    staff_client.post(f"/contracts/{contract.pk}/status/", {"status": "signed"})
    contract.refresh_from_db()
    assert contract.status == "signed" and contract.signed_on is not None


@pytest.mark.django_db
def test_a_new_meter_replaces_the_old_one_with_registers_for_the_tariff_zones(
    staff_client, company, other_company, now
):
    from kilowatt.network.models import MeterInstallation, TariffGroup

    customer = factories.customer(company, now)
    point = factories.supply_point(
        company, customer, now, tariff_group_id=TariffGroup.objects.get(code="G12").pk
    )
    staff_client.post(
        f"/supply-points/{point.pk}/meters/new/", {"serial_number": "A-1", "installed_on": "2024-01-01"}
    )
    staff_client.post(
        f"/supply-points/{point.pk}/meters/new/", {"serial_number": "B-2", "installed_on": "2026-02-01"}
    )
    installations = list(MeterInstallation.objects.filter(supply_point=point).order_by("installed_on"))
    assert [(i.meter.serial_number, str(i.removed_on)) for i in installations] == [
        ("A-1", "2026-02-01"),
        ("B-2", "None"),
    ]
    assert sorted(installations[1].meter.registers.values_list("code", "zone")) == [
        ("1.8.1", "peak"),
        ("1.8.2", "offpeak"),
    ]
    duplicate = staff_client.post(
        f"/supply-points/{point.pk}/meters/new/", {"serial_number": "B-2", "installed_on": "2026-03-01"}
    )
    assert (
        'id="field-serial_number"' in duplicate.content.decode()
        and "already exists" in duplicate.content.decode()
    )
    rival_point = factories.supply_point(other_company, factories.customer(other_company, now), now)
    assert staff_client.get(f"/supply-points/{rival_point.pk}/meters/new/").status_code == 404


@pytest.mark.django_db
def test_tariffs_page_shows_reference_badges_and_billing_confirms(
    client, company, back_office_user, django_assert_max_num_queries
):
    from kilowatt.catalog.models import DistributionTariff

    client.force_login(back_office_user)
    with django_assert_max_num_queries(12):
        page = client.get("/tariffs/").content.decode()
    assert "0.3469" in page and "to be confirmed" in page
    tariff = DistributionTariff.objects.get(dso__code="pge-dystrybucja", tariff_group__code="G11")
    assert client.post("/tariffs/", {"kind": "tariff", "ids": [tariff.pk]}).status_code == 403
    billing = make_staff("bill", company, Role.BILLING)
    client.force_login(billing)
    client.post("/tariffs/", {"kind": "tariff", "ids": [tariff.pk]})
    tariff.refresh_from_db()
    assert tariff.confirmed_by == billing and not tariff.needs_confirmation


@pytest.mark.django_db
def test_contact_person_and_consents_from_the_360_page(staff_client, company, now):
    from kilowatt.parties.models import Consent

    customer = factories.customer(company, now)
    bad = staff_client.post(f"/customers/{customer.pk}/contacts/new/", {"first_name": "Ewa", "phone": "12"})
    assert 'id="field-last_name"' in bad.content.decode() and customer.contacts.count() == 0
    staff_client.post(
        f"/customers/{customer.pk}/contacts/new/",
        {"first_name": "Ewa", "last_name": "Nowak", "is_signing_person": "on"},
    )
    assert customer.contacts.get().is_signing_person
    staff_client.post(f"/customers/{customer.pk}/consents/", {"kind": "marketing", "action": "grant"})
    staff_client.post(f"/customers/{customer.pk}/consents/", {"kind": "marketing", "action": "withdraw"})
    consent = Consent.objects.get(customer=customer)
    assert consent.withdrawn_at is not None and consent.source == "back office"
    page = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Ewa Nowak" in page and "signing person" in page and "withdrawn" in page


@pytest.mark.django_db
def test_meter_export_lists_registers_with_bounded_queries(
    staff_client, company, now, django_assert_max_num_queries
):
    customer = factories.customer(company, now)
    for index in range(5):
        point = factories.supply_point(company, customer, now)
        staff_client.post(
            f"/supply-points/{point.pk}/meters/new/",
            {"serial_number": f"S{index}", "installed_on": "2025-01-01"},
        )
    with django_assert_max_num_queries(10):
        export = staff_client.get("/lists/meters/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 5 and all(row[3] == "1.8.0" for row in rows)
