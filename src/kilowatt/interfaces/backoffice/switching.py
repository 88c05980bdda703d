"""Back office pages of supplier switching: the dashboard (cases per status, the ones due soon or overdue
with the monthly revenue they hold up, a filtered list, the files exchanged with each DSO) and a case's
page (its steps and deadlines, documents, the actions its state allows, the messages with the DSO)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.permissions import MANAGE_CONTRACTS, WORK_SWITCHING
from kilowatt.interfaces.backoffice.views import messages_from, staff_page
from kilowatt.network.models import Dso
from kilowatt.switching.exchange import (
    ExchangeFormatError,
    answers_import,
    cases_send,
    fake_dso_answer,
    fake_dso_started,
)
from kilowatt.switching.models import CaseStatus, StepCode, StepStatus, SwitchCase
from kilowatt.switching.operations import (
    LIVE_STATUSES,
    MANUAL_STEPS,
    case_cancel,
    case_resubmit,
    case_withdraw,
    document_attach,
    documents_missing,
    step_complete,
)
from kilowatt.switching.paperwork import case_documents_generate
from kilowatt.switching.queries import (
    FLAGS,
    case_document_of_company,
    case_of_company,
    case_status_counts,
    cases_flagged,
    cases_of_company,
    cases_ready_for_submission,
    dso_message_of_company,
    dsos_with_processes,
    fake_answers_due,
    messages_of_company,
    revenue_at_risk,
)

CASES_SHOWN = 200
MAX_UPLOAD = 20 * 1024 * 1024
DOCUMENT_CODES = {
    "termination_notice": gettext_lazy("Termination notice to the previous supplier"),
    "power_of_attorney": gettext_lazy("Power of attorney"),
    "dso_notification": gettext_lazy("Notification of the contract to the DSO"),
    "distribution_agreement": gettext_lazy("Distribution agreement"),
    "other": gettext_lazy("Other document"),
}
EXCHANGE_LABELS = {
    "file": gettext_lazy("Files (spreadsheet)"),
    "csire": "CSIRE (XML)",
    "fake": gettext_lazy("Local fake DSO"),
}


def fake_dso_allowed() -> bool:
    """The local fake DSO answers only in development and the demo, never in production."""
    return bool(settings.DEBUG or not getattr(settings, "PRODUCTION", False))


def _case(request: HttpRequest, case_id: int) -> SwitchCase:
    case = case_of_company(company=request.company, case_id=case_id)
    if case is None:
        raise Http404
    return case


def _dso(request: HttpRequest, dso_id: int) -> tuple[Dso, dict]:
    """A DSO the company has a switch process for, with its row of the dashboard."""
    row = next((r for r in dsos_with_processes(company=request.company) if r["dso"].pk == dso_id), None)
    if row is None:
        raise Http404
    return row["dso"], row


def _labelled(cases) -> list[SwitchCase]:
    """The cases with their current step and flag in words (``current_label``, ``flag_label``)."""
    rows = list(cases)
    for case in rows:
        case.current_label = StepCode(case.current_code).label if case.current_code else ""
        case.flag_label = FLAGS.get(getattr(case, "flag", ""), "")
    return rows


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@staff_page(WORK_SWITCHING)
def switching_home(request: HttpRequest) -> HttpResponse:
    return _home(request, import_results=[])


def _home(request: HttpRequest, *, import_results: list[dict]) -> HttpResponse:
    """The dashboard; after an answer file is read, with what became of each of its rows."""
    company = request.company
    today = system_clock.today()
    status = request.GET.get("status", "")
    dso_id = _int(request.GET.get("dso", ""))
    flag = request.GET.get("flag", "")
    if flag not in FLAGS and flag != "any":
        flag = ""
    if status and status != "live" and status not in CaseStatus.values:
        status = ""
    counts = case_status_counts(company=company)
    dsos = dsos_with_processes(company=company)
    for row in dsos:
        row["exchange_choices"] = [(e, EXCHANGE_LABELS.get(e, e)) for e in sorted(row["exchanges"])]
        row["fake"] = "fake" in row["exchanges"] and fake_dso_allowed()
    return render(
        request,
        "backoffice/switching/home.html",
        {
            "counts": [(value, label, counts[value]) for value, label in CaseStatus.choices],
            "flagged": _labelled(cases_flagged(company=company, on_date=today)[:CASES_SHOWN]),
            "at_risk": revenue_at_risk(company=company, on_date=today),
            "cases": _labelled(
                cases_of_company(company=company, status=status, dso_id=dso_id, flagged=flag, on_date=today)[
                    :CASES_SHOWN
                ]
            ),
            "status": status,
            "statuses": CaseStatus.choices,
            "dso_id": dso_id,
            "flag": flag,
            "flags": list(FLAGS.items()),
            "dsos": dsos,
            "dso_messages": messages_of_company(company=company),
            "import_results": import_results,
            "today": today,
            "fake_until": today + timedelta(days=FAKE_DAYS_AHEAD),
        },
    )


@staff_page(WORK_SWITCHING)
@require_POST
def dso_send(request: HttpRequest, dso_id: int) -> HttpResponse:
    """Send the DSO's cases waiting at the submission step: one file per process (each process has its
    exchange). A file with a case not ready is not sent; the refusal names each such case."""
    dso, _row = _dso(request, dso_id)
    cases = list(cases_ready_for_submission(company=request.company, dso_id=dso.pk))
    if not cases:
        messages.info(request, _("No case of %(dso)s waits to be sent.") % {"dso": dso.name})
        return redirect("backoffice:switching")
    by_process: dict[int, list[SwitchCase]] = {}
    for case in cases:
        by_process.setdefault(case.process_id, []).append(case)
    for batch in by_process.values():
        try:
            message = cases_send(company=request.company, dso=dso, cases=batch, now=system_clock.now())
        except DomainError as failed:
            messages_from(request, failed)
        else:
            messages.success(
                request,
                _("%(count)s case(s) sent to %(dso)s in %(file)s.")
                % {"count": len(batch), "dso": dso.name, "file": message.file_name},
            )
    return redirect("backoffice:switching")


def _import(request: HttpRequest, dso: Dso, file_name: str, content: bytes, exchange: str) -> dict:
    """Import one answer file; what became of it, for the dashboard."""
    shown = {"dso": dso, "file_name": file_name, "applied": 0, "errors": [], "refused": False}
    try:
        result = answers_import(
            company=request.company,
            dso=dso,
            file_name=file_name,
            content=content,
            exchange=exchange,
            now=system_clock.now(),
        )
    except ExchangeFormatError as broken:  # kept as a refused message; nothing of it applied
        return {**shown, "errors": broken.as_rows(), "refused": True}
    except DomainError as failed:
        messages_from(request, failed)
        return {**shown, "refused": True}
    return {
        **shown,
        "applied": result.applied,
        "errors": list(result.errors),
        "already": result.already_imported,
    }


@staff_page(WORK_SWITCHING)
@require_POST
def dso_answers_import(request: HttpRequest, dso_id: int) -> HttpResponse:
    """Read the DSO's answer file: each answer applied to its case, each row that could not be, named."""
    dso, row = _dso(request, dso_id)
    upload = request.FILES.get("file")
    exchange = request.POST.get("exchange") or sorted(row["exchanges"])[0]
    if exchange not in row["exchanges"]:
        return HttpResponse(status=400)
    if upload is None:
        messages.error(request, _("Choose the DSO's answer file."))
        return redirect("backoffice:switching")
    if upload.size > MAX_UPLOAD:
        messages.error(request, _("The file is larger than 20 MB."))
        return redirect("backoffice:switching")
    return _home(request, import_results=[_import(request, dso, upload.name, upload.read(), exchange)])


FAKE_DAYS_AHEAD = 62  # the demo may let the fake DSO act as on a later day (a start of supply next month)


def _fake_day(request: HttpRequest) -> date:
    today = system_clock.today()
    try:
        chosen = date.fromisoformat(request.POST.get("on_date", ""))
    except ValueError:
        return today
    return min(max(chosen, today), today + timedelta(days=FAKE_DAYS_AHEAD))


@staff_page(WORK_SWITCHING)
@require_POST
def dso_fake_answer(request: HttpRequest, dso_id: int) -> HttpResponse:
    """Demo and development: the local fake DSO does what a DSO would do today — it answers the last
    file sent to it (accepted or rejected) and reports the start of supply of the cases it accepted
    whose start date has come. Its files are imported like a real DSO's."""
    dso, row = _dso(request, dso_id)
    if "fake" not in row["exchanges"] or not fake_dso_allowed():
        raise Http404
    today = _fake_day(request)
    to_answer, accepted = fake_answers_due(company=request.company, dso_id=dso.pk, on_date=today)
    results = []
    if to_answer is not None:
        file_name, content = fake_dso_answer(
            company=request.company, dso=dso, message_content=bytes(to_answer.content), on_date=today
        )
        results.append(_import(request, dso, file_name, content, "fake"))
    for answered in accepted:
        file_name, content = fake_dso_started(
            company=request.company, dso=dso, answer_content=bytes(answered.content), on_date=today
        )
        results.append(_import(request, dso, file_name, content, "fake"))
    if not results:
        messages.info(
            request,
            _("%(dso)s has nothing to answer: no case waits for its verification or starts by today.")
            % {"dso": dso.name},
        )
        return redirect("backoffice:switching")
    return _home(request, import_results=results)


@staff_page(WORK_SWITCHING)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    today = system_clock.today()
    steps = list(case.steps.all())
    current = next((s for s in steps if s.status == StepStatus.CURRENT), None)
    live = case.status in LIVE_STATUSES
    for step in steps:
        step.overdue = live and step.status == StepStatus.CURRENT and step.due_on and step.due_on < today
    missing = documents_missing(case=case, code=current.code) if current is not None and live else []
    return render(
        request,
        "backoffice/switching/case.html",
        {
            "case": case,
            "steps": steps,
            "current": current,
            "live": live,
            "manual": current is not None and case.status == CaseStatus.OPEN and current.code in MANUAL_STEPS,
            "ready": current is not None
            and case.status == CaseStatus.OPEN
            and current.code == StepCode.SUBMISSION
            and not missing,
            "missing": [(code, DOCUMENT_CODES.get(code, code)) for code in missing],
            "documents": [(d, DOCUMENT_CODES.get(d.code, d.code)) for d in case.documents.all()],
            "document_codes": list(DOCUMENT_CODES.items()),
            "dso_messages": list(case.messages.all()),
            "can_see_contract": MANAGE_CONTRACTS in request.permissions,
            "today": today,
        },
    )


def _complete(case, post, *, actor, now):
    return step_complete(
        case=case, code=post.get("step", ""), actor=actor, now=now, note=post.get("note", "")
    )


def _resubmit(case, post, *, actor, now):
    return case_resubmit(case=case, actor=actor, now=now, note=post.get("note", ""))


def _cancel(case, post, *, actor, now):
    return case_cancel(case=case, reason=post.get("reason", ""), actor=actor, now=now)


def _withdraw(case, post, *, actor, now):
    try:
        received_on = date.fromisoformat(post.get("received_on", ""))
    except ValueError:
        raise ValidationFailed.single(
            "received_on", _("Enter the date the withdrawal was received.")
        ) from None
    return case_withdraw(case=case, sent_on=received_on, actor=actor, now=now)


def _generate(case, post, *, actor, now):
    return case_documents_generate(case=case, actor=actor, now=now)


def _send(case, post, *, actor, now):
    return cases_send(company=case.company, dso=case.supply_point.dso, cases=[case], now=now)


CASE_ACTIONS = {
    "complete": (_complete, gettext_lazy("Step done.")),
    "resubmit": (_resubmit, gettext_lazy("The case is back at the submission step.")),
    "cancel": (_cancel, gettext_lazy("The case is cancelled.")),
    "withdraw": (_withdraw, gettext_lazy("The withdrawal is recorded: the case stops.")),
    "generate": (_generate, gettext_lazy("The documents are generated.")),
    "send": (_send, gettext_lazy("The case is sent to the DSO.")),
}


@staff_page(WORK_SWITCHING)
@require_POST
def case_action(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    action = CASE_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        return HttpResponse(status=400)
    run, done = action
    try:
        run(case, request.POST, actor=request.user, now=system_clock.now())
    except DomainError as failed:
        messages_from(request, failed)
    else:
        messages.success(request, str(done))
    return redirect("backoffice:switching_case", case_id=case.pk)


@staff_page(WORK_SWITCHING)
@require_POST
def case_document_upload(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    upload = request.FILES.get("file")
    code = request.POST.get("code", "")
    if upload is None:
        messages.error(request, _("Choose the file to attach."))
    elif upload.size > MAX_UPLOAD:
        messages.error(request, _("The file is larger than 20 MB."))
    else:
        try:
            document_attach(
                case=case,
                code=code,
                file_name=upload.name,
                content=upload.read(),
                content_type=upload.content_type or "",
                actor=request.user,
                now=system_clock.now(),
            )
        except DomainError as failed:
            messages_from(request, failed)
        else:
            messages.success(request, _("Document attached."))
    return redirect("backoffice:switching_case", case_id=case.pk)


# Uploaded scans are served as what they are only for these types; anything else is a plain download.
SAFE_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/xml",
        "text/csv",
    }
)


def _download(content: bytes, content_type: str, file_name: str) -> HttpResponse:
    """Always an attachment, never run by the browser (an uploaded HTML 'scan' must not script the back
    office): a header encoded properly for any file name, no sniffing, a sandbox policy."""
    kind = content_type if content_type in SAFE_TYPES else "application/octet-stream"
    response = HttpResponse(bytes(content), content_type=kind)
    response["Content-Disposition"] = content_disposition_header(True, file_name or "file")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@staff_page(WORK_SWITCHING)
def case_document_download(request: HttpRequest, case_id: int, document_id: int) -> HttpResponse:
    document = case_document_of_company(company=request.company, case_id=case_id, document_id=document_id)
    if document is None:
        raise Http404
    return _download(document.content, document.content_type, document.file_name)


@staff_page(WORK_SWITCHING)
def dso_message_download(request: HttpRequest, message_id: int) -> HttpResponse:
    message = dso_message_of_company(company=request.company, message_id=message_id)
    if message is None:
        raise Http404
    return _download(message.content, "application/octet-stream", message.file_name)
