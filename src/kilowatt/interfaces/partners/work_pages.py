"""Partner portal pages of the daily work with headquarters: message threads with the back office, the
promotional gifts of the organisation (handed to customers with a contract) and the sales targets.

Every read goes through ``request.scope``; an id outside it is not found (404), whatever it is."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kilowatt.channels.models import Organisation
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError
from kilowatt.interfaces.backoffice.views import messages_from
from kilowatt.interfaces.partners.access import partner_page
from kilowatt.sales.gifts import gift_hand_over, gift_movements, gift_stock_levels, gifts_of_company
from kilowatt.sales.models import ContractStatus
from kilowatt.sales.scope import contracts_in_scope, customers_in_scope
from kilowatt.sales.targets import targets_for_partner, targets_progress
from kilowatt.sales.threads import (
    thread_messages,
    thread_read,
    thread_reply,
    thread_start,
    threads_for_partner,
    threads_unread,
)

LIST_LIMIT = 200
CHOICE_LIMIT = 200


# --- home -----------------------------------------------------------------------------------------


def home_panels(request: HttpRequest) -> list[dict]:
    """The portal's home: unread messages (the latest threads with any) and the running targets."""
    scope, today = request.scope, system_clock.today()
    threads = threads_for_partner(scope=scope)
    unread = threads_unread(threads=threads, user=request.user)
    latest = list(threads.filter(pk__in=list(unread))[:5])
    running = targets_for_partner(scope=scope).filter(period_start__lte=today, period_end__gt=today)[:5]
    return [
        {
            "template": "partners/work/panel_messages.html",
            "unread_total": sum(unread.values()),
            "threads": [(thread, unread[thread.pk]) for thread in latest],
        },
        {
            "template": "partners/work/panel_targets.html",
            "progress": targets_progress(targets=running, on_date=today),
        },
    ]


# --- messages -------------------------------------------------------------------------------------


@partner_page
def message_threads(request: HttpRequest) -> HttpResponse:
    threads = threads_for_partner(scope=request.scope)
    unread = threads_unread(threads=threads, user=request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        threads = threads.filter(pk__in=list(unread))
    page = list(threads[:LIST_LIMIT])
    return render(
        request,
        "partners/work/messages.html",
        {
            "rows": [(thread, unread.get(thread.pk, 0)) for thread in page],
            "unread_total": sum(unread.values()),
            "only_unread": only_unread,
        },
    )


@partner_page
def message_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = threads_for_partner(scope=request.scope).filter(pk=thread_id).first()
    if thread is None:
        raise Http404
    if request.method == "POST":
        try:
            thread_reply(
                thread=thread, author=request.user, body=request.POST.get("body", ""), now=system_clock.now()
            )
        except DomainError as error:
            messages_from(request, error)
        else:
            messages.success(request, _("Sent."))
        return redirect("partners:message_thread", thread_id=thread.pk)
    shown = list(thread_messages(thread=thread))
    thread_read(thread=thread, user=request.user, now=system_clock.now())
    return render(request, "partners/work/thread.html", {"thread": thread, "thread_messages": shown})


class PartnerThreadForm(forms.Form):
    about = forms.ChoiceField(label=gettext_lazy("About"))
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000
    )

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["about"].choices = choices


def _about_choices(request: HttpRequest) -> list[tuple[str, str]]:
    """The latest contracts and customers of the scope, as ``contract:<id>`` / ``customer:<id>``."""
    contracts = (
        contracts_in_scope(scope=request.scope).select_related("customer").order_by("-id")[:CHOICE_LIMIT]
    )
    customers = customers_in_scope(scope=request.scope).order_by("-id")[:CHOICE_LIMIT]
    return [
        ("", "—"),
        *((f"contract:{c.pk}", _("contract %(number)s · %(customer)s") % {
            "number": c.number, "customer": c.customer.display_name}) for c in contracts),
        *((f"customer:{c.pk}", _("customer %(name)s (%(number)s)") % {
            "name": c.display_name, "number": c.number}) for c in customers),
    ]  # fmt: skip


def _about(request: HttpRequest, value: str) -> dict:
    """``contract:<id>`` or ``customer:<id>`` of the scope, as thread_start's argument; else not found."""
    kind, _sep, pk = value.partition(":")
    if not pk.isdigit() or kind not in ("contract", "customer"):
        raise Http404
    source = contracts_in_scope if kind == "contract" else customers_in_scope
    found = source(scope=request.scope).filter(pk=int(pk)).first()
    if found is None:
        raise Http404
    return {kind: found}


@partner_page
def message_thread_new(request: HttpRequest) -> HttpResponse:
    """A new thread about one of the agent's contracts or customers (``?contract=`` / ``?customer=``)."""
    preset = ""
    for kind in ("contract", "customer"):
        if request.GET.get(kind):
            preset = f"{kind}:{request.GET[kind]}"
    chosen = request.POST.get("about", "") if request.method == "POST" else preset
    choices = _about_choices(request)
    if chosen:
        about = _about(request, chosen)  # 404 outside the scope
        if chosen not in dict(choices):  # older than the latest offered
            kind = chosen.partition(":")[0]
            label = about[kind].number if kind == "contract" else about[kind].display_name
            choices.append((chosen, str(label)))
    form = PartnerThreadForm(request.POST or None, choices=choices, initial={"about": preset})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thread = thread_start(
                company=request.agent.organisation.company,
                author=request.user,
                subject=data["subject"],
                body=data["body"],
                now=system_clock.now(),
                **_about(request, data["about"]),
            )
        except DomainError as error:
            for failed in getattr(error, "errors", [error]):
                form.add_error(failed.field if failed.field in form.fields else None, failed.message)
        else:
            return redirect("partners:message_thread", thread_id=thread.pk)
    return render(request, "partners/work/thread_new.html", {"form": form})


# --- gifts ----------------------------------------------------------------------------------------


class HandOverForm(forms.Form):
    gift = forms.ModelChoiceField(label=gettext_lazy("Gift"), queryset=None)
    organisation = forms.ModelChoiceField(label=gettext_lazy("From the stock of"), queryset=None)
    contract = forms.ChoiceField(label=gettext_lazy("Contract"))
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, initial=1)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        scope = request.scope
        self.fields["gift"].queryset = gifts_of_company(company=request.agent.organisation.company)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            pk__in=scope.organisation_ids
        ).order_by("path")
        if not scope.is_manager:
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = scope.organisation_id
        contracts = (
            contracts_in_scope(scope=scope)
            .exclude(status__in=(ContractStatus.DRAFT, ContractStatus.WITHDRAWN))
            .select_related("customer")
            .order_by("-id")[:CHOICE_LIMIT]
        )
        self.fields["contract"].choices = [("", "—")] + [
            (str(c.pk), f"{c.number} · {c.customer.display_name}") for c in contracts
        ]


def _visible_movements(request: HttpRequest):
    """The movements of the scope's organisations; a plain agent sees hand-overs of their own contracts
    only (a colleague's contract is not theirs to see)."""
    scope = request.scope
    movements = gift_movements(
        company=request.agent.organisation.company, organisation_ids=scope.organisation_ids
    )
    if scope.agent_user_id is not None:
        movements = movements.filter(Q(contract__isnull=True) | Q(contract__agent_id=scope.agent_user_id))
    return movements


@partner_page
def gifts(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    company = request.agent.organisation.company
    initial = {
        "organisation": scope.organisation_id,
        "quantity": 1,
        "contract": request.GET.get("contract", ""),
    }
    return render(
        request,
        "partners/work/gifts.html",
        {
            "levels": gift_stock_levels(company=company, organisation_ids=scope.organisation_ids),
            "movements": _visible_movements(request)[:50],
            "form": HandOverForm(request=request, initial=initial),
        },
    )


@partner_page
@require_POST
def gift_hand_over_page(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    company = request.agent.organisation.company
    post = request.POST
    gift = gifts_of_company(company=company, active_only=False).filter(pk=_int(post.get("gift"))).first()
    organisation = (
        Organisation.objects.filter(pk=_int(post.get("organisation")) or scope.organisation_id)
        .filter(pk__in=scope.organisation_ids)
        .first()
    )
    contract = contracts_in_scope(scope=scope).filter(pk=_int(post.get("contract"))).first()
    if gift is None or organisation is None or contract is None:
        raise Http404
    try:
        quantity = int(post.get("quantity") or 1)
    except ValueError:
        quantity = 0
    try:
        gift_hand_over(
            gift=gift,
            organisation=organisation,
            contract=contract,
            quantity=quantity,
            note=post.get("note", ""),
            on_date=system_clock.today(),
            actor=request.user,
            now=system_clock.now(),
        )
    except DomainError as error:
        messages_from(request, error)
    else:
        messages.success(
            request,
            _("Handed over: %(gift)s × %(quantity)s with contract %(number)s.")
            % {"gift": gift.name, "quantity": quantity, "number": contract.number},
        )
    return redirect(reverse("partners:gifts"))


def _int(value) -> int:
    return int(value) if str(value or "").isdigit() else 0


# --- targets --------------------------------------------------------------------------------------


@partner_page
def targets(request: HttpRequest) -> HttpResponse:
    today = system_clock.today()
    show = request.GET.get("show", "current")
    rows = targets_for_partner(scope=request.scope)
    if show == "current":
        rows = rows.filter(period_start__lte=today, period_end__gt=today)
    elif show == "finished":
        rows = rows.filter(period_end__lte=today)
    else:
        show = "all"
    progress = targets_progress(targets=rows[:LIST_LIMIT], on_date=today)
    return render(
        request,
        "partners/work/targets.html",
        {"progress": progress, "show": show, "today": today},
    )
