from datetime import date, timedelta

import pytest

from kilowatt.core.models import ImportBatch
from kilowatt.metering import imports as reads_imports
from kilowatt.metering.imports import (
    IMPORT_KIND,
    TableReadFile,
    import_batch_begin,
    import_batch_fail,
    import_batch_progress,
    meter_reads_import,
    read_file_format_for,
)
from kilowatt.metering.models import MeterRead
from kilowatt.network.operations import meter_mount_new
from tests import factories


@pytest.fixture
def point(company, now):
    point = factories.supply_point(company, factories.customer(company, now), now)
    meter_mount_new(
        supply_point=point, serial_number="M9", installed_on=date(2025, 1, 1), actor=None, now=now
    )
    return point


def csv(point, *rows):
    header = "supply_point_code;meter_serial;register_code;read_on;value"
    return "\n".join([header, *(f"{point.code};{r}" for r in rows)]).encode()


@pytest.mark.django_db
def test_reads_file_imports_once_and_reports_bad_rows(company, now, point):
    content = csv(
        point,
        "M9;1.8.0;2026-01-01;1000",
        "M9;1.8.0;2026-02-01;1210",
        "M9;1.8.9;2026-02-01;5",
        "M9;1.8.0;01.03.2026;1300",
        "M9;1.8.0;2026-03-01;abc",
    )
    result = meter_reads_import(company=company, file_name="reads.csv", content=content, actor=None, now=now)
    assert result.batch.rows_created == 2
    assert {(e["row"], e["column"]) for e in result.errors} == {
        (4, "register_code"),
        (5, "read_on"),
        (6, "value"),
    }
    assert MeterRead.objects.get(read_on=date(2026, 2, 1)).consumption == 210
    again = meter_reads_import(company=company, file_name="reads.csv", content=content, actor=None, now=now)
    assert again.already_imported and MeterRead.objects.count() == 2
    other_file = meter_reads_import(
        company=company,
        file_name="b.csv",
        content=csv(point, "M9;1.8.0;2026-02-01;1210", "M9;1.8.0;2026-03-01;1400"),
        actor=None,
        now=now,
    )
    assert (other_file.batch.rows_created, other_file.batch.rows_unchanged) == (1, 1)


@pytest.mark.django_db
def test_reads_of_another_company_are_refused(company, other_company, now, point):
    result = meter_reads_import(
        company=other_company,
        file_name="r.csv",
        content=csv(point, "M9;1.8.0;2026-01-01;1000"),
        actor=None,
        now=now,
    )
    assert result.errors[0]["column"] == "supply_point_code" and MeterRead.objects.count() == 0


@pytest.mark.django_db
def test_progress_is_reported_every_n_rows_and_at_the_end(company, now, point):
    rows = [f"M9;1.8.0;2026-01-{day:02d};{1000 + day}" for day in range(1, 6)]
    seen = []
    meter_reads_import(
        company=company,
        file_name="r.csv",
        content=csv(point, *rows),
        actor=None,
        now=now,
        progress=lambda done, total: seen.append((done, total)),
        progress_every=2,
    )
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]


@pytest.mark.django_db
def test_a_background_batch_is_filled_in_and_blocks_the_same_file(company, now, point):
    content = csv(point, "M9;1.8.0;2026-01-01;1000", "M9;1.8.0;2026-02-01;x")
    batch, already = import_batch_begin(
        company=company, kind=IMPORT_KIND, file_name="r.csv", content=content, actor=None, now=now
    )
    assert not already and batch.status == ImportBatch.Status.RUNNING
    # while it runs, the same file is not started again, whether in the background or not
    assert import_batch_begin(
        company=company, kind=IMPORT_KIND, file_name="r.csv", content=content, actor=None, now=now
    ) == (batch, True)
    assert meter_reads_import(
        company=company, file_name="r.csv", content=content, actor=None, now=now
    ).already_imported
    result = meter_reads_import(
        company=company, file_name="r.csv", content=content, actor=None, now=now, batch=batch
    )
    batch.refresh_from_db()
    assert result.batch == batch and ImportBatch.objects.count() == 1
    assert (batch.status, batch.rows_total, batch.rows_done, batch.rows_created, batch.rows_failed) == (
        ImportBatch.Status.COMPLETED,
        2,
        2,
        1,
        1,
    )
    assert batch.errors == [{"row": 3, "column": "value", "message": batch.errors[0]["message"]}]


@pytest.mark.django_db
def test_a_failed_or_stalled_batch_lets_the_file_be_imported_again(company, now):
    begin = {"company": company, "kind": IMPORT_KIND, "file_name": "r.csv", "content": b"x", "actor": None}
    batch, _ = import_batch_begin(**begin, now=now)
    import_batch_progress(batch_id=batch.pk, done=10, total=100, now=now)
    assert import_batch_begin(**begin, now=now + timedelta(minutes=14))[1] is True
    retry, already = import_batch_begin(**begin, now=now + timedelta(minutes=16))
    batch.refresh_from_db()
    assert not already and retry != batch and batch.status == ImportBatch.Status.FAILED
    assert "stopped without finishing" in batch.errors[0]["message"]
    import_batch_fail(batch_id=retry.pk, message="boom", now=now)
    third, already = import_batch_begin(**begin, now=now)
    assert not already and ImportBatch.objects.filter(status=ImportBatch.Status.FAILED).count() == 2


class _LinesFormat:
    """A stand-in format for the test: one read per line, fields separated by |, no header."""

    first_row = 1

    def accepts(self, content: bytes) -> bool:
        return content.startswith(b"LINES\n")

    def rows(self, content: bytes) -> list[dict[str, str]]:
        names = ["supply_point_code", "meter_serial", "register_code", "read_on", "value"]
        return [dict(zip(names, line.split("|"), strict=True)) for line in content.decode().splitlines()[1:]]


@pytest.mark.django_db
def test_another_file_format_feeds_the_same_import(company, now, point, monkeypatch):
    content = f"LINES\n{point.code}|M9|1.8.0|2026-01-01|1000\n{point.code}|M9|1.8.9|2026-01-01|5".encode()
    assert isinstance(read_file_format_for(content), TableReadFile)
    monkeypatch.setattr(reads_imports, "_formats", [])
    reads_imports.read_file_format_register(_LinesFormat())
    assert isinstance(read_file_format_for(content), _LinesFormat)
    assert isinstance(read_file_format_for(b"supply_point_code;value\n"), TableReadFile)
    result = meter_reads_import(company=company, file_name="r.txt", content=content, actor=None, now=now)
    assert result.batch.rows_created == 1 and [(e["row"], e["column"]) for e in result.errors] == [
        (2, "register_code")
    ]
