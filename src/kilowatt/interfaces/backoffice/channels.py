"""Back office pages of the sales channels: targets with their progress, the gift stock of each partner
organisation (issue, take back, settle, count) and the message threads with partners (an inbox with
unread counts, a thread with its replies, a new thread about a contract request, contract or customer)."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kilowatt.catalog.models import Product
from kilowatt.channels.models import Agent, Organisation, SalesChannel, TargetMetric
from kilowatt.channels.queries import agent_of_user, organisation_subtree
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError
from kilowatt.core.permissions import MANAGE_CHANNELS
from kilowatt.interfaces.backoffice.views import messages_from, staff_page
from kilowatt.network.models import Commodity
from kilowatt.parties.models import Customer
from kilowatt.sales.gifts import (
    gift_issue,
    gift_movements,
    gift_return,
    gift_settle,
    gift_stock_levels,
    gift_stock_take,
    gift_stock_takes,
    gifts_of_company,
)
from kilowatt.sales.models import Contract, ContractRequest
from kilowatt.sales.targets import target_create, targets_of_company, targets_progress
from kilowatt.sales.threads import (
    may_see_threads,
    thread_close,
    thread_messages,
    thread_read,
    thread_reply,
    thread_start,
    threads_for_staff,
    threads_unread,
)

LIST_LIMIT = 200
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def thread_page(view):
    """Like ``staff_page``, for the staff who work with partners' threads (``THREAD_PERMISSIONS``)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.company is None:
            if agent_of_user(user=request.user) is not None:
                return redirect("partners:home")
            return render(request, "backoffice/no_company.html", status=403)
        if not may_see_threads(request.permissions):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class OrganisationChoice(forms.ModelChoiceField):
    """Organisations in their hierarchy: a branch indented under its organisation."""

    @staticmethod
    def indented(obj: Organisation) -> str:
        return "— " * obj.depth + obj.name

    def label_from_instance(self, obj: Organisation) -> str:
        return self.indented(obj)


def _organisations(company):
    return Organisation.objects.filter(company=company).order_by("path")


# --- targets --------------------------------------------------------------------------------------

SHOW = {
    "current": gettext_lazy("running"),
    "upcoming": gettext_lazy("upcoming"),
    "finished": gettext_lazy("finished"),
    "all": gettext_lazy("all"),
}


@staff_page(MANAGE_CHANNELS)
def targets(request: HttpRequest) -> HttpResponse:
    today = system_clock.today()
    show = request.GET.get("show", "current")
    show = show if show in SHOW else "current"
    rows = targets_of_company(company=request.company)
    if show == "current":
        rows = rows.filter(period_start__lte=today, period_end__gt=today)
    elif show == "upcoming":
        rows = rows.filter(period_start__gt=today)
    elif show == "finished":
        rows = rows.filter(period_end__lte=today)
    progress = targets_progress(targets=rows[:LIST_LIMIT], on_date=today)
    sections = [
        ("channel", _("Sales channels"), [p for p in progress if p.holder_kind == "channel"]),
        ("organisation", _("Organisations"), [p for p in progress if p.holder_kind == "organisation"]),
        ("agent", _("Agents"), [p for p in progress if p.holder_kind == "agent"]),
    ]
    return render(
        request,
        "backoffice/channels/targets.html",
        {"sections": sections, "show": show, "shows": SHOW.items(), "today": today},
    )


class TargetForm(forms.Form):
    channel = forms.ModelChoiceField(label=gettext_lazy("Sales channel"), queryset=None, required=False)
    organisation = OrganisationChoice(label=gettext_lazy("or organisation"), queryset=None, required=False)
    agent = forms.ModelChoiceField(label=gettext_lazy("or agent"), queryset=None, required=False)
    period_start = forms.DateField(label=gettext_lazy("From"), widget=DATE_INPUT)
    period_end = forms.DateField(label=gettext_lazy("Until (excluded)"), widget=DATE_INPUT)
    metric = forms.ChoiceField(label=gettext_lazy("Measure"), choices=TargetMetric.choices)
    goal = forms.DecimalField(label=gettext_lazy("Goal"), max_digits=14, decimal_places=3)
    commodity = forms.ChoiceField(
        label=gettext_lazy("Commodity"), choices=[("", "—"), *Commodity.choices], required=False
    )
    product = forms.ModelChoiceField(label=gettext_lazy("Product"), queryset=None, required=False)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = SalesChannel.objects.filter(company=company)
        self.fields["organisation"].queryset = _organisations(company)
        self.fields["agent"].queryset = Agent.objects.filter(organisation__company=company).select_related(
            "user"
        )
        self.fields["product"].queryset = Product.objects.filter(company=company, is_active=True)

    def add_domain_errors(self, failed: DomainError) -> None:
        for error in getattr(failed, "errors", [failed]):
            name = error.field if error.field in self.fields else None
            self.add_error(name, error.message)


@staff_page(MANAGE_CHANNELS)
def target_new(request: HttpRequest) -> HttpResponse:
    form = TargetForm(request.POST or None, company=request.company)
    if request.method == "POST" and form.is_valid():
        try:
            target_create(company=request.company, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_errors(error)
        else:
            messages.success(request, _("The target was set."))
            return redirect("backoffice:channel_targets")
    return render(request, "backoffice/form.html", {"form": form, "title": _("New sales target")})


# --- gifts ----------------------------------------------------------------------------------------


class GiftMoveForm(forms.Form):
    gift = forms.ModelChoiceField(label=gettext_lazy("Gift"), queryset=None)
    organisation = OrganisationChoice(label=gettext_lazy("Organisation"), queryset=None)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1)
    on_date = forms.DateField(label=gettext_lazy("Date"), widget=DATE_INPUT)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gift"].queryset = gifts_of_company(company=company, active_only=False)
        self.fields["organisation"].queryset = _organisations(company)


class StockTakeForm(forms.Form):
    gift = forms.ModelChoiceField(label=gettext_lazy("Gift"), queryset=None)
    organisation = OrganisationChoice(label=gettext_lazy("Organisation"), queryset=None)
    counted = forms.IntegerField(label=gettext_lazy("Counted"), min_value=0)
    counted_on = forms.DateField(label=gettext_lazy("Counted at the end of"), widget=DATE_INPUT)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gift"].queryset = gifts_of_company(company=company, active_only=False)
        self.fields["organisation"].queryset = _organisations(company)


GIFT_ACTIONS = {"issue": gift_issue, "return": gift_return, "settle": gift_settle}


@staff_page(MANAGE_CHANNELS)
def gifts(request: HttpRequest) -> HttpResponse:
    company = request.company
    organisations = _organisations(company)
    chosen = organisations.filter(pk=request.GET.get("organisation") or 0).first()
    ids = set(organisation_subtree(organisation=chosen).values_list("pk", flat=True)) if chosen else None
    today = system_clock.today()
    return render(
        request,
        "backoffice/channels/gifts.html",
        {
            "levels": gift_stock_levels(company=company, organisation_ids=ids),
            "movements": gift_movements(company=company, organisation_ids=ids)[:50],
            "stock_takes": [
                (take, take.counted - take.expected)
                for take in gift_stock_takes(company=company, organisation_ids=ids)[:20]
            ],
            "organisations": [(o.pk, OrganisationChoice.indented(o)) for o in organisations],
            "chosen": chosen,
            "move_form": GiftMoveForm(company=company, initial={"on_date": today, "organisation": chosen}),
            "take_form": StockTakeForm(
                company=company, initial={"counted_on": today, "organisation": chosen}
            ),
            "gift_count": gifts_of_company(company=company).count(),
        },
    )


@staff_page(MANAGE_CHANNELS)
@require_POST
def gift_action(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    company, now = request.company, system_clock.now()
    if action == "stock_take":
        form = StockTakeForm(request.POST, company=company)
    elif action in GIFT_ACTIONS:
        form = GiftMoveForm(request.POST, company=company)
    else:
        return HttpResponse(status=400)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect("backoffice:channel_gifts")
    data = form.cleaned_data
    try:
        if action == "stock_take":
            take = gift_stock_take(actor=request.user, now=now, **data)
            messages.success(
                request,
                _("Counted %(counted)s, expected %(expected)s: difference %(difference)s.")
                % {
                    "counted": take.counted,
                    "expected": take.expected,
                    "difference": take.counted - take.expected,
                },
            )
        else:
            GIFT_ACTIONS[action](actor=request.user, now=now, **data)
            messages.success(request, _("Saved."))
    except DomainError as error:
        messages_from(request, error)
    return redirect(f"{reverse('backoffice:channel_gifts')}?organisation={data['organisation'].pk}")


# --- threads --------------------------------------------------------------------------------------


@thread_page
def threads(request: HttpRequest) -> HttpResponse:
    company = request.company
    rows = threads_for_staff(company=company)
    only_open = request.GET.get("open") == "1"
    if only_open:
        rows = rows.filter(is_closed=False)
    unread = threads_unread(threads=threads_for_staff(company=company), user=request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        rows = rows.filter(pk__in=list(unread))
    page = list(rows[:LIST_LIMIT])
    return render(
        request,
        "backoffice/channels/threads.html",
        {
            "rows": [(thread, unread.get(thread.pk, 0)) for thread in page],
            "unread_total": sum(unread.values()),
            "only_open": only_open,
            "only_unread": only_unread,
        },
    )


def _thread(request: HttpRequest, thread_id: int):
    thread = threads_for_staff(company=request.company).filter(pk=thread_id).first()
    if thread is None:
        raise Http404
    return thread


@thread_page
def thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    item = _thread(request, thread_id)
    if request.method == "POST":
        action = request.POST.get("action", "reply")
        try:
            if action in ("close", "reopen"):
                thread_close(thread=item, actor=request.user, closed=action == "close")
            else:
                thread_reply(
                    thread=item,
                    author=request.user,
                    body=request.POST.get("body", ""),
                    now=system_clock.now(),
                )
        except DomainError as error:
            messages_from(request, error)
        else:
            messages.success(request, _("Saved."))
        return redirect("backoffice:channel_thread", thread_id=item.pk)
    shown = list(thread_messages(thread=item))
    thread_read(thread=item, user=request.user, now=system_clock.now())
    return render(request, "backoffice/channels/thread.html", {"thread": item, "thread_messages": shown})


class ThreadForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000
    )
    organisation = OrganisationChoice(
        label=gettext_lazy("Partner organisation"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("Empty: the organisation that brought the contract or customer."),
    )
    contract_number = forms.CharField(label=gettext_lazy("Contract number"), required=False)
    customer_number = forms.CharField(label=gettext_lazy("or customer number"), required=False)

    def __init__(self, *args, company, about: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _organisations(company)
        if about:  # the page was opened from a request, contract or customer
            del self.fields["contract_number"]
            del self.fields["customer_number"]

    def add_domain_errors(self, failed: DomainError) -> None:
        names = {"contract": "contract_number", "customer": "customer_number"}
        for error in getattr(failed, "errors", [failed]):
            name = names.get(error.field, error.field)
            self.add_error(name if name in self.fields else None, error.message)


def _about(request: HttpRequest) -> dict:
    """What the new thread is about, from the query (a request, contract or customer of the company)."""
    company, about = request.company, {}
    for key, model in (("contract_request", ContractRequest), ("contract", Contract), ("customer", Customer)):
        value = request.GET.get(key, "")
        if value:
            found = model.objects.filter(company=company, pk=value if value.isdigit() else 0).first()
            if found is None:
                raise Http404
            about[key] = found
    return about


@thread_page
def thread_new(request: HttpRequest) -> HttpResponse:
    company = request.company
    about = _about(request)
    form = ThreadForm(request.POST or None, company=company, about=bool(about))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        found = dict(about)
        if not about:
            number = data.get("contract_number", "").strip()
            customer_number = data.get("customer_number", "").strip()
            if number:
                found["contract"] = Contract.objects.filter(company=company, number=number).first()
                if found["contract"] is None:
                    form.add_error("contract_number", _("No contract with this number."))
            if customer_number:
                found["customer"] = Customer.objects.filter(company=company, number=customer_number).first()
                if found["customer"] is None:
                    form.add_error("customer_number", _("No customer with this number."))
        if not form.errors:
            try:
                item = thread_start(
                    company=company,
                    author=request.user,
                    subject=data["subject"],
                    body=data["body"],
                    now=system_clock.now(),
                    organisation=data.get("organisation"),
                    **found,
                )
            except DomainError as error:
                form.add_domain_errors(error)
            else:
                return redirect("backoffice:channel_thread", thread_id=item.pk)
    return render(request, "backoffice/channels/thread_new.html", {"form": form, "about": about})
