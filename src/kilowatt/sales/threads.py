"""Message threads between a partner organisation's people (channel managers, agents) and the back office
or the switching team, about a contract request, a contract or a customer: to clear missing data fast.

Who sees a thread:

- the company's staff holding one of ``THREAD_PERMISSIONS`` (contracts, verification, switching, channels);
- on the partner side, the people of the thread's organisation and of every organisation above it (a
  manager's scope covers their organisation and its branches); a plain agent only threads about their own
  contracts or customers, or that they started or wrote in.

A message by someone else sent after the reader's ``ThreadReading.read_until`` is unread. Every message is
e-mailed (after commit) to the people in the thread other than its author: who started it, who wrote in
it, the salesperson of its contract, the people of its contract request; when nobody of the partner side
is among them yet, the managers of the thread's organisation.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from kilowatt.channels.models import Agent, AgentRole, Organisation
from kilowatt.channels.queries import PartnerScope, agent_of_user, scope_of_agent
from kilowatt.core.errors import PermissionDenied, ValidationFailed
from kilowatt.core.messaging import EmailNotSent, email_send
from kilowatt.core.models import Company
from kilowatt.core.permissions import MANAGE_CHANNELS, MANAGE_CONTRACTS, VERIFY_CONTRACTS, WORK_SWITCHING
from kilowatt.core.queries import permissions_in_company
from kilowatt.parties.models import Customer
from kilowatt.sales.models import (
    Contract,
    ContractRequest,
    MessageThread,
    Opportunity,
    ThreadMessage,
    ThreadReading,
)
from kilowatt.sales.scope import contracts_in_scope, customers_in_scope

__all__ = [
    "MAX_MESSAGE",
    "THREAD_PERMISSIONS",
    "may_see_threads",
    "thread_close",
    "thread_messages",
    "thread_participants",
    "thread_read",
    "thread_reply",
    "thread_start",
    "threads_for_partner",
    "threads_for_staff",
    "threads_unread",
    "threads_unread_total",
]

log = logging.getLogger(__name__)

MAX_MESSAGE = 4000
MAX_SUBJECT = 200

# Staff holding any of these read and write the company's threads.
THREAD_PERMISSIONS = frozenset({MANAGE_CONTRACTS, VERIFY_CONTRACTS, WORK_SWITCHING, MANAGE_CHANNELS})


def may_see_threads(permissions: frozenset[str] | set[str]) -> bool:
    return bool(THREAD_PERMISSIONS & set(permissions))


# --- reads ----------------------------------------------------------------------------------------


def threads_for_staff(*, company: Company) -> QuerySet[MessageThread]:
    """Every thread of the company (the page checks the reader holds one of ``THREAD_PERMISSIONS``)."""
    return MessageThread.objects.filter(company=company).select_related(
        "organisation", "customer", "contract", "contract_request", "started_by"
    )


def threads_for_partner(*, scope: PartnerScope) -> QuerySet[MessageThread]:
    """Threads a partner user may read: those of the scope's organisations; for a plain agent only those
    about their own contracts or customers, or that they started or wrote in."""
    threads = MessageThread.objects.filter(
        company_id=scope.company_id, organisation_id__in=scope.organisation_ids
    ).select_related("organisation", "customer", "contract", "contract_request", "started_by")
    user_id = scope.agent_user_id
    if user_id is not None:
        own_customers = customers_in_scope(scope=scope).values("pk")
        wrote_in = ThreadMessage.objects.filter(author_id=user_id).values("thread_id")
        threads = threads.filter(
            Q(contract__agent_id=user_id)
            | Q(contract__isnull=True, customer_id__in=own_customers)
            | Q(started_by_id=user_id)
            | Q(pk__in=wrote_in)
        )
    return threads


def thread_messages(*, thread: MessageThread) -> QuerySet[ThreadMessage]:
    return thread.messages.select_related("author").order_by("sent_at", "id")


def _unread_messages(threads: QuerySet[MessageThread], user: AbstractBaseUser) -> QuerySet[ThreadMessage]:
    read_until = ThreadReading.objects.filter(thread_id=OuterRef("thread_id"), user_id=user.pk).values(
        "read_until"
    )[:1]
    return (
        ThreadMessage.objects.filter(thread_id__in=threads.order_by().values("pk"))
        .exclude(author_id=user.pk)
        .annotate(read_until=Subquery(read_until))
        .filter(Q(read_until__isnull=True) | Q(sent_at__gt=F("read_until")))
    )


def threads_unread(*, threads: QuerySet[MessageThread], user: AbstractBaseUser) -> dict[int, int]:
    """Unread messages per thread id (threads with none are left out), in one query."""
    rows = _unread_messages(threads, user).order_by().values("thread_id").annotate(unread=Count("id"))
    return {row["thread_id"]: row["unread"] for row in rows}


def threads_unread_total(*, threads: QuerySet[MessageThread], user: AbstractBaseUser) -> int:
    """How many messages of these threads the user has not read, in one query (for the menu)."""
    return _unread_messages(threads, user).count()


def thread_participants(*, thread: MessageThread) -> dict[int, AbstractBaseUser]:
    """The people in a thread, by user id: who started it, who wrote in it, the salesperson of its
    contract, the salesperson and responsible person of its contract request; when none of them is a
    partner user, the active managers of the thread's organisation."""
    ids = {thread.started_by_id}
    ids |= set(thread.messages.values_list("author_id", flat=True))
    if thread.contract_id and thread.contract.agent_id:
        ids.add(thread.contract.agent_id)
    if thread.contract_request_id:
        ids.add(thread.contract_request.submitted_by_id)
        if thread.contract_request.responsible_id:
            ids.add(thread.contract_request.responsible_id)
    if thread.organisation_id and not Agent.objects.filter(user_id__in=ids, is_active=True).exists():
        ids |= set(
            Agent.objects.filter(
                organisation_id=thread.organisation_id, role=AgentRole.MANAGER, is_active=True
            ).values_list("user_id", flat=True)
        )
    users = get_user_model().objects.filter(pk__in=ids, is_active=True)
    return {user.pk: user for user in users}


# --- who is writing --------------------------------------------------------------------------------


def _side(user: AbstractBaseUser, company: Company) -> Agent | None:
    """None for staff who may work with threads, the agent for a partner user; else refused."""
    if user.is_authenticated and may_see_threads(permissions_in_company(user=user, company=company)):
        return None
    agent = agent_of_user(user=user) if user.is_authenticated else None
    if agent is None or agent.organisation.company_id != company.pk:
        raise PermissionDenied(
            _("You may not write in the message threads of %(company)s.") % {"company": company.name},
            field="author",
        )
    return agent


def _text(value: str, *, field: str, limit: int, missing: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed.single(field, missing, code="required")
    if len(text) > limit:
        raise ValidationFailed.single(
            field, _("At most %(count)s characters, please.") % {"count": limit}, code="too_long"
        )
    return text


def _name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


# --- writes ---------------------------------------------------------------------------------------


def _organisation_of_customer(customer: Customer, among: frozenset[int] | None) -> Organisation | None:
    """The organisation that brought the customer: of their latest contract, else opportunity."""
    for model in (Contract, Opportunity):
        rows = model.objects.filter(customer=customer, organisation__isnull=False)
        if among is not None:
            rows = rows.filter(organisation_id__in=among)
        found = rows.select_related("organisation").order_by("-id").first()
        if found is not None:
            return found.organisation
    return None


def _organisations_of_customer(customer: Customer) -> set[int]:
    ids = set(Contract.objects.filter(customer=customer).values_list("organisation_id", flat=True))
    ids |= set(Opportunity.objects.filter(customer=customer).values_list("organisation_id", flat=True))
    ids.discard(None)
    return ids


def _about(
    *,
    company: Company,
    contract_request: ContractRequest | None,
    contract: Contract | None,
    customer: Customer | None,
) -> tuple[ContractRequest | None, Contract | None, Customer]:
    """What the thread is about, made consistent: a request brings its contract, a contract its customer."""
    if contract_request is not None:
        if contract_request.company_id != company.pk:
            raise ValidationFailed.single(
                "contract_request", _("Contract request not found."), code="not_found"
            )
        if contract is not None and contract.pk != contract_request.contract_id:
            raise ValidationFailed.single("contract", _("This is not the contract of the request."))
        contract = contract_request.contract
    if contract is not None:
        if contract.company_id != company.pk:
            raise ValidationFailed.single("contract", _("Contract not found."), code="not_found")
        if customer is not None and customer.pk != contract.customer_id:
            raise ValidationFailed.single("customer", _("This is not the customer of the contract."))
        customer = contract.customer
    if customer is None:
        raise ValidationFailed.single(
            "customer",
            _("Choose the contract request, contract or customer the thread is about."),
            code="required",
        )
    if customer.company_id != company.pk:
        raise ValidationFailed.single("customer", _("Customer not found."), code="not_found")
    return contract_request, contract, customer


@transaction.atomic
def thread_start(
    *,
    company: Company,
    author: AbstractBaseUser,
    subject: str,
    body: str,
    now: datetime,
    contract_request: ContractRequest | None = None,
    contract: Contract | None = None,
    customer: Customer | None = None,
    organisation: Organisation | None = None,
) -> MessageThread:
    """Open a thread about a contract request, a contract or a customer with its first message.

    Staff (with one of ``THREAD_PERMISSIONS``) may open one about anything of the company; the partner
    organisation it is shared with is ``organisation`` (one that brought the customer) or, by default,
    the contract's, else that of the customer's latest contract or opportunity. A partner user may open
    one only about a contract or customer of their scope (a plain agent: their own); it is shared with
    the contract's organisation, else the organisation that brought the customer.

    Raises PermissionDenied, ValidationFailed.
    """
    agent = _side(author, company)
    subject = _text(subject, field="subject", limit=MAX_SUBJECT, missing=_("Write the subject."))
    body = _text(body, field="body", limit=MAX_MESSAGE, missing=_("Write the message."))
    contract_request, contract, customer = _about(
        company=company, contract_request=contract_request, contract=contract, customer=customer
    )
    if agent is None:
        if organisation is not None:
            if organisation.company_id != company.pk:
                raise ValidationFailed.single("organisation", _("Organisation not found."), code="not_found")
            if contract is not None and contract.organisation_id != organisation.pk:
                raise ValidationFailed.single(
                    "organisation", _("The contract was not brought by this organisation.")
                )
            if contract is None and organisation.pk not in _organisations_of_customer(customer):
                raise ValidationFailed.single(
                    "organisation", _("This organisation did not bring the customer.")
                )
        elif contract is not None and contract.organisation_id:
            organisation = contract.organisation
        elif contract is None:
            organisation = _organisation_of_customer(customer, None)
    else:
        scope = scope_of_agent(agent=agent)
        if contract is not None:
            if not contracts_in_scope(scope=scope).filter(pk=contract.pk).exists():
                raise ValidationFailed.single(
                    "contract", _("This contract is not one of yours."), code="not_found"
                )
            organisation = contract.organisation
        else:
            if not customers_in_scope(scope=scope).filter(pk=customer.pk).exists():
                raise ValidationFailed.single(
                    "customer", _("This customer is not one of yours."), code="not_found"
                )
            organisation = _organisation_of_customer(customer, scope.organisation_ids) or agent.organisation
    thread = MessageThread.objects.create(
        company=company,
        organisation=organisation,
        subject=subject,
        customer=customer,
        contract=contract,
        contract_request=contract_request,
        started_by=author,
        created_at=now,
        last_message_at=now,
    )
    _post(thread, author, body, from_back_office=agent is None, now=now)
    return thread


@transaction.atomic
def thread_reply(
    *, thread: MessageThread, author: AbstractBaseUser, body: str, now: datetime
) -> ThreadMessage:
    """Add a message to a thread the author may read. Raises PermissionDenied, ValidationFailed."""
    thread = MessageThread.objects.select_for_update(of=("self",)).select_related("company").get(pk=thread.pk)
    agent = _side(author, thread.company)
    if (
        agent is not None
        and not threads_for_partner(scope=scope_of_agent(agent=agent)).filter(pk=thread.pk).exists()
    ):
        raise PermissionDenied(_("This thread is not one of yours."), field="thread")
    if thread.is_closed:
        raise ValidationFailed.single(
            "thread",
            _("This thread is closed; start a new one, or ask the back office to reopen it."),
            code="closed",
        )
    body = _text(body, field="body", limit=MAX_MESSAGE, missing=_("Write the message."))
    return _post(thread, author, body, from_back_office=agent is None, now=now)


def thread_close(*, thread: MessageThread, actor: AbstractBaseUser, closed: bool = True) -> MessageThread:
    """Close (or reopen) a thread; only staff may. Raises PermissionDenied."""
    if _side(actor, thread.company) is not None:
        raise PermissionDenied(_("Only the back office closes or reopens a thread."), field="actor")
    MessageThread.objects.filter(pk=thread.pk).update(is_closed=closed)
    thread.is_closed = closed
    return thread


def thread_read(*, thread: MessageThread, user: AbstractBaseUser, now: datetime) -> None:
    """The user has read the thread up to now (never moves back)."""
    until = max(now, thread.last_message_at)
    reading, created = ThreadReading.objects.get_or_create(
        thread=thread, user_id=user.pk, defaults={"read_until": until}
    )
    if not created and reading.read_until < until:
        ThreadReading.objects.filter(pk=reading.pk).update(read_until=until)


def _post(
    thread: MessageThread, author: AbstractBaseUser, body: str, *, from_back_office: bool, now: datetime
) -> ThreadMessage:
    sent_at = max(now, thread.last_message_at)
    message = ThreadMessage.objects.create(
        thread=thread, author=author, from_back_office=from_back_office, body=body, sent_at=sent_at
    )
    MessageThread.objects.filter(pk=thread.pk).update(last_message_at=sent_at)
    thread.last_message_at = sent_at
    ThreadReading.objects.update_or_create(thread=thread, user_id=author.pk, defaults={"read_until": sent_at})
    _notify(thread, message)
    return message


def _email_send(to: str, subject: str, body: str) -> None:
    try:
        email_send(to=to, subject=subject, body=body)
    except EmailNotSent as error:
        log.warning("thread notification to %s not sent: %s", to, error.message)
    except Exception:  # noqa: BLE001 - a notice that could not be mailed never undoes the message
        log.exception("thread notification to %s not sent", to)


def _notify(thread: MessageThread, message: ThreadMessage) -> None:
    """E-mail the people in the thread other than the author, after commit."""
    recipients = thread_participants(thread=thread)
    recipients.pop(message.author_id, None)
    subject = _("New message: %(subject)s") % {"subject": thread.subject}
    about = thread.contract.number if thread.contract_id else str(thread.customer or "")
    text = _("%(author)s wrote in the thread “%(subject)s” (%(about)s):") % {
        "author": _name(message.author),
        "subject": thread.subject,
        "about": about,
    }
    body = f"{text}\n\n{message.body}\n\n" + _("Reply in Kilowatt, in your messages.")
    for user in recipients.values():
        if user.email:
            address = user.email
            transaction.on_commit(lambda a=address: _email_send(a, subject, body))
