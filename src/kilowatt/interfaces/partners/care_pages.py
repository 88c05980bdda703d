"""Partner portal tickets: an agent reports a customer's matter (a complaint, a question, a change) to
headquarters with the type's own form, and follows its status and the answers. Agents see the tickets
their organisation's scope registered (a plain agent: their own); internal notes are never shown."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kilowatt.care.forms import FORM_PREFIX
from kilowatt.care.models import Ticket, TicketChannel, TicketMessageKind, TicketType
from kilowatt.care.operations import TicketData, ticket_message_add, ticket_register
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.interfaces.backoffice.care_ticket_forms import TypeChoice, _form_field
from kilowatt.interfaces.partners.access import partner_page
from kilowatt.sales.scope import customers_in_scope

LIST_LIMIT = 200
PUBLIC_KINDS = (TicketMessageKind.INBOUND, TicketMessageKind.OUTBOUND)


def _tickets(request: HttpRequest):
    scope = request.scope
    return (
        Ticket.objects.filter(company_id=scope.company_id, channel=TicketChannel.PARTNER)
        .filter(scope.records(organisation_field="organisation", agent_field="created_by"))
        .select_related("ticket_type", "category", "customer", "merged_into")
    )


def _types(request: HttpRequest):
    return TicketType.objects.filter(
        company_id=request.scope.company_id, is_active=True, open_in_portal=True
    ).prefetch_related("fields")


class PartnerTicketForm(forms.Form):
    ticket_type = TypeChoice(label=gettext_lazy("Type"), queryset=TicketType.objects.none(), empty_label="—")
    customer = forms.ModelChoiceField(label=gettext_lazy("Customer"), queryset=None, empty_label="—")
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ticket_type"].queryset = _types(request)
        self.fields["customer"].queryset = customers_in_scope(scope=request.scope).order_by("last_name", "id")
        self.fields["customer"].label_from_instance = lambda c: f"{c.display_name} ({c.number})"
        self.type_field_names: list[str] = []
        chosen = self.data.get("ticket_type") if self.is_bound else self.initial.get("ticket_type")
        ticket_type = (
            self.fields["ticket_type"].queryset.filter(pk=chosen).first() if str(chosen).isdigit() else None
        )
        if ticket_type is not None:
            language = request.LANGUAGE_CODE
            for field in ticket_type.fields.all():
                self.fields[FORM_PREFIX + field.code] = _form_field(field, language)
                self.type_field_names.append(FORM_PREFIX + field.code)

    def answers(self) -> dict[str, str]:
        return {name[len(FORM_PREFIX) :]: self.cleaned_data.get(name, "") for name in self.type_field_names}


@partner_page
def tickets(request: HttpRequest) -> HttpResponse:
    rows = list(_tickets(request).order_by("-created_at", "-id")[:LIST_LIMIT])
    return render(request, "partners/care/tickets.html", {"rows": rows})


@partner_page
def ticket_new(request: HttpRequest) -> HttpResponse:
    initial = {key: request.GET[key] for key in ("ticket_type", "customer") if request.GET.get(key)}
    submitted = request.method == "POST" and request.POST.get("submit") == "register"
    form = PartnerTicketForm(request.POST or None, request=request, initial=initial)
    if submitted and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = ticket_register(
                company=request.agent.organisation.company,
                data=TicketData(
                    ticket_type=data["ticket_type"],
                    channel=TicketChannel.PARTNER,
                    subject=data["subject"],
                    description=data["description"],
                    form=form.answers(),
                    customer=data["customer"],
                    organisation=request.agent.organisation,
                ),
                now=system_clock.now(),
                registered_by=request.user,
            )
        except DomainError as failed:
            for error in failed.errors if isinstance(failed, ValidationFailed) else [failed]:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request, _("Ticket %(number)s sent to headquarters.") % {"number": ticket.number}
            )
            return redirect("partners:ticket", ticket_id=ticket.pk)
    type_fields = [form[name] for name in form.type_field_names]
    return render(request, "partners/care/ticket_new.html", {"form": form, "type_fields": type_fields})


@partner_page
def ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    found = _tickets(request).filter(pk=ticket_id).first()
    if found is None:
        raise Http404
    if request.method == "POST":
        try:
            ticket_message_add(
                ticket=found,
                kind=TicketMessageKind.INBOUND,
                text=request.POST.get("text", ""),
                now=system_clock.now(),
                made_by=request.user,
            )
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("partners:ticket", ticket_id=found.pk)
    shown = found.merged_into if found.merged_into_id else found
    labels = {field.code: field.label(request.LANGUAGE_CODE) for field in found.ticket_type.fields.all()}
    return render(
        request,
        "partners/care/ticket.html",
        {
            "ticket": found,
            "answers": [(labels.get(code, code), value) for code, value in found.form_data.items()],
            # a merged ticket gathers other callers' messages: only this customer's are shown
            "conversation": list(
                shown.messages.filter(kind__in=PUBLIC_KINDS, first_ticket__customer_id=found.customer_id)
            ),
        },
    )
