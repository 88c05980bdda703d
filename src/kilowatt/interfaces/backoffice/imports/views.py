"""Import pages of the back office.

Customers: upload → preview (dry run) → import → result. The uploaded file is kept in storage under its
SHA-256 between the preview and the import, so the confirmation carries only the hash of a file this
company previewed.

DSO meter reads and interval files: upload → the file is stored under its SHA-256 → the import starts in
the background (``background.import_start``) → a page shows its progress (polled with htmx) and then the
result with the errors per row. The same file again starts nothing and shows the first import.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django import forms
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import ImportBatch
from kilowatt.core.permissions import IMPORT_DATA
from kilowatt.interfaces.backoffice.imports import background
from kilowatt.interfaces.backoffice.views import staff_page
from kilowatt.metering import imports as reads_imports
from kilowatt.metering import interval_imports
from kilowatt.network.imports import COLUMNS, IMPORT_KIND, customers_import

MAX_UPLOAD = 20 * 1024 * 1024
ERRORS_SHOWN = 500


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))


def _confirm(request: HttpRequest) -> HttpResponse:
    file_hash = request.POST.get("file_hash", "")
    previewed = ImportBatch.objects.filter(
        company=request.company, kind=IMPORT_KIND, file_hash=file_hash, status=ImportBatch.Status.PREVIEWED
    ).first()
    name = background.stored_name(request.company.pk, file_hash)
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
                name = background.stored_name(request.company.pk, preview.batch.file_hash)
                if not default_storage.exists(name):
                    default_storage.save(name, ContentFile(content))
                context.update(preview=preview, file_hash=hashlib.sha256(content).hexdigest())
    context["form"] = form
    return render(request, "backoffice/imports/customers.html", context)


@dataclass(frozen=True)
class BackgroundImport:
    kind: str
    url_name: str
    title: Promise
    intro: Promise
    columns: list[str]
    required: set[str]


BACKGROUND_IMPORTS = {
    reads_imports.IMPORT_KIND: BackgroundImport(
        kind=reads_imports.IMPORT_KIND,
        url_name="reads",
        title=_("Import meter reads"),
        intro=_(
            "Register reads from the DSO: one row per read. Good rows are imported and bad rows are "
            "listed with their row number, column and reason; the same file twice changes nothing."
        ),
        columns=reads_imports.COLUMNS,
        required=reads_imports.REQUIRED,
    ),
    interval_imports.IMPORT_KIND: BackgroundImport(
        kind=interval_imports.IMPORT_KIND,
        url_name="intervals",
        title=_("Import interval data"),
        intro=_(
            "Quarter-hour or hourly energy from the DSO: one row per interval, with its start as "
            "timestamp (with the UTC offset) or as day and interval number. A day is stored when all its "
            "intervals are in the file; the same file twice changes nothing."
        ),
        columns=interval_imports.COLUMNS,
        required=interval_imports.REQUIRED,
    ),
}


def _background_upload(request: HttpRequest, kind: str) -> HttpResponse:
    page = BACKGROUND_IMPORTS[kind]
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("The file is larger than 20 MB."))
        else:
            content = upload.read()
            name = background.stored_name(request.company.pk, hashlib.sha256(content).hexdigest())
            if not default_storage.exists(name):
                default_storage.save(name, ContentFile(content))
            batch, already = reads_imports.import_batch_begin(
                company=request.company,
                kind=kind,
                file_name=upload.name,
                content=content,
                actor=request.user,
                now=system_clock.now(),
            )
            url = reverse("backoffice:imports:batch", args=[batch.pk])
            if already:
                return redirect(f"{url}?again=1")
            background.import_start(batch_id=batch.pk, language=get_language() or "")
            return redirect(url)
    return render(
        request,
        "backoffice/imports/background.html",
        {
            "page": page,
            "form": form,
            "required": sorted(page.required),
            "optional": [c for c in page.columns if c not in page.required],
            "recent": reads_imports.import_batches_recent(company=request.company, kind=kind),
        },
    )


@staff_page(IMPORT_DATA)
def reads(request: HttpRequest) -> HttpResponse:
    return _background_upload(request, reads_imports.IMPORT_KIND)


@staff_page(IMPORT_DATA)
def intervals(request: HttpRequest) -> HttpResponse:
    return _background_upload(request, interval_imports.IMPORT_KIND)


@staff_page(IMPORT_DATA)
def batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The progress of a background import, then its result; htmx polls it while it runs."""
    found = reads_imports.import_batch_of_company(
        company=request.company, batch_id=batch_id, kinds=list(BACKGROUND_IMPORTS)
    )
    if found is None:
        raise Http404
    running = found.status == ImportBatch.Status.RUNNING
    errors = [] if running else found.errors
    context = {
        "batch": found,
        "page": BACKGROUND_IMPORTS[found.kind],
        "upload_url": reverse("backoffice:imports:" + BACKGROUND_IMPORTS[found.kind].url_name),
        "running": running,
        "failed": found.status == ImportBatch.Status.FAILED,
        "again": request.GET.get("again") == "1",
        "percent": round(100 * found.rows_done / found.rows_total) if found.rows_total else 0,
        "errors": errors[:ERRORS_SHOWN],
        "errors_hidden": max(len(errors) - ERRORS_SHOWN, 0),
    }
    if request.headers.get("HX-Request"):
        return render(request, "backoffice/imports/batch_progress.html", context)
    return render(request, "backoffice/imports/batch.html", context)
