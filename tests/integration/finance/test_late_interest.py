"""Late-payment interest: counted per day at the rate in force (the table is dated), on a 365-day year,
from the day after the due date up to and including the day of payment; consumers at the statutory rate,
businesses at the commercial rate with the flat recovery compensation once per debt; notes issued at once
or monthly, and only once the company's minimum is reached."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from tests import factories

from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.allocation import ledger_allocate_many
from kilowatt.finance.interest import interest_charges_record, interest_notes_issue, recovery_compensation
from kilowatt.finance.models import (
    FinancePolicy,
    InterestCharge,
    InterestMode,
    InterestNote,
    InterestRateKind,
    LedgerEntry,
    LedgerEntryKind,
)
from kilowatt.finance.operations import Posting, ledger_entry_reverse, ledger_post_many
from kilowatt.finance.payments import statement_import
from kilowatt.finance.queries import customer_balance
from kilowatt.parties.operations import customer_create

pytestmark = pytest.mark.django_db
D = Decimal
# The notes are issued on the day after the payments of these examples arrive.
LATER = datetime(2026, 3, 21, 9, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
_ids = itertools.count(1)


@pytest.fixture
def bank_company(company):
    company.bank_account_prefix = "109010147777"
    company.save()
    return company


def _policy(company, **values) -> FinancePolicy:
    policy, _created = FinancePolicy.objects.update_or_create(company=company, defaults=values)
    return policy


def _debt(company, customer, amount, due, kind="invoice", prefix="FV") -> LedgerEntry:
    number = f"{prefix}/{next(_ids):06d}/2026"
    ledger_post_many(
        company=company,
        postings=[Posting(customer.pk, kind, kind, next(_ids), number, D(amount), due, due)],
        now=LATER,
    )
    return LedgerEntry.objects.get(document_number=number)


def _pay(company, customer, amount, on: date, title="energia") -> None:
    """A transfer to the customer's virtual account, imported from a CSV statement."""
    account = virtual_account_for(company=company, customer_id=customer.pk)
    row = ";".join([on.isoformat(), amount, "PLN", title, "Payer", "", account, f"T{next(_ids)}"])
    content = (
        f"booked_on;amount;currency;title;counterparty_name;counterparty_account;account;reference\n{row}\n"
    )
    statement_import(company=company, file_name=f"s{next(_ids)}.csv", content=content.encode(), now=LATER)


def _business(company):
    return customer_create(company=company, data=factories.business_data(), actor=None, now=LATER)


def test_worked_example_across_the_rate_change_of_2026_03_05(bank_company):
    """A consumer's invoice of 1,000.00 PLN due 2026-02-20 is paid on 2026-03-20.

    Interest runs from 2026-02-21 to 2026-03-20 inclusive: 28 days. The consumer rate is 9.50% until
    2026-03-04 and 9.25% from 2026-03-05 (pl-interest-rates.json), so:

        2026-02-21 … 2026-03-04: 8 + 4 = 12 days × 9.50%  →  1000 × 0.0950 × 12 / 365 = 1140 / 365
        2026-03-05 … 2026-03-20: 16 days × 9.25%          →  1000 × 0.0925 × 16 / 365 = 1480 / 365
                                                   total  =  2620 / 365 = 7.1780… → 7.18 PLN

    Rounded once at the end: rounding each piece (3.12 + 4.05 = 7.17) would lose a grosz.
    """
    _policy(bank_company, interest_mode=InterestMode.MONTHLY)
    anna = factories.customer(bank_company, LATER)
    debt = _debt(bank_company, anna, "1000.00", date(2026, 2, 20))
    _pay(bank_company, anna, "1000.00", date(2026, 3, 20))

    charge = InterestCharge.objects.get()
    assert charge.debit == debt and charge.customer == anna
    assert charge.kind == InterestRateKind.CONSUMER
    assert (charge.principal, charge.due_date, charge.paid_on) == (
        D("1000.00"),
        date(2026, 2, 20),
        date(2026, 3, 20),
    )
    assert charge.days == 28
    assert charge.amount == D("7.18")
    assert charge.compensation == D("0.00") and charge.note is None


def test_business_pays_the_commercial_rate_and_the_compensation_once_per_debt(bank_company):
    """A business's invoice of 1,000.00 PLN due 2026-02-20, paid in two parts, both late.

    Commercial rate 14.00% for the whole H1 2026:
      600.00 paid 2026-03-20 (28 days): 600 × 0.14 × 28 / 365 = 2352 / 365 = 6.4438… → 6.44
      400.00 paid 2026-03-31 (39 days): 400 × 0.14 × 39 / 365 = 2184 / 365 = 5.9835… → 5.98
    Compensation: the debt is at most 5,000 PLN, so 40 EUR × 4.3000 = 172.00 PLN, charged once.
    """
    _policy(
        bank_company,
        interest_mode=InterestMode.MONTHLY,
        recovery_compensation=True,
        eur_rate=D("4.3000"),
    )
    firm = _business(bank_company)
    _debt(bank_company, firm, "1000.00", date(2026, 2, 20))
    _pay(bank_company, firm, "600.00", date(2026, 3, 20))
    _pay(bank_company, firm, "400.00", date(2026, 3, 31))

    first, second = InterestCharge.objects.order_by("paid_on")
    assert {first.kind, second.kind} == {InterestRateKind.COMMERCIAL}
    assert (first.amount, first.compensation) == (D("6.44"), D("172.00"))
    assert (second.amount, second.compensation) == (D("5.98"), D("0.00"))

    (note,) = interest_notes_issue(company=bank_company, on_date=date(2026, 4, 1), now=LATER)
    assert (note.interest, note.compensation, note.amount) == (D("12.42"), D("172.00"), D("184.42"))


@pytest.mark.parametrize(
    ("debt", "euros"),
    [("4999.99", 40), ("5000.00", 40), ("5000.01", 70), ("49999.99", 70), ("50000.00", 100)],
)
def test_compensation_bands(debt, euros):
    """Art. 10 of the act on payment terms in commercial transactions: 40 EUR when the debt does not
    exceed 5,000 PLN, 70 EUR when above 5,000 and below 50,000 PLN, 100 EUR from 50,000 PLN."""
    assert recovery_compensation(debt=D(debt), eur_rate=D("4.2500")) == D(euros) * D("4.25")


def test_compensation_only_when_the_company_charges_it(bank_company):
    _policy(bank_company, interest_mode=InterestMode.MONTHLY, recovery_compensation=False)
    firm = _business(bank_company)
    _debt(bank_company, firm, "1000.00", date(2026, 2, 20))
    _pay(bank_company, firm, "1000.00", date(2026, 3, 20))
    charge = InterestCharge.objects.get()
    assert charge.compensation == D("0.00") and charge.amount == D("10.74")  # 1000 × 0.14 × 28 / 365


def test_immediate_mode_issues_the_note_when_the_late_payment_arrives(bank_company):
    _policy(bank_company, interest_mode=InterestMode.IMMEDIATE, interest_minimum=D("5.00"))
    anna = factories.customer(bank_company, LATER)
    _debt(bank_company, anna, "1000.00", date(2026, 2, 20))
    _pay(bank_company, anna, "1000.00", date(2026, 3, 20))

    note = InterestNote.objects.get()
    assert note.number == "NO/000001/2026" and note.customer == anna
    assert (note.interest, note.compensation, note.amount) == (D("7.18"), D("0.00"), D("7.18"))
    assert note.issued_on == date(2026, 3, 21) and note.due_date == date(2026, 4, 4)
    entry = LedgerEntry.objects.get(kind=LedgerEntryKind.INTEREST)
    assert (entry.customer, entry.amount, entry.document_number) == (anna, D("7.18"), note.number)
    assert (entry.document_type, entry.document_id, entry.due_date) == (
        "interest_note",
        note.pk,
        note.due_date,
    )
    assert InterestCharge.objects.get().note == note
    assert customer_balance(customer=anna) == D("7.18")


def test_monthly_mode_waits_for_the_monthly_issue(bank_company):
    _policy(bank_company, interest_mode=InterestMode.MONTHLY, interest_minimum=D("5.00"))
    anna = factories.customer(bank_company, LATER)
    _debt(bank_company, anna, "1000.00", date(2026, 2, 20))
    _pay(bank_company, anna, "1000.00", date(2026, 3, 20))
    assert InterestCharge.objects.count() == 1
    assert not InterestNote.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.INTEREST).exists()

    (note,) = interest_notes_issue(company=bank_company, on_date=date(2026, 3, 31), now=LATER)
    assert note.amount == D("7.18") and note.number.startswith("NO/")
    assert LedgerEntry.objects.get(kind=LedgerEntryKind.INTEREST).amount == D("7.18")
    # issued twice: the charges are noted already, nothing more is issued
    assert interest_notes_issue(company=bank_company, on_date=date(2026, 3, 31), now=LATER) == []
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.INTEREST).count() == 1


def test_mode_none_charges_nothing(bank_company):
    _policy(bank_company, interest_mode=InterestMode.NONE)
    anna = factories.customer(bank_company, LATER)
    _debt(bank_company, anna, "1000.00", date(2026, 2, 20))
    _pay(bank_company, anna, "1000.00", date(2026, 3, 20))
    assert not InterestCharge.objects.exists()


@pytest.mark.parametrize("mode", [InterestMode.MONTHLY, InterestMode.IMMEDIATE])
def test_below_the_minimum_nothing_is_issued_and_charges_add_up(bank_company, mode):
    """Two late invoices of 1,000.00 PLN (7.18 each, see the worked example); the minimum is 10.00:
    the first charge waits, the second brings the total to 14.36 and one note charges both."""
    _policy(bank_company, interest_mode=mode, interest_minimum=D("10.00"))
    anna = factories.customer(bank_company, LATER)
    _debt(bank_company, anna, "1000.00", date(2026, 2, 20))
    _debt(bank_company, anna, "1000.00", date(2026, 2, 20))
    _pay(bank_company, anna, "1000.00", date(2026, 3, 20))
    assert interest_notes_issue(company=bank_company, on_date=date(2026, 3, 21), now=LATER) == []
    assert not InterestNote.objects.exists() and InterestCharge.objects.get().note is None

    _pay(bank_company, anna, "1000.00", date(2026, 3, 20))
    if mode == InterestMode.MONTHLY:
        interest_notes_issue(company=bank_company, on_date=date(2026, 3, 21), now=LATER)
    note = InterestNote.objects.get()
    assert note.amount == D("14.36")
    assert set(InterestCharge.objects.values_list("note", flat=True)) == {note.pk}
    assert LedgerEntry.objects.get(kind=LedgerEntryKind.INTEREST).amount == D("14.36")


def test_no_interest_on_interest_notes_fees_or_payments_on_time(bank_company):
    _policy(bank_company, interest_mode=InterestMode.MONTHLY, interest_minimum=D("0.01"))
    anna = factories.customer(bank_company, LATER)
    _debt(bank_company, anna, "100.00", date(2026, 1, 10), kind=LedgerEntryKind.INTEREST, prefix="NO")
    _debt(bank_company, anna, "30.00", date(2026, 1, 10), kind=LedgerEntryKind.FEE, prefix="OP")
    _debt(bank_company, anna, "500.00", date(2026, 3, 20))
    _pay(bank_company, anna, "630.00", date(2026, 3, 20))  # the invoice on its due day: on time
    assert customer_balance(customer=anna) == D("0.00")
    assert not InterestCharge.objects.exists()
    assert interest_notes_issue(company=bank_company, on_date=date(2026, 3, 21), now=LATER) == []


def test_computing_twice_charges_once(bank_company):
    _policy(bank_company, interest_mode=InterestMode.MONTHLY, interest_minimum=D("0.01"))
    anna = factories.customer(bank_company, LATER)
    _debt(bank_company, anna, "1000.00", date(2026, 2, 20))
    ledger_post_many(
        company=bank_company,
        postings=[
            Posting(anna.pk, "payment", "bank_transaction", 1, "P1", D("-1000.00"), date(2026, 3, 20), None)
        ],
        now=LATER,
    )
    settlements = ledger_allocate_many(company_id=bank_company.pk, customer_ids=[anna.pk], now=LATER)
    assert InterestCharge.objects.count() == 1
    # the same settlements once more, and allocating once more: nothing new
    assert interest_charges_record(company_id=bank_company.pk, settlements=settlements, now=LATER) == 0
    assert ledger_allocate_many(company_id=bank_company.pk, customer_ids=[anna.pk], now=LATER) == []
    assert InterestCharge.objects.count() == 1
    interest_notes_issue(company=bank_company, on_date=date(2026, 3, 31), now=LATER)
    interest_notes_issue(company=bank_company, on_date=date(2026, 4, 30), now=LATER)
    assert InterestNote.objects.get().amount == D("7.18")


def test_a_returned_payment_bears_no_interest_of_its_own(bank_company):
    """A late payment of 2026-03-20 comes back from the bank; the debt is paid again on 2026-03-31.

    Only the real payment counts: 1000 × (0.0950 × 12 + 0.0925 × 27) / 365 = 3637.5 / 365 = 9.9658… → 9.97
    (not 7.18 + 9.97 for the same days twice).
    """
    _policy(bank_company, interest_mode=InterestMode.MONTHLY, interest_minimum=D("0.01"))
    anna = factories.customer(bank_company, LATER)
    _debt(bank_company, anna, "1000.00", date(2026, 2, 20))
    _pay(bank_company, anna, "1000.00", date(2026, 3, 20))
    payment = LedgerEntry.objects.get(kind=LedgerEntryKind.PAYMENT)
    ledger_entry_reverse(
        entry=payment, reason="Returned by the bank", made_by="anna", on_date=date(2026, 3, 22), now=LATER
    )
    _pay(bank_company, anna, "1000.00", date(2026, 3, 31))
    (note,) = interest_notes_issue(company=bank_company, on_date=date(2026, 4, 1), now=LATER)
    assert note.interest == D("9.97")


def test_a_returned_payment_keeps_the_compensation_for_the_payment_that_settles(bank_company):
    _policy(bank_company, interest_mode=InterestMode.MONTHLY, recovery_compensation=True)
    firm = _business(bank_company)
    _debt(bank_company, firm, "1000.00", date(2026, 2, 20))
    _pay(bank_company, firm, "1000.00", date(2026, 3, 20))
    ledger_entry_reverse(
        entry=LedgerEntry.objects.get(kind=LedgerEntryKind.PAYMENT),
        reason="Returned by the bank",
        made_by="anna",
        on_date=date(2026, 3, 22),
        now=LATER,
    )
    _pay(bank_company, firm, "1000.00", date(2026, 3, 31))
    (note,) = interest_notes_issue(company=bank_company, on_date=date(2026, 4, 1), now=LATER)
    # 1000 × 0.14 × 39 / 365 = 5460 / 365 = 14.958… → 14.96; 40 EUR × 4.25 = 170.00 once
    assert (note.interest, note.compensation) == (D("14.96"), D("170.00"))
