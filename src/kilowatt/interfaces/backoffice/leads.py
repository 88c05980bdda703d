"""Back office pages of leads: type one in (a duplicate is named, and may be kept on purpose), import a
spreadsheet of them. The list is the generic list ``/lists/leads/``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.permissions import MANAGE_LEADS
from kilowatt.interfaces.backoffice.views import staff_page
from kilowatt.sales.leads import COLUMNS, LeadData, lead_create, leads_import
from kilowatt.sales.models import Campaign
from kilowatt.sales.queries import campaign_results, campaigns_with_counts, leads_of_company

MAX_UPLOAD = 20 * 1024 * 1024


class LeadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[("person", gettext_lazy("Person")), ("business", gettext_lazy("Business"))],
    )
    first_name = forms.CharField(label=gettext_lazy("First name"), required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), required=False)
    business_name = forms.CharField(label=gettext_lazy("Business name"), required=False)
    nip = forms.CharField(label=gettext_lazy("NIP"), required=False)
    pesel = forms.CharField(label=gettext_lazy("PESEL"), required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), required=False)
    email = forms.CharField(label=gettext_lazy("E-mail"), required=False)
    supply_point_code = forms.CharField(label=gettext_lazy("Supply point code (PPE/PPG)"), required=False)
    city = forms.CharField(label=gettext_lazy("City"), required=False)
    commodity = forms.ChoiceField(
        label=gettext_lazy("Commodity"),
        required=False,
        choices=[("", "—"), ("electricity", gettext_lazy("Electricity")), ("gas", gettext_lazy("Gas"))],
    )
    annual_consumption_kwh = forms.CharField(label=gettext_lazy("Yearly consumption (kWh)"), required=False)
    source = forms.CharField(label=gettext_lazy("Source"), required=False)
    campaign = forms.ChoiceField(label=gettext_lazy("Campaign"), required=False)
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    keep_duplicate = forms.BooleanField(
        label=gettext_lazy("Keep it even if it repeats a lead or a customer"), required=False
    )

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", "—")] + [
            (c.code, c.name) for c in Campaign.objects.filter(company=company).order_by("name")
        ]


@staff_page(MANAGE_LEADS)
def lead_new(request: HttpRequest) -> HttpResponse:
    form = LeadForm(request.POST or None, company=request.company)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        keep = values.pop("keep_duplicate")
        try:
            lead = lead_create(
                company=request.company, data=LeadData(**values), now=system_clock.now(), keep_duplicate=keep
            )
        except ValidationFailed as failed:
            for error in failed.errors:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Lead %(name)s saved.") % {"name": lead.display_name})
            return redirect("backoffice:list", list_key="leads")
    return render(request, "backoffice/form.html", {"form": form, "title": _("New lead")})


class LeadsUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))


@staff_page(MANAGE_LEADS)
def leads_upload(request: HttpRequest) -> HttpResponse:
    form = LeadsUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_UPLOAD:
                raise ValidationFailed.single("file", _("The file is larger than 20 MB."))
            result = leads_import(
                company=request.company,
                file_name=upload.name,
                content=upload.read(),
                actor=request.user,
                now=system_clock.now(),
            )
        except ValidationFailed as failed:
            form.add_error("file", failed.message)
    return render(
        request, "backoffice/imports/leads.html", {"form": form, "result": result, "columns": COLUMNS}
    )


@staff_page(MANAGE_LEADS)
def campaigns(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "backoffice/sales/campaigns.html",
        {"campaigns": campaigns_with_counts(company=request.company)},
    )


@staff_page(MANAGE_LEADS)
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = Campaign.objects.filter(company=request.company, pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return render(
        request,
        "backoffice/sales/campaign.html",
        {
            "campaign": campaign,
            "results": campaign_results(campaign=campaign),
            "targets": leads_of_company(company=request.company).filter(campaign=campaign)[:200],
        },
    )
