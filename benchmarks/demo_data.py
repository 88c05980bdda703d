"""Customers per second of the demo-data generator on PostgreSQL (default 100,000 customers).

.venv/bin/python benchmarks/demo_data.py [--customers N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import time

from _setup import django_on_postgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    django_on_postgres(args.database_url, fresh=True)

    from kilowatt.core.clock import system_clock
    from kilowatt.interfaces.cli.demo_data import demo_company_ensure, demo_data_generate

    company = demo_company_ensure(code="demo")
    started = time.perf_counter()
    result = demo_data_generate(company=company, customers=args.customers, seed=1, now=system_clock.now())
    elapsed = time.perf_counter() - started
    rate = result.customers / elapsed
    print(f"{result.customers} customers, {result.supply_points} supply points, {result.contracts} contracts")
    print(f"{elapsed:.1f} s, {rate:,.0f} customers per second")
    print(
        json.dumps(
            {
                "benchmark": "demo_data",
                "metrics": {
                    "customers_per_second": round(rate, 1),
                    "seconds": round(elapsed, 2),
                    "supply_points": result.supply_points,
                },
                "params": {"customers": args.customers, "database": "postgresql"},
            }
        )
    )


if __name__ == "__main__":
    main()
