"""Back office imports of DSO read files and interval files: upload, progress, result, repeat, access."""

import re
import threading
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kilowatt.core.models import ImportBatch, Role
from kilowatt.interfaces.backoffice.imports import background
from kilowatt.interfaces.tasks import tasks
from kilowatt.metering import imports as reads_imports
from kilowatt.metering.models import IntervalDay, MeterRead
from kilowatt.network.operations import meter_mount_new
from tests import factories
from tests.conftest import make_staff

HEADER = "supply_point_code;meter_serial;register_code;read_on;value"
PROGRESS = re.compile(r"(\d+) of (\d+) rows done")


@pytest.fixture
def point(company, now, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    point = factories.supply_point(company, factories.customer(company, now), now)
    meter_mount_new(
        supply_point=point, serial_number="M9", installed_on=date(2025, 1, 1), actor=None, now=now
    )
    return point


@pytest.fixture
def inline_imports(monkeypatch):
    """The background work runs in the test's thread (and transaction) as soon as it is started."""
    monkeypatch.setattr(
        background, "_launch", lambda batch_id, language: tasks.import_run(batch_id, language)
    )


def reads_csv(point, *rows: str) -> bytes:
    return "\n".join([HEADER, *(f"{point.code};{row}" for row in rows)]).encode()


def upload(client, url, content: bytes, capture, name="reads.csv"):
    with capture(execute=True):
        return client.post(url, {"file": SimpleUploadedFile(name, content)})


@pytest.mark.django_db
@pytest.mark.usefixtures("inline_imports")
def test_upload_shows_result_with_row_errors_and_the_same_file_changes_nothing(
    client, back_office_user, point, django_capture_on_commit_callbacks
):
    client.force_login(back_office_user)
    assert "Import meter reads" in client.get("/").content.decode()
    content = reads_csv(
        point,
        "M9;1.8.0;2026-01-01;1000",
        "M9;1.8.0;2026-02-01;1210",
        "M9;1.8.0;31.03.2026;1300",
        "M9;1.8.0;2026-03-01;1290",
    )
    response = upload(client, "/imports/reads/", content, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert response.url == f"/imports/batches/{batch.pk}/"
    page = client.get(response.url).content.decode()
    assert 'id="import-result"' in page
    assert "Rows: 4 · imported: 3 · unchanged: 0 · with errors: 1" in page
    assert "<td>4</td><td>read_on</td><td>A date looks like 2026-03-31.</td>" in page
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done, batch.rows_total) == ("completed", 4, 4)
    assert batch.finished_at is not None and batch.created_by == back_office_user
    assert MeterRead.objects.count() == 3

    again = upload(client, "/imports/reads/", content, django_capture_on_commit_callbacks)
    assert again.url == f"/imports/batches/{batch.pk}/?again=1"
    assert "already imported; nothing was changed" in client.get(again.url).content.decode()
    assert MeterRead.objects.count() == 3 and ImportBatch.objects.count() == 1
    listing = client.get("/imports/reads/").content.decode()
    assert f'href="/imports/batches/{batch.pk}/">reads.csv</a>' in listing


@pytest.mark.django_db
@pytest.mark.usefixtures("inline_imports")
def test_progress_is_written_as_the_import_goes(
    client, back_office_user, point, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks, "IMPORT_PROGRESS_EVERY", 100)
    first = date(2025, 1, 2)
    # every 10th row a read, the others of a register the meter does not have (cheaper to run)
    rows = [
        f"M9;1.8.0;{first + timedelta(days=n)};{1000 + n}" if n % 10 == 0 else f"M9;1.8.9;2026-01-01;{n}"
        for n in range(1150)
    ]
    observed: list[tuple[int, int]] = []
    written = reads_imports.import_batch_progress

    def progress_then_poll(**kwargs):
        written(**kwargs)
        batch = ImportBatch.objects.get(pk=kwargs["batch_id"])
        poll = client.get(f"/imports/batches/{batch.pk}/", headers={"HX-Request": "true"}).content.decode()
        assert 'hx-trigger="every 1s"' in poll and "<progress" in poll
        done, total = (int(n) for n in PROGRESS.search(poll).groups())
        assert (done, total) == (batch.rows_done, batch.rows_total)
        observed.append((done, total))

    monkeypatch.setattr(reads_imports, "import_batch_progress", progress_then_poll)
    client.force_login(back_office_user)
    response = upload(client, "/imports/reads/", reads_csv(point, *rows), django_capture_on_commit_callbacks)
    dones = [done for done, _total in observed]
    assert dones == [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1150]
    assert {total for _done, total in observed} == {1150}
    final = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert (
        "hx-trigger" not in final and "Rows: 1150 · imported: 115 · unchanged: 0 · with errors: 1035" in final
    )
    assert ImportBatch.objects.get().rows_done == 1150 and MeterRead.objects.count() == 115


@pytest.mark.django_db
def test_progress_poll_is_bounded_and_another_company_gets_404(
    client, back_office_user, rival_user, company, now, django_assert_max_num_queries
):
    batch, already = reads_imports.import_batch_begin(
        company=company, kind=reads_imports.IMPORT_KIND, file_name="r.csv", content=b"x", actor=None, now=now
    )
    reads_imports.import_batch_progress(batch_id=batch.pk, done=500, total=2000, now=now)
    url = f"/imports/batches/{batch.pk}/"
    client.force_login(back_office_user)
    client.get(url)  # session and company settle
    with django_assert_max_num_queries(6):
        poll = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert '<progress max="2000" value="500"' in poll and "500 of 2000 rows done (25 %)" in poll
    client.force_login(rival_user)
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404


@pytest.mark.django_db
def test_a_role_without_import_data_is_refused(client, company, now):
    batch, _ = reads_imports.import_batch_begin(
        company=company, kind=reads_imports.IMPORT_KIND, file_name="r.csv", content=b"x", actor=None, now=now
    )
    client.force_login(make_staff("fiona", company, Role.FINANCE))
    for url in ("/imports/reads/", "/imports/intervals/", f"/imports/batches/{batch.pk}/"):
        assert client.get(url).status_code == 403
    assert client.post("/imports/reads/", {"file": SimpleUploadedFile("r.csv", b"x")}).status_code == 403
    assert "Import meter reads" not in client.get("/").content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("inline_imports")
def test_an_unreadable_file_fails_and_may_be_uploaded_again(
    client, back_office_user, point, django_capture_on_commit_callbacks
):
    client.force_login(back_office_user)
    content = b"supply_point_code;read_on\nX;2026-01-01\n"
    response = upload(client, "/imports/reads/", content, django_capture_on_commit_callbacks)
    page = client.get(response.url).content.decode()
    assert "Missing columns: meter_serial, register_code, value" in page and "upload it again" in page
    assert ImportBatch.objects.get().status == "failed"
    again = upload(client, "/imports/reads/", content, django_capture_on_commit_callbacks)
    assert "again=1" not in again.url and ImportBatch.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("inline_imports")
def test_interval_file_upload(client, back_office_user, point, django_capture_on_commit_callbacks):
    rows = [f"{point.code};2026-03-02;{n};0.125" for n in range(1, 97)]
    rows.append(f"{point.code};2026-03-02;97;0.125")
    content = "\n".join(["supply_point_code;day;interval;value_kwh", *rows]).encode()
    client.force_login(back_office_user)
    assert "Import interval data" in client.get("/").content.decode()
    response = upload(client, "/imports/intervals/", content, django_capture_on_commit_callbacks, "q.csv")
    page = client.get(response.url).content.decode()
    assert (
        "Import interval data" in page and "Rows: 97 · imported: 96 · unchanged: 0 · with errors: 1" in page
    )
    assert "<td>98</td><td>interval</td>" in page and "2026-03-02 has intervals 1 to 96" in page
    assert IntervalDay.objects.get().day == date(2026, 3, 2)
    again = upload(client, "/imports/intervals/", content, django_capture_on_commit_callbacks, "q.csv")
    assert again.url.endswith("?again=1") and IntervalDay.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_without_a_broker_the_upload_returns_and_a_thread_imports(client, back_office_user, point, settings):
    """The real path of the demo: no inline patch, a daemon thread with its own connection."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(back_office_user)
    first = date(2025, 2, 1)
    content = reads_csv(point, *(f"M9;1.8.0;{first + timedelta(days=n)};{100 + n}" for n in range(30)))
    response = client.post("/imports/reads/", {"file": SimpleUploadedFile("reads.csv", content)})
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    [worker] = [t for t in threading.enumerate() if t.name == f"kilowatt-import-{batch.pk}"] or [None]
    if worker is not None:  # None: it has already finished
        assert worker.daemon
        worker.join(timeout=60)
        assert not worker.is_alive()
    batch.refresh_from_db()
    assert batch.status == "completed" and batch.finished_at is not None
    assert "Rows: 30 · imported: 30" in client.get(response.url).content.decode()
    assert MeterRead.objects.count() == 30
