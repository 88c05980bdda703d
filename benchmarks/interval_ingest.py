"""Quarter-hour values stored per second on PostgreSQL through the bulk path, validation included.

Default: 2,000 supply points × one month (March 2026, with its 92-quarter-hour DST day) of quarter-hour
import values, i.e. about 5.9 million values in 62,000 interval days. The timed part is
``interval_days_store_bulk``: checks (count per day, negatives, spikes), the look-up of existing days
and the COPY into PostgreSQL. Generating the random values is not timed. A second pass stores the same
days again and measures the idempotent no-op (every day unchanged).

    .venv/bin/python benchmarks/interval_ingest.py [--points N] [--month 2026-03] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta

from _setup import django_on_postgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=2_000)
    parser.add_argument("--month", default="2026-03")
    parser.add_argument("--chunk", type=int, default=5_000, help="days per transaction")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/kw_bench_intervals")
    args = parser.parse_args()
    django_on_postgres(args.database_url)

    import numpy as np
    from django.db import connection

    from kilowatt.core.clock import system_clock
    from kilowatt.interfaces.cli.demo_data import demo_company_ensure, demo_data_generate
    from kilowatt.metering.intervals import IntervalDayInput, interval_days_store_bulk, intervals_in_day
    from kilowatt.metering.models import IntervalDay

    now = system_clock.now()
    company = demo_company_ensure(code="demo")
    have = company.supply_points.count()
    if have < args.points:
        print(f"generating customers for {args.points - have} more supply points…", flush=True)
        while company.supply_points.count() < args.points:
            demo_data_generate(
                company=company,
                customers=args.points - company.supply_points.count(),
                seed=have + 11,
                now=now,
            )
            have = company.supply_points.count()
    points = list(company.supply_points.order_by("pk").values_list("pk", flat=True)[: args.points])
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {IntervalDay._meta.db_table}")

    first = date.fromisoformat(args.month + "-01")
    days = []
    day = first
    while day.month == first.month:
        days.append(day)
        day += timedelta(days=1)
    rng = np.random.default_rng(42)
    inputs = []
    for point in points:
        for day in days:
            count = intervals_in_day(day=day, resolution_minutes=15)
            inputs.append(
                IntervalDayInput(point, day, 15, "import", rng.integers(20, 400, count, dtype=np.int64))
            )
    values = sum(len(i.values_wh) for i in inputs)

    started = time.perf_counter()
    stored = interval_days_store_bulk(
        company=company, days=inputs, source="benchmark", now=now, chunk_size=args.chunk
    )
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    again = interval_days_store_bulk(
        company=company, days=inputs, source="benchmark", now=now, chunk_size=args.chunk
    )
    elapsed_again = time.perf_counter() - started
    assert stored.created == len(inputs) and not stored.failures, (stored.created, stored.failures[:3])
    assert again.unchanged == len(inputs)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s)", [IntervalDay._meta.db_table])
        table_bytes = cursor.fetchone()[0]
    rate = values / elapsed
    rate_again = values / elapsed_again
    print(
        f"{len(points)} supply points × {len(days)} days = {len(inputs):,} days, "
        f"{values:,} quarter-hour values"
    )
    print(f"stored in {elapsed:.2f} s: {rate:,.0f} values per second ({len(inputs) / elapsed:,.0f} days/s)")
    print(f"same days again (no-op) in {elapsed_again:.2f} s: {rate_again:,.0f} values per second")
    print(f"table with indexes: {table_bytes / 2**20:.1f} MiB ({table_bytes / values:.1f} bytes per value)")
    print(
        json.dumps(
            {
                "benchmark": "interval_ingest",
                "metrics": {
                    "values_per_second": round(rate),
                    "days_per_second": round(len(inputs) / elapsed),
                    "seconds": round(elapsed, 2),
                    "idempotent_values_per_second": round(rate_again),
                    "bytes_per_value": round(table_bytes / values, 2),
                },
                "params": {
                    "supply_points": len(points),
                    "days": len(days),
                    "values": values,
                    "chunk_days": args.chunk,
                    "database": "postgresql",
                },
            }
        )
    )


if __name__ == "__main__":
    main()
