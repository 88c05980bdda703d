"""A company's own contract wording is rendered with its data but can read no file of the server."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader

from kilowatt.documents.agreements import AgreementTemplateInvalid, agreement_body_check, agreement_pdf_render

CONTEXT = {"contract": {"number": "UM/000001/2026"}, "customer": {"name": "Jan <b>Kowalski</b>"}}


def render(body: str) -> bytes:
    return agreement_pdf_render(
        kind="contract", language="pl", context=CONTEXT, title="t", author="a", body=body
    )


def test_placeholders_are_filled_and_escaped():
    text = (
        PdfReader(BytesIO(render("<h1>{{ contract.number }}</h1><p>{{ customer.name }}</p>")))
        .pages[0]
        .extract_text()
    )
    assert "UM/000001/2026" in text and "Jan <b>Kowalski</b>" in text  # escaped, printed as typed


@pytest.mark.parametrize(
    "body",
    [
        '<link rel="attachment" href="file:///etc/hostname">',
        '<img src="file:///proc/self/environ">',
        '<p style="background: url(file:///etc/passwd)">x</p>',
        '<a rel="attachment" href="file:///etc/hostname">x</a>',
    ],
)
def test_a_template_cannot_pull_a_server_file_into_the_pdf(body):
    try:
        pdf = render(body)
    except AgreementTemplateInvalid as refused:
        assert "file" in str(refused)
        return
    reader = PdfReader(BytesIO(pdf))
    assert not reader.attachments and b"root:" not in pdf and b"PATH=" not in pdf


def test_a_template_that_does_not_compile_is_refused():
    with pytest.raises(AgreementTemplateInvalid):
        agreement_body_check(body="{% if %}")
