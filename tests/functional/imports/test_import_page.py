import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kilowatt.parties.models import Customer
from tests import factories

CSV = (
    "external_id;kind;first_name;last_name;pesel;email;building_number;postal_code;city;supply_point_code;"
    "dso_code;tariff_group;annual_consumption_kwh\n"
    "A1;person;Jan;Kowalski;44051401359;jan@example.pl;5;00-950;Warszawa;{code};pge-dystrybucja;G11;2100\n"
    "A2;person;Ewa;Nowak;44051401358;ewa@example.pl;6;00-950;Warszawa;;;;\n"
)


@pytest.fixture
def upload(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return SimpleUploadedFile("customers.csv", CSV.format(code=factories.ppe_code()).encode())


@pytest.mark.django_db
def test_upload_preview_confirm_and_repeat(client, back_office_user, upload, rival_user):
    client.force_login(back_office_user)
    preview = client.post("/imports/customers/", {"file": upload}).content.decode()
    assert 'id="import-preview"' in preview and "pesel" in preview and Customer.objects.count() == 0
    file_hash = re.search(r'name="file_hash" value="([0-9a-f]{64})"', preview).group(1)
    # another company cannot import what this one previewed
    client.force_login(rival_user)
    assert client.post("/imports/customers/", {"file_hash": file_hash}).status_code == 404
    client.force_login(back_office_user)
    result = client.post("/imports/customers/", {"file_hash": file_hash}).content.decode()
    assert 'id="import-result"' in result and Customer.objects.count() == 1
    again = client.post("/imports/customers/", {"file_hash": file_hash}).content.decode()
    assert "already imported" in again and Customer.objects.count() == 1


@pytest.mark.django_db
def test_unreadable_file_is_refused_on_the_field(client, back_office_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(back_office_user)
    page = client.post("/imports/customers/", {"file": SimpleUploadedFile("x.csv", b"kind;city\nperson;X\n")})
    assert "Missing columns" in page.content.decode() and Customer.objects.count() == 0
