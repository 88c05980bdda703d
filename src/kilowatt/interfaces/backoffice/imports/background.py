"""Stored upload files and starting an import of one in the background.

The uploaded file is kept in the default storage under its SHA-256 (``stored_name``); the import reads
it from there, wherever it runs.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger(__name__)


def stored_name(company_id: int, file_hash: str) -> str:
    return f"imports/{company_id}/{file_hash}"


def import_start(*, batch_id: int, language: str) -> None:
    """Start importing the stored file of a running batch once the current transaction commits.

    With a broker configured the work goes to a Celery worker (task ``kilowatt.imports.run``). Without
    one (``CELERY_TASK_ALWAYS_EAGER``: the demo, a single machine) Celery would run the task inside this
    request, and the upload would wait for the whole file while the progress page could not be shown.
    So the task runs in a daemon thread of this process instead: the upload returns at once and the
    progress page polls the batch. The thread has its own database connection, which it closes at the
    end (connections are per thread and nobody else would close it). A daemon thread dies with its
    process; its batch then stays *running* until ``import_batch_begin`` finds it stalled and lets the
    file be imported again."""
    transaction.on_commit(lambda: _launch(batch_id, language))


def _launch(batch_id: int, language: str) -> None:
    from kilowatt.interfaces.tasks.tasks import import_run

    if settings.CELERY_TASK_ALWAYS_EAGER:
        threading.Thread(
            target=_run_in_thread, args=(batch_id, language), name=f"kilowatt-import-{batch_id}", daemon=True
        ).start()
    else:
        import_run.delay(batch_id, language)


def _run_in_thread(batch_id: int, language: str) -> None:
    from kilowatt.interfaces.tasks.tasks import import_run

    try:
        import_run(batch_id, language)
    except Exception:  # the batch is marked failed by the task; a thread has nobody to raise to
        logger.exception("Import of batch %s failed", batch_id)
    finally:
        connections.close_all()
