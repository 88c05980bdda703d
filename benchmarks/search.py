"""Latency of the back office search over many customers on PostgreSQL (default 1,000,000).

Fills a database of its own once (reused when it already holds enough customers), then runs a mix
of searches through the same query functions the back office uses and prints p50 and p95 in ms.

    .venv/bin/python benchmarks/search.py [--customers N] [--searches N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from _setup import django_on_postgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=600)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/kw_bench_search")
    args = parser.parse_args()
    django_on_postgres(args.database_url)

    from django.db import connection

    from kilowatt.core.clock import system_clock
    from kilowatt.interfaces.cli.demo_data import demo_company_ensure, demo_data_generate
    from kilowatt.network.queries import supply_points_search
    from kilowatt.parties.models import Customer
    from kilowatt.parties.queries import customers_search
    from kilowatt.sales.models import Contract
    from kilowatt.sales.queries import contracts_search

    company = demo_company_ensure(code="demo")
    have = Customer.objects.filter(company=company).count()
    if have < args.customers:
        print(f"generating {args.customers - have} customers…", flush=True)
        demo_data_generate(
            company=company, customers=args.customers - have, seed=have + 7, now=system_clock.now()
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    rng = random.Random(42)
    sample = list(
        Customer.objects.filter(company=company)
        .order_by("?")[:200]
        .values("last_name", "first_name", "business_name", "nip", "pesel", "phone", "email", "number")
    )
    codes = list(company.supply_points.order_by("?")[:100].values_list("code", flat=True))
    numbers = list(
        Contract.objects.filter(company=company).order_by("?")[:100].values_list("number", flat=True)
    )
    queries = []
    for _ in range(args.searches):
        row = rng.choice(sample)
        kind = rng.choice(
            ["surname", "fullname", "fragment", "nip", "pesel", "phone", "email", "ppe", "contract"]
        )
        if kind == "surname":
            queries.append(("customers", row["last_name"] or row["business_name"]))
        elif kind == "fullname":
            queries.append(
                ("customers", f"{row['first_name']} {row['last_name']}".strip() or row["business_name"])
            )
        elif kind == "fragment":
            name = row["last_name"] or row["business_name"]
            queries.append(("customers", name[: max(4, len(name) - 2)]))
        elif kind in ("nip", "pesel", "phone", "email"):
            queries.append(("customers", row[kind] or row["number"]))
        elif kind == "ppe":
            queries.append(("supply_points", rng.choice(codes)))
        else:
            queries.append(("contracts", rng.choice(numbers)))
    search = {
        "customers": customers_search,
        "supply_points": supply_points_search,
        "contracts": contracts_search,
    }
    timings = []
    for target, text in queries:
        started = time.perf_counter()
        search[target](company=company, text=text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    total = Customer.objects.filter(company=company).count()
    print(
        f"{len(timings)} searches over {total:,} customers: "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms"
    )
    print(
        json.dumps(
            {
                "benchmark": "search",
                "metrics": {
                    "p50_ms": round(p50, 2),
                    "p95_ms": round(p95, 2),
                    "max_ms": round(timings[-1], 2),
                },
                "params": {"customers": total, "searches": len(timings), "database": "postgresql"},
            }
        )
    )


if __name__ == "__main__":
    main()
