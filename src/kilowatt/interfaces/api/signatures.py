"""Webhooks of the signing service: DocuSeal POSTs what its signers did (no token: a secret header)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from ninja import Router

from kilowatt.core.clock import system_clock
from kilowatt.interfaces.api.errors import error_body
from kilowatt.interfaces.tasks.tasks import dispatch_outbox
from kilowatt.sales.docuseal import (
    DocuSealError,
    SignatureWebhookInvalid,
    SignatureWebhookRefused,
    signature_webhook_receive,
)

log = logging.getLogger(__name__)

router = Router(tags=["signatures"])


@router.post(
    "/signatures/docuseal/webhook",
    auth=None,
    url_name="docuseal_webhook",
    summary="DocuSeal's webhook (a secret header; no token)",
    include_in_schema=False,
)
def docuseal_webhook(request: HttpRequest):
    """200 when the event is applied, was already received or is about a submission that is not ours;
    401 when the secret is missing or wrong, 400 when the body is not an event (nothing changed);
    502 when DocuSeal's signed document could not be fetched (DocuSeal delivers the event again)."""
    try:
        signature_request = signature_webhook_receive(
            body=request.body, headers=request.headers, now=system_clock.now()
        )
    except SignatureWebhookInvalid as error:
        return JsonResponse(error_body(error.code, error.message, error.field), status=400)
    except SignatureWebhookRefused as error:
        log.warning("DocuSeal webhook refused: %s", error.message)
        return JsonResponse(error_body(error.code, error.message, error.field), status=401)
    except DocuSealError as error:
        return JsonResponse(error_body(error.code, error.message, error.field), status=502)
    if signature_request is None:
        return JsonResponse({"status": "ignored", "request_id": None})
    transaction.on_commit(dispatch_outbox.delay)  # a contract signed at DocuSeal opens its switch cases
    return JsonResponse(
        {"status": "accepted", "request_id": signature_request.pk, "request_status": signature_request.status}
    )
