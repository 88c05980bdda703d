"""The partner portal's work with headquarters through HTTP: messages (unread in the menu and on the home
page, a thread read and answered, a new thread about an own contract or customer), the gift stock with a
hand-over, the targets with their progress. Every id outside the agent's scope is not found — another
organisation's thread, gift stock or target, a colleague's thread about the colleague's customer — on every
route of ``partners.work_urls``; list pages answer in a bounded number of queries."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client, RequestFactory
from django.urls import URLPattern, reverse

from kilowatt.catalog.models import PriceList, Product
from kilowatt.channels.models import SalesTarget
from kilowatt.channels.queries import scope_of_agent
from kilowatt.core.clock import FixedClock
from kilowatt.core.models import Role
from kilowatt.interfaces.partners import work_urls
from kilowatt.interfaces.partners.work_pages import home_panels
from kilowatt.sales.gifts import gift_hand_over, gift_issue
from kilowatt.sales.models import (
    Contract,
    ContractSupplyPoint,
    Gift,
    GiftMovement,
    MessageThread,
    ThreadMessage,
)
from kilowatt.sales.threads import thread_start
from tests import factories
from tests.conftest import NOW, make_staff

pytestmark = pytest.mark.django_db
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("kilowatt.interfaces.partners.work_pages.system_clock", FixedClock(NOW))


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def contract(company, now, organisation, agent=None, *, name="Kowalski", kwh=2200):
    product = Product.objects.filter(company=company).first() or Product.objects.create(
        company=company, code="prad", name="Prąd", commodity="electricity"
    )
    prices = product.price_lists.first() or PriceList.objects.create(
        company=company, product=product, code="prad-2026", name="Prąd 2026", valid_from=MARCH
    )
    customer = factories.customer(company, now, last_name=name)
    made = Contract.objects.create(
        company=company, number=f"UM/P/{next(_numbers)}", customer=customer, kind="comprehensive",
        product=product, price_list=prices, status="signed", signed_on=date(2026, 3, 2), start_date=APRIL,
        organisation=organisation, agent=agent.user if agent else None, created_at=now, updated_at=now,
    )  # fmt: skip
    point = factories.supply_point(company, customer, now, annual_consumption_kwh=Decimal(kwh))
    ContractSupplyPoint.objects.create(contract=made, supply_point=point, valid_from=APRIL)
    return made


@pytest.fixture
def world(company, now):
    """Alfa (manager Marta, agents Ala and Celina) with its branch in Kraków (Olek), Beta (Bartek): a contract
    of each agent, a thread about each opened by the back office, gifts issued to each organisation (one
    handed over by Celina), targets for each."""
    alfa = factories.organisation(company, now, "alfa")
    krakow = factories.organisation(company, now, "alfa-krakow", parent=alfa)
    beta = factories.organisation(company, now, "beta")
    people = {
        "marta": factories.agent(alfa, "marta", role="manager"), "ala": factories.agent(alfa, "ala"),
        "celina": factories.agent(alfa, "celina"), "olek": factories.agent(krakow, "olek"),
        "bartek": factories.agent(beta, "bartek"),
    }  # fmt: skip
    verifier = make_staff("vera", company, Role.BACK_OFFICE)
    verifier.email = "vera@acme.example"
    verifier.save()
    hq = make_staff("kamil", company, Role.SALES_MANAGER)
    contracts, threads = {}, {}
    for name, agent in people.items():
        if name == "marta":
            continue
        contracts[name] = contract(company, now, agent.organisation, agent, name=name.title())
        threads[name] = thread_start(
            company=company, author=verifier, subject=f"Braki {name}", body="Prosimy o skan.",
            now=now - timedelta(hours=2), contract=contracts[name],
        )  # fmt: skip
    mug = Gift.objects.create(company=company, code="kubek", name="Kubek")
    for organisation, quantity in ((alfa, 10), (krakow, 3), (beta, 5)):
        gift_issue(gift=mug, organisation=organisation, quantity=quantity, on_date=MARCH, actor=hq, now=now)
    gift_hand_over(gift=mug, organisation=alfa, contract=contracts["celina"], on_date=date(2026, 3, 3),
                   actor=people["celina"].user, now=now)  # fmt: skip

    def target(goal="4", **holder):
        return SalesTarget.objects.create(
            company=company,
            period_start=MARCH,
            period_end=APRIL,
            metric="points",
            goal=Decimal(goal),
            **holder,
        )

    targets = {
        "ala": target(agent=people["ala"]), "celina": target(agent=people["celina"]),
        "olek": target(agent=people["olek"]), "bartek": target(agent=people["bartek"]),
        "alfa": target(organisation=alfa, goal="10"), "krakow": target(organisation=krakow),
        "beta": target(organisation=beta), "channel": target(channel=alfa.channel),
    }  # fmt: skip
    return {
        **people, "alfa": alfa, "krakow": krakow, "beta": beta, "verifier": verifier, "hq": hq, "mug": mug,
        "contracts": contracts, "threads": threads, "targets": targets,
    }  # fmt: skip


def test_messages_unread_in_the_menu_read_and_answered(
    world, django_assert_max_num_queries, mailoutbox, django_capture_on_commit_callbacks
):
    ala, thread = world["ala"], world["threads"]["ala"]
    client = client_of(ala.user)
    home = client.get(reverse("partners:home")).content.decode()
    assert 'id="panel-messages"' in home and "Braki ala" in home and "Braki celina" not in home
    assert 'id="nav-messages"' in home and '<span class="unread" title="unread">1</span>' in home
    with django_assert_max_num_queries(12):
        listing = client.get(reverse("partners:message_threads")).content.decode()
    assert "Braki ala" in listing and "Braki celina" not in listing and "Braki bartek" not in listing
    assert 'id="unread-total">1 unread' in listing

    page = client.get(reverse("partners:message_thread", args=[thread.pk])).content.decode()
    assert "Prosimy o skan." in page and "headquarters" in page
    assert 'title="unread"' not in page  # read on view: the menu shows nothing unread now
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("partners:message_thread", args=[thread.pk]), {"body": "Skan w załączeniu."}
        )
    assert response.status_code == 302
    reply = thread.messages.order_by("-id").first()
    assert (reply.body, reply.author, reply.from_back_office) == ("Skan w załączeniu.", ala.user, False)
    assert [m.to for m in mailoutbox] == [["vera@acme.example"]] and "Skan w załączeniu." in mailoutbox[
        0
    ].body
    empty = client.post(reverse("partners:message_thread", args=[thread.pk]), {"body": " "}, follow=True)
    assert "Write the message." in empty.content.decode() and thread.messages.count() == 2


def test_the_message_list_answers_in_a_bounded_number_of_queries(
    company, now, world, django_assert_max_num_queries
):
    ala = world["ala"]
    for n in range(30):
        thread_start(company=company, author=world["verifier"], subject=f"Wątek {n}", body="?", now=now,
                     contract=world["contracts"]["ala"])  # fmt: skip
    client = client_of(ala.user)
    with django_assert_max_num_queries(10):
        listing = client.get(reverse("partners:message_threads")).content.decode()
    assert listing.count("data-thread=") == 31 and 'id="unread-total">31 unread' in listing
    request = RequestFactory().get("/partners/")
    request.user, request.scope = ala.user, scope_of_agent(agent=ala)
    with django_assert_max_num_queries(6):  # this part's panels on the home page
        [messages, targets] = home_panels(request)
    assert messages["unread_total"] == 31 and len(messages["threads"]) == 5
    assert [p.target for p in targets["progress"]] == [world["targets"]["ala"], world["targets"]["alfa"]]


def test_a_new_thread_about_an_own_contract_or_customer_only(world):
    ala, contracts = world["ala"], world["contracts"]
    client = client_of(ala.user)
    own = contracts["ala"]
    form = client.get(reverse("partners:message_thread_new") + f"?contract={own.pk}").content.decode()
    assert f'value="contract:{own.pk}" selected' in form
    response = client.post(
        reverse("partners:message_thread_new"),
        {
            "about": f"customer:{own.customer_id}",
            "subject": "Zmiana adresu",
            "body": "Klient się przeprowadził.",
        },
    )
    thread = MessageThread.objects.get(subject="Zmiana adresu")
    assert response.status_code == 302 and response["Location"] == reverse(
        "partners:message_thread", args=[thread.pk]
    )
    assert (thread.customer_id, thread.organisation, thread.started_by) == (
        own.customer_id,
        world["alfa"],
        ala.user,
    )
    for other in ("celina", "bartek", "olek"):
        theirs = contracts[other]
        assert (
            client.get(reverse("partners:message_thread_new") + f"?contract={theirs.pk}").status_code == 404
        )
        assert (
            client.get(reverse("partners:message_thread_new") + f"?customer={theirs.customer_id}").status_code
            == 404
        )
        posted = client.post(
            reverse("partners:message_thread_new"),
            {"about": f"contract:{theirs.pk}", "subject": "?", "body": "?"},
        )
        assert posted.status_code == 404
    assert client.get(reverse("partners:message_thread_new") + "?contract=abc").status_code == 404
    refused = client.post(
        reverse("partners:message_thread_new"), {"about": f"contract:{own.pk}", "subject": "", "body": ""}
    )
    assert refused.status_code == 200 and MessageThread.objects.filter(started_by=ala.user).count() == 1


def test_a_manager_sees_the_branch_threads_not_beta_nor_above(world):
    marta, olek = world["marta"], world["olek"]
    threads = world["threads"]
    listing = client_of(marta.user).get(reverse("partners:message_threads")).content.decode()
    for name in ("ala", "celina", "olek"):
        assert f"Braki {name}" in listing
    assert "Braki bartek" not in listing
    assert (
        client_of(marta.user).get(reverse("partners:message_thread", args=[threads["olek"].pk])).status_code
        == 200
    )
    # The branch's agent does not see alfa's threads.
    assert (
        client_of(olek.user).get(reverse("partners:message_thread", args=[threads["ala"].pk])).status_code
        == 404
    )


def _routes_with_ids(world) -> dict[str, dict]:
    return {"message_thread": {"thread_id": world["threads"]["ala"].pk}}


def test_every_route_with_an_id_of_another_scope_is_not_found(world):
    """Beta's agent, Alfa's branch agent and Ala's colleague never reach Ala's thread (GET or POST)."""
    routes = [p for p in work_urls.urlpatterns if isinstance(p, URLPattern) and p.pattern.converters]
    ids = _routes_with_ids(world)
    assert {p.name for p in routes} == set(ids), "a new route with an id needs its boundary test here"
    before = ThreadMessage.objects.count()
    for outsider in ("bartek", "olek", "celina"):
        client = client_of(world[outsider].user)
        for name, kwargs in ids.items():
            url = reverse(f"partners:{name}", kwargs=kwargs)
            assert client.get(url).status_code == 404, (outsider, url)
            assert client.post(url, {"body": "Wtrącam się."}).status_code == 404, (outsider, url)
    assert ThreadMessage.objects.count() == before


def test_gifts_own_stock_a_manager_with_the_branches_and_a_hand_over_in_scope(
    world, django_assert_max_num_queries
):
    ala, marta, mug = world["ala"], world["marta"], world["mug"]
    contracts = world["contracts"]
    client = client_of(ala.user)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("partners:gifts")).content.decode()
    assert f'data-organisation="{world["alfa"].pk}"' in page and '<td class="stock"><b>9</b></td>' in page
    assert (
        f'data-organisation="{world["krakow"].pk}"' not in page
        and f'data-organisation="{world["beta"].pk}"' not in page
    )
    assert contracts["celina"].number not in page  # a colleague's hand-over: not Ala's contract to see
    manager_page = client_of(marta.user).get(reverse("partners:gifts")).content.decode()
    assert (
        f'data-organisation="{world["krakow"].pk}"' in manager_page
        and contracts["celina"].number in manager_page
    )

    url = reverse("partners:gift_hand_over")
    data = {"gift": mug.pk, "organisation": world["alfa"].pk, "contract": contracts["ala"].pk, "quantity": 2}
    assert client.post(url, data).status_code == 302
    assert GiftMovement.objects.filter(kind="handed", contract=contracts["ala"], quantity=2).exists()
    before = GiftMovement.objects.count()
    for bad in (
        {"contract": contracts["celina"].pk},  # a colleague's
        {"contract": contracts["bartek"].pk},  # another organisation's
        {"organisation": world["beta"].pk},  # another organisation's stock
        {"organisation": world["krakow"].pk},  # the branch's stock: not Ala's
        {"gift": 999999},
    ):
        assert client.post(url, {**data, **bad}).status_code == 404, bad
    too_many = client.post(url, {**data, "quantity": 50}, follow=True).content.decode()
    assert "has only 7" in too_many
    assert GiftMovement.objects.count() == before
    # Bartek cannot hand over Alfa's gifts either.
    assert client_of(world["bartek"].user).post(url, data).status_code == 404


def test_targets_own_and_organisation_a_manager_with_branches_and_agents(
    world, django_assert_max_num_queries
):
    targets = world["targets"]
    client = client_of(world["ala"].user)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("partners:targets")).content.decode()
    shown = {name for name, t in targets.items() if f'data-target="{t.pk}"' in page}
    assert shown == {"ala", "alfa"}
    # Alfa: Ala's, Celina's and (its branch's) Olek's contracts = 3 of 10 points, 3.226 expected by day 10
    # of 31; Ala: 1 of 4, 1.29 expected. Both behind.
    assert '<span class="achieved">3 / 10</span> (<span class="percent">30.0%</span>)' in page
    assert '<span class="achieved">1 / 4</span> (<span class="percent">25.0%</span>)' in page
    assert "by now 3.226 expected" in page and "by now 1.290 expected" in page
    assert page.count("behind") == 2 and "on track" not in page
    manager = client_of(world["marta"].user).get(reverse("partners:targets")).content.decode()
    shown = {name for name, t in targets.items() if f'data-target="{t.pk}"' in manager}
    assert shown == {"ala", "celina", "olek", "alfa", "krakow"}
    beta = client_of(world["bartek"].user).get(reverse("partners:targets")).content.decode()
    assert {name for name, t in targets.items() if f'data-target="{t.pk}"' in beta} == {"bartek", "beta"}
    home = client_of(world["ala"].user).get(reverse("partners:home")).content.decode()
    assert 'id="panel-targets"' in home and f'data-target="{targets["ala"].pk}"' in home


def test_staff_are_not_agents_here(world):
    client = client_of(world["verifier"])
    for name in ("message_threads", "gifts", "targets"):
        assert client.get(reverse(f"partners:{name}")).status_code == 403
