"""Where care e-mails come from: a folder of .eml files (a mail server's Maildir delivery, or the demo) or
an IMAP mailbox. Each e-mail is acknowledged (archived) only after it was stored."""

from __future__ import annotations

import imaplib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FetchedEmail:
    name: str  # the file name, or the IMAP UID
    raw: bytes


class Mailbox(Protocol):
    def pending(self) -> list[FetchedEmail]: ...

    def acknowledge(self, *, name: str) -> None: ...


class MailboxError(Exception):
    """The mailbox cannot be read or changed; the message says why."""


class FolderMailbox:
    """``*.eml`` files in ``inbox``; an acknowledged one moves to ``archive``."""

    def __init__(self, inbox: Path | str, archive: Path | str) -> None:
        self.inbox, self.archive = Path(inbox), Path(archive)

    def pending(self) -> list[FetchedEmail]:
        try:
            paths = sorted(p for p in self.inbox.iterdir() if p.suffix.lower() == ".eml" and p.is_file())
        except OSError as error:
            raise MailboxError(
                _("The mail folder %(path)s cannot be read: %(error)s") % {"path": self.inbox, "error": error}
            ) from error
        return [FetchedEmail(name=path.name, raw=path.read_bytes()) for path in paths]

    def acknowledge(self, *, name: str) -> None:
        self.archive.mkdir(parents=True, exist_ok=True)
        source = self.inbox / Path(name).name
        target = self.archive / source.name
        counter = 1
        while target.exists():
            target = self.archive / f"{source.stem}.{counter}{source.suffix}"
            counter += 1
        shutil.move(str(source), str(target))


class ImapMailbox:
    """Unseen messages of an IMAP folder over TLS; an acknowledged one is marked seen and moved to
    ``archive_folder`` (when the server supports MOVE) so a mail client shows what was taken."""

    def __init__(
        self,
        *,
        host: str,
        user: str,
        password: str,
        folder: str = "INBOX",
        archive_folder: str = "",
        port: int = 993,
    ) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.folder, self.archive_folder = folder, archive_folder
        self._connection: imaplib.IMAP4_SSL | None = None

    def _imap(self) -> imaplib.IMAP4_SSL:
        if self._connection is None:
            try:
                connection = imaplib.IMAP4_SSL(self.host, self.port, timeout=30)
                connection.login(self.user, self.password)
                connection.select(self.folder)
            except (OSError, imaplib.IMAP4.error) as error:
                raise MailboxError(
                    _("The mailbox %(user)s@%(host)s cannot be opened: %(error)s")
                    % {"user": self.user, "host": self.host, "error": error}
                ) from error
            self._connection = connection
        return self._connection

    def pending(self) -> list[FetchedEmail]:
        imap = self._imap()
        status, data = imap.uid("search", None, "UNSEEN")
        if status != "OK":
            raise MailboxError(_("The mailbox refused the search: %(answer)s") % {"answer": data})
        found = []
        for uid in (data[0] or b"").split():
            status, parts = imap.uid("fetch", uid, "(BODY.PEEK[])")
            if status == "OK" and parts and isinstance(parts[0], tuple):
                found.append(FetchedEmail(name=uid.decode(), raw=parts[0][1]))
        return found

    def acknowledge(self, *, name: str) -> None:
        imap = self._imap()
        imap.uid("store", name, "+FLAGS", "(\\Seen)")
        if self.archive_folder:
            imap.uid("move", name, self.archive_folder)
