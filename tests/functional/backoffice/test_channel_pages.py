"""Back office pages of the sales channels through HTTP: targets with progress per channel, organisation and
agent (and a new one set); the gift stock with issue, return, settle and stock take; the threads inbox with
unread counts, a thread opened from a contract request, read and answered, closed. Only channel managers
reach targets and gifts, only the staff working with partners reach threads; another company finds
nothing; list pages answer in a bounded number of queries."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kilowatt.catalog.models import PriceList, Product
from kilowatt.channels.models import SalesTarget
from kilowatt.core.clock import FixedClock
from kilowatt.core.models import Role
from kilowatt.sales.models import (
    Contract,
    ContractRequest,
    ContractSupplyPoint,
    Gift,
    GiftMovement,
    GiftStockTake,
    MessageThread,
)
from kilowatt.sales.threads import thread_reply, thread_start
from tests import factories
from tests.conftest import NOW, make_staff

pytestmark = pytest.mark.django_db
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("kilowatt.interfaces.backoffice.channels.system_clock", FixedClock(NOW))


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def contract(company, now, organisation, agent=None, kwh=2200):
    product = Product.objects.filter(company=company).first() or Product.objects.create(
        company=company, code="prad", name="Prąd", commodity="electricity"
    )
    prices = product.price_lists.first() or PriceList.objects.create(
        company=company, product=product, code="prad-2026", name="Prąd 2026", valid_from=MARCH
    )
    customer = factories.customer(company, now)
    made = Contract.objects.create(
        company=company, number=f"UM/B/{next(_numbers)}", customer=customer, kind="comprehensive",
        product=product, price_list=prices, status="signed", signed_on=date(2026, 3, 2), start_date=APRIL,
        organisation=organisation, agent=agent.user if agent else None, created_at=now, updated_at=now,
    )  # fmt: skip
    point = factories.supply_point(company, customer, now, annual_consumption_kwh=Decimal(kwh))
    ContractSupplyPoint.objects.create(contract=made, supply_point=point, valid_from=APRIL)
    return made


@pytest.fixture
def world(company, now):
    alfa = factories.organisation(company, now, "alfa")
    krakow = factories.organisation(company, now, "alfa-krakow", parent=alfa)
    ala, olek = factories.agent(alfa, "ala"), factories.agent(krakow, "olek")
    return {
        "alfa": alfa, "krakow": krakow, "ala": ala, "olek": olek,
        "hq": make_staff("kamil", company, Role.SALES_MANAGER),  # channels.manage
        "verifier": make_staff("vera", company, Role.BACK_OFFICE),  # contracts.verify, not channels.manage
        "billing": make_staff("bill", company, Role.BILLING),  # neither
        "ala_contract": contract(company, now, alfa, ala, kwh=3000),
        "olek_contract": contract(company, now, krakow, olek, kwh=1500),
    }  # fmt: skip


def test_targets_with_progress_per_channel_organisation_and_agent(
    company, world, django_assert_max_num_queries
):
    for n in range(20):
        SalesTarget.objects.create(company=company, agent=world["ala"], period_start=MARCH, period_end=APRIL,
                                   metric="points", goal=Decimal(n + 1))  # fmt: skip
    channel = SalesTarget.objects.create(company=company, channel=world["alfa"].channel, period_start=MARCH,
                                         period_end=APRIL, metric="points", goal=Decimal(4))  # fmt: skip
    volume = SalesTarget.objects.create(company=company, organisation=world["alfa"], period_start=MARCH,
                                        period_end=APRIL, metric="mwh", goal=Decimal(9))  # fmt: skip
    later = SalesTarget.objects.create(
        company=company, organisation=world["krakow"], period_start=APRIL, period_end=date(2026, 5, 1),
        metric="points", goal=Decimal(1),
    )  # fmt: skip
    client = client_of(world["hq"])
    with django_assert_max_num_queries(14):
        page = client.get(reverse("backoffice:channel_targets")).content.decode()
    assert page.count('class="target"') == 22 and f'data-target="{later.pk}"' not in page
    channel_row = page[page.index(f'data-target="{channel.pk}"') :]
    # 2 points of 4 (Ala's and Olek's), day 10 of 31: 1.290 expected — on track.
    assert '<td class="achieved">2 / 4</td>' in channel_row[:2000] and "50.0%" in channel_row[:2000]
    assert "expected by now 1.290 (day 10 of 31)" in channel_row[:2000] and "on track" in channel_row[:2000]
    # 3,000 + 1,500 kWh = 4.5 MWh of 9.
    volume_row = page[page.index(f'data-target="{volume.pk}"') :]
    assert '<td class="achieved">4.500 / 9</td>' in volume_row[:2000] and "50.0%" in volume_row[:2000]
    assert (
        f'data-target="{later.pk}"'
        in client.get(reverse("backoffice:channel_targets") + "?show=upcoming").content.decode()
    )

    for user in (world["verifier"], world["billing"]):
        assert client_of(user).get(reverse("backoffice:channel_targets")).status_code == 403


def test_a_new_target_is_set_for_one_holder(company, other_company, now, world):
    client = client_of(world["hq"])
    data = {"organisation": world["krakow"].pk, "period_start": "2026-04-01", "period_end": "2026-07-01",
            "metric": "mwh", "goal": "120.5", "commodity": "electricity"}  # fmt: skip
    assert client.post(reverse("backoffice:channel_target_new"), data).status_code == 302
    made = SalesTarget.objects.get()
    assert (made.organisation, made.metric, made.goal, made.commodity) == (
        world["krakow"],
        "mwh",
        Decimal("120.5"),
        "electricity",
    )
    page = client.post(
        reverse("backoffice:channel_target_new"), {**data, "agent": world["ala"].pk}
    ).content.decode()
    assert "one sales channel, one organisation or one agent" in page
    stranger = factories.organisation(other_company, now, "obcy")
    page = client.post(
        reverse("backoffice:channel_target_new"), {**data, "organisation": stranger.pk}
    ).content.decode()
    assert "Select a valid choice" in page
    assert SalesTarget.objects.count() == 1
    assert (
        client_of(world["verifier"]).post(reverse("backoffice:channel_target_new"), data).status_code == 403
    )


def test_gift_stock_issued_returned_settled_and_counted(
    company, other_company, now, world, django_assert_max_num_queries
):
    mug = Gift.objects.create(company=company, code="kubek", name="Kubek")
    client = client_of(world["hq"])
    action = reverse("backoffice:channel_gift_action")
    alfa = world["alfa"]
    move = {"gift": mug.pk, "organisation": alfa.pk, "quantity": 10, "on_date": "2026-03-01", "note": ""}
    assert client.post(action, {**move, "action": "issue"}).status_code == 302
    client.post(action, {**move, "action": "issue", "organisation": world["krakow"].pk, "quantity": 4})
    client.post(action, {**move, "action": "return", "quantity": 3, "on_date": "2026-03-05"})
    client.post(action, {**move, "action": "settle", "quantity": 1, "on_date": "2026-03-06"})
    refused = client.post(
        action, {**move, "action": "return", "quantity": 7, "on_date": "2026-03-07"}, follow=True
    )
    assert "has only 6 of “Kubek” in stock" in refused.content.decode()
    take = {
        "action": "stock_take",
        "gift": mug.pk,
        "organisation": alfa.pk,
        "counted": 5,
        "counted_on": "2026-03-31",
    }
    counted = client.post(action, take, follow=True)
    assert "Counted 5, expected 6: difference -1." in counted.content.decode()
    assert GiftStockTake.objects.get().expected == 6
    for n in range(10):  # more organisations and movements: no more queries
        more = factories.organisation(company, now, f"org-{n}")
        client.post(action, {**move, "action": "issue", "organisation": more.pk})
    with django_assert_max_num_queries(17):
        page = client.get(reverse("backoffice:channel_gifts")).content.decode()
    alfa_row = page[page.index(f'data-organisation="{alfa.pk}"') :]
    assert '<td>10</td><td>0</td><td>3</td><td>1</td><td>-1</td><td class="stock"><b>5</b>' in alfa_row
    branch = client.get(
        reverse("backoffice:channel_gifts") + f"?organisation={world['krakow'].pk}"
    ).content.decode()
    assert (
        f'data-organisation="{alfa.pk}"' not in branch
        and f'data-organisation="{world["krakow"].pk}"' in branch
    )
    before = GiftMovement.objects.count()
    stranger = factories.organisation(other_company, now, "obcy")
    client.post(action, {**move, "action": "issue", "organisation": stranger.pk})  # not a choice here
    assert client.post(action, {**move, "action": "steal"}).status_code == 400
    assert GiftMovement.objects.count() == before
    for user in (world["verifier"], world["billing"]):
        assert client_of(user).get(reverse("backoffice:channel_gifts")).status_code == 403
        assert client_of(user).post(action, {**move, "action": "issue"}).status_code == 403
    assert GiftMovement.objects.count() == before


def test_a_thread_opened_from_a_contract_request_read_answered_and_closed(
    company, now, world, django_assert_max_num_queries, mailoutbox, django_capture_on_commit_callbacks
):
    verifier, ala = world["verifier"], world["ala"]
    request = ContractRequest.objects.create(
        company=company, contract=world["ala_contract"], kind="new", submitted_by=ala.user, created_at=now,
        updated_at=now,
    )  # fmt: skip
    client = client_of(verifier)
    new = reverse("backoffice:channel_thread_new") + f"?contract_request={request.pk}"
    assert world["ala_contract"].number in client.get(new).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(new, {"subject": "Brak PESEL", "body": "Proszę uzupełnić PESEL."})
    thread = MessageThread.objects.get()
    assert response["Location"] == reverse("backoffice:channel_thread", args=[thread.pk])
    assert (thread.contract_request, thread.organisation) == (request, world["alfa"])
    assert [m.to for m in mailoutbox] == [["ala@example.pl"]]
    thread_reply(thread=thread, author=ala.user, body="Uzupełnione.", now=NOW + timedelta(minutes=5))
    for n in range(15):
        thread_start(company=company, author=ala.user, subject=f"Pytanie {n}", body="?", now=NOW,
                     contract=world["ala_contract"])  # fmt: skip
    with django_assert_max_num_queries(10):
        inbox = client.get(reverse("backoffice:channel_threads")).content.decode()
    assert inbox.count("data-thread=") == 16 and 'id="unread-total">16 unread' in inbox
    page = client.get(reverse("backoffice:channel_thread", args=[thread.pk])).content.decode()
    assert "Uzupełnione." in page and "Proszę uzupełnić PESEL." in page
    assert 'id="unread-total">15 unread' in client.get(reverse("backoffice:channel_threads")).content.decode()
    client.post(
        reverse("backoffice:channel_thread", args=[thread.pk]), {"action": "reply", "body": "Dziękuję."}
    )
    assert thread.messages.count() == 3 and thread.messages.last().from_back_office
    client.post(reverse("backoffice:channel_thread", args=[thread.pk]), {"action": "close"})
    thread.refresh_from_db()
    assert thread.is_closed
    closed = client.post(
        reverse("backoffice:channel_thread", args=[thread.pk]), {"body": "Jeszcze…"}, follow=True
    )
    assert "This thread is closed" in closed.content.decode() and thread.messages.count() == 3
    # The sales manager (channels.manage) works with threads too; billing does not.
    assert (
        client_of(world["hq"]).get(reverse("backoffice:channel_thread", args=[thread.pk])).status_code == 200
    )
    billing = client_of(world["billing"])
    for url in (
        reverse("backoffice:channel_threads"),
        reverse("backoffice:channel_thread", args=[thread.pk]),
        new,
    ):
        assert billing.get(url).status_code == 403


def test_a_thread_about_a_customer_by_number_and_another_company_finds_nothing(
    company, other_company, now, world
):
    client = client_of(world["verifier"])
    customer = world["olek_contract"].customer
    url = reverse("backoffice:channel_thread_new")
    page = client.post(url, {"subject": "?", "body": "?", "customer_number": "NOPE"}).content.decode()
    assert "No customer with this number." in page
    page = client.post(url, {"subject": "?", "body": "?"}).content.decode()
    assert "Choose the contract request, contract or customer the thread is about." in page
    client.post(url, {"subject": "Adres", "body": "Który adres?", "customer_number": customer.number})
    thread = MessageThread.objects.get()
    assert (thread.customer, thread.organisation) == (customer, world["krakow"])
    rival = client_of(make_staff("rita", other_company, Role.ADMIN))
    assert rival.get(reverse("backoffice:channel_thread", args=[thread.pk])).status_code == 404
    assert (
        rival.post(reverse("backoffice:channel_thread", args=[thread.pk]), {"body": "x"}).status_code == 404
    )
    assert rival.get(f"{url}?customer={customer.pk}").status_code == 404
    assert rival.get(f"{url}?contract={world['olek_contract'].pk}").status_code == 404
    assert "Adres" not in rival.get(reverse("backoffice:channel_threads")).content.decode()
    # Partner agents are sent to their portal.
    assert client_of(world["ala"].user).get(reverse("backoffice:channel_threads"))["Location"] == reverse(
        "partners:home"
    )
