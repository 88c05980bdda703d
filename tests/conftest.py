"""Fixtures shared by all tests: companies, staff users with roles, a fixed clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from kilowatt.core.clock import FixedClock
from kilowatt.core.models import Company, Membership, Role

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("Europe/Warsaw"))

# Tests never depend on the machine's speed: no deadlines, no "input generation is slow" failures.
hypothesis_settings.register_profile("kilowatt", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("kilowatt")


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def company(db) -> Company:
    return Company.objects.create(code="acme", name="Acme Energia", nip="5260250274")


@pytest.fixture
def other_company(db) -> Company:
    return Company.objects.create(code="rival", name="Rival Energia", nip="7740001454")


def make_staff(username: str, company: Company, *roles: str):
    user = get_user_model().objects.create_user(username=username, password="s3cret-pass!")
    for role in roles:
        Membership.objects.create(user=user, company=company, role=role)
    return user


@pytest.fixture
def back_office_user(company):
    return make_staff("anna", company, Role.BACK_OFFICE)


@pytest.fixture
def admin_user(company):
    return make_staff("adam", company, Role.ADMIN)


@pytest.fixture
def rival_user(other_company):
    return make_staff("rita", other_company, Role.ADMIN)


@pytest.fixture(autouse=True)
def english_messages(settings):
    """Assertions read English messages; Polish is checked on purpose in the tests that say so."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


REFERENCE_DATA_MIGRATIONS = [
    "kilowatt.network.migrations.0003_reference_data_pl",
    "kilowatt.catalog.migrations.0002_reference_data_pl_2026",
    "kilowatt.catalog.migrations.0004_reference_gas_profiles",
    "kilowatt.finance.migrations.0004_reference_interest_rates",
]


@pytest.fixture
def reference_data():
    """The shipped reference data (DSOs, tariffs, rates, profiles) for transactional tests: flushing
    after another transactional test empties the tables the migrations filled. The loaders are
    idempotent."""
    from importlib import import_module

    from django.apps import apps

    for module in REFERENCE_DATA_MIGRATIONS:
        import_module(module).load(apps, None)
