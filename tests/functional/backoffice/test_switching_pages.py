"""The switching pages over HTTP: the dashboard with the cases due soon or overdue and the revenue they
hold up, a case's page (documents uploaded and missing, a step completed), the 360° panel, bounded query
counts, and the lines no one crosses: another company's staff get 404, a role without the right 403."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from kilowatt.core.models import Role
from kilowatt.core.operations import outbox_dispatch
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create
from kilowatt.switching.models import CaseStatus, DsoMessage, StepCode, StepStatus, SwitchCase
from kilowatt.switching.operations import document_attach, step_complete
from kilowatt.switching.setup import process_usual_create
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
START = date(2026, 4, 1)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch, clock):
    """The pages read the clock: the fixtures' day (2026-03-10), two days before the first step is due."""
    monkeypatch.setattr("kilowatt.interfaces.backoffice.switching.system_clock", clock)
    return clock


@pytest.fixture
def prices(company):
    return price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)


def signed_case(company, prices, now, *, annual="2400") -> SwitchCase:
    """A signed contract of a new customer: switching opens its case (through the outbox)."""
    customer = factories.customer(company, now)
    point = factories.supply_point(company, customer, now, annual_consumption_kwh=Decimal(annual))
    process_usual_create(company=company, dso=point.dso, commodity="electricity")
    contract = contract_create(
        company=company,
        data=ContractData(customer_id=customer.pk, kind="comprehensive", product_id=prices.product_id,
                          price_list_id=prices.pk, start_date=START, supply_point_ids=[point.pk]),
        actor=None, now=now,
    )  # fmt: skip
    contract_change_status(contract=contract, status="signed", on_date=date(2026, 3, 10), actor=None, now=now)
    outbox_dispatch(now=now)
    return SwitchCase.objects.get(contract=contract)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(back_office_user):
    return _client(back_office_user)


def test_dashboard_shows_flagged_cases_and_the_revenue_at_risk(
    company, prices, now, staff, django_assert_max_num_queries
):
    due_soon = signed_case(company, prices, now)
    late = signed_case(company, prices, now, annual="6000")
    SwitchCase.objects.filter(pk=late.pk).update(monthly_value=Decimal("321.00"))
    SwitchCase.objects.filter(pk=due_soon.pk).update(monthly_value=Decimal("100.50"))
    late.steps.filter(status=StepStatus.CURRENT).update(due_on=date(2026, 3, 5))  # five days ago
    assert due_soon.steps.get(status=StepStatus.CURRENT).due_on == date(2026, 3, 12)  # in two days

    with django_assert_max_num_queries(13):
        page = staff.get("/switching/")
    text = page.content.decode()
    assert page.status_code == 200
    flagged = text[text.index('id="flagged"') : text.index('id="dsos"')]
    assert late.number in flagged and due_soon.number in flagged
    assert "421.50 PLN" in flagged  # the revenue at risk: both monthly values
    assert "321.00 PLN" in flagged and "100.50 PLN" in flagged
    assert flagged.index(late.number) < flagged.index(due_soon.number)  # the most urgent first
    assert 'id="count-open"' in text

    overdue_only = staff.get("/switching/?flag=overdue").content.decode()
    table = overdue_only[overdue_only.index('id="cases"') :]
    assert late.number in table and due_soon.number not in table.split('id="dso-messages"')[0]

    for _ in range(5):  # more cases, the same number of queries
        signed_case(company, prices, now)
    with django_assert_max_num_queries(13):
        assert staff.get("/switching/?status=open").status_code == 200


def test_case_page_lists_missing_documents_takes_an_upload_and_completes_the_step(
    company, prices, now, staff, django_assert_max_num_queries
):
    case = signed_case(company, prices, now)
    step_complete(case=case, code=StepCode.DOCUMENTS, actor=None, now=now)  # next: the termination notice
    url = f"/switching/cases/{case.pk}/"
    with django_assert_max_num_queries(12):
        page = staff.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Termination notice sent to the previous supplier" in text
    assert "missing-termination_notice" in text  # listed as missing for the current step

    refused = staff.post(f"{url}action/", {"action": "complete", "step": "termination_notice"}, follow=True)
    assert "Missing documents: termination_notice." in refused.content.decode()
    assert case.steps.get(code=StepCode.TERMINATION_NOTICE).status == StepStatus.CURRENT

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("wypowiedzenie.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    staff.post(f"{url}documents/", {"code": "termination_notice", "file": upload})
    document = case.documents.get(code="termination_notice")
    assert document.file_name == "wypowiedzenie.pdf" and document.created_by.username == "anna"
    download = staff.get(f"{url}documents/{document.pk}/")
    assert download.status_code == 200 and download.content == b"%PDF-1.4 signed"
    assert "attachment" in download["Content-Disposition"]

    done = staff.post(
        f"{url}action/", {"action": "complete", "step": "termination_notice", "note": "sent by post"}
    )
    assert done.status_code == 302
    step = case.steps.get(code=StepCode.TERMINATION_NOTICE)
    assert step.status == StepStatus.DONE and step.note == "sent by post"
    text = staff.get(url).content.decode()
    assert "missing-termination_notice" not in text and "sent by post" in text
    for _ in range(3):  # more documents and steps done: the page's queries stay the same
        document_attach(case=case, code="other", file_name="x.pdf", content=b"x", content_type="",
                        actor=None, now=now)  # fmt: skip
    with django_assert_max_num_queries(12):
        assert staff.get(url).status_code == 200


def test_an_overdue_step_is_marked_and_a_case_can_be_cancelled_or_withdrawn(company, prices, now, staff):
    case = signed_case(company, prices, now)
    case.steps.filter(status=StepStatus.CURRENT).update(due_on=date(2026, 3, 2))
    text = staff.get(f"/switching/cases/{case.pk}/").content.decode()
    row = text[text.index('id="step-documents"') :]
    assert "overdue" in row[: row.index("</tr>")]
    staff.post(f"/switching/cases/{case.pk}/action/", {"action": "cancel", "reason": ""})
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN  # a reason is needed
    future = staff.post(
        f"/switching/cases/{case.pk}/action/",
        {"action": "withdraw", "received_on": (date(2026, 3, 10) + timedelta(days=20)).isoformat()},
        follow=True,
    )
    assert "not in the future" in future.content.decode()
    staff.post(f"/switching/cases/{case.pk}/action/", {"action": "withdraw", "received_on": "2026-03-10"})
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    other = signed_case(company, prices, now)
    staff.post(f"/switching/cases/{other.pk}/action/", {"action": "cancel", "reason": "customer moved out"})
    other.refresh_from_db()
    assert other.status == CaseStatus.CANCELLED and other.rejection_reason == "customer moved out"
    assert staff.post(f"/switching/cases/{other.pk}/action/", {"action": "nonsense"}).status_code == 400


def test_generate_the_documents_from_the_case_page(company, prices, now, staff):
    case = signed_case(company, prices, now)
    staff.post(f"/switching/cases/{case.pk}/action/", {"action": "generate"})
    assert sorted(case.documents.values_list("code", flat=True)) == [
        "dso_notification",
        "power_of_attorney",
        "termination_notice",
    ]
    text = staff.get(f"/switching/cases/{case.pk}/").content.decode()
    assert "document-power_of_attorney" in text


def test_the_customer_panel_says_where_the_switch_is(company, prices, now, staff, django_assert_num_queries):
    from kilowatt.interfaces.backoffice.switching_panels import _switching

    case = signed_case(company, prices, now)
    customer = case.contract.customer
    factories.supply_point(company, customer, now)  # a second point, never switched
    with django_assert_num_queries(1):  # the panel reads once, however many points and cases
        rows = _switching(None, customer)["rows"]
    assert [bool(row["words"]) for row in rows].count(True) == 1 and len(rows) == 2
    text = staff.get(f"/customers/{case.contract.customer_id}/").content.decode()
    panel = text[text.index('id="panel-switching"') :]
    assert "Supplier switch" in panel and case.number in panel
    assert "We are preparing the switch (Documents prepared)." in panel
    assert f"/switching/cases/{case.pk}/" in panel
    billing = _client(make_staff("bill", company, Role.BILLING))
    panel = billing.get(f"/customers/{case.contract.customer_id}/").content.decode()
    assert case.number in panel and f"/switching/cases/{case.pk}/" not in panel  # seen, not worked


def test_another_companys_staff_get_404_everywhere(company, other_company, prices, now, rival_user):
    case = signed_case(company, prices, now)
    document = document_attach(case=case, code="power_of_attorney", file_name="p.pdf", content=b"%PDF",
                               content_type="application/pdf", actor=None, now=now)  # fmt: skip
    message = DsoMessage.objects.create(
        company=company, dso=case.supply_point.dso, direction="out", exchange="fake", file_name="out.xlsx",
        content=b"PK", sha256="0" * 64, created_at=now,
    )  # fmt: skip
    rival = _client(rival_user)
    base = f"/switching/cases/{case.pk}/"
    assert rival.get("/switching/").status_code == 200
    assert case.number not in rival.get("/switching/").content.decode()
    assert rival.get(base).status_code == 404
    assert rival.get(f"{base}documents/{document.pk}/").status_code == 404
    assert rival.get(f"/switching/messages/{message.pk}/").status_code == 404
    for action in (
        {"action": "complete", "step": "documents"},
        {"action": "resubmit"},
        {"action": "cancel", "reason": "x"},
        {"action": "withdraw", "received_on": "2026-03-11"},
        {"action": "generate"},
        {"action": "send"},
    ):
        assert rival.post(f"{base}action/", action).status_code == 404
    assert rival.post(f"{base}documents/", {"code": "other"}).status_code == 404
    dso = case.supply_point.dso_id
    for path in (f"/switching/dsos/{dso}/send/", f"/switching/dsos/{dso}/answers/"):
        assert rival.post(path).status_code == 404  # the rival has no process at this DSO
    assert rival.post(f"/switching/dsos/{dso}/fake-answer/").status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.documents.count() == 1


def test_a_role_without_switching_gets_403(company, prices, now):
    case = signed_case(company, prices, now)
    billing = _client(make_staff("bill", company, Role.BILLING))
    base = f"/switching/cases/{case.pk}/"
    document = document_attach(case=case, code="other", file_name="o.pdf", content=b"x", content_type="",
                               actor=None, now=now)  # fmt: skip
    assert billing.get("/switching/").status_code == 403
    assert billing.get(base).status_code == 403
    assert billing.get(f"{base}documents/{document.pk}/").status_code == 403
    assert billing.post(f"{base}action/", {"action": "cancel", "reason": "x"}).status_code == 403
    assert billing.post(f"/switching/dsos/{case.supply_point.dso_id}/send/").status_code == 403
    assert "/switching/" not in billing.get("/").content.decode()  # no link in the menu
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    anonymous = Client().get("/switching/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_completed_steps_are_not_undone_by_a_stale_form(company, prices, now, staff):
    case = signed_case(company, prices, now)
    step_complete(case=case, code=StepCode.DOCUMENTS, actor=None, now=now)
    stale = staff.post(
        f"/switching/cases/{case.pk}/action/", {"action": "complete", "step": "documents"}, follow=True
    )
    assert "steps are done in order" in stale.content.decode()
    assert case.steps.get(status=StepStatus.CURRENT).code == StepCode.TERMINATION_NOTICE


def _to_submission(case, now, *, power_of_attorney=True):
    step_complete(case=case, code=StepCode.DOCUMENTS, actor=None, now=now)
    document_attach(case=case, code="termination_notice", file_name="t.pdf", content=b"%PDF",
                    content_type="application/pdf", actor=None, now=now)  # fmt: skip
    step_complete(case=case, code=StepCode.TERMINATION_NOTICE, actor=None, now=now)
    step_complete(case=case, code=StepCode.DISTRIBUTION_AGREEMENT, actor=None, now=now)
    if power_of_attorney:
        document_attach(case=case, code="power_of_attorney", file_name="p.pdf", content=b"%PDF",
                        content_type="application/pdf", actor=None, now=now)  # fmt: skip


def test_send_refuses_naming_each_case_not_ready_then_sends_and_imports_the_answers(
    company, prices, now, staff
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ready, lacking = signed_case(company, prices, now), signed_case(company, prices, now)
    _to_submission(ready, now)
    _to_submission(lacking, now, power_of_attorney=False)
    dso = ready.supply_point.dso_id
    home = staff.get("/switching/").content.decode()
    assert f'id="dso-{dso}"' in home and "Send the cases ready for submission" in home

    refused = staff.post(f"/switching/dsos/{dso}/send/", follow=True).content.decode()
    assert lacking.number in refused and "power_of_attorney" in refused  # named, with what it lacks
    assert not DsoMessage.objects.exists()  # all or nothing
    lacking.documents.create(code="power_of_attorney", file_name="p.pdf", content=b"%PDF", sha256="0" * 64,
                             created_at=now)  # fmt: skip
    sent = staff.post(f"/switching/dsos/{dso}/send/", follow=True).content.decode()
    assert "2 case(s) sent" in sent
    message = DsoMessage.objects.get(direction="out")
    assert set(message.cases.values_list("pk", flat=True)) == {ready.pk, lacking.pk}
    ready.refresh_from_db()
    assert ready.status == CaseStatus.SUBMITTED
    download = staff.get(f"/switching/messages/{message.pk}/")
    assert download.status_code == 200 and download.content == bytes(message.content)

    answers = (
        "Case number;PPE code;Outcome;Start date;Rejection code;Rejection reason\n"
        f"{ready.number};{ready.supply_point.code};accepted;2026-04-01;;\n"
        f"{lacking.number};{lacking.supply_point.code};rejected;;E17;No distribution agreement\n"
        f"ZS/999999/2026;{ready.supply_point.code};accepted;2026-04-01;;\n"
    ).encode()
    upload = SimpleUploadedFile("odpowiedz.csv", answers, content_type="text/csv")
    page = staff.post(f"/switching/dsos/{dso}/answers/", {"file": upload}).content.decode()
    assert "2 answers applied." in page
    errors = page[page.index("import-errors") :]
    assert "ZS/999999/2026" in errors and "no such case" in errors
    ready.refresh_from_db()
    lacking.refresh_from_db()
    assert ready.status == CaseStatus.ACCEPTED and ready.start_date == date(2026, 4, 1)
    assert lacking.status == CaseStatus.REJECTED
    case_page = staff.get(f"/switching/cases/{lacking.pk}/").content.decode()
    assert "No distribution agreement" in case_page and "E17" in case_page and "Submit again" in case_page
    again = SimpleUploadedFile("odpowiedz.csv", answers, content_type="text/csv")
    page = staff.post(f"/switching/dsos/{dso}/answers/", {"file": again}).content.decode()
    assert "imported before" in page  # the same file twice changes nothing

    broken = SimpleUploadedFile("zly.csv", b"Case number;Outcome\nX;maybe\n", content_type="text/csv")
    page = staff.post(f"/switching/dsos/{dso}/answers/", {"file": broken}).content.decode()
    assert "could not be read" in page and "import-errors" in page

    staff.post(f"/switching/cases/{lacking.pk}/action/", {"action": "resubmit", "note": "GUD signed"})
    lacking.refresh_from_db()
    assert lacking.status == CaseStatus.OPEN
    assert lacking.steps.get(status=StepStatus.CURRENT).code == StepCode.SUBMISSION


def test_the_fake_dso_answers_the_last_file_and_later_starts_the_supply(
    company, prices, now, staff, monkeypatch
):
    from kilowatt.core.clock import FixedClock
    from kilowatt.network.models import SupplyPointStatus
    from kilowatt.sales.models import ContractStatus

    case = signed_case(company, prices, now)
    _to_submission(case, now)
    dso = case.supply_point.dso_id
    staff.post(f"/switching/dsos/{dso}/send/")
    page = staff.post(f"/switching/dsos/{dso}/fake-answer/").content.decode()
    assert "1 answer applied." in page
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.start_date == START  # the requested start
    nothing = staff.post(f"/switching/dsos/{dso}/fake-answer/", follow=True).content.decode()
    assert "nothing to answer" in nothing  # the start of supply has not come yet

    monkeypatch.setattr(
        "kilowatt.interfaces.backoffice.switching.system_clock", FixedClock(now + timedelta(days=30))
    )
    page = staff.post(f"/switching/dsos/{dso}/fake-answer/").content.decode()
    assert "1 answer applied." in page
    case.refresh_from_db()
    case.contract.refresh_from_db()
    case.supply_point.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.start_date == START
    assert case.contract.status == ContractStatus.ACTIVE and case.contract.start_date == START
    assert case.supply_point.status == SupplyPointStatus.ACTIVE


def test_no_fake_dso_in_production(company, prices, now, staff, settings):
    case = signed_case(company, prices, now)
    settings.PRODUCTION, settings.DEBUG = True, False
    assert "Let the fake DSO answer" not in staff.get("/switching/").content.decode()
    assert staff.post(f"/switching/dsos/{case.supply_point.dso_id}/fake-answer/").status_code == 404


def test_the_demo_lets_the_fake_dso_act_as_on_a_later_day(company, prices, now, staff):
    case = signed_case(company, prices, now)
    _to_submission(case, now)
    dso = case.supply_point.dso_id
    staff.post(f"/switching/dsos/{dso}/send/")
    staff.post(f"/switching/dsos/{dso}/fake-answer/")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.start_date == START
    # A day in the past counts as today: the supply has not started yet.
    page = staff.post(f"/switching/dsos/{dso}/fake-answer/", {"on_date": "2026-03-01"}, follow=True)
    assert "nothing to answer" in page.content.decode()
    # A day past the start (capped at two months ahead): the fake DSO reports the start as of its date.
    staff.post(f"/switching/dsos/{dso}/fake-answer/", {"on_date": "2027-01-01"})
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.start_date == START


def test_an_uploaded_file_is_never_served_as_a_page(company, prices, now, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = signed_case(company, prices, now)
    html = SimpleUploadedFile(
        "skan-pełnomocnictwa.html", b"<script>alert(1)</script>", content_type="text/html"
    )
    staff.post(f"/switching/cases/{case.pk}/documents/", {"code": "power_of_attorney", "file": html})
    document = case.documents.get()
    response = staff.get(f"/switching/cases/{case.pk}/documents/{document.pk}/")
    assert response["Content-Type"] == "application/octet-stream"
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and "sandbox" in response["Content-Security-Policy"]
    )
