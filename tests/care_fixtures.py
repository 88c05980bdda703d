"""Care set-up shared by tests: teams, ticket types with forms as data, a customer with a supply point."""

from __future__ import annotations

from datetime import time

from kilowatt.care.models import FieldKind, Team, TicketFormField, TicketIcon, TicketType
from kilowatt.core.models import Company, DictionaryEntry


def teams(company: Company) -> dict[str, Team]:
    return {
        code: Team.objects.create(
            company=company, code=code, name=name, day_starts=time(8), day_ends=time(16)
        )
        for code, name in (("call-centre", "Call centre"), ("billing", "Billing"), ("technical", "Technical"))
    }


def ticket_types(company: Company, team_by_code: dict[str, Team]) -> dict[str, TicketType]:
    outage = TicketType.objects.create(
        company=company,
        code="outage",
        name_pl="Brak zasilania",
        name_en="No power",
        icon=TicketIcon.OUTAGE,
        colour="#b91c1c",
        team=team_by_code["technical"],
        sla_hours=4,
        is_outage=True,
    )
    TicketFormField.objects.create(
        ticket_type=outage,
        code="since",
        label_pl="Od kiedy",
        label_en="Since when",
        kind=FieldKind.TEXT,
        is_required=True,
        position=1,
    )
    TicketFormField.objects.create(
        ticket_type=outage,
        code="whole_street",
        label_pl="Cała ulica",
        label_en="Whole street",
        kind=FieldKind.YES_NO,
        position=2,
    )
    complaint = TicketType.objects.create(
        company=company,
        code="invoice-complaint",
        name_pl="Reklamacja faktury",
        name_en="Invoice complaint",
        icon=TicketIcon.COMPLAINT,
        colour="#7c3aed",
        team=team_by_code["billing"],
        sla_hours=40,
        is_complaint=True,
        blocks_dunning=True,
        open_in_portal=True,
    )
    TicketFormField.objects.create(
        ticket_type=complaint,
        code="reason",
        label_pl="Powód",
        label_en="Reason",
        kind=FieldKind.CHOICE,
        choices="reading|Odczyt|Reading\nprice|Cena|Price\nother|Inny|Other",
        is_required=True,
        position=1,
    )
    TicketFormField.objects.create(
        ticket_type=complaint,
        code="meter_reading",
        label_pl="Stan licznika",
        label_en="Meter reading",
        kind=FieldKind.NUMBER,
        required_when_field="reason",
        required_when_value="reading",
        position=2,
    )
    question = TicketType.objects.create(
        company=company,
        code="question",
        name_pl="Pytanie",
        name_en="Question",
        icon=TicketIcon.QUESTION,
        colour="#2563eb",
        team=team_by_code["call-centre"],
        sla_hours=8,
        open_in_portal=True,
    )
    DictionaryEntry.objects.create(
        company=company,
        dictionary="ticket_category",
        code="residential",
        label_pl="Gospodarstwo domowe",
        label_en="Household",
    )
    return {"outage": outage, "complaint": complaint, "question": question}
