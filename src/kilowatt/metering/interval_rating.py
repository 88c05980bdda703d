"""Exact vectorised rating of interval energy against an interval price series.

Units: energy in Wh (int64), prices in micro-PLN per kWh (1e-6 PLN/kWh, int64, may be negative as
exchange prices are). One product Wh × µPLN/kWh is 1e-9 PLN = 1e-7 grosz, so the sum of products is
an exact integer in units of 1e-7 grosz, converted to grosz once with ROUND_HALF_UP (half away from
zero, as ``Decimal.quantize`` does). No float touches the money.

int64 accumulation is exact while max|Wh| × max|price| × intervals < 2**63 (e.g. 10 MWh per
quarter-hour at 30 PLN/kWh over a 31-day month); the kernel checks that bound and otherwise falls back
to Python integers (slow, still exact).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

UNITS_PER_GROSZ = 10_000_000  # Wh × µPLN/kWh = 1e-9 PLN = 1e-7 grosz
_INT64_MAX = (1 << 63) - 1
_HALF = UNITS_PER_GROSZ // 2


def _round_half_up(total: int) -> int:
    quotient, remainder = divmod(abs(total), UNITS_PER_GROSZ)
    grosz = quotient + (1 if remainder >= _HALF else 0)
    return grosz if total >= 0 else -grosz


def _as_int64(array: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array, not {array.dtype}")
    if array.dtype.kind == "u" and array.size and int(array.max()) > _INT64_MAX:
        raise OverflowError(f"{name} exceeds int64")
    return array.astype(np.int64, copy=False)


def _max_abs(array: np.ndarray) -> int:
    if not array.size:
        return 0
    return max(int(array.max()), -int(array.min()))


def rate_intervals(*, values_wh: np.ndarray, prices_micro: np.ndarray) -> int:
    """Σ Wh × µPLN/kWh over the intervals, in grosz, rounded half up once. Exact."""
    values = _as_int64(values_wh, "values_wh")
    prices = _as_int64(prices_micro, "prices_micro")
    if values.shape != prices.shape or values.ndim != 1:
        raise ValueError("values and prices are 1-D arrays of the same length")
    if _max_abs(values) * _max_abs(prices) * max(values.size, 1) <= _INT64_MAX:
        return _round_half_up(int(np.dot(values, prices)))
    return _round_half_up(sum(int(v) * int(p) for v, p in zip(values.tolist(), prices.tolist(), strict=True)))


def _rate_rows(values: np.ndarray, prices: np.ndarray, price_bound: int, out: np.ndarray) -> None:
    """Grosz row by row into ``out``, in blocks small enough to stay in the CPU cache; a block whose
    bound does not fit int64 is summed with Python integers."""
    n = values.shape[1]
    block = max(1, 65_536 // max(n, 1))
    for start in range(0, values.shape[0], block):
        rows = values[start : start + block]
        if _max_abs(rows) * price_bound * n <= _INT64_MAX:
            sums = np.einsum("ij,j->i", rows, prices)
            grosz, remainder = np.divmod(np.abs(sums), UNITS_PER_GROSZ)
            grosz += remainder >= _HALF
            out[start : start + block] = np.where(sums < 0, -grosz, grosz)
        else:
            price_list = prices.tolist()
            out[start : start + block] = [
                _round_half_up(sum(int(v) * int(p) for v, p in zip(row, price_list, strict=True)))
                for row in rows.tolist()
            ]


def rate_intervals_many(*, values_wh: np.ndarray, prices_micro: np.ndarray, threads: int = 1) -> np.ndarray:
    """Grosz (int64) per row of a (supply points × intervals) matrix against one price series; each row
    is rounded half up once, exactly as ``rate_intervals`` on that row. ``threads`` > 1 splits the rows
    over threads (numpy releases the GIL)."""
    values = _as_int64(values_wh, "values_wh")
    prices = _as_int64(prices_micro, "prices_micro")
    if values.ndim != 2 or prices.ndim != 1 or values.shape[1] != prices.size:
        raise ValueError("values are (rows × intervals), prices one value per interval")
    out = np.empty(values.shape[0], dtype=np.int64)
    price_bound = _max_abs(prices)
    if threads <= 1 or values.shape[0] < 2 * threads:
        _rate_rows(values, prices, price_bound, out)
        return out
    edges = np.linspace(0, values.shape[0], threads + 1).astype(int)

    def part(i: int) -> None:
        _rate_rows(values[edges[i] : edges[i + 1]], prices, price_bound, out[edges[i] : edges[i + 1]])

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(part, range(threads)))
    return out
