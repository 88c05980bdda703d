"""Celery tasks: the edge where the clock is read and domain operations are called."""

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import translation
from django.utils.translation import gettext as _

from kilowatt.billing.runs import billing_batch_process, billing_run_finish_if_done
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import ImportBatch
from kilowatt.core.operations import outbox_dispatch
from kilowatt.interfaces.backoffice.imports.background import stored_name
from kilowatt.interfaces.cli.billing import billing_runs_start_for_month, dispatcher
from kilowatt.interfaces.cli.finance import dunning_nightly, interest_notes_monthly, statements_fetch
from kilowatt.metering import imports as reads_imports
from kilowatt.metering import interval_imports

IMPORT_PROGRESS_EVERY = 500  # rows of a read file between two progress writes


@shared_task(name="kilowatt.outbox.dispatch")
def dispatch_outbox() -> int:
    return outbox_dispatch(now=system_clock.now())


@shared_task(name="kilowatt.billing.batch", acks_late=True)
def billing_batch(run_id: int, batch: int) -> int:
    """One batch of a billing run; any worker may take it, and taking it twice issues nothing twice."""
    issued = billing_batch_process(run_id=run_id, batch=batch, now=system_clock.now())
    billing_run_finish_if_done(run_id=run_id, now=system_clock.now())
    return issued


@shared_task(name="kilowatt.billing.nightly")
def billing_nightly() -> int:
    """From ``BILLING_RUN_DAY`` of a month on, create (or resume) each company's run of the month before.

    Waiting a few days lets the DSOs' end-of-month reads arrive, so fewer bills rest on estimates.
    """
    today = system_clock.today()
    if today.day < settings.BILLING_RUN_DAY:
        return 0
    runs = billing_runs_start_for_month(month=today, previous=True, issue_date=today, dispatch=dispatcher())
    return len(runs)


@shared_task(name="kilowatt.imports.run")
def import_run(batch_id: int, language: str = "") -> str:
    """Import the stored file of a running batch (uploaded in the back office) and write its progress.

    Progress is written with one short UPDATE at a time, outside any transaction, so the progress page
    sees it as the import goes. A file that cannot be read as a whole, or an import that crashes, leaves
    the batch *failed* (rows already imported stay; the file may be imported again and they count as
    unchanged). A batch that is no longer running is left alone, so taking the task twice is harmless.
    Row errors are written in ``language`` (the uploader's)."""
    batch = (
        ImportBatch.objects.select_related("company", "created_by")
        .filter(pk=batch_id, status=ImportBatch.Status.RUNNING)
        .first()
    )
    if batch is None:
        return "skipped"

    def progress(done: int, total: int) -> None:
        reads_imports.import_batch_progress(batch_id=batch_id, done=done, total=total, now=system_clock.now())

    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            with default_storage.open(stored_name(batch.company_id, batch.file_hash)) as stored:
                content = stored.read()
            common = {
                "company": batch.company,
                "file_name": batch.file_name,
                "content": content,
                "actor": batch.created_by,
                "now": system_clock.now(),
                "progress": progress,
                "batch": batch,
            }
            if batch.kind == reads_imports.IMPORT_KIND:
                reads_imports.meter_reads_import(**common, progress_every=IMPORT_PROGRESS_EVERY)
            elif batch.kind == interval_imports.IMPORT_KIND:
                interval_imports.interval_series_import(**common)
            else:
                raise ValueError(f"No background import for kind {batch.kind!r}")
        except ValidationFailed as exc:  # the file as a whole: unreadable, a column missing or unknown
            reads_imports.import_batch_fail(batch_id=batch_id, message=exc.message, now=system_clock.now())
            return ImportBatch.Status.FAILED
        except Exception:
            reads_imports.import_batch_fail(
                batch_id=batch_id,
                message=_(
                    "The import stopped on an unexpected error. The rows imported so far are kept; "
                    "import the file again to finish it."
                ),
                now=system_clock.now(),
            )
            raise
    reads_imports.import_batch_finished_at(batch_id=batch_id, now=system_clock.now())
    return ImportBatch.Status.COMPLETED


@shared_task(name="kilowatt.collections.nightly")
def collections_nightly() -> int:
    """Every night: reminders, dunning steps, closed cases and the notices they send, per company."""
    runs = dunning_nightly(on_date=system_clock.today(), now=system_clock.now())
    return len(runs)


@shared_task(name="kilowatt.finance.statements_fetch")
def statements_fetch_task() -> int:
    """Import the bank statements waiting in the configured folders or SFTP accounts."""
    return len(statements_fetch(now=system_clock.now()).imported)


@shared_task(name="kilowatt.finance.interest_monthly")
def interest_monthly() -> int:
    today = system_clock.today()
    if today.day != 1:
        return 0
    return interest_notes_monthly(on_date=today, now=system_clock.now())
