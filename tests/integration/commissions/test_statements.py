"""Monthly settlement: a statement per organisation with every entry up to the month's end not settled
before, totals equal to the sum of its lines, per-agent subtotals in the PDF and XLSX, settling twice
changes nothing, a month not ended is refused; acceptance; the payout export marks statements paid out
once, with the IBAN of the organisation (or the one above it), nets each organisation's accepted statements
up to its month (a negative one carried until later commission recovers it); a plain agent's extract."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from kilowatt.commissions.models import CommissionEntry, CommissionStatement, StatementLine, StatementStatus
from kilowatt.commissions.queries import entries_total, period_total
from kilowatt.commissions.settlement import (
    MonthNotEnded,
    NothingToPayOut,
    StatementNotOpen,
    month_settle,
    payout_export,
    statement_accept,
    statement_totals_check,
)
from kilowatt.commissions.statements import payout_file, statement_document, statement_pdf, statement_xlsx
from kilowatt.core.models import NumberSeries
from kilowatt.core.operations import outbox_dispatch
from kilowatt.core.periods import month_start
from kilowatt.sales.lifecycle.terminations import contract_terminate
from tests import factories
from tests.integration.commissions import builders
from tests.integration.commissions.builders import D

pytestmark = pytest.mark.django_db
MARCH, APRIL, MAY, JUNE = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)


@pytest.fixture
def sold(company, now):
    """Alpha sold two points (anna 60 %, bartek 40 %), its branch one point (cezary alone); signed in
    March, supply of alpha's first point started on 1 April."""
    prices = builders.prices(company)
    alpha = factories.organisation(company, now, "alpha")
    branch = factories.organisation(company, now, "alpha-krk", parent=alpha)
    type(branch).objects.filter(pk=branch.pk).update(bank_account="")  # paid to alpha's account
    anna = factories.agent(alpha, "anna").user
    bartek = factories.agent(alpha, "bartek").user
    cezary = factories.agent(branch, "cezary").user
    builders.assign(builders.scheme(company, rates=[{"rate": "45.50"}]), organisation=alpha)
    sale = builders.sale(
        company, now, prices, organisation=alpha, participants=[(anna, "60"), (bartek, "40")]
    )
    small = builders.sale(
        company, now, prices, organisation=branch, participants=[(cezary, "100")], annuals=["1000"]
    )
    builders.sign(sale, now)
    builders.sign(small, now)
    builders.start_supply(sale, sale.points[0], now)
    return alpha, branch, anna, bartek, cezary, sale


def test_a_month_is_settled_per_organisation_with_totals_equal_to_its_lines(company, now, sold):
    alpha, branch, anna, bartek, cezary, sale = sold
    with pytest.raises(MonthNotEnded) as refused:
        month_settle(company=company, month=date(2026, 3, 15), on_date=date(2026, 3, 31), now=now)
    assert refused.value.field == "month" and "2026-04-01" in refused.value.message
    assert not CommissionStatement.objects.exists()

    later = now + timedelta(days=22)
    statements = month_settle(company=company, month=date(2026, 3, 15), on_date=APRIL, now=later)
    assert [s.organisation for s in statements] == [alpha, branch]
    first, second = statements
    # Alpha in March: the signature's 30 % of 2.2 × 45.50 = 100.10 and of 3.7 × 45.50 = 168.35, i.e. 30.03 and
    # 50.51 (50.505 rounded half up); agents 80 %, the own part 20 %. The start of supply (1 April) waits.
    assert (first.period_start, first.period_end, first.status) == (MARCH, APRIL, StatementStatus.ISSUED)
    assert first.total == D("80.54") and first.lines.count() == 6
    assert first.business_total + first.own_total == first.total and statement_totals_check(statement=first)
    # 30.03 → 6.01 own (see the accrual tests); 50.51 → 5051 gr × 20 % = 1010.2 → 10.10 own.
    assert first.own_total == D("16.11") and first.business_total == D("64.43")
    # The branch: 1 MWh × 45.50 × 30 % = 13.65, cezary 80 % = 10.92, own 2.73.
    assert (second.total, second.business_total, second.own_total) == (D("13.65"), D("10.92"), D("2.73"))
    assert first.number == "RP/000001/2026" and second.number == "RP/000002/2026"
    # The commission of March is the sum of its entries, and every one of them is settled.
    assert period_total(company=company, period_start=MARCH, period_end=APRIL) == first.total + second.total
    assert not CommissionEntry.objects.filter(occurred_on__lt=APRIL, statement_line__isnull=True).exists()

    # Settling again changes nothing: the same statements, no line added, no number taken.
    series = NumberSeries.objects.get(document_type="commission_statement")
    again = month_settle(company=company, month=MARCH, on_date=APRIL, now=later + timedelta(days=1))
    assert [(s.pk, s.number, s.total, s.issued_at) for s in again] == [
        (s.pk, s.number, s.total, s.issued_at) for s in statements
    ]
    assert StatementLine.objects.count() == 8
    assert NumberSeries.objects.get(pk=series.pk).next_number == series.next_number

    # April takes the start of supply of 1 April (40 % of 100.10 = 40.04) and nothing settled before.
    [april] = month_settle(company=company, month=APRIL, on_date=date(2026, 5, 1), now=later)
    assert april.organisation == alpha and april.total == D("40.04") and april.lines.count() == 3
    assert entries_total(entries=CommissionEntry.objects.all()) == first.total + second.total + april.total


def test_an_entry_of_a_settled_month_that_comes_late_goes_on_the_next_statement(company, now, sold):
    alpha, *_ = sold
    month_settle(company=company, month=MARCH, on_date=APRIL, now=now)
    prices = builders.prices(company)
    late = builders.sale(
        company, now, prices, organisation=alpha, participants=[(sold[2], "100")], annuals=["1000"]
    )
    builders.sign(late, now, on_date=date(2026, 3, 30))  # a March signature recorded after March was settled
    assert CommissionStatement.objects.get(organisation=alpha, period_start=MARCH).lines.count() == 6
    april = {
        s.organisation: s
        for s in month_settle(company=company, month=APRIL, on_date=date(2026, 5, 1), now=now)
    }
    assert april[alpha].lines.count() == 5  # the 3 lines of the start of supply and the 2 late ones
    assert april[alpha].total == D("40.04") + D("13.65")


def test_the_statement_prints_per_agent_subtotals_in_pdf_and_xlsx(company, now, sold):
    alpha, branch, anna, bartek, cezary, sale = sold
    statement = month_settle(company=company, month=MARCH, on_date=APRIL, now=now)[0]
    document = statement_document(statement=statement)
    assert [g.label for g in document.groups] == ["Anna", "Bartek", "The organisation's own part"]
    # 30.03 → 14.41 / 9.61 / 6.01; 50.51 → 2424.48 / 1616.32 / 1010.2 gr, the grosz left to anna's .48:
    # 24.25 / 16.16 / 10.10.
    subtotals = {g.label: g.subtotal for g in document.groups}
    assert subtotals == {"Anna": D("38.66"), "Bartek": D("25.77"), "The organisation's own part": D("16.11")}
    assert sum(subtotals.values()) == statement.total
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(statement_pdf(document=document))).pages
    )
    assert statement.number in text and "Subtotal: Anna" in text and "Subtotal: Bartek" in text
    assert sale.contract.number in text and "80.54" in text
    sheet = load_workbook(io.BytesIO(statement_xlsx(document=document))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    subtotal_rows = {row[0]: D(str(row[7])) for row in rows if row[0] and str(row[0]).startswith("Subtotal")}
    assert subtotal_rows == {f"Subtotal: {label}": amount for label, amount in subtotals.items()}
    assert [D(str(r[7])) for r in rows if r[0] == "Total"] == [statement.total]
    assert len([r for r in rows if r[2] == sale.contract.number]) == 6
    # A plain agent's extract: only their lines and their total.
    mine = statement_document(statement=statement, agent_user_id=bartek.pk)
    assert [g.label for g in mine.groups] == ["Bartek"] and mine.extract_for == "Bartek"
    assert mine.total == subtotals["Bartek"]


def test_acceptance_and_the_payout_export_marks_each_statement_paid_out_once(company, now, sold):
    alpha, branch, anna, *_ = sold
    march = month_settle(company=company, month=MARCH, on_date=APRIL, now=now)
    with pytest.raises(NothingToPayOut):
        payout_export(company=company, month=MARCH, actor=None, now=now)  # none accepted yet
    first, second = march
    statement_accept(statement=first, actor=anna, now=now)
    with pytest.raises(StatementNotOpen):
        statement_accept(statement=first, actor=anna, now=now)
    statement_accept(statement=second, actor=anna, now=now)
    batch = payout_export(company=company, month=MARCH, actor=None, now=now)
    # The branch has no bank account of its own: alpha's is used.
    assert [(r.organisation, r.iban, r.number, r.amount) for r in batch.rows] == [
        ("Partner alpha", "PL61109010140000071219812874", first.number, D("80.54")),
        ("Partner alpha-krk", "PL61109010140000071219812874", second.number, D("13.65")),
    ]
    assert batch.total == D("94.19") and batch.missing_account == []
    assert set(CommissionStatement.objects.values_list("status", flat=True)) == {StatementStatus.PAID_OUT}
    with pytest.raises(NothingToPayOut):
        payout_export(company=company, month=MARCH, actor=None, now=now)
    content, content_type = payout_file(batch=batch, file_format="csv")
    rows = list(csv.reader(io.StringIO(content.decode()), delimiter=";"))
    assert content_type.startswith("text/csv") and rows[0] == [
        "organisation",
        "nip",
        "iban",
        "statement",
        "amount",
    ]
    assert rows[1] == ["Partner alpha", "", "PL61109010140000071219812874", first.number, "80.54"]
    content, _type = payout_file(batch=batch, file_format="xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[2]] == [
        "Partner alpha",
        None,
        "PL61109010140000071219812874",
        first.number,
        80.54,
    ]


def test_an_organisation_without_a_bank_account_stays_accepted(company, now, sold):
    alpha, branch, anna, *_ = sold
    type(alpha).objects.filter(pk=alpha.pk).update(bank_account="")
    first, second = month_settle(company=company, month=MARCH, on_date=APRIL, now=now)
    statement_accept(statement=second, actor=anna, now=now)
    with pytest.raises(NothingToPayOut) as refused:
        payout_export(company=company, month=None, actor=None, now=now)
    assert "bank account" in refused.value.message
    type(branch).objects.filter(pk=branch.pk).update(
        bank_account="PL27 1140 2004 0000 3002 0135 5387", nip="5260250274"
    )
    batch = payout_export(company=company, month=None, actor=None, now=now)
    assert [(r.number, r.iban, r.nip) for r in batch.rows] == [
        (second.number, "PL27114020040000300201355387", "5260250274")
    ]


def _sale_signed(company, now, organisation, agent, on_date, points: int):
    """A sale of ``points`` points under the scheme of ``organisation`` valid then, signed on ``on_date``."""
    sold = builders.sale(
        company, now, builders.prices(company), organisation=organisation, participants=[(agent, "100")],
        annuals=["1000"] * points,
    )  # fmt: skip
    builders.sign(sold, now, on_date=on_date)
    return sold


def _settled_and_accepted(company, organisation, manager, month, now):
    statements = month_settle(company=company, month=month, on_date=month_start(month, offset=1), now=now)
    [statement] = [s for s in statements if s.organisation == organisation]
    return statement_accept(statement=statement, actor=manager, now=now)


def test_a_clawback_larger_than_a_month_is_netted_at_payout_until_recovered(company, now):
    w = builders.world(company, now)
    # From May, alpha's new sales pay 50.00 a point, all of it on signature.
    may_scheme = builders.scheme(company, code="may", basis="point", stages=(("signed", "100", 0),),
                                 rates=[{"rate": "50"}], valid_from=MAY)  # fmt: skip
    builders.assign(may_scheme, organisation=w.alpha, valid_from=MAY)
    statement_accept(statement=w.alpha_march, actor=w.marta, now=now)
    march = payout_export(company=company, month=MARCH, actor=None, now=now)
    assert [(r.number, r.amount) for r in march.rows] == [(w.alpha_march.number, D("80.54"))]

    # April: supply of point 1 started (+40.04), then the customer terminates early: everything accrued is
    # clawed back (-80.54 of March's signature, -40.04 of April's start): April nets -80.54.
    later = now + timedelta(days=30)
    contract_terminate(contract=w.sale.contract, initiated_by="customer", received_on=date(2026, 4, 5),
                       reason="", actor=None, now=later)  # fmt: skip
    outbox_dispatch(now=later)
    april = _settled_and_accepted(company, w.alpha, w.marta, APRIL, later)
    assert april.total == D("-80.54")
    with pytest.raises(NothingToPayOut) as refused:
        payout_export(company=company, month=APRIL, actor=None, now=later)
    assert "carried to the next payout" in refused.value.message and april.number in refused.value.message
    assert "-80.54" in refused.value.message

    # May: +50.00, but 50.00 - 80.54 < 0: nothing for alpha, both statements carried; beta is paid.
    _sale_signed(company, later, w.alpha, w.anna, date(2026, 5, 10), points=1)
    may = _settled_and_accepted(company, w.alpha, w.marta, MAY, later)
    assert may.total == D("50.00")
    statement_accept(statement=w.beta_march, actor=w.bogna, now=later)
    batch = payout_export(company=company, month=MAY, actor=None, now=later)
    assert [(r.organisation, r.number, r.amount) for r in batch.rows] == [
        ("Partner beta", w.beta_march.number, D("13.65"))
    ]
    [carried] = batch.carried
    assert (carried.organisation, carried.total) == (w.alpha, D("-30.54"))
    assert carried.statements == (april, may)
    statuses = dict(CommissionStatement.objects.filter(organisation=w.alpha).values_list("number", "status"))
    assert statuses == {
        w.alpha_march.number: StatementStatus.PAID_OUT,
        april.number: StatementStatus.ACCEPTED,
        may.number: StatementStatus.ACCEPTED,
    }

    # June: +100.00 nets 100.00 - 30.54 = 69.46, one row listing the three statements, all paid out.
    _sale_signed(company, later, w.alpha, w.anna, date(2026, 6, 10), points=2)
    june = _settled_and_accepted(company, w.alpha, w.marta, JUNE, later)
    assert june.total == D("100.00")
    batch = payout_export(company=company, month=JUNE, actor=None, now=later)
    assert [(r.organisation, r.amount) for r in batch.rows] == [("Partner alpha", D("69.46"))]
    [row] = batch.rows
    assert row.statements == (april, may, june)
    assert row.number == f"{april.number}, {may.number}, {june.number}" and batch.carried == []
    content, _type = payout_file(batch=batch, file_format="csv")
    assert content.decode().splitlines()[1].endswith(f";{april.number}, {may.number}, {june.number};69.46")
    # Every statement is paid out, each in one payout: the next one finds nothing.
    assert set(CommissionStatement.objects.values_list("status", flat=True)) == {StatementStatus.PAID_OUT}
    with pytest.raises(NothingToPayOut):
        payout_export(company=company, month=None, actor=None, now=later)
    # Paid out in all: 80.54 + 69.46 = 150.00, alpha's net commission.
    assert entries_total(entries=CommissionEntry.objects.filter(organisation=w.alpha)) == D("150.00")


def test_a_negative_statement_left_unaccepted_is_netted_all_the_same(company, now):
    w = builders.world(company, now)
    may_scheme = builders.scheme(company, code="may", basis="point", stages=(("signed", "100", 0),),
                                 rates=[{"rate": "50"}], valid_from=MAY)  # fmt: skip
    builders.assign(may_scheme, organisation=w.alpha, valid_from=MAY)
    statement_accept(statement=w.alpha_march, actor=w.marta, now=now)
    payout_export(company=company, month=MARCH, actor=None, now=now)
    later = now + timedelta(days=30)
    contract_terminate(contract=w.sale.contract, initiated_by="customer", received_on=date(2026, 4, 5),
                       reason="", actor=None, now=later)  # fmt: skip
    outbox_dispatch(now=later)
    [april] = [
        s
        for s in month_settle(company=company, month=APRIL, on_date=MAY, now=later)
        if s.organisation == w.alpha
    ]
    assert april.total == D("-80.54") and april.status == StatementStatus.ISSUED  # never accepted
    _sale_signed(company, later, w.alpha, w.anna, date(2026, 5, 10), points=3)
    may = _settled_and_accepted(company, w.alpha, w.marta, MAY, later)
    batch = payout_export(company=company, month=MAY, actor=None, now=later)
    [row] = [r for r in batch.rows if r.organisation == "Partner alpha"]
    assert row.amount == may.total - D("80.54") and row.statements == (april, may)


def test_a_payout_takes_the_accepted_statements_up_to_its_month_only(company, now, sold):
    alpha, branch, anna, *_ = sold
    first, second = month_settle(company=company, month=MARCH, on_date=APRIL, now=now)
    [april] = month_settle(company=company, month=APRIL, on_date=date(2026, 5, 1), now=now)
    for statement in (first, april):
        statement_accept(statement=statement, actor=anna, now=now)
    batch = payout_export(company=company, month=MARCH, actor=None, now=now)
    assert [(r.number, r.amount) for r in batch.rows] == [(first.number, D("80.54"))]
    assert CommissionStatement.objects.get(pk=april.pk).status == StatementStatus.ACCEPTED
    batch = payout_export(company=company, month=None, actor=None, now=now)
    assert [(r.number, r.amount) for r in batch.rows] == [(april.number, D("40.04"))]


def test_a_plain_agents_extract_without_lines_of_theirs_is_still_their_extract(company, now, sold):
    alpha, *_ = sold
    celina = factories.agent(alpha, "celina").user  # sold nothing in March
    statement = month_settle(company=company, month=MARCH, on_date=APRIL, now=now)[0]
    mine = statement_document(statement=statement, agent_user_id=celina.pk)
    assert (mine.extract_for, mine.groups, mine.total) == ("Celina", [], D("0.00"))
    sheet = load_workbook(io.BytesIO(statement_xlsx(document=mine))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[5][:2] == ["Extract for", "Celina"]
    assert not any(r[0] in ("Agents' commission", "Organisation's own part") for r in rows)
    assert [D(str(r[7])) for r in rows if r[0] == "Total"] == [D("0")]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(statement_pdf(document=mine))).pages)
    assert "Extract for Celina" in text and "80.54" not in text
