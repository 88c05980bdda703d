"""The nightly dunning run over many accounts on PostgreSQL (default 1,000,000, 5% of them overdue):
the run's database work for two nights, and the sending of the first night's notices.

.venv/bin/python benchmarks/dunning_run.py [--accounts 1000000] [--database-url URL]
.venv/bin/python benchmarks/dunning_run.py --accounts 100000          # a quick run

Each size gets a fresh database (not timed, written with COPY): a company with its address and virtual
account prefix; the accounts (85% persons, 15% businesses; e-mail preferred by 85%, paper by 15%; 0.5%
protected as vulnerable); one invoice each on the ledger. 95% are paid in full by a payment entry with
its allocation, their due dates spread from 60 days before the first night to 20 days after it; 5% are
unpaid (a fifth of those paid in part) and overdue by 1 to 60 days. One dunning policy of four steps:
reminder (3 days after due), demand letter with a 10 PLN fee (7 days, a day after the reminder), notice
of intended disconnection (14 days), disconnection (30 days, needs approval), and a reminder 3 days before
the due date.

Timed: ``kilowatt.collections.run._run_in_transaction`` for night 1 (2026-03-10: cases opened, a step
each) and night 2 (the next day: cases move to the demand letter, fees posted; a fifth of the overdue
accounts paid in full in between, not timed, and their cases close), and separately
``kilowatt.collections.notices.notices_dispatch`` for night 1 (e-mails through Django's locmem backend,
letters into one print batch PDF written under a temporary MEDIA_ROOT). Phases and the heaviest SQL
are printed for each.

On a 2-CPU machine 1,000,000 accounts take about 15 minutes in all (set-up about 1.5 minutes); the one
print batch of some 7,300 letters takes about 9 of them and some 12 GB of memory.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import shutil
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from _setup import django_on_postgres
from payments import CHUNK, PhaseTimer, SqlProfile, _copy, company_create, customers_copy

NIGHT = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
OVERDUE_SHARE = 0.05
PAPER_SHARE = 0.15
VULNERABLE_SHARE = 0.005
PAID_BETWEEN_SHARE = 0.2
STEPS = [  # name, action, days after due, days after the previous step, fee, needs approval
    ("Reminder", "reminder", 3, None, "0.00", False),
    ("Demand", "demand_letter", 7, 1, "10.00", False),
    ("Notice", "disconnection_notice", 14, 1, "0.00", False),
    ("Disconnect", "disconnection_order", 30, 1, "0.00", True),
]


def _prepare(accounts: int, seed: int) -> tuple[int, int]:
    """Returns the company id and the number of accounts overdue on the first night."""
    from django.db import transaction

    from kilowatt.collections.models import DunningPolicy, DunningStep
    from kilowatt.core.bulk import ids_reserve
    from kilowatt.finance.models import Allocation, LedgerEntry

    company = company_create(code="bench-dunning")
    policy = DunningPolicy.objects.create(company=company, name="Households and businesses",
                                          reminder_days_before_due=3)  # fmt: skip
    for position, (name, action, after_due, after_previous, fee, approval) in enumerate(STEPS):
        DunningStep.objects.create(
            policy=policy, position=position, name=name, action=action, days_after_due=after_due,
            days_after_previous=after_previous, fee=Decimal(fee), requires_approval=approval,
        )  # fmt: skip
    ids, _numbers = customers_copy(
        company=company, count=accounts, now=NOW, seed=seed, paper_share=PAPER_SHARE,
        vulnerable_share=VULNERABLE_SHARE,
    )  # fmt: skip
    rng = random.Random(seed + 1)
    overdue = 0
    document = 0
    for start in range(0, accounts, CHUNK):
        chunk = ids[start : start + CHUNK]
        late = [rng.random() < OVERDUE_SHARE for _ in chunk]
        paid = [not is_late or rng.random() < 0.2 for is_late in late]
        with transaction.atomic():
            invoice_ids = ids_reserve(model=LedgerEntry, count=len(chunk))
            payment_ids = iter(ids_reserve(model=LedgerEntry, count=sum(paid)))
            entries, allocations = [], []
            for customer_id, invoice_id, is_late, has_payment in zip(
                chunk, invoice_ids, late, paid, strict=True
            ):
                document += 1
                amount = Decimal(rng.randint(4_000, 90_000)) / 100
                due = NIGHT - timedelta(days=rng.randint(1, 60) if is_late else rng.randint(-20, 60))
                entries.append({
                    "id": invoice_id, "company_id": company.pk, "customer_id": customer_id, "kind": "invoice",
                    "document_type": "invoice", "document_id": document,
                    "document_number": f"FV/{document:06d}/2026", "amount": amount,
                    "posted_on": due - timedelta(days=14), "due_date": due, "created_at": NOW,
                })  # fmt: skip
                if not has_payment:
                    continue
                paid_amount = (
                    amount if not is_late else (amount * rng.randint(10, 80) / 100).quantize(Decimal("0.01"))
                )
                posted_on = min(due - timedelta(days=rng.randint(-5, 10)), NIGHT - timedelta(days=1))
                payment_id = next(payment_ids)
                entries.append({
                    "id": payment_id, "company_id": company.pk, "customer_id": customer_id, "kind": "payment",
                    "document_type": "bank_transaction", "document_id": document,
                    "document_number": f"{posted_on:%y%m%d}{document:08d}", "amount": -paid_amount,
                    "posted_on": posted_on, "created_at": NOW,
                })  # fmt: skip
                allocations.append({"company_id": company.pk, "credit_id": payment_id, "debit_id": invoice_id,
                                    "amount": paid_amount, "created_at": NOW})  # fmt: skip
            _copy(LedgerEntry, entries)
            allocation_ids = ids_reserve(model=Allocation, count=len(allocations))
            for row, allocation_id in zip(allocations, allocation_ids, strict=True):
                row["id"] = allocation_id
            _copy(Allocation, allocations)
        overdue += sum(late)
    return company.pk, overdue


def _payments_between(company, share: float, seed: int) -> int:
    """After night 1 (not timed): ``share`` of the overdue accounts pay what they owe in full, by a payment
    entry and its allocation, so that night 2 closes their cases. Returns the accounts that paid."""
    from django.db import connection, transaction

    from kilowatt.core.bulk import ids_reserve
    from kilowatt.finance.models import Allocation, LedgerEntry

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT e.id, e.customer_id, e.amount - COALESCE(SUM(a.amount), 0)
               FROM finance_ledgerentry e LEFT JOIN finance_allocation a ON a.debit_id = e.id
               WHERE e.company_id = %s AND e.amount > 0 AND e.due_date < %s
               GROUP BY e.id HAVING e.amount > COALESCE(SUM(a.amount), 0) ORDER BY e.id""",
            [company.pk, NIGHT],
        )
        debts = cursor.fetchall()
    rng = random.Random(seed + 2)
    paying = [d for d in debts if rng.random() < share]
    posted_on = NIGHT
    with transaction.atomic():
        entry_ids = ids_reserve(model=LedgerEntry, count=len(paying))
        allocation_ids = ids_reserve(model=Allocation, count=len(paying))
        _copy(LedgerEntry, [
            {"id": entry_id, "company_id": company.pk, "customer_id": customer_id, "kind": "payment",
             "document_type": "bank_transaction", "document_id": 10**9 + entry_id,
             "document_number": f"{posted_on:%y%m%d}{entry_id:08d}", "amount": -open_amount,
             "posted_on": posted_on, "created_at": NOW}
            for entry_id, (_debit, customer_id, open_amount) in zip(entry_ids, paying, strict=True)
        ])  # fmt: skip
        _copy(Allocation, [
            {"id": allocation_id, "company_id": company.pk, "credit_id": entry_id, "debit_id": debit_id,
             "amount": open_amount, "created_at": NOW}
            for allocation_id, entry_id, (debit_id, _c, open_amount) in zip(allocation_ids, entry_ids, paying,
                                                                             strict=True)
        ])  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE finance_ledgerentry")
        cursor.execute("ANALYZE finance_allocation")
    return len({customer_id for _d, customer_id, _a in paying})


def _run_phases() -> PhaseTimer:
    from django.db import connections

    import kilowatt.collections.run as run
    import kilowatt.collections.work as work

    timer = PhaseTimer()
    timer.wrap(run, "plans_check", "instalment plans checked")
    timer.wrap(run, "overdue_by_customer", "overdue by customer (one aggregate)")
    timer.wrap(run, "_holds", "holds (plans, vulnerable, disputes)")
    timer.wrap(run, "rows_insert", {"DunningCase": "new cases inserted"})
    timer.wrap(run, "notice_write", "  notice_write (reminders before due)")
    timer.wrap(work, "notice_write", "  notice_write (steps)")
    timer.wrap(run, "_reminders_before_due", "reminders before the due date")
    timer.wrap(work, "_notice_items", "  letters' items (_notice_items)")
    timer.wrap(work, "_fees_post", "  fees posted and allocated")
    timer.wrap(work, "rows_insert", {"DunningEvent": "  insert DunningEvent", "Notice": "  insert Notice",
                                     "GridOrder": "  insert GridOrder"})  # fmt: skip
    timer.wrap(work, "rows_update", {"DunningCase": "  cases updated (rows_update)"})
    timer.wrap(work, "work_write", "write (work_write)")
    timer.wrap(connections["default"], "commit", "commit (deferred FK checks, WAL flush)")
    return timer


def _dispatch_phases() -> PhaseTimer:
    from django.db import connections

    import kilowatt.collections.notices as notices
    import kilowatt.documents.letters as letters
    from kilowatt.collections.models import Notice, PrintBatch

    timer = PhaseTimer()
    timer.wrap(notices, "email_send", "email_send")
    timer.wrap(Notice, "save", "Notice.save (one UPDATE per e-mail)")
    timer.wrap(letters, "letter_check", "letter_check")
    timer.wrap(letters, "letters_print_batch", "letters_print_batch (one PDF)")
    timer.wrap(PrintBatch, "save", "PrintBatch.save")
    timer.wrap(notices, "rows_update", {"Notice": "Notice rows_update (letters)"})
    timer.wrap(connections["default"], "commit", "commits")
    return timer


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _night(company, on_date: date, label: str) -> dict:
    from django.db import connection

    from kilowatt.collections.run import _run_in_transaction
    from kilowatt.core.bulk import gc_paused

    timer, profile = _run_phases(), SqlProfile()
    with connection.execute_wrapper(profile), gc_paused():  # as dunning_run runs it
        started = time.perf_counter()
        run = _run_in_transaction(company=company, on_date=on_date, now=NOW + (on_date - NIGHT))
        elapsed = time.perf_counter() - started
    timer.restore()
    counts = dict(run.counts)
    shown = [("overdue", "overdue"), ("opened", "opened"), ("steps", "steps"), ("blocked", "blocked"),
             ("awaiting", "awaiting approval"), ("due_soon", "reminders before due"),
             ("closed", "closed")]  # fmt: skip
    print(
        f"  {label} ({on_date}): {elapsed:.2f} s; "
        + ", ".join(f"{name} {counts.get(key, 0):,}" for key, name in shown),
        flush=True,
    )
    timer.print(elapsed)
    profile.print(n=6)
    return {"seconds": round(elapsed, 2), "counts": counts, "sql_statements": profile.queries}


def measure(url: str, accounts: int, seed: int, dispatch: bool = True) -> dict:
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()  # the database is dropped and created again for this size
    django_on_postgres(url, fresh=True)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # fontTools logs some 25 INFO lines per font of each PDF it subsets; keep them off the figures.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    from django.core import mail
    from django.db import connection

    from kilowatt.collections.models import DunningCase, DunningEvent, Notice
    from kilowatt.collections.notices import notices_dispatch
    from kilowatt.core.models import Company
    from kilowatt.finance.models import LedgerEntry

    print(f"preparing {accounts:,} accounts …", flush=True)
    started = time.perf_counter()
    company_id, overdue = _prepare(accounts, seed)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    prepare_seconds = time.perf_counter() - started
    print(
        f"  prepared in {prepare_seconds:.0f} s: {overdue:,} accounts overdue ({overdue / accounts:.1%})",
        flush=True,
    )
    company = Company.objects.get(pk=company_id)

    first = _night(company, NIGHT, "night 1")
    mail.outbox = []
    timer, profile = _dispatch_phases(), SqlProfile()
    peak_before = _peak_mb()
    with connection.execute_wrapper(profile):
        started = time.perf_counter()
        sent = (
            notices_dispatch(company=company, on_date=NIGHT, now=NOW + timedelta(minutes=30))
            if dispatch
            else {"sent": 0, "printed": 0, "failed": 0}
        )
        dispatch_seconds = time.perf_counter() - started
    timer.restore()
    peak_after = _peak_mb()
    print(
        f"  notices of night 1 dispatched in {dispatch_seconds:.2f} s: {sent['sent']:,} e-mails "
        f"({len(mail.outbox):,} in the outbox), {sent['printed']:,} letters in one print batch, "
        f"{sent['failed']:,} failed; peak memory {peak_after:,.0f} MB"
        + (f" (was {peak_before:,.0f} MB before the batch)" if peak_after > peak_before else ""),
        flush=True,
    )
    timer.print(dispatch_seconds)
    profile.print(n=4)
    mail.outbox = []
    paid = _payments_between(company, PAID_BETWEEN_SHARE, seed)
    print(f"  between the nights {paid:,} overdue accounts paid in full (not timed)", flush=True)
    second = _night(company, NIGHT + timedelta(days=1), "night 2")

    cases = DunningCase.objects.filter(company=company).count()
    events = DunningEvent.objects.filter(case__company=company).count()
    notices = Notice.objects.filter(company=company).count()
    fees = LedgerEntry.objects.filter(company=company, kind="fee").count()
    demands = Notice.objects.filter(company=company, kind="demand_letter").count()
    run_seconds = first["seconds"] + second["seconds"]
    rate = accounts / first["seconds"]
    print(
        f"  {accounts:,} accounts, {overdue:,} overdue: night 1 {first['seconds']:.2f} s "
        f"({rate:,.0f} accounts/s), dispatch {dispatch_seconds:.2f} s, night 2 {second['seconds']:.2f} s "
        f"({accounts / second['seconds']:,.0f} accounts/s); {cases:,} cases, {events:,} events, "
        f"{notices:,} notices, {fees:,} fees",
        flush=True,
    )
    checks = {
        "night 1 found every overdue account": first["counts"].get("overdue") == overdue,
        "a case per overdue account": cases == first["counts"].get("opened", 0) == overdue,
        "a fee per demand letter": demands == fees > 0,
        "night 2 closed the paid accounts' cases": second["counts"].get("closed") == paid,
    }
    print("  checks: " + ", ".join(f"{k}: {'ok' if v else 'FAILED'}" for k, v in checks.items()), flush=True)
    return {
        "accounts": accounts,
        "overdue": overdue,
        "prepare_seconds": round(prepare_seconds, 1),
        "night_1_seconds": first["seconds"],
        "night_1_accounts_per_second": round(rate, 1),
        "night_1_counts": first["counts"],
        "dispatch_seconds": round(dispatch_seconds, 2),
        "dispatch_counts": sent,
        "night_2_seconds": second["seconds"],
        "night_2_accounts_per_second": round(accounts / second["seconds"], 1),
        "night_2_counts": second["counts"],
        "paid_between_nights": paid,
        "run_seconds_both_nights": round(run_seconds, 2),
        "cases": cases,
        "notices": notices,
        "fees": fees,
        "peak_memory_mb": round(peak_after),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", default="1000000", help="comma-separated sizes, e.g. 100000,1000000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-dispatch",
        action="store_true",
        help="leave night 1's notices queued (no e-mails, no letters' PDF)",
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/kw_bench_dunning")
    args = parser.parse_args()
    # The print batch PDF is a file: keep it out of var/media.
    media = os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="kw-bench-dunning-")
    sizes = [int(size) for size in args.accounts.split(",")]
    try:
        results = [measure(args.database_url, size, args.seed, not args.no_dispatch) for size in sizes]
    finally:
        shutil.rmtree(media, ignore_errors=True)
    print(
        json.dumps(
            {
                "benchmark": "dunning_run",
                "metrics": {f"accounts_{r['accounts']}": r for r in results},
                "params": {
                    "database": "postgresql",
                    "overdue_share": OVERDUE_SHARE,
                    "paper_share": PAPER_SHARE,
                    "email_backend": "locmem",
                    "nights": 2,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
