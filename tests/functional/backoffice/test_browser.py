"""A real Chromium (Debian's) driven through Playwright against the live server."""

import os

import pytest

from tests import factories
from tests.functional.conftest import BROWSER_MARKS

pytestmark = BROWSER_MARKS


def log_in(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "s3cret-pass!")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.django_db(transaction=True)
def test_log_in_search_by_pesel_and_see_the_360_page(
    browser_page, live_server, company, back_office_user, now, reference_data
):
    customer = factories.customer(company, now, pesel="44051401359")
    point = factories.supply_point(company, customer, now)
    log_in(browser_page, live_server)
    browser_page.fill("input[name=q]", "44051401359")
    browser_page.press("input[name=q]", "Enter")
    browser_page.wait_for_url(f"{live_server.url}/customers/{customer.pk}/")
    assert browser_page.is_visible("#panel-supply_points")
    assert point.code in browser_page.inner_text("#panel-supply_points")
    browser_page.screenshot(path="test-results/customer-360.png", full_page=True) if os.path.isdir(
        "test-results"
    ) else None


@pytest.mark.django_db(transaction=True)
def test_invalid_nip_is_shown_next_to_the_field(browser_page, live_server, company, back_office_user):
    log_in(browser_page, live_server)
    browser_page.goto(f"{live_server.url}/customers/new/")
    browser_page.select_option("#id_kind", "business")
    browser_page.fill("#id_business_name", "Firma Testowa")
    browser_page.fill("#id_nip", "5260250275")
    browser_page.select_option("#id_preferred_channel", "paper")
    browser_page.fill("#id_address_building_number", "1")
    browser_page.fill("#id_address_postal_code", "00-001")
    browser_page.fill("#id_address_city", "Warszawa")
    browser_page.click("main form.card button[type=submit]")
    error = browser_page.inner_text("#field-nip .errorlist")
    assert error.strip()
    assert "has-error" in browser_page.get_attribute("#field-nip", "class")


@pytest.mark.django_db(transaction=True)
def test_language_switch_to_english_and_back(browser_page, live_server, company, back_office_user):
    log_in(browser_page, live_server)
    with browser_page.expect_navigation():
        browser_page.select_option("select[name=language]", "en")
    assert "Customers" in browser_page.inner_text("nav")
    with browser_page.expect_navigation():
        browser_page.select_option("select[name=language]", "pl")
    assert "Klienci" in browser_page.inner_text("nav")
    assert "Punkty poboru" in browser_page.inner_text("nav")
