"""Upload → preview (dry run) → import → result."""

from __future__ import annotations

import base64

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.permissions import IMPORT_DATA
from kilowatt.interfaces.backoffice.views import staff_page
from kilowatt.network.imports import COLUMNS, customers_import

MAX_UPLOAD = 20 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))


@staff_page(IMPORT_DATA)
def customers(request: HttpRequest) -> HttpResponse:
    context: dict = {"columns": COLUMNS}
    if request.method == "POST" and request.POST.get("content"):
        content = base64.b64decode(request.POST["content"])
        result = customers_import(
            company=request.company,
            file_name=request.POST.get("file_name", ""),
            content=content,
            dry_run=False,
            actor=request.user,
            now=system_clock.now(),
        )
        context.update(result=result, done=True, form=UploadForm())
        return render(request, "backoffice/imports/customers.html", context)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("The file is larger than 20 MB."))
        else:
            content = upload.read()
            try:
                preview = customers_import(
                    company=request.company,
                    file_name=upload.name,
                    content=content,
                    dry_run=True,
                    actor=request.user,
                    now=system_clock.now(),
                )
                context.update(
                    preview=preview, file_name=upload.name, content=base64.b64encode(content).decode()
                )
            except ValidationFailed as exc:
                form.add_error("file", exc.message)
    context["form"] = form
    return render(request, "backoffice/imports/customers.html", context)
