"""The rate rows a bill is priced by, as the rating engine wants them: the price list's components for
the point's tariff group, the DSO tariff's rates for its phases and billing cycle, the national rates."""

from __future__ import annotations

from collections.abc import Iterable

from kilowatt.catalog.models import DistributionTariff, NationalRate, PriceComponent, PriceList
from kilowatt.catalog.rating import Rate
from kilowatt.core.periods import Period


def sales_rates(
    *, price_list: PriceList, components: Iterable[PriceComponent], tariff_group_id: int
) -> tuple[Rate, ...]:
    """Components valid for the price list's whole validity, for this tariff group or for every group; a
    component for the group itself wins over one for every group."""
    components = list(components)
    specific = {(c.kind, c.zone) for c in components if c.tariff_group_id == tariff_group_id}
    return tuple(
        Rate(
            ref=f"price_component:{c.pk}",
            component=c.kind,
            price=c.unit_price,
            unit=c.unit,
            valid_from=price_list.valid_from,
            valid_to=price_list.valid_to,
            zone=c.zone,
        )
        for c in components
        if c.tariff_group_id == tariff_group_id
        or (c.tariff_group_id is None and (c.kind, c.zone) not in specific)
    )


def distribution_rates(
    *, tariffs: Iterable[DistributionTariff], period: Period, phases: int | None, cycle_months: int
) -> tuple[Rate, ...]:
    """The DSO tariffs overlapping the period: fixed charge for the point's phases, subscription for its
    billing cycle (or the longest shorter cycle the tariff has)."""
    rates: list[Rate] = []
    for tariff in tariffs:
        if not Period(tariff.valid_from, tariff.valid_to).overlaps(period):
            continue
        rows = list(tariff.rates.all())
        subscription = subscription_variant(
            [r.variant for r in rows if r.component == "subscription"], cycle_months
        )
        phase_variant = f"{phases or 1}f"
        for row in rows:
            if row.component == "fixed_network" and row.variant and row.variant != phase_variant:
                continue
            if row.component == "subscription" and row.variant != subscription:
                continue
            component = "distribution_subscription" if row.component == "subscription" else row.component
            rates.append(
                Rate(
                    f"distribution_rate:{row.pk}",
                    component,
                    row.price,
                    row.unit,
                    tariff.valid_from,
                    tariff.valid_to,
                    row.zone,
                )
            )
    return tuple(rates)


def national_rates(*, rates: Iterable[NationalRate], country: str, commodity: str) -> tuple[Rate, ...]:
    """National rates of the country and commodity; a capacity band rides in ``zone``."""
    return tuple(
        Rate(f"national_rate:{r.pk}", r.kind, r.price, r.unit, r.valid_from, r.valid_to, r.band)
        for r in rates
        if r.country == country and r.commodity == commodity
    )


def subscription_variant(variants: list[str], cycle_months: int) -> str:
    """The rate for the contract's billing cycle, else for the longest shorter cycle the tariff has, else
    for the shortest cycle it has at all."""
    by_months = {int(v.rstrip("m")): v for v in variants if v.endswith("m") and v[:-1].isdigit()}
    fitting = [m for m in by_months if m <= cycle_months]
    if fitting:
        return by_months[max(fitting)]
    return by_months[min(by_months)] if by_months else ""
