"""Importing and matching one bank statement of many incoming transfers on PostgreSQL, in transactions
per second, with the share matched automatically; the goal is at least 10,000 transactions/s.

.venv/bin/python benchmarks/payments.py [--transactions 10000,100000] [--database-url URL]

Each size gets a fresh database (not timed): as many customers as transfers, each with one or two open
invoices on the ledger (FV/000001/2026..., due from January to April 2026), and a company whose virtual
accounts start with 109010147777. Then ONE MT940 file as Polish banks deliver it (Windows-1250, CRLF,
:61: with the bank's reference, :86: with ~20-~25 title, ~27-~29 payer, ~30/~31/~38 payer's account,
~63 the virtual account credited; balances that add up) with one credit transfer per customer:
~85% to the customer's virtual account, ~8% naming only an invoice number (payer's account random), ~2%
naming the customer number, ~5% unknown (half of those to a virtual account of no customer); amounts
are the invoice, both invoices, part of it or more than it. Timed: ``statement_parse`` alone, then
``statement_import`` (parse, match, transactions, ledger, allocations, interest, one transaction), then
the same file again (a no-op). Phases inside the import and the heaviest SQL are printed too.

The customer generator and the SQL profile below are reused by benchmarks/dunning_run.py.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import re
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from _setup import django_on_postgres

BANK_PREFIX = "109010147777"
BOOKED_ON = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)
CHUNK = 100_000

FIRST_NAMES = ["Jan", "Anna", "Piotr", "Maria", "Krzysztof", "Katarzyna", "Andrzej", "Małgorzata", "Tomasz",
               "Agnieszka", "Paweł", "Barbara", "Michał", "Ewa", "Łukasz", "Zofia", "Grzegorz", "Joanna",
               "Marcin", "Dorota", "Józef", "Elżbieta", "Wojciech", "Jadwiga"]  # fmt: skip
LAST_NAMES = ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
              "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
              "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski", "Michalski",
              "Król", "Wieczorek", "Jabłoński", "Brzęczyszczykiewicz", "Żółć"]  # fmt: skip
BUSINESS_NAMES = ["Piekarnia Świt", "Zakład Usług Ślusarskich", "Sklep Spożywczy Żabka", "Warsztat Łódź",
                  "Gospodarstwo Rolne Źrebiec", "Kwiaciarnia Róża", "Biuro Rachunkowe Ćma"]  # fmt: skip
STREETS = ["Lipowa", "Polna", "Leśna", "Słoneczna", "Krótka", "Szkolna", "Ogrodowa", "Źródlana",
           "Kościuszki", "Mickiewicza", "Żeromskiego", "Grunwaldzka", "Świętokrzyska"]  # fmt: skip
CITIES = [("00-950", "Warszawa"), ("30-001", "Kraków"), ("90-001", "Łódź"), ("50-001", "Wrocław"),
          ("61-001", "Poznań"), ("80-001", "Gdańsk"), ("70-001", "Szczecin"), ("20-001", "Lublin"),
          ("25-001", "Kielce"), ("15-001", "Białystok"), ("43-300", "Bielsko-Biała"),
          ("97-300", "Piotrków Trybunalski")]  # fmt: skip
PAYER_BANKS = ["10501445", "11402004", "10202892", "10901014", "12401037", "11602202", "10204027"]


# --- shared with dunning_run.py -------------------------------------------------------------------


def company_create(*, code: str):
    from kilowatt.core.models import Company

    return Company.objects.create(
        code=code, name="Kilowatt Energia S.A.", nip="5261040828", street="ul. Prosta 20",
        postal_code="00-850", city="Warszawa", bank_account_prefix=BANK_PREFIX,
    )  # fmt: skip


def _copy(model, rows: list[dict]) -> None:
    """COPY rows given as {attname: value}; a column left out gets the field's default."""
    from kilowatt.core.bulk import rows_copy

    fields = list(model._meta.concrete_fields)
    names = [f.attname for f in fields]
    defaults = {f.attname: f.get_default() for f in fields}
    rows_copy(model=model, fields=names, rows=[[row.get(n, defaults[n]) for n in names] for row in rows])


def customers_copy(
    *, company, count: int, now: datetime, seed: int, paper_share: float = 0.0, vulnerable_share: float = 0.0
) -> tuple[list[int], list[str]]:
    """``count`` customers (85% persons, 15% businesses) with addresses, e-mail and phone, written with
    COPY in transactions of 100,000; numbers come from the company's series. Returns (ids, numbers)."""
    from django.db import transaction

    from kilowatt.core.bulk import ids_reserve
    from kilowatt.core.numbering import number_series_take
    from kilowatt.parties.models import Address, Customer

    rng = random.Random(seed)
    ids: list[int] = []
    numbers: list[str] = []
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        with transaction.atomic():
            part_numbers = number_series_take(
                company=company, document_type="customer", year=2026, count=size
            )
            address_ids = ids_reserve(model=Address, count=size)
            customer_ids = ids_reserve(model=Customer, count=size)
            addresses, customers = [], []
            for address_id, customer_id, number in zip(address_ids, customer_ids, part_numbers, strict=True):
                postal_code, city = rng.choice(CITIES)
                addresses.append({
                    "id": address_id, "street": f"ul. {rng.choice(STREETS)}",
                    "building_number": str(rng.randint(1, 180)),
                    "apartment_number": str(rng.randint(1, 90)) if rng.random() < 0.5 else "",
                    "postal_code": postal_code, "city": city,
                })  # fmt: skip
                business = rng.random() < 0.15
                row = {
                    "id": customer_id, "company_id": company.pk, "number": number,
                    "kind": "business" if business else "person",
                    "email": f"klient{customer_id}@example.pl",
                    "phone": f"+48{rng.choice('5678')}{rng.randint(10000000, 99999999)}",
                    "preferred_channel": "paper" if rng.random() < paper_share else "email",
                    "is_vulnerable": rng.random() < vulnerable_share,
                    "address_id": address_id, "created_at": now, "updated_at": now,
                }  # fmt: skip
                if business:
                    row["business_name"] = f"{rng.choice(BUSINESS_NAMES)} {customer_id}"
                else:
                    row["first_name"], row["last_name"] = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                customers.append(row)
            _copy(Address, addresses)
            _copy(Customer, customers)
        ids.extend(customer_ids)
        numbers.extend(part_numbers)
    return ids, numbers


class SqlProfile:
    """Counts and times every SQL statement Django runs (COPY streams are not seen), grouped by shape."""

    def __init__(self) -> None:
        self.by_shape: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            shape = re.sub(r"(%s, )+%s", "%s…", re.sub(r"\s+", " ", sql))[:110]
            entry = self.by_shape[shape]
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    @property
    def queries(self) -> int:
        return sum(int(c) for c, _s in self.by_shape.values())

    @property
    def seconds(self) -> float:
        return sum(s for _c, s in self.by_shape.values())

    def top(self, n: int = 5) -> list[tuple[str, int, float]]:
        rows = sorted(((k, int(c), s) for k, (c, s) in self.by_shape.items()), key=lambda r: -r[2])
        return rows[:n]

    def print(self, indent: str = "    ", n: int = 5) -> None:
        print(f"{indent}SQL: {self.queries:,} statements, {self.seconds:.2f} s in the driver; heaviest:")
        for shape, count, seconds in self.top(n):
            print(f"{indent}  {seconds:7.2f} s {count:>8,}×  {shape}")


class PhaseTimer:
    """Wraps module-level functions to add up the seconds spent in each (nested phases overlap)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, module, name: str, label: str | dict[str, str] | None = None) -> None:
        """``label`` names the phase; a dict names it by the ``model`` argument of the call instead."""
        original = getattr(module, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            if isinstance(label, dict):
                model = kwargs["model"].__name__
                key = label.get(model, f"{name}({model})")
            else:
                key = label or name
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - started
                self.calls[key] = self.calls.get(key, 0) + 1

        own = name in vars(module)  # a module's function, not a method found on an object's class
        setattr(module, name, timed)
        self._undo.append((module, name, original if own else None))

    def restore(self) -> None:
        for module, name, original in reversed(self._undo):
            if original is None:
                delattr(module, name)
            else:
                setattr(module, name, original)
        self._undo.clear()

    def print(self, total: float, indent: str = "    ") -> None:
        """Phases in the order they finished first: an inner phase is listed before the one holding it."""
        for key, seconds in self.seconds.items():  # in the order they were first left
            print(
                f"{indent}{key:<46} {seconds:7.2f} s ({seconds / total:5.1%}) in {self.calls[key]:,} call(s)"
            )
        rest = total - sum(s for k, s in self.seconds.items() if not k.startswith(" "))
        print(f"{indent}{'other (between the phases above)':<46} {rest:7.2f} s ({rest / total:5.1%})")


# --- set-up --------------------------------------------------------------------------------------


def _nrb_iban(bank: str, account: str) -> str:
    """A valid Polish IBAN of an 8-digit bank number and a 16-digit account number."""
    bban = bank + account
    check = 98 - int(bban + "252100") % 97
    return f"PL{check:02d}{bban}"


def _prepare(count: int, seed: int) -> tuple[int, list[dict]]:
    """Company, customers and their open invoices; returns the company id and, per customer, what the
    statement needs to pay them."""
    from django.db import transaction

    from kilowatt.finance.accounts import virtual_account_for
    from kilowatt.finance.models import LedgerEntryKind
    from kilowatt.finance.operations import Posting, ledger_post_many

    company = company_create(code="bench-payments")
    ids, numbers = customers_copy(company=company, count=count, now=NOW, seed=seed)
    rng = random.Random(seed + 1)
    accounts: list[dict] = []
    document = 0
    for start in range(0, count, CHUNK):
        postings = []
        for customer_id, number in zip(
            ids[start : start + CHUNK], numbers[start : start + CHUNK], strict=True
        ):
            invoices = []
            for n in range(1 if rng.random() < 0.7 else 2):
                document += 1
                due = date(2026, 2, 1) + timedelta(days=rng.randint(0, 45) + 30 * n)
                amount = Decimal(rng.randint(4_000, 90_000)) / 100
                invoice_number = f"FV/{document:06d}/2026"
                postings.append(Posting(customer_id, LedgerEntryKind.INVOICE, "invoice", document,
                                        invoice_number, amount, due - timedelta(days=14), due))  # fmt: skip
                invoices.append((invoice_number, amount))
            accounts.append({
                "id": customer_id, "number": number, "invoices": invoices,
                "virtual": virtual_account_for(company=company, customer_id=customer_id),
            })  # fmt: skip
        with transaction.atomic():
            ledger_post_many(company=company, postings=postings, now=NOW)
    return company.pk, accounts


def _amount(rng: random.Random, invoices: list[tuple[str, Decimal]], whole: bool) -> Decimal:
    """The invoice (or, sometimes, both), part of it, or more than it."""
    roll = rng.random()
    base = invoices[0][1]
    if whole and len(invoices) > 1 and roll < 0.15:
        return sum((a for _n, a in invoices), Decimal("0.00"))
    if roll < 0.65:
        return base
    if roll < 0.88:
        return max((base * Decimal(rng.randint(20, 90)) / 100).quantize(Decimal("0.01")), Decimal("1.00"))
    return base + Decimal(rng.randint(100, 20_000)) / 100


def _payer(rng: random.Random) -> tuple[str, str, str]:
    bank = rng.choice(PAYER_BANKS)
    account = f"{rng.randint(0, 10**16 - 1):016d}"
    return bank, account, _nrb_iban(bank, account)


def _split(text: str, width: int = 27, parts: int = 6) -> list[str]:
    """A title in the bank's subfields of at most ``width`` characters, cut between words."""
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return lines[:parts]


def statement_build(accounts: list[dict], count: int, seed: int) -> tuple[bytes, dict[str, int]]:
    """One MT940 statement of ``count`` incoming transfers (see the module's docstring); the kinds made."""
    rng = random.Random(seed + 2)
    order = list(range(len(accounts)))
    rng.shuffle(order)
    kinds: dict[str, int] = defaultdict(int)
    unknown_virtual_base = max(a["id"] for a in accounts) + 1_000_000
    opening = Decimal("1254310.77")
    total = Decimal("0.00")
    day = BOOKED_ON.strftime("%y%m%d")
    lines = [
        ":20:ST" + day + "KWB/1",
        ":25:/" + _nrb_iban("10901014", "0000071219812874"),
        ":28C:00061/001",
        f":60F:C{BOOKED_ON - timedelta(days=1):%y%m%d}PLN{opening:.2f}".replace(".", ","),
    ]
    for position in range(count):
        account = accounts[order[position % len(order)]]
        invoices = account["invoices"]
        bank, payer_account, payer_iban = _payer(rng)
        roll = rng.random()
        virtual = ""
        if roll < 0.85:
            kind = "virtual_account"
            virtual = account["virtual"]
            amount = _amount(rng, invoices, whole=True)
            title = rng.choice([
                f"{invoices[0][0]}", f"Zapłata za fakturę {invoices[0][0]}", "Opłata za prąd 02/2026",
                f"Energia elektryczna {account['number']}", "Rachunek za gaz", "prąd luty",
            ])  # fmt: skip
            if rng.random() < 0.02:  # split payment (MPP) from a business
                vat = (amount * Decimal("23") / Decimal("123")).quantize(Decimal("0.01"))
                title = [f"/VAT/{vat:.2f}/IDC/5260250274".replace(".", ","), f"/INV/{invoices[0][0]}",
                         "/TXT/Energia 02/2026"]  # fmt: skip
        elif roll < 0.93:
            kind = "document_number"
            named = rng.choice(invoices)
            amount = _amount(rng, [named], whole=False)
            title = rng.choice([f"{named[0]}", f"Zapłata za {named[0]}", f"FAKTURA {named[0]} energia"])
        elif roll < 0.95:
            kind = "customer_number"
            amount = _amount(rng, invoices, whole=True)
            title = rng.choice([f"{account['number']} opłata za energię", f"Nr klienta {account['number']}"])
        else:
            kind = "unknown"
            amount = Decimal(rng.randint(1_000, 50_000)) / 100
            title = rng.choice(["Przelew środków", "Zwrot za zakupy", "Darowizna", "opłata", "Czynsz marzec"])
            if rng.random() < 0.5:  # a mistyped virtual account: the company's prefix, no such customer
                virtual = _nrb_iban(
                    BANK_PREFIX[:8], BANK_PREFIX[8:] + f"{unknown_virtual_base + position:012d}"
                )
        kinds[kind] += 1
        total += amount
        reference = f"{day}{position + 1:08d}"
        name = rng.choice(FIRST_NAMES) + " " + rng.choice(LAST_NAMES)
        postal_code, city = rng.choice(CITIES)
        lines.append(f":61:{day}{BOOKED_ON:%m%d}CN{amount:.2f}S051NONREF//{reference}".replace(".", ","))
        lines.append(":86:051~00VV01Przelew przychodzący")
        lines.append(f"~10{position + 1:08d}")
        parts = title if isinstance(title, list) else _split(title)
        lines.extend(f"~{20 + i}{part}" for i, part in enumerate(parts))
        lines.append(f"~27{name[:27]}")
        lines.append("~29" + f"ul. {rng.choice(STREETS)} {rng.randint(1, 99)} {postal_code} {city}"[:35])
        lines.append(f"~30{bank}")
        lines.append(f"~31{payer_account}")
        lines.append(f"~38{payer_iban}")
        if virtual:
            lines.append(f"~63{virtual}")
    closing = opening + total
    lines.append(f":62F:C{day}PLN{closing:.2f}".replace(".", ","))
    lines.append(f":64:C{day}PLN{closing:.2f}".replace(".", ","))
    lines.append("-")
    return ("\r\n".join(lines) + "\r\n").encode("cp1250"), dict(kinds)


# --- the measurement -----------------------------------------------------------------------------


def _phases() -> PhaseTimer:
    from django.db import connections

    import kilowatt.finance.allocation as allocation
    import kilowatt.finance.interest as interest
    import kilowatt.finance.payments as payments

    timer = PhaseTimer()
    timer.wrap(payments, "statement_parse", "parse")
    timer.wrap(payments, "transfers_match", "match")
    timer.wrap(payments, "_transaction_row", "BankTransaction rows built")
    timer.wrap(payments, "rows_insert_ids", {"BankTransaction": "insert BankTransaction",
                                         "LedgerEntry": "  insert LedgerEntry (payments)"})  # fmt: skip
    timer.wrap(payments, "payments_post", "post payments (ledger + allocation)")
    timer.wrap(payments, "ledger_allocate_many", "  allocate (ledger_allocate_many)")
    timer.wrap(allocation, "open_items_of", "    open items (open_items_of)")
    timer.wrap(allocation, "rows_insert_ids", {"Allocation": "    insert Allocation"})
    timer.wrap(interest, "interest_charges_record", "    interest charges (interest_charges_record)")
    timer.wrap(interest, "rows_copy", {"InterestCharge": "      insert InterestCharge"})
    timer.wrap(connections["default"], "commit", "commit (deferred FK checks, WAL flush)")
    return timer


def measure(url: str, count: int, seed: int) -> dict:
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()  # the database is dropped and created again for this size
    django_on_postgres(url, fresh=True)
    from django.db import connection
    from django.db.models import Count

    from kilowatt.core.models import Company
    from kilowatt.finance.models import Allocation, BankTransaction, InterestCharge, LedgerEntry
    from kilowatt.finance.payments import statement_import
    from kilowatt.finance.statements import statement_parse

    print(
        f"preparing {count:,} customers, their invoices and a statement of {count:,} transfers …", flush=True
    )
    started = time.perf_counter()
    company_id, accounts = _prepare(count, seed)
    content, kinds = statement_build(accounts, count, seed)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    invoices = sum(len(a["invoices"]) for a in accounts)
    print(
        f"  prepared in {time.perf_counter() - started:.0f} s: {invoices:,} open invoices; the MT940 file is "
        f"{len(content) / 1e6:.1f} MB; transfers made: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])),
        flush=True,
    )
    company = Company.objects.get(pk=company_id)
    file_name = f"{BOOKED_ON:%Y%m%d}_wyciag.sta"

    started = time.perf_counter()
    parsed = statement_parse(content=content, file_name=file_name)
    parse_seconds = time.perf_counter() - started
    assert len(parsed.entries) == count, len(parsed.entries)
    del parsed

    timer, profile = _phases(), SqlProfile()
    with connection.execute_wrapper(profile):
        started = time.perf_counter()
        result = statement_import(company=company, file_name=file_name, content=content, now=NOW)
        elapsed = time.perf_counter() - started
    timer.restore()
    started = time.perf_counter()
    again = statement_import(company=company, file_name=file_name, content=content, now=NOW)
    again_seconds = time.perf_counter() - started

    by = dict(
        BankTransaction.objects.filter(company=company).values_list("matched_by").annotate(n=Count("id"))
    )
    payments = LedgerEntry.objects.filter(company=company, kind="payment").count()
    allocations = Allocation.objects.filter(company=company).count()
    charges = InterestCharge.objects.filter(company=company).count()
    rate = count / elapsed
    share = result.matched / count
    rest = elapsed - parse_seconds
    result_row = {
        "transactions": count,
        "seconds": round(elapsed, 2),
        "transactions_per_second": round(rate, 1),
        "matched": result.matched,
        "unmatched": result.unmatched,
        "matched_share": round(share, 4),
        "parse_seconds": round(parse_seconds, 2),
        "rest_seconds": round(rest, 2),
        "second_import_seconds": round(again_seconds, 4),
        "matched_by": {k or "none": v for k, v in by.items()},
        "payments_posted": payments,
        "allocations": allocations,
        "interest_charges": charges,
        "sql_statements": profile.queries,
    }
    print(
        f"  {count:,} transactions in {elapsed:.2f} s: {rate:,.0f} transactions/s; matched automatically "
        f"{result.matched:,} ({share:.1%}), clearing queue {result.unmatched:,}, known {result.known}, "
        f"outgoing {result.outgoing}",
        flush=True,
    )
    print(
        f"  parsing {parse_seconds:.2f} s ({parse_seconds / elapsed:.0%}), the rest {rest:.2f} s "
        f"({rest / elapsed:.0%}); the same file again: {again_seconds * 1000:.1f} ms "
        f"(already imported: {again.already_imported})",
        flush=True,
    )
    ways = ", ".join(f"{k or 'none'} {v:,}" for k, v in sorted(by.items(), key=lambda kv: -kv[1]))
    print(
        f"  matched by: {ways}; "
        f"{payments:,} payments posted, {allocations:,} allocations, {charges:,} interest charges",
        flush=True,
    )
    checks = {
        "matched + unmatched == transactions": result.matched + result.unmatched == count,
        "second import is a no-op": again.already_imported
        and BankTransaction.objects.filter(company=company).count() == count,
        "one payment per matched transfer": payments == result.matched,
    }
    print("  checks: " + ", ".join(f"{k}: {'ok' if v else 'FAILED'}" for k, v in checks.items()), flush=True)
    print("  phases inside the import:")
    timer.print(elapsed)
    profile.print(n=8)
    return result_row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/kw_bench_payments")
    args = parser.parse_args()
    sizes = [int(size) for size in args.transactions.split(",")]
    results = [measure(args.database_url, size, args.seed) for size in sizes]
    if len(results) > 1:
        small, large = results[0], results[-1]
        per = [r["seconds"] / r["transactions"] * 1e6 for r in (small, large)]
        print(
            f"cost per transaction: {per[0]:.0f} µs at {small['transactions']:,}, {per[1]:.0f} µs at "
            f"{large['transactions']:,} (linear growth keeps these equal)"
        )
    print(
        json.dumps(
            {
                "benchmark": "payments",
                "metrics": {f"transactions_{r['transactions']}": r for r in results},
                "params": {
                    "database": "postgresql",
                    "format": "mt940",
                    "goal_transactions_per_second": 10000,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
