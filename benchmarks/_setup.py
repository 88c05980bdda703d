"""Shared set-up of the benchmarks: a PostgreSQL database of their own, migrated."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kw_bench"


def django_on_postgres(url: str | None = None, *, fresh: bool = False) -> str:
    url = url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kilowatt.settings")
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and fresh:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or fresh:
            connection.execute(f'CREATE DATABASE "{name}"')
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return url
