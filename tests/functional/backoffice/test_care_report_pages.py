"""The care reports and the live monitor over HTTP: the report page shows the period's tables and charts
(inline SVG, nothing from a CDN), its XLSX opens with openpyxl and its totals are the page's, the per-day CSV
parses and adds up; the period is typed with both days included (Warsaw days); the monitor's panel reloads
itself through htmx. Another company's tickets never count; a role without care.reports gets 403; both
pages answer in a bounded number of queries, however many tickets there are."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from kilowatt.care.operations import TicketData, ticket_outage_link, ticket_register, ticket_status_change
from kilowatt.care.outages import OutageData, outage_open
from kilowatt.care.sla import WARSAW
from kilowatt.core.clock import FixedClock
from kilowatt.core.models import Role
from tests import care_fixtures
from tests.conftest import NOW, make_staff

pytestmark = pytest.mark.django_db
PAGES = ["care_reports", "care_reports_export", "care_reports_csv", "care_monitor", "care_monitor_panel"]


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """The pages read the clock: 10 March 2026, 9:30 in Warsaw (the default period is March)."""
    monkeypatch.setattr("kilowatt.interfaces.backoffice.care_reports.system_clock", FixedClock(NOW))


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WARSAW)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class Desk:
    """A company's care set-up and a way to register its tickets at a given moment."""

    def __init__(self, company, user) -> None:
        self.company, self.user = company, user
        self.teams = care_fixtures.teams(company)
        self.types = care_fixtures.ticket_types(company, self.teams)

    def ticket(
        self, when: datetime, kind: str = "question", channel: str = "phone", subject: str = "Question"
    ):
        form = {"since": "7:00"} if kind == "outage" else {}
        data = TicketData(ticket_type=self.types[kind], channel=channel, subject=subject, form=form)
        return ticket_register(company=self.company, data=data, now=when, registered_by=self.user)


@pytest.fixture
def desk(company, admin_user):
    desk = Desk(company, admin_user)
    desk.ticket(at(2, 20, 10), subject="February")  # before the period
    for hour in (9, 10, 11):
        done = desk.ticket(at(3, 2, hour), channel="email")
        ticket_status_change(ticket=done, status="closed", note="", now=at(3, 2, hour, 30), made_by=None)
    desk.ticket(at(3, 9, 23, 30), channel="portal", subject="Late evening")  # 9 March in Warsaw
    desk.ticket(at(3, 10, 0, 30), channel="letter", subject="Just after midnight")  # 10 March
    outage = outage_open(
        company=company, data=OutageData(title="Cable cut", started_at=at(3, 10, 7), station="GPZ Wola"),
        now=at(3, 10, 7), made_by=admin_user,
    )  # fmt: skip
    for minute in (0, 5):
        call = desk.ticket(at(3, 10, 8, minute), kind="outage", subject="No power")
        ticket_outage_link(ticket=call, outage=outage, now=at(3, 10, 8, 10), made_by=None)
    desk.outage = outage
    return desk


@pytest.fixture
def rival_desk(other_company, rival_user):
    rival = Desk(other_company, rival_user)
    for day in (2, 3, 4, 10):
        rival.ticket(at(3, day, 9), subject="RIVAL-SECRET")
    return rival


def total_row(page: str, table: str) -> list[str]:
    row = re.search(rf'<tr class="total" data-table="{table}">(.*?)</tr>', page, re.S).group(1)
    return [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
    ]


def test_the_report_page_shows_the_period_with_charts_and_its_exports_agree(desk, rival_desk, admin_user):
    client = client_of(admin_user)
    response = client.get(reverse("backoffice:care_reports"))
    assert response.status_code == 200
    page = response.content.decode()
    # March: 3 closed on the 2nd, the late evening, just after midnight, two outage calls = 7 received
    assert re.search(r'id="summary-received">7<', page) and re.search(r'id="summary-closed">3<', page)
    assert total_row(page, "days") == ["Total", "7", "3", "0"]
    assert total_row(page, "types")[1:] == total_row(page, "teams")[1:] == total_row(page, "channels")[1:]
    assert page.count('<g class="day"') == 31 and '<g class="type" data-type="outage">' in page
    assert 'fill="#b91c1c"' in page  # the outage type's colour
    assert "RIVAL-SECRET" not in page and "cdn" not in page.lower()
    assert not re.search(r'<script[^>]+src="https?://', page)
    xlsx = client.get(reverse("backoffice:care_reports_export") + "?date_from=2026-03-01&date_to=2026-03-31")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(xlsx.content), data_only=True)
    assert book.sheetnames[:4] == ["Per day", "Per type", "Per channel", "Per team"]
    assert len(book.sheetnames) == 11
    days = list(book["Per day"].iter_rows(values_only=True))
    assert days[0] == ("Day", "Received", "Closed", "Merged") and len(days) == 1 + 31 + 1
    assert days[-1] == ("Total", 7, 3, 0)
    assert sum(row[1] for row in days[1:-1]) == 7
    for sheet in ("Per type", "Per channel", "Per team"):
        assert list(book[sheet].iter_rows(values_only=True))[-1][1:] == (7, 3, 0)
    sla = list(book["SLA per team"].iter_rows(values_only=True))
    assert [str(v) for v in sla[-1][1:4]] == total_row(page, "sla-teams")[1:4]
    backlog = list(book["Backlog per team"].iter_rows(values_only=True))
    assert backlog[-1][1:4] == tuple(int(v) for v in total_row(page, "backlog-teams")[1:4])
    per_day = client.get(reverse("backoffice:care_reports_csv"))
    assert per_day.status_code == 200 and per_day["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(per_day.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Day", "Received", "Closed", "Merged"] and len(rows) == 32
    assert rows[2] == ["2026-03-02", "3", "3", "0"]
    assert sum(int(row[1]) for row in rows[1:]) == 7 and sum(int(row[2]) for row in rows[1:]) == 3


def test_the_period_is_typed_with_both_days_included_in_warsaw_days(desk, admin_user):
    client = client_of(admin_user)
    one_day = client.get(reverse("backoffice:care_reports") + "?date_from=2026-03-09&date_to=2026-03-09")
    page = one_day.content.decode()
    # 23:30 on 9 March counts; 00:30 on 10 March (still 9 March in UTC) does not
    assert total_row(page, "days") == ["Total", "1", "0", "0"]
    csv_day = client.get(reverse("backoffice:care_reports_csv") + "?date_from=2026-03-09&date_to=2026-03-09")
    assert csv_day.content.decode("utf-8-sig").splitlines()[1:] == ["2026-03-09;1;0;0"]
    wrong = client.get(reverse("backoffice:care_reports") + "?date_from=2026-03-09&date_to=2026-03-01")
    assert wrong.status_code == 400
    assert "The period must end on or after its first day." in wrong.content.decode()
    assert 'id="report-days"' not in wrong.content.decode()
    export = client.get(
        reverse("backoffice:care_reports_export") + "?date_from=2026-03-09&date_to=2026-03-01"
    )
    assert export.status_code == 302 and export["Location"].startswith(reverse("backoffice:care_reports"))
    too_long = client.get(reverse("backoffice:care_reports") + "?date_from=2025-01-01&date_to=2026-03-01")
    assert too_long.status_code == 400 and "Choose at most 366 days." in too_long.content.decode()


def test_the_monitor_refreshes_its_panel_with_htmx_and_shows_today(desk, rival_desk, admin_user):
    client = client_of(admin_user)
    page = client.get(reverse("backoffice:care_monitor")).content.decode()
    panel_url = reverse("backoffice:care_monitor_panel")
    assert f'hx-get="{panel_url}" hx-trigger="every 15s"' in page
    assert '<script src="/static/kilowatt/htmx.min.js"' in page  # local static, from the base page
    # today (10 March): just after midnight and the two outage calls
    assert re.search(r'id="monitor-today">3<', page)
    assert re.search(r'id="monitor-open">5<', page)  # February's, the late evening, after midnight, the calls
    outage_row = page[page.index(f'data-outage="{desk.outage.pk}"') :]
    assert '<td class="calls">2</td>' in outage_row[:1500]
    assert page.count('class="latest"') == 8 and "RIVAL-SECRET" not in page
    assert "background:#b91c1c" in page and "background:#2563eb" in page  # badges in the types' colours
    panel = client.get(panel_url, HTTP_HX_REQUEST="true")
    assert panel.status_code == 200
    body = panel.content.decode()
    assert body.startswith('<div id="care-monitor"') and "<html" not in body
    assert f'hx-get="{panel_url}"' in body  # the swapped panel keeps refreshing


def test_another_company_sees_only_its_own_tickets(desk, rival_desk, rival_user):
    client = client_of(rival_user)
    page = client.get(reverse("backoffice:care_reports")).content.decode()
    assert total_row(page, "days") == ["Total", "4", "0", "0"]
    assert "Late evening" not in page
    monitor = client.get(reverse("backoffice:care_monitor")).content.decode()
    assert monitor.count('class="latest"') == 4 and "No power" not in monitor
    assert f'data-outage="{desk.outage.pk}"' not in monitor
    book = load_workbook(io.BytesIO(client.get(reverse("backoffice:care_reports_export")).content))
    assert list(book["Per day"].iter_rows(values_only=True))[-1] == ("Total", 4, 0, 0)


def test_only_staff_with_care_reports_see_the_pages(company, desk):
    billing = client_of(make_staff("bill", company, Role.BILLING))  # works tickets, no care.reports
    call_centre = client_of(make_staff("cleo", company, Role.CALL_CENTRE))
    for name in PAGES:
        url = reverse(f"backoffice:{name}")
        assert billing.get(url).status_code == 403
        assert call_centre.get(url).status_code == 200
        assert Client().get(url).status_code == 302  # to the login page


def test_both_pages_answer_in_a_bounded_number_of_queries(desk, admin_user, django_assert_max_num_queries):
    client = client_of(admin_user)
    for day in range(1, 29):  # more days, tickets, types and channels: no more queries
        desk.ticket(at(3, day, 12), kind="outage" if day % 2 else "question", channel="office")
    # 4 for the session, user and company, 1 for the menu's unread badge (pages only), then the report:
    # 7 for the flow, 3 for SLA, 3 for the backlog, 3 for surveys, 2 for complaints; the monitor: 4
    with django_assert_max_num_queries(24):
        assert client.get(reverse("backoffice:care_reports")).status_code == 200
    with django_assert_max_num_queries(23):
        assert client.get(reverse("backoffice:care_reports_export")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("backoffice:care_monitor")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("backoffice:care_monitor_panel")).status_code == 200
