"""The usual switch process, as a starting point a company adjusts per DSO (deadlines, documents)."""

from __future__ import annotations

from django.db import transaction

from kilowatt.core.models import Company
from kilowatt.network.models import Dso
from kilowatt.switching.models import DeadlineKind, StepCode, SwitchKind, SwitchProcess, SwitchStepDefinition

# code, days, counted in, documents needed before the step, only when authorised to terminate
USUAL_STEPS = [
    (StepCode.DOCUMENTS, 2, DeadlineKind.WORKING, [], False),
    (StepCode.TERMINATION_NOTICE, 3, DeadlineKind.WORKING, ["termination_notice"], True),
    (StepCode.DISTRIBUTION_AGREEMENT, 2, DeadlineKind.WORKING, [], False),
    (StepCode.SUBMISSION, 1, DeadlineKind.WORKING, ["power_of_attorney"], False),
    (StepCode.VERIFICATION, 5, DeadlineKind.WORKING, [], False),
    (StepCode.SUPPLY_START, 21, DeadlineKind.CALENDAR, [], False),
    (StepCode.FIRST_READING, 5, DeadlineKind.WORKING, [], False),
]


@transaction.atomic
def process_usual_create(
    *, company: Company, dso: Dso, commodity: str, kind: str = SwitchKind.FIRST, exchange: str = "fake"
) -> SwitchProcess:
    """The usual steps and deadlines for one DSO and commodity (the same process once created)."""
    process, created = SwitchProcess.objects.get_or_create(
        company=company,
        dso=dso,
        commodity=commodity,
        kind=kind,
        defaults={"name": f"{dso.name} — {commodity}", "exchange": exchange},
    )
    if created:
        SwitchStepDefinition.objects.bulk_create(
            SwitchStepDefinition(
                process=process,
                position=position,
                code=code,
                deadline_days=days,
                deadline_kind=counted,
                documents=documents,
                only_when_authorised=authorised,
            )
            for position, (code, days, counted, documents, authorised) in enumerate(USUAL_STEPS, start=1)
        )
    return process
