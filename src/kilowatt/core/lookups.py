"""``field__any_of=[…]``: membership in a long list as one array parameter on PostgreSQL.

``field__in=[…]`` sends one query parameter per value; with tens of thousands of values Django spends
longer building and psycopg binding them than PostgreSQL takes to answer. ``field = ANY(%s)`` sends one
array. Elsewhere the lookup falls back to ``IN (…)``. Registered for every field in ``CoreConfig.ready``.
"""

from __future__ import annotations

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def lookups_register() -> None:
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)  # relations keep their own lookups: customer_id__any_of
