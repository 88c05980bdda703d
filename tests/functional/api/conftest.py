import pytest
from django.test import Client

from kilowatt.core.operations import api_token_create
from tests.conftest import NOW


def token_client(company, scopes=("read", "write")) -> Client:
    _, key = api_token_create(
        company=company, name="integration", scopes=list(scopes), created_by=None, now=NOW
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def api(company):
    return token_client(company)


@pytest.fixture
def rival_api(other_company):
    return token_client(other_company)


@pytest.fixture
def read_only_api(company):
    return token_client(company, scopes=("read",))
