"""Notices to customers about money owed: their words, the channel they go by, and their sending.

A notice is written (subject, text and a letter document) when the run decides it, in the customer's
language, and stored as queued; ``notices_dispatch`` sends the queued ones after the run's transaction
commits: e-mail and SMS through the messaging adapters, portal notices published for the portal, letters
gathered into one print batch PDF sorted for the post.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kilowatt.collections.models import Notice, NoticeChannel, NoticeKind, NoticeStatus, PrintBatch
from kilowatt.core.bulk import rows_update
from kilowatt.core.messaging import email_send, sms_sender
from kilowatt.core.models import Company
from kilowatt.documents.formatting import date_format, money_format
from kilowatt.finance.correspondence import letter_parties
from kilowatt.parties.models import Channel, Customer

log = logging.getLogger(__name__)

DISCONNECTION_NOTICE_DAYS = 14
LETTERS_PER_BATCH = 200
LETTER_KIND = {
    NoticeKind.DUE_SOON: "reminder",
    NoticeKind.REMINDER: "reminder",
    NoticeKind.DEMAND_LETTER: "demand",
    NoticeKind.DISCONNECTION_NOTICE: "disconnection_notice",
}
LETTER_PREFIX = {"reminder": "PP", "demand": "WZ", "disconnection_notice": "WW"}


def channel_for(*, customer: Customer, wanted: str) -> str:
    """The channel a notice goes by: the step's, or the customer's preferred one, falling back to a letter
    when the customer has no address for it."""
    channel = wanted
    if wanted == NoticeChannel.PREFERRED:
        channel = {
            Channel.EMAIL: NoticeChannel.EMAIL,
            Channel.SMS: NoticeChannel.SMS,
            Channel.PORTAL: NoticeChannel.PORTAL,
        }.get(customer.preferred_channel, NoticeChannel.LETTER)
    if channel == NoticeChannel.EMAIL and not customer.email:
        return NoticeChannel.LETTER
    if channel == NoticeChannel.SMS and not customer.phone:
        return NoticeChannel.LETTER
    return channel


def _texts(kind: str, amount: str, due: str, deadline: str, account: str) -> tuple[str, list[str]]:
    values = {"amount": amount, "due": due, "deadline": deadline, "account": account}
    if kind == NoticeKind.DUE_SOON:
        return _("Your payment is due on %(due)s") % values, [
            _("We kindly remind you that %(amount)s is due on %(due)s.") % values,
            _("Please pay to your account %(account)s. If you have already paid, thank you.") % values,
        ]
    if kind == NoticeKind.REMINDER:
        return _("Payment reminder") % values, [
            _("Our records show %(amount)s unpaid after its due date %(due)s.") % values,
            _("Please pay to your account %(account)s. If you have already paid, thank you.") % values,
        ]
    if kind == NoticeKind.DEMAND_LETTER:
        return _("Demand for payment") % values, [
            _("Despite our reminder, %(amount)s remains unpaid (oldest due date %(due)s).") % values,
            _("We demand payment by %(deadline)s to your account %(account)s.") % values,
            _("Interest for late payment is charged from the day after the due date.") % values,
        ]
    return _("Notice of intended disconnection") % values, [
        _("%(amount)s remains unpaid although it was due on %(due)s.") % values,
        _(
            "Unless it is paid by %(deadline)s, we will ask the distribution system operator to stop "
            "the supply to your premises, as the Energy Law allows."
        )
        % values,
        _(
            "You may file a complaint about this notice within 14 days; we will not stop the supply while it "
            "is being considered."
        ),
        _("Please pay to your account %(account)s.") % values,
    ]


def notice_write(
    *,
    company: Company,
    customer: Customer,
    kind: str,
    channel: str,
    amount: Decimal,
    due: date,
    on_date: date,
    items: Sequence[dict] = (),
) -> Notice:
    """A notice (unsaved) in the customer's language; the letter document is what a letter prints."""
    deadline = on_date + timedelta(days=DISCONNECTION_NOTICE_DAYS) if kind != NoticeKind.DUE_SOON else None
    parties = letter_parties(company=company, customer=customer)
    language, account = parties["language"], parties["sender"]["bank_account"]
    with translation.override(language):
        subject, paragraphs = _texts(
            kind,
            money_format(amount, language=language),
            date_format(due, language=language),
            date_format(deadline, language=language) if deadline else "",
            account,
        )
    recipient = {
        NoticeChannel.EMAIL: customer.email,
        NoticeChannel.SMS: customer.phone,
    }.get(channel, "")
    letter = {
        "kind": LETTER_KIND[kind],
        "number": "",
        "issued_on": on_date.isoformat(),
        **parties,
        "title": subject,
        "paragraphs": paragraphs,
        "items": list(items),
        "totals": {"amount": str(sum((Decimal(i["open_amount"]) for i in items), Decimal("0.00")))},
        "deadline": deadline.isoformat() if deadline else None,
    }
    return Notice(
        company=company,
        customer=customer,
        kind=kind,
        channel=channel,
        created_on=on_date,
        deadline=deadline,
        recipient=recipient[:254],
        subject=subject[:200],
        body="\n\n".join(paragraphs),
        letter=letter,
    )


def notices_dispatch(
    *, company: Company, on_date: date, now: datetime, limit: int | None = None
) -> dict[str, int]:
    """Send the queued notices of the company; letters go into one print batch. Safe to repeat: a notice
    leaves the queue once sent (or failed, with the error kept for staff)."""
    from kilowatt.documents.letters import LetterDocumentInvalid, letter_check, letters_print_batch

    queued = Notice.objects.filter(company=company, status=NoticeStatus.QUEUED).order_by("pk")
    if limit:
        queued = queued[:limit]
    counts = {"sent": 0, "printed": 0, "failed": 0}
    letters: list[Notice] = []
    for notice in queued:
        if notice.channel == NoticeChannel.LETTER:
            letters.append(notice)
            continue
        try:
            if notice.channel == NoticeChannel.EMAIL:
                notice.provider_id = email_send(to=notice.recipient, subject=notice.subject, body=notice.body)
            elif notice.channel == NoticeChannel.SMS:
                notice.provider_id = sms_sender().send(
                    to=notice.recipient, text=f"{notice.subject}. {notice.body}"[:459]
                )
            notice.status, notice.sent_at = NoticeStatus.SENT, now
            counts["sent"] += 1
        except Exception as error:  # noqa: BLE001 - any adapter failure is recorded on the notice for staff
            log.warning("notice %s not sent: %s", notice.pk, error)
            notice.status, notice.error = NoticeStatus.FAILED, str(error)[:300]
            counts["failed"] += 1
        notice.save(update_fields=["status", "sent_at", "provider_id", "error"])
    printable = []
    for notice in letters:
        kind = notice.letter.get("kind", "reminder")
        notice.letter = {**notice.letter, "number": f"{LETTER_PREFIX.get(kind, 'L')}/{notice.pk:08d}"}
        try:
            letter_check(letter=notice.letter)
        except LetterDocumentInvalid as invalid:
            Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.FAILED, error=str(invalid)[:300])
            counts["failed"] += 1
            continue
        printable.append(notice)
    # A PDF is laid out in memory as a whole: a night's letters go to the printer in batches of bounded size.
    for part, start in enumerate(range(0, len(printable), LETTERS_PER_BATCH), start=1):
        letters = printable[start : start + LETTERS_PER_BATCH]
        pdf = letters_print_batch(letters=[n.letter for n in letters])
        batch = PrintBatch(company=company, created_on=on_date, letters=len(letters), created_at=now)
        name = f"letters-{company.code}-{on_date:%Y%m%d}-{now:%H%M%S}-{part:03d}.pdf"
        batch.file.save(name, ContentFile(pdf), save=False)
        with transaction.atomic():
            batch.save()
            rows_update(
                model=Notice,
                fields=("letter", "print_batch_id", "status", "sent_at"),
                rows=[(n.pk, n.letter, batch.pk, NoticeStatus.PRINTED, now) for n in letters],
            )
        counts["printed"] += len(letters)
    return counts
