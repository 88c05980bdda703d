"""Offers, contracts, annexes and terminations as PDFs, and the audit page of a signed document.

Sales freezes each document as a plain dict and passes it here. The wording of a contract, annex or
termination is a body template the company may edit (HTML with ``{{ placeholders }}`` and the
``documents_format`` filters); without one the wording shipped in ``templates/documents/agreements``
is used. An offer's layout is fixed and translated. A signed document is the document exactly as it
was presented, with an audit page appended (who signed, when, from where, the document's hash).
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from kilowatt.documents.pdf import RemoteResourceRefused, html_to_pdf

TEMPLATES = Path(__file__).resolve().parent / "templates" / "documents"
STYLESHEET = TEMPLATES / "agreement.css"
KINDS = ("contract", "annex", "termination")
LANGUAGES = ("pl", "en")
SCHEMA = "kilowatt.agreement/1"

_engine = Engine(
    builtins=["kilowatt.documents.templatetags.documents_format", "django.templatetags.i18n"],
    autoescape=True,
)


class AgreementTemplateInvalid(ValueError):
    """A company's body template that does not compile; the message says where."""


def agreement_default_body(*, kind: str, language: str) -> str:
    """The wording shipped with Kilowatt for a kind of document in a language."""
    if kind not in KINDS or language not in LANGUAGES:
        raise ValueError(f"no default wording for {kind!r} in {language!r}")
    return (TEMPLATES / "agreements" / f"{kind}_{language}.html").read_text(encoding="utf-8")


def agreement_body_check(*, body: str) -> None:
    """Raise AgreementTemplateInvalid when the body does not compile (a typo in a placeholder tag)."""
    try:
        _engine.from_string(body)
    except TemplateSyntaxError as error:
        raise AgreementTemplateInvalid(
            _("The template does not compile: %(error)s") % {"error": error}
        ) from error


def _pdf(*, body_html: str, title: str, author: str, language: str) -> bytes:
    html = render_to_string(
        "documents/agreement.html",
        {
            "body": mark_safe(body_html),
            "title": title,
            "author": author,
            "language": language,
            "schema": SCHEMA,
        },  # noqa: S308 - rendered by our own engine with autoescape
    )
    try:
        # The body may be a company's own wording: it reads no file of this machine.
        return html_to_pdf(html=html, stylesheets=[STYLESHEET], file_roots=())
    except RemoteResourceRefused as refused:
        raise AgreementTemplateInvalid(
            _("The document refers to a file or address it may not use: %(detail)s") % {"detail": refused}
        ) from refused


def agreement_pdf_render(
    *, kind: str, language: str, context: dict[str, Any], title: str, author: str, body: str | None = None
) -> bytes:
    """The PDF of a contract, annex or termination from its body template (the default one when
    ``body`` is None) and its frozen data. Raises AgreementTemplateInvalid."""
    source = body if body is not None else agreement_default_body(kind=kind, language=language)
    agreement_body_check(body=source)
    with translation.override(language):
        body_html = _engine.from_string(source).render(Context(context, autoescape=True))
        return _pdf(body_html=body_html, title=title, author=author, language=language)


def document_pdf_render(
    *, template: str, context: dict[str, Any], language: str, title: str, author: str
) -> bytes:
    """A fixed, translated document shipped with Kilowatt (``templates/documents/<template>``) in the
    frame of the agreements: a termination notice, a power of attorney, a notification to a DSO."""
    with translation.override(language):
        body_html = render_to_string(f"documents/{template}", context)
        return _pdf(body_html=body_html, title=title, author=author, language=language)


def offer_pdf_render(*, offer: dict[str, Any], language: str) -> bytes:
    """The PDF of one offer version (see ``sales.offers.offer_document`` for the dict)."""
    with translation.override(language):
        body_html = render_to_string("documents/offer_body.html", {"offer": offer})
        title = _("Offer %(number)s") % {"number": offer["number"]}
        return _pdf(body_html=body_html, title=title, author=offer["company"]["name"], language=language)


def signature_audit_append(*, pdf: bytes, audit: dict[str, Any], language: str) -> bytes:
    """The signed document: ``pdf`` page for page, then the audit page."""
    with translation.override(language):
        body_html = render_to_string("documents/signature_audit.html", {"audit": audit})
        audit_pdf = _pdf(body_html=body_html, title=audit["title"], author=audit["author"], language=language)
    writer = PdfWriter()
    writer.append(PdfReader(BytesIO(pdf)))
    writer.append(PdfReader(BytesIO(audit_pdf)))
    writer.add_metadata(
        {"/Title": audit["title"], "/Author": audit["author"], "/Keywords": "kilowatt.signed/1"}
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
