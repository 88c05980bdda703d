"""The DocuSeal signing service (docuseal.com, docuseal.eu or self-hosted) as signature provider "docuseal".

- ``client``: the adapter — ``DocuSealApi``, the real ``DocuSealClient`` and ``docuseal_client()``;
- ``fake``: ``FakeDocuSeal``, the local stand-in for tests and the demo (``DOCUSEAL_BACKEND=fake``);
- ``signing``: ``DocuSealSignature`` (the ``SignatureBackend``), ``signature_webhook_receive``,
  ``signature_requests_poll`` and ``signature_request_report``, which both of them use.

See docs/signatures.md for the settings and for setting up the webhook at DocuSeal.
"""

from kilowatt.sales.docuseal.client import (
    DOCUSEAL_URL,
    DocuSealApi,
    DocuSealClient,
    DocuSealError,
    SignatureArea,
    Submission,
    SubmissionIn,
    SubmitterIn,
    SubmitterState,
    docuseal_client,
    signature_provider_default,
    submission_parse,
    submission_payload,
)
from kilowatt.sales.docuseal.fake import FakeDocuSeal, WebhookDelivery
from kilowatt.sales.docuseal.signing import (
    DocuSealSignature,
    PollReport,
    SignatureReport,
    SignatureWebhookInvalid,
    SignatureWebhookRefused,
    signature_request_report,
    signature_requests_poll,
    signature_webhook_receive,
    signed_pdf_download,
    webhook_headers,
    webhook_verify,
)

__all__ = [
    "DOCUSEAL_URL",
    "DocuSealApi",
    "DocuSealClient",
    "DocuSealError",
    "DocuSealSignature",
    "FakeDocuSeal",
    "PollReport",
    "SignatureArea",
    "SignatureReport",
    "SignatureWebhookInvalid",
    "SignatureWebhookRefused",
    "Submission",
    "SubmissionIn",
    "SubmitterIn",
    "SubmitterState",
    "WebhookDelivery",
    "docuseal_client",
    "signature_provider_default",
    "signature_request_report",
    "signature_requests_poll",
    "signature_webhook_receive",
    "signed_pdf_download",
    "submission_parse",
    "submission_payload",
    "webhook_headers",
    "webhook_verify",
]
