"""Demo customer care: teams, ticket types with their forms, an outage on two tour customers' street, a month
of earlier tickets (resolved in time and late, waiting, merged, surveyed) for the reports and the monitor."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from kilowatt.care.models import (
    FieldKind,
    Outage,
    Team,
    TicketFormField,
    TicketIcon,
    TicketStatus,
    TicketType,
)
from kilowatt.care.operations import TicketData, ticket_assign, ticket_register, ticket_status_change
from kilowatt.care.outages import OutageData, outage_open
from kilowatt.care.surveys import survey_answer, survey_send
from kilowatt.core.models import Company, DictionaryEntry
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer

TEAMS = [
    # code, name, members (demo logins)
    ("call-centre", "Call centre / Infolinia", ["callcentre", "admin", "backoffice"]),
    ("billing", "Billing / Rozliczenia", ["billing", "admin"]),
    ("dispatch", "Dispatch / Dyspozytornia", ["callcentre", "admin"]),
    ("collections", "Collections / Windykacja", ["collections", "admin"]),
]
CATEGORIES = [
    ("household", "Gospodarstwo domowe", "Household"),
    ("business", "Firma", "Business"),
    ("vulnerable", "Odbiorca wrażliwy", "Vulnerable customer"),
]
# code, PL, EN, icon, colour, team, SLA hours, complaint, blocks dunning, portal, outage, fields
# a field: code, PL, EN, kind, choices, required, (required when field, value)
TYPES = [
    (
        "outage",
        "Brak zasilania",
        "No power",
        TicketIcon.OUTAGE,
        "#b91c1c",
        "dispatch",
        4,
        False,
        False,
        False,
        True,
        [
            ("since", "Od kiedy brak zasilania", "No power since", FieldKind.TEXT, "", True, None),
            (
                "whole_street",
                "Cała ulica bez prądu",
                "Whole street affected",
                FieldKind.YES_NO,
                "",
                False,
                None,
            ),
            (
                "medical",
                "Urządzenia medyczne w domu",
                "Medical equipment at home",
                FieldKind.YES_NO,
                "",
                True,
                None,
            ),
        ],
    ),
    (
        "invoice-complaint",
        "Reklamacja faktury",
        "Invoice complaint",
        TicketIcon.COMPLAINT,
        "#7c3aed",
        "billing",
        40,
        True,
        True,
        True,
        False,
        [
            (
                "reason",
                "Powód",
                "Reason",
                FieldKind.CHOICE,
                "reading|Błędny odczyt|Wrong reading\nprice|Błędna cena|Wrong price\nother|Inny|Other",
                True,
                None,
            ),
            (
                "meter_reading",
                "Stan licznika wg klienta",
                "Meter reading by the customer",
                FieldKind.NUMBER,
                "",
                False,
                ("reason", "reading"),
            ),
            (
                "amount_disputed",
                "Kwota kwestionowana (PLN)",
                "Amount disputed (PLN)",
                FieldKind.NUMBER,
                "",
                False,
                None,
            ),
        ],
    ),
    (
        "service-complaint",
        "Reklamacja obsługi",
        "Service complaint",
        TicketIcon.COMPLAINT,
        "#9333ea",
        "call-centre",
        40,
        True,
        False,
        True,
        False,
        [],
    ),
    (
        "reading",
        "Podanie odczytu",
        "Meter reading",
        TicketIcon.METER,
        "#0f766e",
        "call-centre",
        8,
        False,
        False,
        True,
        False,
        [
            ("reading", "Stan licznika", "Reading", FieldKind.NUMBER, "", True, None),
            ("read_on", "Data odczytu", "Read on", FieldKind.DATE, "", True, None),
        ],
    ),
    (
        "payment",
        "Płatności i saldo",
        "Payments and balance",
        TicketIcon.PAYMENT,
        "#ca8a04",
        "collections",
        16,
        False,
        False,
        True,
        False,
        [
            ("instalments", "Prośba o raty", "Asks for instalments", FieldKind.YES_NO, "", False, None),
        ],
    ),
    (
        "contract",
        "Zmiana umowy",
        "Contract change",
        TicketIcon.CONTRACT,
        "#2563eb",
        "call-centre",
        24,
        False,
        False,
        True,
        False,
        [],
    ),
    (
        "question",
        "Pytanie ogólne",
        "General question",
        TicketIcon.QUESTION,
        "#4b5563",
        "call-centre",
        8,
        False,
        False,
        True,
        False,
        [],
    ),
]
SUBJECTS = {
    "question": ["Jak czytać fakturę?", "Zmiana adresu korespondencyjnego", "Pytanie o taryfę G12"],
    "reading": ["Podaję odczyt licznika", "Odczyt do rozliczenia"],
    "payment": ["Nie widzę mojej wpłaty", "Prośba o rozłożenie na raty"],
    "contract": ["Zmiana mocy umownej", "Przedłużenie umowy"],
    "outage": ["Brak prądu od rana", "Migocze światło, potem brak zasilania"],
}


@dataclass(frozen=True)
class CareTour:
    first_caller: Customer
    second_caller: Customer
    outage: Outage
    complaint_customer: Customer | None


def _teams(company: Company) -> dict[str, Team]:
    users = {u.username: u for u in get_user_model().objects.all()}
    teams = {}
    for code, name, members in TEAMS:
        team, _ = Team.objects.get_or_create(
            company=company, code=code, defaults={"name": name, "day_starts": time(8), "day_ends": time(16)}
        )
        team.members.add(*[users[m] for m in members if m in users])
        teams[code] = team
    return teams


def _types(company: Company, teams: dict[str, Team]) -> dict[str, TicketType]:
    types = {}
    for position, spec in enumerate(TYPES):
        code, pl, en, icon, colour, team, sla, complaint, blocks, portal, outage, fields = spec
        ticket_type, created = TicketType.objects.get_or_create(
            company=company,
            code=code,
            defaults={
                "name_pl": pl,
                "name_en": en,
                "icon": icon,
                "colour": colour,
                "team": teams[team],
                "sla_hours": sla,
                "is_complaint": complaint,
                "blocks_dunning": blocks,
                "open_in_portal": portal,
                "is_outage": outage,
                "position": position,
            },
        )
        if created:
            for index, (field_code, label_pl, label_en, kind, choices, required, when) in enumerate(fields):
                TicketFormField.objects.create(
                    ticket_type=ticket_type,
                    code=field_code,
                    label_pl=label_pl,
                    label_en=label_en,
                    kind=kind,
                    choices=choices,
                    is_required=required,
                    required_when_field=when[0] if when else "",
                    required_when_value=when[1] if when else "",
                    position=index,
                )
        types[code] = ticket_type
    for position, (code, pl, en) in enumerate(CATEGORIES):
        DictionaryEntry.objects.get_or_create(
            company=company,
            dictionary="ticket_category",
            code=code,
            defaults={"label_pl": pl, "label_en": en, "position": position},
        )
    return types


def _form_for(ticket_type: TicketType, rng: random.Random, on: datetime) -> dict[str, str]:
    answers = {
        "since": "08:00",
        "whole_street": "yes",
        "medical": "no",
        "reason": "price",
        "reading": str(rng.randint(1000, 20000)),
        "read_on": on.date().isoformat(),
        "instalments": "no",
    }
    return {field.code: answers[field.code] for field in ticket_type.fields.all() if field.code in answers}


def _history(company: Company, types: dict[str, TicketType], now: datetime, rng: random.Random) -> int:
    """Thirty days of calls: most resolved in time, some late, some waiting, a few surveyed."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["callcentre", "billing"])}
    agent = users.get("callcentre")
    customers = list(Customer.objects.filter(company=company).exclude(phone="").order_by("id")[:140])[-100:]
    if not customers:
        return 0
    count = 0
    for day in range(30, 0, -1):
        for _ in range(rng.randint(1, 4)):
            code = rng.choice(["question", "question", "reading", "payment", "contract", "outage"])
            ticket_type = types[code]
            customer = rng.choice(customers)
            at = (now - timedelta(days=day)).replace(hour=rng.randint(8, 15), minute=rng.randint(0, 59))
            ticket = ticket_register(
                company=company,
                data=TicketData(
                    ticket_type=ticket_type,
                    channel=rng.choice(["phone", "phone", "email", "portal", "office"]),
                    subject=rng.choice(SUBJECTS[code]),
                    description="",
                    form=_form_for(ticket_type, rng, at),
                    customer=customer,
                    caller_phone=customer.phone,
                ),
                now=at,
                registered_by=agent,
            )
            count += 1
            member = ticket.team.members.order_by("id").first()
            if member is not None:
                ticket_assign(ticket=ticket, assignee=member, now=at + timedelta(minutes=5), made_by=agent)
            roll = rng.random()
            if day <= 2 and roll < 0.5:
                continue  # still open
            if roll < 0.12:
                ticket_status_change(
                    ticket=ticket,
                    status=TicketStatus.WAITING_CUSTOMER,
                    note="Czekamy na zdjęcie",
                    now=at + timedelta(hours=1),
                    made_by=member,
                )
                continue
            hours = ticket_type.sla_hours * (3 if roll > 0.85 else 0.5)
            done = at + timedelta(hours=hours)
            if done >= now:
                continue
            ticket_status_change(
                ticket=ticket, status=TicketStatus.CLOSED, note="Sprawa wyjaśniona", now=done, made_by=member
            )
            if rng.random() < 0.5:
                survey = survey_send(ticket=ticket, survey_url=lambda token: f"/survey/{token}/", now=done)
                if survey is not None and rng.random() < 0.7:
                    survey_answer(
                        token=survey.token,
                        score=rng.choice([3, 4, 4, 5, 5, 5, 2]),
                        resolved=rng.random() < 0.85,
                        comment="",
                        now=done + timedelta(hours=2),
                    )
    return count


def _outage(company: Company, now: datetime) -> tuple[Outage, Customer, Customer] | None:
    """An outage on the postal code where two demo customers with phones have electricity points."""
    points = list(
        SupplyPoint.objects.filter(company=company, commodity="electricity")
        .exclude(customer__phone="")
        .select_related("address", "customer", "area")
        .order_by("id")[:40]
    )
    if len(points) < 2:
        return None
    first, second = points[0], points[1]
    user = get_user_model().objects.filter(username="callcentre").first() or get_user_model().objects.first()
    outage = outage_open(
        company=company,
        data=OutageData(
            title=f"Awaria linii nN – {first.address.city}",
            started_at=now - timedelta(hours=1),
            station="ST-1042",
            postal_codes=" ".join(sorted({first.address.postal_code, second.address.postal_code})),
            crew="Pogotowie energetyczne, brygada 3",
        ),
        now=now - timedelta(minutes=50),
        made_by=user,
    )
    return outage, first.customer, second.customer


@transaction.atomic
def demo_care_setup(*, company: Company, now: datetime, seed: int = 7) -> CareTour | None:
    """Teams, ticket types and history once per company; returns the tour's callers and outage."""
    if TicketType.objects.filter(company=company).exists():
        return None
    teams = _teams(company)
    types = _types(company, teams)
    _history(company, types, now, random.Random(seed))
    found = _outage(company, now)
    if found is None:
        return None
    outage, first, second = found
    complaint_customer = (
        Customer.objects.filter(company=company, invoices__isnull=False)
        .exclude(pk__in=[first.pk, second.pk])
        .order_by("id")
        .first()
    )
    return CareTour(
        first_caller=first, second_caller=second, outage=outage, complaint_customer=complaint_customer
    )


def demo_care_tour(*, company: Company) -> CareTour | None:
    """The tour's people as the demo left them (for demo-logins and the README)."""
    outage = Outage.objects.filter(company=company, station="ST-1042").order_by("id").first()
    if outage is None:
        return None
    codes = outage.postal_code_list()
    callers = list(
        Customer.objects.filter(
            company=company,
            supply_points__address__postal_code__in=codes,
            supply_points__commodity="electricity",
        )
        .exclude(phone="")
        .distinct()
        .order_by("id")[:2]
    )
    complaint_customer = (
        Customer.objects.filter(company=company, invoices__isnull=False)
        .exclude(pk__in=[c.pk for c in callers])
        .order_by("id")
        .first()
    )
    if len(callers) < 2:
        return None
    return CareTour(callers[0], callers[1], outage, complaint_customer)
