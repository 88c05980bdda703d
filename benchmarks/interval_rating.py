"""Quarter-hour values rated per second against a quarter-hour price series (exact integers, numpy).

Default: 10,000 supply points × October 2026 (2,980 quarter-hours with the 100-quarter-hour DST day),
about 29.8 million values, rated with ``rate_intervals_many``: Wh (int64) × price in µPLN/kWh (int64,
negative prices included), summed exactly per supply point, converted to grosz once, half up. The
best of ``--repeats`` runs is reported, single-threaded and split over ``--threads`` threads
(all CPUs by default); ``values_per_second`` is the faster of the two. A sample of supply points is
checked against Decimal arithmetic (not timed). Needs no database.

    .venv/bin/python benchmarks/interval_rating.py [--points N] [--month 2026-10] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kilowatt.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    import django

    django.setup()
    import numpy as np

    from kilowatt.metering.interval_rating import rate_intervals, rate_intervals_many
    from kilowatt.metering.intervals import intervals_in_day

    first = date.fromisoformat(args.month + "-01")
    intervals, day = 0, first
    while day.month == first.month:
        intervals += intervals_in_day(day=day, resolution_minutes=15)
        day += timedelta(days=1)
    rng = np.random.default_rng(2026)
    values = rng.integers(0, 2_500, (args.points, intervals), dtype=np.int64)  # Wh per quarter-hour
    prices = rng.integers(-300_000, 2_000_000, intervals, dtype=np.int64)  # µPLN/kWh, RCE-like
    count = values.size

    def best(threads: int) -> tuple[float, np.ndarray]:
        timings, grosz = [], None
        for _ in range(args.repeats):
            started = time.perf_counter()
            grosz = rate_intervals_many(values_wh=values, prices_micro=prices, threads=threads)
            timings.append(time.perf_counter() - started)
        return min(timings), grosz

    single, grosz = best(1)
    parallel, grosz_parallel = best(args.threads)
    assert grosz.tolist() == grosz_parallel.tolist()
    checked = 0
    for row in rng.choice(args.points, size=min(20, args.points), replace=False):
        with localcontext(prec=60):
            total = sum(
                (
                    Decimal(int(v)) / 1000 * Decimal(int(p)) / 1_000_000
                    for v, p in zip(values[row], prices, strict=True)
                ),
                Decimal(0),
            )
        expected = int(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
        assert grosz[row] == expected == rate_intervals(values_wh=values[row], prices_micro=prices)
        checked += 1
    print(f"{args.points:,} supply points × {intervals} quarter-hours = {count:,} values")
    print(f"1 thread: {single * 1000:.1f} ms, {count / single / 1e6:,.0f} million values per second")
    print(
        f"{args.threads} threads: {parallel * 1000:.1f} ms, "
        f"{count / parallel / 1e6:,.0f} million values per second"
    )
    print(f"{checked} supply points checked against Decimal: equal")
    print(
        json.dumps(
            {
                "benchmark": "interval_rating",
                "metrics": {
                    "values_per_second": round(count / min(single, parallel)),
                    "values_per_second_one_thread": round(count / single),
                    "values_per_second_threads": round(count / parallel),
                    "ms": round(min(single, parallel) * 1000, 1),
                },
                "params": {
                    "supply_points": args.points,
                    "intervals": intervals,
                    "values": count,
                    "threads": args.threads,
                    "repeats": args.repeats,
                    "checked_against_decimal": checked,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
