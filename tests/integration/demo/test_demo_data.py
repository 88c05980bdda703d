from io import StringIO

import pytest
from django.core.management import call_command

from kilowatt.core.identifiers import (
    nip_validate,
    pesel_validate,
    ppe_pl_validate,
    ppg_pl_validate,
    regon_validate,
)
from kilowatt.core.models import ApiToken, Company, NumberSeries
from kilowatt.core.queries import api_token_by_key
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.sales.models import Contract


@pytest.mark.django_db
def test_demo_data_is_valid_numbered_and_idempotent_with_if_empty():
    call_command("demo-data", "--customers", "60", stdout=StringIO())
    demo, north = Company.objects.get(code="demo"), Company.objects.get(code="north")
    customers = Customer.objects.filter(company=demo)
    assert customers.count() == 60 and Customer.objects.filter(company=north).count() >= 5
    for customer in customers:
        if customer.pesel:
            pesel_validate(customer.pesel)
        if customer.nip:
            nip_validate(customer.nip)
        if customer.regon:
            regon_validate(customer.regon)
        assert customer.search_text
    for point in SupplyPoint.objects.filter(company=demo).select_related("dso"):
        if point.commodity == "electricity":
            assert ppe_pl_validate(point.code).startswith(point.dso.gs1_prefix)
        else:
            ppg_pl_validate(point.code)
    series = NumberSeries.objects.get(company=demo, document_type="customer")
    numbers = sorted(customers.values_list("number", flat=True))
    assert len(set(numbers)) == 60 and series.next_number == 61
    for contract in Contract.objects.filter(company=demo).prefetch_related(
        "supply_point_links__supply_point"
    ):
        assert all(
            link.supply_point.customer_id == contract.customer_id
            for link in contract.supply_point_links.all()
        )
    # The partners' sales carry every commission stage; their statement equals its entries.
    from kilowatt.commissions.models import CommissionEntry, CommissionStatement
    from kilowatt.commissions.settlement import statement_totals_check

    stages = set(CommissionEntry.objects.filter(company=demo).values_list("stage__trigger", flat=True))
    assert stages == {"signed", "supply_started", "invoices_paid"}
    statements = CommissionStatement.objects.filter(company=demo)
    assert statements.count() == 3 and all(statement_totals_check(statement=s) for s in statements)
    assert not CommissionEntry.objects.filter(company=north).exists()
    # Care: a month of tickets (some closed and surveyed), and the tour's outage covers two callers' points.
    from kilowatt.care.models import Survey, Ticket
    from kilowatt.care.outages import outages_for_supply_point
    from kilowatt.interfaces.cli.demo_care import demo_care_tour

    tickets = Ticket.objects.filter(company=demo)
    assert tickets.count() > 30 and tickets.filter(status="closed").exists()
    assert Survey.objects.filter(ticket__company=demo, score__isnull=False).exists()
    tour = demo_care_tour(company=demo)
    assert tour is not None and tour.complaint_customer is not None
    for caller in (tour.first_caller, tour.second_caller):
        points = caller.supply_points.filter(address__postal_code__in=tour.outage.postal_code_list())
        assert tour.outage in outages_for_supply_point(supply_point=points.first())
    out = StringIO()
    call_command("demo-data", "--customers", "60", "--if-empty", stdout=out)
    assert "nothing generated" in out.getvalue() and customers.count() == 60


@pytest.mark.django_db
def test_demo_logins_and_api_token_commands():
    call_command("demo-data", "--customers", "5", stdout=StringIO())
    logins = StringIO()
    call_command("demo-logins", "--port", "8123", stdout=logins)
    assert "http://127.0.0.1:8123/" in logins.getvalue() and "backoffice" in logins.getvalue()
    assert "Care tour (callcentre): outage AW/000001/" in logins.getvalue()
    out = StringIO()
    call_command("api-token-create", "--company", "demo", "--name", "crm", "--scopes", "read", stdout=out)
    key = out.getvalue().strip()
    token = api_token_by_key(key=key)
    assert token is not None and token.scopes == ["read"] and key not in ApiToken.objects.get().key_hash
