"""Demo finance and collections: payment history through real bank statements, policies, and the tour's
statement file.

The billed history is paid by MT940 statements imported the way a bank's would be: most customers pay
on time, some late (their interest becomes interest notes, one of them due in two days, so the first
nightly run reminds them before the due date), and a few stopped paying two months ago — the nightly
run opens their cases. The tour's statement (written to ``var/demo/bank-statement.sta``) pays two of
those debtors by virtual account and one by an invoice number in the title, overpays, carries an
outgoing transfer, and one transfer from an unknown payer that stays in the clearing queue.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from schwifty import IBAN

from kilowatt.collections.models import DunningActionKind, DunningPolicy, DunningStep, NoticeChannel
from kilowatt.core.models import Company
from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.interest import interest_notes_issue
from kilowatt.finance.journal import journal_accounts_default
from kilowatt.finance.models import FinancePolicy, InterestMode, LedgerEntry, LedgerEntryKind
from kilowatt.finance.payments import statement_import
from kilowatt.parties.models import Customer, CustomerKind

COMPANY_ACCOUNT_SUFFIX = "0000071219812874"
DEBTORS_SHARE = 0.03
LATE_PAYERS_SHARE = 0.06
TOUR_STATEMENT = "bank-statement.sta"

# (name, action, days after due, days after the previous step, fee, channel, needs approval)
STEP = tuple[str, str, int, int | None, str, str, bool]
A, PREFERRED, LETTER, EMAIL = (
    DunningActionKind,
    NoticeChannel.PREFERRED,
    NoticeChannel.LETTER,
    NoticeChannel.EMAIL,
)
HOUSEHOLD_STEPS: list[STEP] = [
    ("Przypomnienie o płatności", A.REMINDER, 3, None, "0.00", PREFERRED, False),
    ("Wezwanie do zapłaty", A.DEMAND_LETTER, 14, 1, "0.00", PREFERRED, False),
    ("Telefon z działu windykacji", A.PHONE_TASK, 21, 3, "0.00", PREFERRED, False),
    ("Powiadomienie o zamiarze wstrzymania dostaw", A.DISCONNECTION_NOTICE, 30, 3, "0.00",
     LETTER, False),
    ("Zlecenie wstrzymania dostaw do OSD", A.DISCONNECTION_ORDER, 45, 1, "0.00",
     PREFERRED, True),
    ("Przekazanie do firmy windykacyjnej", A.AGENCY, 90, 14, "0.00", PREFERRED, True),
]  # fmt: skip
BUSINESS_STEPS: list[STEP] = [
    ("Przypomnienie o płatności", A.REMINDER, 3, None, "0.00", EMAIL, False),
    ("Wezwanie do zapłaty", A.DEMAND_LETTER, 10, 1, "30.00", PREFERRED, False),
    ("Powiadomienie o zamiarze wstrzymania dostaw", A.DISCONNECTION_NOTICE, 21, 3, "0.00",
     LETTER, False),
    ("Zlecenie wstrzymania dostaw do OSD", A.DISCONNECTION_ORDER, 40, 1, "0.00",
     PREFERRED, True),
    ("Skierowanie sprawy do sądu", A.COURT, 90, 14, "0.00", PREFERRED, True),
]  # fmt: skip


@dataclass(frozen=True)
class Transfer:
    booked_on: date
    amount: Decimal
    title: str
    payer: str
    payer_account: str
    credited: str  # the virtual account credited, or empty


def company_account(company: Company) -> str:
    """The company's own collection account at the demo bank (the statement's account)."""
    bank_code = (company.bank_account_prefix or "10901014")[:8]
    return str(IBAN.generate("PL", bank_code=bank_code, account_code=COMPANY_ACCOUNT_SUFFIX))


def mt940(*, account: str, statement_id: str, opening: Decimal, transfers: list[Transfer]) -> bytes:
    """An MT940 statement as Polish banks deliver it (``:86:`` with ~-subfields; cp1250)."""
    lines = [f":20:{statement_id}", f":25:/{account}", ":28C:00001/001"]
    first = min((t.booked_on for t in transfers), default=date.today())
    last = max((t.booked_on for t in transfers), default=first)
    lines.append(f":60F:C{first:%y%m%d}PLN{_amount(opening)}")
    balance = opening
    for number, t in enumerate(transfers, start=1):
        mark = "C" if t.amount > 0 else "D"
        code = "051" if t.amount > 0 else "641"
        lines.append(
            f":61:{t.booked_on:%y%m%d%m%d}{mark}N{_amount(abs(t.amount))}S{code}NONREF//{statement_id}{number:05d}"
        )
        title = [t.title[i : i + 27] for i in range(0, len(t.title), 27)][:6] or [""]
        lines.append(f":86:{code}~00VV01{'Przelew przychodzący' if t.amount > 0 else 'Przelew wychodzący'}")
        lines.append(f"~10{number:06d}")
        lines.extend(f"~{20 + i}{part}" for i, part in enumerate(title))
        lines.append(f"~27{t.payer[:27]}")
        lines.append(f"~38{t.payer_account}")
        if t.credited:
            lines.append(f"~63{t.credited}")
        balance += t.amount
    lines += [f":62F:C{last:%y%m%d}PLN{_amount(balance)}", f":64:C{last:%y%m%d}PLN{_amount(balance)}", "-"]
    return ("\r\n".join(lines) + "\r\n").encode("cp1250")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _payer_account(rng: random.Random) -> str:
    return str(IBAN.generate("PL", bank_code="10501445", account_code=f"{rng.randrange(10**15):016d}"))


def demo_finance_setup(*, company: Company) -> None:
    """Company address, finance policy, journal accounts and the dunning policies of the demo."""
    if not company.street:
        company.street, company.postal_code, company.city = "ul. Prosta 20", "00-850", "Warszawa"
        company.save(update_fields=["street", "postal_code", "city"])
    FinancePolicy.objects.get_or_create(
        company=company,
        defaults={
            "interest_mode": InterestMode.MONTHLY,
            "interest_minimum": Decimal("1.00"),
            "recovery_compensation": True,
            "refund_account": company_account(company),
        },
    )
    journal_accounts_default(company=company)
    for name, kind, priority, reminder_days, steps in (
        ("Gospodarstwa domowe", CustomerKind.PERSON, 10, 3, HOUSEHOLD_STEPS),
        ("Firmy", CustomerKind.BUSINESS, 20, 3, BUSINESS_STEPS),
    ):
        policy, created = DunningPolicy.objects.get_or_create(
            company=company,
            name=name,
            defaults={"customer_kind": kind, "priority": priority, "reminder_days_before_due": reminder_days},
        )
        if created:
            DunningStep.objects.bulk_create(
                DunningStep(
                    policy=policy,
                    position=position,
                    name=step_name,
                    action=action,
                    days_after_due=after_due,
                    days_after_previous=after_previous,
                    fee=Decimal(fee),
                    channel=channel,
                    requires_approval=approval,
                )
                for position, (
                    step_name,
                    action,
                    after_due,
                    after_previous,
                    fee,
                    channel,
                    approval,
                ) in enumerate(steps)
            )


@dataclass
class DemoPayments:
    statements: int
    payments: int
    debtors: list[int]
    late_payers: list[int]
    tour_statement: Path | None


def demo_payments_generate(
    *, company: Company, today: date, seed: int, now: datetime, tour: bool = True
) -> DemoPayments:
    """Pay the billed history through monthly statements; write the tour's statement file."""
    rng = random.Random(seed)
    invoices = defaultdict(list)
    for entry in LedgerEntry.objects.filter(company=company, kind=LedgerEntryKind.INVOICE).order_by(
        "due_date", "pk"
    ):
        invoices[entry.customer_id].append(entry)
    customers = sorted(invoices)
    rng.shuffle(customers)
    debtors = sorted(customers[: max(4, int(len(customers) * DEBTORS_SHARE))])
    late_payers = sorted(
        customers[len(debtors) : len(debtors) + max(3, int(len(customers) * LATE_PAYERS_SHARE))]
    )
    stopped_from = today - timedelta(days=75)
    accounts = {c: _payer_account(rng) for c in customers}
    names = {c.pk: c.display_name for c in Customer.objects.filter(pk__in=customers)}
    by_month: dict[tuple[int, int], list[Transfer]] = defaultdict(list)
    for customer_id in customers:
        for entry in invoices[customer_id]:
            due = entry.due_date or entry.posted_on
            if customer_id in debtors and due >= stopped_from:
                continue
            if customer_id in late_payers:
                paid_on = due + timedelta(days=rng.randint(20, 45))
            else:
                paid_on = due - timedelta(days=rng.randint(0, 6))
            if paid_on >= today:
                continue
            by_title = rng.random() < 0.1
            transfer = Transfer(
                booked_on=paid_on,
                amount=entry.amount,
                title=f"Zapłata za {entry.document_number}"
                if by_title
                else f"Energia {entry.document_number}",
                payer=names[customer_id],
                payer_account=accounts[customer_id],
                credited="" if by_title else virtual_account_for(company=company, customer_id=customer_id),
            )
            by_month[(paid_on.year, paid_on.month)].append(transfer)
    account = company_account(company)
    count = 0
    for (year, month), transfers in sorted(by_month.items()):
        transfers.sort(key=lambda t: t.booked_on)
        content = mt940(
            account=account,
            statement_id=f"DEMO{year}{month:02d}",
            opening=Decimal("0.00"),
            transfers=transfers,
        )
        statement_import(
            company=company, file_name=f"wyciag-{year}-{month:02d}.sta", content=content, now=now
        )
        count += len(transfers)
    with transaction.atomic():
        interest_notes_issue(company=company, on_date=today - timedelta(days=12), now=now)
    path = (
        _tour_statement(
            company=company, today=today, debtors=debtors, accounts=accounts, names=names, rng=rng
        )
        if tour
        else None
    )
    return DemoPayments(len(by_month), count, debtors, late_payers, path)


def _tour_statement(*, company, today, debtors, accounts, names, rng) -> Path | None:
    """Two debtors pay in full by virtual account, one pays an invoice by its number from another account,
    one customer overpays, a stranger's transfer waits for staff, and the company pays a supplier."""
    if len(debtors) < 4:
        return None
    open_debts: dict[int, list[LedgerEntry]] = defaultdict(list)
    for entry in LedgerEntry.objects.filter(
        customer_id__in=debtors[:3], kind=LedgerEntryKind.INVOICE
    ).order_by("due_date"):
        open_debts[entry.customer_id].append(entry)
    transfers = []
    for customer_id in debtors[:2]:
        owed = sum(
            (
                e.amount
                for e in open_debts[customer_id]
                if e.due_date and e.due_date >= today - timedelta(days=75)
            ),
            Decimal("0.00"),
        )
        if owed > 0:
            transfers.append(
                Transfer(
                    today,
                    owed,
                    "Zaległe rachunki za energię",
                    names[customer_id],
                    accounts[customer_id],
                    virtual_account_for(company=company, customer_id=customer_id),
                )
            )
    named = next(
        (e for e in open_debts[debtors[2]] if e.due_date and e.due_date >= today - timedelta(days=75)), None
    )
    if named is not None:
        transfers.append(
            Transfer(
                today,
                named.amount,
                f"Zapłata faktury {named.document_number}",
                names[debtors[2]],
                _payer_account(rng),
                "",
            )
        )
    payer = next((c for c in accounts if c not in debtors), None)
    if payer is not None:
        transfers.append(
            Transfer(
                today,
                Decimal("500.00"),
                "Nadpłata na poczet kolejnych faktur",
                names[payer],
                accounts[payer],
                virtual_account_for(company=company, customer_id=payer),
            )
        )
    transfers.append(
        Transfer(
            today, Decimal("123.45"), "Wpłata za prąd, mieszkanie 7", "Jan Nieznany", _payer_account(rng), ""
        )
    )
    transfers.append(
        Transfer(
            today, Decimal("-2500.00"), "Zakup energii 11/2026", "ENERGA-OBRÓT SA", _payer_account(rng), ""
        )
    )
    folder = Path(settings.VAR_DIR) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / TOUR_STATEMENT
    path.write_bytes(
        mt940(
            account=company_account(company),
            statement_id=f"TOUR{today:%y%m%d}",
            opening=Decimal("10000.00"),
            transfers=transfers,
        )
    )
    return path
