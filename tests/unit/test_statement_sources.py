"""Statement sources: a folder lists what waits, skips partial uploads, archives without overwriting."""

import stat
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from kilowatt.finance.sources import (
    FetchedStatement,
    FolderSource,
    SftpSource,
    StatementSourceError,
    StatementSourcesMisconfigured,
    archive_name,
    statement_sources_from_settings,
)


@pytest.fixture
def folder(tmp_path: Path) -> FolderSource:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return FolderSource(inbox=inbox, archive=tmp_path / "archive")


def test_pending_lists_files_sorted_by_name(folder):
    (folder.inbox / "b.sta").write_bytes(b"second")
    (folder.inbox / "a.xml").write_bytes(b"first")
    assert folder.pending() == [
        FetchedStatement(name="a.xml", content=b"first"),
        FetchedStatement(name="b.sta", content=b"second"),
    ]


def test_pending_skips_partial_hidden_files_and_folders(folder):
    (folder.inbox / "ready.sta").write_bytes(b"x")
    for name in ("coming.sta.part", "coming.TMP", ".hidden.sta"):
        (folder.inbox / name).write_bytes(b"not yet")
    (folder.inbox / "sub").mkdir()
    assert [f.name for f in folder.pending()] == ["ready.sta"]


def test_acknowledge_moves_the_file_to_the_archive(folder):
    (folder.inbox / "a.sta").write_bytes(b"content")
    folder.acknowledge(name="a.sta")
    assert not (folder.inbox / "a.sta").exists()
    assert (folder.archive / "a.sta").read_bytes() == b"content"
    assert folder.pending() == []


def test_acknowledge_never_overwrites_an_archived_file(folder):
    folder.archive.mkdir()
    (folder.archive / "a.sta").write_bytes(b"old")
    (folder.archive / "a-1.sta").write_bytes(b"older")
    (folder.inbox / "a.sta").write_bytes(b"new")
    folder.acknowledge(name="a.sta")
    assert (folder.archive / "a.sta").read_bytes() == b"old"
    assert (folder.archive / "a-1.sta").read_bytes() == b"older"
    assert (folder.archive / "a-2.sta").read_bytes() == b"new"


def test_acknowledge_refuses_paths_and_missing_files(folder):
    (folder.inbox / "a.sta").write_bytes(b"x")
    for name in ("../a.sta", "sub/a.sta", "..", ""):
        with pytest.raises(StatementSourceError):
            folder.acknowledge(name=name)
    with pytest.raises(StatementSourceError, match="no longer in the statement folder"):
        folder.acknowledge(name="gone.sta")


def test_unreadable_inbox_is_a_clear_error(tmp_path):
    source = FolderSource(inbox=tmp_path / "missing", archive=tmp_path / "archive")
    with pytest.raises(StatementSourceError, match="cannot be read"):
        source.pending()


def test_archive_name_numbers_before_the_extension():
    taken = {"a.sta", "a-1.sta", "README", "x.tar.gz"}.__contains__
    assert archive_name(name="b.sta", taken=taken) == "b.sta"
    assert archive_name(name="a.sta", taken=taken) == "a-2.sta"
    assert archive_name(name="README", taken=taken) == "README-1"
    assert archive_name(name="x.tar.gz", taken=taken) == "x.tar-1.gz"


def test_sources_from_settings(tmp_path):
    sources = statement_sources_from_settings(
        [
            {"kind": "folder", "inbox": str(tmp_path / "in"), "archive": str(tmp_path / "done")},
            {
                "kind": "sftp",
                "host": "sftp.bank.example",
                "username": "acme",
                "key_path": "/etc/kilowatt/id_ed25519",
                "remote_dir": "/out",
                "archive_dir": "/out/archive",
            },
        ]
    )
    folder, sftp = sources
    assert isinstance(folder, FolderSource) and folder.inbox == tmp_path / "in"
    assert isinstance(sftp, SftpSource)
    assert (sftp.host, sftp.port, sftp.key_path, sftp.password) == (
        "sftp.bank.example",
        22,
        Path("/etc/kilowatt/id_ed25519"),
        None,
    )
    assert "password" not in repr(sftp)


@pytest.mark.parametrize(
    ("entry", "index", "key"),
    [
        ({"kind": "ftp"}, 1, "kind"),
        ({"kind": "folder", "inbox": "/in"}, 1, "archive"),
        ({"kind": "folder", "inbox": "/in", "archive": "/done", "archiv": "/x"}, 1, "archiv"),
        (
            {"kind": "sftp", "host": "h", "username": "u", "remote_dir": "/o", "archive_dir": "/a"},
            1,
            "key_path",
        ),
        (
            {
                "kind": "sftp",
                "host": "h",
                "username": "u",
                "password": "p",
                "remote_dir": "/o",
                "archive_dir": "/a",
                "port": "22",
            },
            1,
            "port",
        ),
        (
            {"kind": "sftp", "username": "u", "password": "p", "remote_dir": "/o", "archive_dir": "/a"},
            1,
            "host",
        ),
    ],
)
def test_bad_settings_name_the_entry_and_key(entry, index, key):
    good = {"kind": "folder", "inbox": "/in", "archive": "/done"}
    with pytest.raises(StatementSourcesMisconfigured) as error:
        statement_sources_from_settings([good, entry])
    assert (error.value.index, error.value.key) == (index, key)
    assert f"statement source {index}, {key}:" in str(error.value)


def test_sftp_without_paramiko_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "paramiko", None)  # import paramiko now raises ImportError
    source = SftpSource(host="h", username="u", password="p", remote_dir="/out", archive_dir="/done")
    with pytest.raises(StatementSourceError, match="pip install paramiko"):
        source.pending()


class FakeSftp:
    """Just enough of paramiko's SFTPClient, over a dict of path -> bytes."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.closed = False

    def listdir_attr(self, path="."):
        names = sorted({p[len(path) + 1 :].split("/")[0] for p in self.files if p.startswith(path + "/")})
        return [
            SimpleNamespace(
                filename=n,
                st_mode=(stat.S_IFDIR if f"{path}/{n}" not in self.files else stat.S_IFREG) | 0o644,
            )
            for n in names
        ]

    def listdir(self, path="."):
        return [a.filename for a in self.listdir_attr(path)]

    def open(self, filename, mode="r", bufsize=-1):
        import io

        return io.BytesIO(self.files[filename])

    def rename(self, oldpath, newpath):
        if newpath in self.files:
            raise OSError("exists")
        self.files[newpath] = self.files.pop(oldpath)

    def mkdir(self, path, mode=0o777):
        pass

    def close(self):
        self.closed = True


def fake_paramiko(files: dict[str, bytes], calls: list) -> SimpleNamespace:
    class SSHClient:
        def load_system_host_keys(self):
            calls.append("load_system_host_keys")

        def set_missing_host_key_policy(self, policy):
            calls.append(type(policy).__name__)

        def connect(self, **kwargs):
            calls.append(("connect", kwargs["hostname"], kwargs["username"], kwargs["key_filename"]))

        def open_sftp(self):
            return FakeSftp(files)

        def close(self):
            calls.append("close")

    class RejectPolicy:
        pass

    return SimpleNamespace(
        SSHClient=SSHClient, RejectPolicy=RejectPolicy, SSHException=type("E", (Exception,), {})
    )


def test_sftp_lists_reads_and_archives_through_paramiko(monkeypatch):
    files = {
        "/out/b.sta": b"B",
        "/out/a.sta": b"A",
        "/out/c.sta.part": b"...",
        "/out/archive/x": b"",
        "/done/a.sta": b"old",
    }
    calls: list = []
    monkeypatch.setitem(sys.modules, "paramiko", fake_paramiko(files, calls))
    source = SftpSource(
        host="sftp.bank.example", username="acme", key_path=Path("/k"), remote_dir="/out", archive_dir="/done"
    )
    assert source.pending() == [FetchedStatement("a.sta", b"A"), FetchedStatement("b.sta", b"B")]
    assert calls[:3] == [
        "load_system_host_keys",
        "RejectPolicy",
        ("connect", "sftp.bank.example", "acme", "/k"),
    ]
    assert calls[-1] == "close"
    source.acknowledge(name="a.sta")
    assert files["/done/a.sta"] == b"old" and files["/done/a-1.sta"] == b"A" and "/out/a.sta" not in files
