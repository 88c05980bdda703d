"""Back office page of a supply point's meter reads: the history with findings, and entering or correcting
a read (a correction supersedes the read, which is kept)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.permissions import ENTER_READS, VIEW_MASTER_DATA
from kilowatt.interfaces.backoffice.forms import DomainErrorsMixin
from kilowatt.interfaces.backoffice.views import staff_page
from kilowatt.interfaces.tasks.tasks import dispatch_outbox
from kilowatt.metering.models import MeterRead, ReadKind
from kilowatt.metering.operations import meter_read_record
from kilowatt.metering.queries import reads_of_supply_point, registers_of_supply_point
from kilowatt.network.models import MeterRegister
from kilowatt.network.queries import supply_point_of_company

SHOWN_READS = 40


class ReadForm(DomainErrorsMixin, forms.Form):
    register = forms.ModelChoiceField(
        label=gettext_lazy("Register"), queryset=MeterRegister.objects.none(), required=False
    )
    read_on = forms.DateField(label=gettext_lazy("Read on"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.CharField(label=gettext_lazy("Value"))
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[(ReadKind.ACTUAL, ReadKind.ACTUAL.label), (ReadKind.CUSTOMER, ReadKind.CUSTOMER.label)],
    )
    supersedes = forms.ModelChoiceField(
        label=gettext_lazy("Corrects the read"), queryset=MeterRead.objects.none(), required=False
    )

    def __init__(self, *args, registers, reads, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["register"].queryset = registers
        self.fields["supersedes"].queryset = reads
        self.fields["supersedes"].label_from_instance = lambda r: f"{r.register.code} {r.read_on}: {r.value}"
        only = list(registers[:2])
        if len(only) == 1:
            self.fields["register"].initial = only[0].pk

    def clean(self):
        data = super().clean()
        if not data.get("register"):
            if data.get("supersedes"):  # a correction is of the corrected read's register
                data["register"] = data["supersedes"].register
            else:
                self.add_error("register", _("Choose the register."))
        return data


@staff_page(VIEW_MASTER_DATA)
def supply_point_reads(request: HttpRequest, supply_point_id: int) -> HttpResponse:
    point = supply_point_of_company(company=request.company, supply_point_id=supply_point_id)
    if point is None:
        raise Http404
    reads = reads_of_supply_point(supply_point=point)
    form = ReadForm(
        request.POST or None,
        registers=registers_of_supply_point(supply_point=point),
        reads=reads.filter(superseded_by__isnull=True),
    )
    if request.method == "POST":
        if ENTER_READS not in request.permissions:
            return HttpResponse(status=403)
        if form.is_valid():
            data = form.cleaned_data
            try:
                read, findings = meter_read_record(
                    company=request.company,
                    supply_point=point,
                    register=data["register"],
                    read_on=data["read_on"],
                    value=data["value"],
                    kind=data["kind"],
                    source="back office",
                    actor=request.user,
                    now=system_clock.now(),
                    supersedes=data["supersedes"],
                )
            except ValidationFailed as failed:
                form.add_domain_errors(failed)
            else:
                # Subscribers (billing marks invoices built on a corrected read) hear of it right away.
                transaction.on_commit(dispatch_outbox.delay)
                messages.success(
                    request,
                    _("Read saved.")
                    if not findings
                    else _("Read saved with findings: %(findings)s")
                    % {"findings": "; ".join(f.message for f in findings)},
                )
                return redirect("backoffice:supply_point_reads", supply_point_id=point.pk)
    return render(
        request,
        "backoffice/supply_point_reads.html",
        {
            "point": point,
            "reads": list(reads[:SHOWN_READS]),
            "form": form,
            "can_enter": ENTER_READS in request.permissions,
        },
    )
