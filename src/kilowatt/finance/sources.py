"""Where bank statements come from on a schedule: a local folder or a bank's SFTP server.

A source lists the statement files waiting (`pending`) and, once one is imported, moves it to its
archive (`acknowledge`), so the next run does not see it again. An archived file is never overwritten:
a second file of the same name gets a numbered suffix. The import itself is idempotent by file hash,
so a file fetched twice (say, a crash between import and acknowledge) changes nothing the second time.

No database, no clock. `statement_sources_from_settings` builds the sources from a settings list.
"""

from __future__ import annotations

import errno
import os
import posixpath
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.utils.translation import gettext as _

PARTIAL_SUFFIXES = (".part", ".tmp")  # files still being written by whoever delivers them


@dataclass(frozen=True)
class FetchedStatement:
    """A statement file as the source holds it: its name (to acknowledge it by) and its bytes."""

    name: str
    content: bytes


class StatementSource(Protocol):
    def pending(self) -> list[FetchedStatement]:
        """The statement files waiting, sorted by name."""
        ...

    def acknowledge(self, *, name: str) -> None:
        """Move the file `name` to the archive after a successful import."""
        ...


class StatementSourceError(Exception):
    """A source that cannot be read or archived; the message says what to fix."""


class StatementSourcesMisconfigured(ValueError):
    """A bad statement source entry in the settings; `index` is 0-based, `key` the offending key."""

    def __init__(self, index: int, key: str, reason: str):
        self.index = index
        self.key = key
        self.reason = reason
        text = _("statement source %(index)d, %(key)s: %(reason)s") % {
            "index": index,
            "key": key,
            "reason": reason,
        }
        super().__init__(text)


def statement_file_wanted(name: str) -> bool:
    """Not hidden and not a partial upload (.part, .tmp)."""
    return bool(name) and not name.startswith(".") and not name.lower().endswith(PARTIAL_SUFFIXES)


def archive_name(*, name: str, taken: Callable[[str], bool]) -> str:
    """`name`, or `name` with -1, -2... before its extension, whichever `taken` says is free."""
    if not taken(name):
        return name
    stem, dot, extension = name.rpartition(".")
    if not stem:  # no extension, or a name like ".profile"
        stem, dot, extension = name, "", ""
    number = 1
    while True:
        candidate = f"{stem}-{number}{dot}{extension}"
        if not taken(candidate):
            return candidate
        number += 1


def _plain_name(name: str) -> str:
    """Refuse anything that is not a bare file name (no folders, no "..")."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise StatementSourceError(_("%(name)s is not a statement file name") % {"name": repr(name)})
    return name


# --- a local folder


class FolderSource:
    """Statement files dropped into `inbox` (by a bank's client or a person); archived into `archive`."""

    def __init__(self, inbox: Path, archive: Path):
        self.inbox = Path(inbox)
        self.archive = Path(archive)

    def __repr__(self) -> str:
        return f"FolderSource(inbox={str(self.inbox)!r}, archive={str(self.archive)!r})"

    def pending(self) -> list[FetchedStatement]:
        try:
            entries = sorted(self.inbox.iterdir(), key=lambda path: path.name)
        except OSError as error:
            reason = _("the statement folder %(path)s cannot be read: %(error)s")
            raise StatementSourceError(reason % {"path": self.inbox, "error": error.strerror}) from error
        return [
            FetchedStatement(name=path.name, content=path.read_bytes())
            for path in entries
            if statement_file_wanted(path.name) and path.is_file()
        ]

    def acknowledge(self, *, name: str) -> None:
        source = self.inbox / _plain_name(name)
        if not source.is_file():
            reason = _("%(name)s is no longer in the statement folder %(path)s")
            raise StatementSourceError(reason % {"name": name, "path": self.inbox})
        self.archive.mkdir(parents=True, exist_ok=True)
        while True:
            target = self.archive / archive_name(name=name, taken=lambda n: (self.archive / n).exists())
            try:
                _move_no_overwrite(source=source, target=target)
                return
            except FileExistsError:
                continue  # another process took that name in the meantime: pick the next one


def _move_no_overwrite(*, source: Path, target: Path) -> None:
    """Move a file without ever replacing `target` (FileExistsError if it appeared meanwhile).

    A hard link fails when the target exists, unlike a rename; across file systems the file is copied
    into a file created exclusively, then the original is removed.
    """
    try:
        os.link(source, target)
    except OSError as error:  # FileExistsError (EEXIST) goes up: the caller picks another name
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
            raise
        with source.open("rb") as reader, target.open("xb") as writer:
            shutil.copyfileobj(reader, writer)
    source.unlink()


# --- a bank's SFTP server


class SftpSource:
    """Statement files in `remote_dir` on a bank's SFTP server; archived by renaming into `archive_dir`.

    Needs paramiko (`pip install paramiko`), imported only when the source is used. The server's host
    key must already be known (the system's known_hosts, or `known_hosts`): unknown hosts are refused.
    Log in with a private key (`key_path`, with `password` as its passphrase if it has one) or a password.
    """

    def __init__(
        self,
        *,
        host: str,
        username: str,
        remote_dir: str,
        archive_dir: str,
        port: int = 22,
        key_path: Path | None = None,
        password: str | None = None,
        known_hosts: Path | None = None,
        timeout: float = 30.0,
    ):
        if key_path is None and password is None:
            raise ValueError("SftpSource needs key_path or password")
        self.host = host
        self.port = port
        self.username = username
        self.remote_dir = remote_dir
        self.archive_dir = archive_dir
        self.key_path = Path(key_path) if key_path is not None else None
        self.password = password
        self.known_hosts = Path(known_hosts) if known_hosts is not None else None
        self.timeout = timeout

    def __repr__(self) -> str:  # never the password
        return (
            f"SftpSource(host={self.host!r}, port={self.port}, username={self.username!r}, "
            f"remote_dir={self.remote_dir!r}, archive_dir={self.archive_dir!r})"
        )

    @contextmanager
    def _sftp(self) -> Iterator[Any]:
        try:
            import paramiko
        except ImportError:
            raise StatementSourceError(
                _("SFTP statement sources need the paramiko package: pip install paramiko")
            ) from None
        client = paramiko.SSHClient()
        try:
            client.load_system_host_keys()
            if self.known_hosts is not None:
                client.load_host_keys(str(self.known_hosts))
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
            client.connect(
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=None if self.key_path is not None else self.password,
                key_filename=str(self.key_path) if self.key_path is not None else None,
                passphrase=self.password if self.key_path is not None else None,
                allow_agent=False,
                look_for_keys=False,
                timeout=self.timeout,
                banner_timeout=self.timeout,
                auth_timeout=self.timeout,
            )
            sftp = client.open_sftp()
            try:
                yield sftp
            finally:
                sftp.close()
        except (paramiko.SSHException, OSError) as error:
            reason = _("the SFTP server %(host)s:%(port)d cannot be used: %(error)s")
            raise StatementSourceError(
                reason % {"host": self.host, "port": self.port, "error": error}
            ) from error
        finally:
            client.close()

    def pending(self) -> list[FetchedStatement]:
        found = []
        with self._sftp() as sftp:
            entries = sorted(sftp.listdir_attr(self.remote_dir), key=lambda attributes: attributes.filename)
            for attributes in entries:
                name = attributes.filename
                if not statement_file_wanted(name) or not stat.S_ISREG(attributes.st_mode or 0):
                    continue
                with sftp.open(posixpath.join(self.remote_dir, name), "rb") as handle:
                    found.append(FetchedStatement(name=name, content=handle.read()))
        return found

    def acknowledge(self, *, name: str) -> None:
        _plain_name(name)
        with self._sftp() as sftp:
            try:
                archived = set(sftp.listdir(self.archive_dir))
            except FileNotFoundError:
                sftp.mkdir(self.archive_dir)
                archived = set()
            target = archive_name(name=name, taken=archived.__contains__)
            # SFTP rename (not posix_rename) fails rather than replace an existing file.
            sftp.rename(posixpath.join(self.remote_dir, name), posixpath.join(self.archive_dir, target))


# --- settings

_FOLDER_KEYS = {"kind", "inbox", "archive"}
_SFTP_KEYS = {"kind", "host", "port", "username", "key_path", "password", "known_hosts", "remote_dir",
              "archive_dir", "timeout"}  # fmt: skip


def statement_sources_from_settings(settings_value: list[dict[str, Any]]) -> list[StatementSource]:
    """Sources from a list such as the STATEMENT_SOURCES setting.

    [{"kind": "folder", "inbox": "/srv/bank/in", "archive": "/srv/bank/done"},
     {"kind": "sftp", "host": "sftp.bank.pl", "port": 22, "username": "acme", "key_path": "/etc/kilowatt/id",
      "remote_dir": "/out", "archive_dir": "/out/archive"}]

    Raises StatementSourcesMisconfigured naming the entry and the key.
    """
    if not isinstance(settings_value, list | tuple):
        raise StatementSourcesMisconfigured(0, "STATEMENT_SOURCES", _("give a list of sources"))
    sources: list[StatementSource] = []
    for index, entry in enumerate(settings_value):
        if not isinstance(entry, dict):
            raise StatementSourcesMisconfigured(index, "kind", _("each source is a dict with a kind"))
        kind = entry.get("kind")
        if kind == "folder":
            _keys_check(index=index, entry=entry, allowed=_FOLDER_KEYS)
            sources.append(FolderSource(inbox=Path(_text(index, entry, "inbox")),
                                        archive=Path(_text(index, entry, "archive"))))  # fmt: skip
        elif kind == "sftp":
            _keys_check(index=index, entry=entry, allowed=_SFTP_KEYS)
            key_path = _optional_text(index, entry, "key_path")
            password = _optional_text(index, entry, "password")
            if key_path is None and password is None:
                raise StatementSourcesMisconfigured(index, "key_path", _("give key_path or password"))
            known_hosts = _optional_text(index, entry, "known_hosts")
            sources.append(
                SftpSource(
                    host=_text(index, entry, "host"),
                    port=_port(index, entry),
                    username=_text(index, entry, "username"),
                    key_path=Path(key_path) if key_path is not None else None,
                    password=password,
                    known_hosts=Path(known_hosts) if known_hosts is not None else None,
                    remote_dir=_text(index, entry, "remote_dir"),
                    archive_dir=_text(index, entry, "archive_dir"),
                    timeout=_timeout(index, entry),
                )
            )
        else:
            reason = _("%(value)s is not a kind of source (folder or sftp)") % {"value": repr(kind)}
            raise StatementSourcesMisconfigured(index, "kind", reason)
    return sources


def _keys_check(*, index: int, entry: dict[str, Any], allowed: set[str]) -> None:
    for key in sorted(set(entry) - allowed, key=str):
        reason = _("unknown key; the keys are %(keys)s") % {"keys": ", ".join(sorted(allowed))}
        raise StatementSourcesMisconfigured(index, str(key), reason)


def _text(index: int, entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip():
        raise StatementSourcesMisconfigured(index, key, _("give a non-empty text"))
    return value


def _optional_text(index: int, entry: dict[str, Any], key: str) -> str | None:
    return None if entry.get(key) is None else _text(index, entry, key)


def _port(index: int, entry: dict[str, Any]) -> int:
    value = entry.get("port", 22)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise StatementSourcesMisconfigured(index, "port", _("give a port number from 1 to 65535"))
    return value


def _timeout(index: int, entry: dict[str, Any]) -> float:
    value = entry.get("timeout", 30.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise StatementSourcesMisconfigured(index, "timeout", _("give a positive number of seconds"))
    return float(value)
