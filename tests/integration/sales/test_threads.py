"""Message threads between partners and the back office: who sees which thread (organisation and those
above it; a plain agent only their own), unread counts from each reader's reading, e-mails to the people
in the thread but the author, threads refused outside an agent's scope, closed threads."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from kilowatt.catalog.models import PriceList, Product
from kilowatt.channels.queries import scope_of_agent
from kilowatt.core.errors import PermissionDenied, ValidationFailed
from kilowatt.core.models import Role
from kilowatt.sales.models import Contract, ContractRequest, MessageThread, Opportunity
from kilowatt.sales.threads import (
    thread_close,
    thread_participants,
    thread_read,
    thread_reply,
    thread_start,
    threads_for_partner,
    threads_for_staff,
    threads_unread,
    threads_unread_total,
)
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)
_numbers = itertools.count(1)


def contract(company, now, *, organisation, agent=None, customer=None):
    product = Product.objects.filter(company=company).first() or Product.objects.create(
        company=company, code="prad", name="Prąd", commodity="electricity"
    )
    prices = product.price_lists.first() or PriceList.objects.create(
        company=company, product=product, code="prad-2026", name="Prąd 2026", valid_from=date(2026, 1, 1)
    )
    return Contract.objects.create(
        company=company, number=f"UM/T/{next(_numbers)}", kind="comprehensive",
        customer=customer or factories.customer(company, now), product=product, price_list=prices,
        status="draft", start_date=date(2026, 4, 1),
        organisation=organisation, agent=agent.user if agent else None, created_at=now, updated_at=now,
    )  # fmt: skip


@pytest.fixture
def people(company, now):
    a = factories.organisation(company, now, "alfa")
    a1 = factories.organisation(company, now, "alfa-krakow", parent=a)
    b = factories.organisation(company, now, "beta")
    verifier = make_staff("vera", company, Role.BACK_OFFICE)
    verifier.email = "vera@acme.example"
    verifier.save()
    return {
        "a": a, "a1": a1, "b": b, "verifier": verifier,
        "ala": factories.agent(a, "ala"), "celina": factories.agent(a, "celina"),
        "marta": factories.agent(a, "marta", role="manager"), "olek": factories.agent(a1, "olek"),
        "kuba": factories.agent(a1, "kuba", role="manager"), "bartek": factories.agent(b, "bartek"),
        "beata": factories.agent(b, "beata", role="manager"),
    }  # fmt: skip


def visible(agent) -> set[MessageThread]:
    return set(threads_for_partner(scope=scope_of_agent(agent=agent)))


def test_a_thread_about_a_request_mails_the_other_side_and_counts_unread(
    company, now, people, mailoutbox, django_capture_on_commit_callbacks
):
    p = people
    ala, verifier = p["ala"], p["verifier"]
    deal = contract(company, now, organisation=p["a"], agent=ala)
    request = ContractRequest.objects.create(
        company=company, contract=deal, kind="new", submitted_by=ala.user, created_at=now, updated_at=now
    )
    with django_capture_on_commit_callbacks(execute=True):
        thread = thread_start(
            company=company, author=verifier, subject="Brak pełnomocnictwa", body="Proszę o skan.",
            now=now, contract_request=request,
        )  # fmt: skip
    assert (thread.organisation, thread.contract, thread.customer) == (p["a"], deal, deal.customer)
    assert thread.messages.get().from_back_office is True
    assert [m.to for m in mailoutbox] == [["ala@example.pl"]]
    assert "Brak pełnomocnictwa" in mailoutbox[0].subject and "Proszę o skan." in mailoutbox[0].body

    assert threads_unread(threads=threads_for_partner(scope=scope_of_agent(agent=ala)), user=ala.user) == {
        thread.pk: 1
    }
    assert threads_unread_total(threads=threads_for_staff(company=company), user=verifier) == 0  # own message
    thread_read(thread=thread, user=ala.user, now=now + MINUTE)
    assert threads_unread_total(threads=threads_for_staff(company=company), user=ala.user) == 0
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        thread_reply(thread=thread, author=ala.user, body="Dosłane.", now=now + 2 * MINUTE)
        thread_reply(thread=thread, author=ala.user, body="I jeszcze KRS.", now=now + 3 * MINUTE)
    assert [m.to for m in mailoutbox] == [["vera@acme.example"]] * 2
    replies = thread.messages.filter(from_back_office=False)
    assert replies.count() == 2
    assert threads_unread(threads=threads_for_staff(company=company), user=verifier) == {thread.pk: 2}
    # Another back-office person never read it: all three messages by others are unread for them.
    colleague = make_staff("bogna", company, Role.BACK_OFFICE)
    assert threads_unread_total(threads=threads_for_staff(company=company), user=colleague) == 3
    thread_read(thread=thread, user=verifier, now=now + 2 * MINUTE + timedelta(seconds=30))
    assert threads_unread(threads=threads_for_staff(company=company), user=verifier) == {thread.pk: 1}
    thread.refresh_from_db()
    assert thread.last_message_at == now + 3 * MINUTE
    assert set(thread_participants(thread=thread)) == {verifier.pk, ala.user_id}


def test_who_sees_a_thread_organisation_and_above_a_plain_agent_only_their_own(company, now, people):
    p = people
    verifier = p["verifier"]

    def about(organisation, agent, subject):
        deal = contract(company, now, organisation=p[organisation], agent=p[agent])
        return thread_start(
            company=company, author=verifier, subject=subject, body="?", now=now, contract=deal
        )

    own, colleagues = about("a", "ala", "Ala"), about("a", "celina", "Celina")
    branch, beta = about("a1", "olek", "Olek"), about("b", "bartek", "Bartek")
    assert visible(p["ala"]) == {own}
    assert visible(p["celina"]) == {colleagues}
    assert visible(p["marta"]) == {own, colleagues, branch}  # alfa's manager: alfa and its branch
    assert visible(p["kuba"]) == {branch}  # the branch's manager: not the organisation above
    assert visible(p["olek"]) == {branch}
    assert visible(p["beata"]) == {beta} and visible(p["bartek"]) == {beta}
    assert set(threads_for_staff(company=company)) == {own, colleagues, branch, beta}
    # Ala cannot read or write in her colleague's thread.
    with pytest.raises(PermissionDenied):
        thread_reply(thread=colleagues, author=p["ala"].user, body="Ja też?", now=now)
    # Once she writes in a thread (her manager's, about a customer of hers), she keeps seeing it.
    customer = own.customer
    started = thread_start(company=company, author=p["marta"].user, subject="Klient Ali", body="?", now=now,
                           customer=customer)  # fmt: skip
    assert started.organisation == p["a"] and started in visible(p["ala"])
    assert started not in visible(p["celina"])


def test_an_agent_opens_a_thread_only_about_their_own_customer_or_contract(company, now, people):
    p = people
    ala = p["ala"]
    mine = contract(company, now, organisation=p["a"], agent=ala)
    theirs = contract(company, now, organisation=p["a"], agent=p["celina"])
    beta = contract(company, now, organisation=p["b"], agent=p["bartek"])
    thread = thread_start(company=company, author=ala.user, subject="Zmiana PPE", body="Błąd w kodzie.",
                          now=now, contract=mine)  # fmt: skip
    assert (thread.organisation, thread.messages.get().from_back_office, thread.started_by) == (
        p["a"],
        False,
        ala.user,
    )
    by_customer = thread_start(company=company, author=ala.user, subject="Klient", body="?", now=now,
                               customer=mine.customer)  # fmt: skip
    assert by_customer.contract is None and by_customer.organisation == p["a"]
    for about in (
        {"contract": theirs},
        {"customer": theirs.customer},
        {"contract": beta},
        {"customer": beta.customer},
    ):
        with pytest.raises(ValidationFailed) as refused:
            thread_start(company=company, author=ala.user, subject="?", body="?", now=now, **about)
        assert refused.value.code == "not_found" and "not one of yours" in refused.value.message
    # Alfa's manager may, about the branch's contract: the thread is the branch's.
    branch = contract(company, now, organisation=p["a1"], agent=p["olek"])
    managed = thread_start(
        company=company, author=p["marta"].user, subject="?", body="?", now=now, contract=branch
    )
    assert managed.organisation == p["a1"] and managed in visible(p["olek"])
    # A customer from an opportunity of the branch: the thread goes to the branch too.
    lead = factories.customer(company, now, first_name="Ewa")
    Opportunity.objects.create(company=company, customer=lead, name="Ewa", owner=p["olek"].user,
                               organisation=p["a1"], commodity="electricity", created_at=now)  # fmt: skip
    about_lead = thread_start(
        company=company, author=p["olek"].user, subject="?", body="?", now=now, customer=lead
    )
    assert about_lead.organisation == p["a1"]
    with pytest.raises(ValidationFailed):
        thread_start(company=company, author=ala.user, subject="", body="?", now=now, contract=mine)
    with pytest.raises(ValidationFailed) as nothing:
        thread_start(company=company, author=ala.user, subject="?", body="?", now=now)
    assert nothing.value.field == "customer"
    assert MessageThread.objects.count() == 4


def test_staff_without_a_thread_permission_or_of_another_company_are_refused(
    company, other_company, now, people
):
    p = people
    deal = contract(company, now, organisation=p["a"], agent=p["ala"])
    for outsider in (
        make_staff("bill", company, Role.BILLING),
        make_staff("rita", other_company, Role.ADMIN),
    ):
        with pytest.raises(PermissionDenied):
            thread_start(company=company, author=outsider, subject="?", body="?", now=now, contract=deal)
    rival_customer = factories.customer(other_company, now)
    with pytest.raises(ValidationFailed) as foreign:
        thread_start(
            company=company, author=p["verifier"], subject="?", body="?", now=now, customer=rival_customer
        )
    assert foreign.value.code == "not_found"
    with pytest.raises(ValidationFailed) as wrong_org:
        thread_start(company=company, author=p["verifier"], subject="?", body="?", now=now, contract=deal,
                     organisation=p["b"])  # fmt: skip
    assert wrong_org.value.field == "organisation"


def test_without_a_partner_in_the_thread_the_managers_are_told_and_a_closed_thread_takes_no_reply(
    company, now, people, mailoutbox, django_capture_on_commit_callbacks
):
    p = people
    deal = contract(company, now, organisation=p["a1"])  # no agent recorded
    with django_capture_on_commit_callbacks(execute=True):
        thread = thread_start(
            company=company, author=p["verifier"], subject="PPE", body="?", now=now, contract=deal
        )
    assert [m.to for m in mailoutbox] == [["kuba@example.pl"]]  # the branch's manager
    with pytest.raises(PermissionDenied):
        thread_close(thread=thread, actor=p["kuba"].user)
    thread_close(thread=thread, actor=p["verifier"])
    with pytest.raises(ValidationFailed) as closed:
        thread_reply(thread=thread, author=p["kuba"].user, body="Już", now=now + MINUTE)
    assert closed.value.code == "closed"
    thread_close(thread=thread, actor=p["verifier"], closed=False)
    thread_reply(thread=thread, author=p["kuba"].user, body="Już", now=now + MINUTE)
    assert thread.messages.count() == 2
