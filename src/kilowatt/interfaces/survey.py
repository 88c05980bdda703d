"""The public satisfaction survey page: the link sent after a ticket is closed opens it on the customer's
phone or computer, in the customer's language. No login: the link's random token names the survey, and
a survey answers once."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from kilowatt.care.models import Survey
from kilowatt.care.surveys import SurveyRefused, survey_answer
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed

SCORES = (1, 2, 3, 4, 5)
ANSWERS = {"yes": True, "no": False}


def _language(survey: Survey) -> str:
    customer = survey.ticket.customer
    codes = {code for code, _name in settings.LANGUAGES}
    language = customer.language if customer is not None else ""
    return language if language in codes else "pl"


def _score(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _answer(request: HttpRequest, survey: Survey) -> tuple[Survey | None, dict[str, str], str]:
    """The answered survey, or the errors per field, or the refusal's message (answered before)."""
    try:
        answered = survey_answer(
            token=survey.token,
            score=_score(request.POST.get("score", "")),
            resolved=ANSWERS.get(request.POST.get("resolved", "")),
            comment=request.POST.get("comment", ""),
            now=system_clock.now(),
        )
    except ValidationFailed as failed:
        return None, {error.field: error.message for error in failed.errors}, ""
    except SurveyRefused as refused:
        if refused.code == "not_found":
            raise Http404 from refused
        return None, {}, refused.message
    return answered, {}, ""


@never_cache
@csrf_protect
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    survey = Survey.objects.filter(token=token).select_related("ticket__customer", "ticket__company").first()
    if survey is None:
        raise Http404
    with translation.override(_language(survey)):
        errors: dict[str, str] = {}
        refusal = ""
        if request.method == "POST":
            answered, errors, refusal = _answer(request, survey)
            if answered is not None:
                return render(request, "survey/thanks.html", {"survey": answered, "ticket": survey.ticket})
        context = {
            "survey": survey,
            "ticket": survey.ticket,
            "scores": SCORES,
            "errors": errors,
            "refusal": refusal,
            "posted": request.POST if errors else {},
        }
        return render(request, "survey/survey.html", context, status=400 if errors else 200)
