"""Customer care over the API: the phone system's caller look-up."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from kilowatt.care.queries import customers_by_phone
from kilowatt.core.identifiers import InvalidIdentifier
from kilowatt.core.permissions import LOOKUP_CALLERS
from kilowatt.core.phones import phone_normalise
from kilowatt.interfaces.api.common import require

router = Router(tags=["care"])


class CallerQuery(Schema):
    number: str = Field(
        "", description="the calling number as the phone system has it, in any common spelling"
    )


class CallerOut(Schema):
    id: int
    number: str = Field(description="the customer's number")
    display_name: str
    kind: str
    city: str
    url_card: str = Field(description="the back office page that opens the registration for this caller")


class CallersOut(Schema):
    number: str | None = Field(description="the calling number in E.164; null when it cannot be read")
    customers: list[CallerOut]


@router.get("/care/callers", response=CallersOut, summary="Who is calling: customers with this phone number")
def callers(request: HttpRequest, query: Query[CallerQuery]):
    """Customers of the token's company whose phone (or a contact person's) is the calling number.

    A number that matches nobody, or cannot be read, gives an empty list (never an error)."""
    require(request, LOOKUP_CALLERS)
    raw = query.number.strip()
    try:
        number = phone_normalise(raw) or None
    except InvalidIdentifier:
        number = None
    page = request.build_absolute_uri(reverse("backoffice:care_caller"))
    found = customers_by_phone(company=request.actor.company, number=raw) if number else []
    return {
        "number": number,
        "customers": [
            {
                "id": customer.pk,
                "number": customer.number,
                "display_name": customer.display_name,
                "kind": customer.kind,
                "city": customer.address.city,
                "url_card": f"{page}?{urlencode({'number': number, 'customer': customer.pk})}",
            }
            for customer in found
        ],
    }
