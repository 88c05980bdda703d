"""Upload → preview (dry run) → import → result.

The uploaded file is kept in storage under its SHA-256 between the preview and the import, so the
confirmation carries only the hash of a file this company previewed.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import ImportBatch
from kilowatt.core.permissions import IMPORT_DATA
from kilowatt.interfaces.backoffice.views import staff_page
from kilowatt.network.imports import COLUMNS, IMPORT_KIND, customers_import

MAX_UPLOAD = 20 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))


def _stored_name(company_id: int, file_hash: str) -> str:
    return f"imports/{company_id}/{file_hash}"


def _confirm(request: HttpRequest) -> HttpResponse:
    file_hash = request.POST.get("file_hash", "")
    previewed = ImportBatch.objects.filter(
        company=request.company, kind=IMPORT_KIND, file_hash=file_hash, status=ImportBatch.Status.PREVIEWED
    ).first()
    name = _stored_name(request.company.pk, file_hash)
    if previewed is None or not default_storage.exists(name):
        raise Http404
    with default_storage.open(name) as stored:
        content = stored.read()
    result = customers_import(
        company=request.company,
        file_name=previewed.file_name,
        content=content,
        dry_run=False,
        actor=request.user,
        now=system_clock.now(),
    )
    return render(
        request,
        "backoffice/imports/customers.html",
        {"columns": COLUMNS, "result": result, "done": True, "form": UploadForm()},
    )


@staff_page(IMPORT_DATA)
def customers(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("file_hash"):
        return _confirm(request)
    context: dict = {"columns": COLUMNS}
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
            except ValidationFailed as exc:
                form.add_error("file", exc.message)
            else:
                name = _stored_name(request.company.pk, preview.batch.file_hash)
                if not default_storage.exists(name):
                    default_storage.save(name, ContentFile(content))
                context.update(preview=preview, file_hash=hashlib.sha256(content).hexdigest())
    context["form"] = form
    return render(request, "backoffice/imports/customers.html", context)
