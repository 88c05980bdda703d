"""The monthly settlement from the command line and from Celery beat: wired to the same operation, a month
not yet ended refused with the reason, a company code that does not exist named."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kilowatt.core.clock import FixedClock
from kilowatt.interfaces.tasks import commissions as tasks

pytestmark = pytest.mark.django_db


def test_the_command_settles_an_ended_month_and_refuses_one_that_is_not(company, monkeypatch, now):
    monkeypatch.setattr(
        "kilowatt.interfaces.management.commands.commissions-settle.system_clock", FixedClock(now)
    )
    out = StringIO()
    call_command("commissions-settle", "--month", "2026-01", stdout=out)
    assert out.getvalue().strip() == "acme 2026-01: 0 statements, 0 PLN"
    month = now.strftime("%Y-%m")
    with pytest.raises(CommandError, match="acme"):
        call_command("commissions-settle", "--month", month, stdout=StringIO())
    with pytest.raises(CommandError, match="no company with code nope"):
        call_command("commissions-settle", "--month", "2026-01", "--company", "nope", stdout=StringIO())
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("commissions-settle", "--month", "January", stdout=StringIO())


def test_the_beat_task_settles_the_month_before(company, monkeypatch, now):
    monkeypatch.setattr(tasks, "system_clock", FixedClock(now))
    assert tasks.commissions_monthly.delay().get() == 0
