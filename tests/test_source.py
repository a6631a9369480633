"""testmend.source: decoding as Python does, writing back atomically and faithfully."""
from __future__ import annotations

import codecs
import hashlib
import os
import stat
from pathlib import Path

import pytest

from testmend import source
from testmend.source import SourceError, decode, read_source, write_atomic


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".testmend"))


# ---------------------------------------------------------------- decoding
def test_utf8_bom_is_remembered_and_restored(tmp_path: Path) -> None:
    raw = codecs.BOM_UTF8 + b"x = 'caf\xc3\xa9'\n"
    src = decode(tmp_path / "t.py", raw)
    assert src.bom is True
    assert src.encoding == "utf-8"
    assert src.text == "x = 'caf\u00e9'\n"  # BOM not part of the text
    assert src.encode(src.text) == raw


def test_latin1_cookie_round_trips(tmp_path: Path) -> None:
    raw = "# -*- coding: latin-1 -*-\nx = 'caf\u00e9'\n".encode("latin-1")
    src = decode(tmp_path / "t.py", raw)
    assert src.encoding in ("iso-8859-1", "latin-1")
    assert "caf\u00e9" in src.text
    assert src.encode(src.text) == raw
    assert b"\xe9" in src.encode(src.text.replace("x =", "y ="))


def test_text_that_the_file_encoding_cannot_hold_is_an_error(tmp_path: Path) -> None:
    src = decode(tmp_path / "t.py", b"# coding: latin-1\nx = 1\n")
    with pytest.raises(SourceError, match="cannot be encoded"):
        src.encode("x = '\u20ac'\n")


def test_invalid_utf8_names_the_file_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "test_bad.py"
    with pytest.raises(SourceError) as info:
        decode(path, b"x = '\xff'\n")
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    assert "utf-8" in message


def test_unknown_coding_cookie_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="t.py"):
        decode(tmp_path / "t.py", b"# -*- coding: no-such-codec -*-\nx = 1\n")


def test_crlf_newline_is_detected(tmp_path: Path) -> None:
    assert decode(tmp_path / "t.py", b"a = 1\r\nb = 2\r\n").newline == "\r\n"
    assert decode(tmp_path / "t.py", b"a = 1\nb = 2\n").newline == "\n"


def test_read_source_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_source(tmp_path / "nope.py")


def test_read_source_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a directory"):
        read_source(tmp_path)


# ---------------------------------------------------------------- writing
def test_write_replaces_content_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "test_x.py"
    path.write_bytes(b"old\n")
    os.chmod(path, 0o751)
    write_atomic(path, b"new\n", expected_digest=_digest(b"old\n"))
    assert path.read_bytes() == b"new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert _leftovers(tmp_path) == []


def test_write_refuses_a_file_changed_since_read(tmp_path: Path) -> None:
    path = tmp_path / "test_x.py"
    path.write_bytes(b"edited by someone else\n")
    with pytest.raises(SourceError, match="changed since it was read"):
        write_atomic(path, b"new\n", expected_digest=_digest(b"what we read\n"))
    assert path.read_bytes() == b"edited by someone else\n"
    assert _leftovers(tmp_path) == []


def test_write_refuses_a_read_only_file_even_as_root(tmp_path: Path) -> None:
    # os.access() reports every file writable for root; the mode bits decide.
    path = tmp_path / "test_x.py"
    path.write_bytes(b"old\n")
    os.chmod(path, 0o444)
    try:
        with pytest.raises(SourceError, match="read-only"):
            write_atomic(path, b"new\n", expected_digest=_digest(b"old\n"))
        assert path.read_bytes() == b"old\n"
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
        assert _leftovers(tmp_path) == []
    finally:
        os.chmod(path, 0o644)


def test_interrupt_during_rename_leaves_original_and_no_temp_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "test_x.py"
    path.write_bytes(b"old\n")

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(source.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, b"new\n", expected_digest=_digest(b"old\n"))
    assert path.read_bytes() == b"old\n"
    assert _leftovers(tmp_path) == []


def test_failure_while_writing_temp_file_cleans_up(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "test_x.py"
    path.write_bytes(b"old\n")

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(source.os, "fsync", full)
    with pytest.raises(OSError):
        write_atomic(path, b"new\n", expected_digest=_digest(b"old\n"))
    assert path.read_bytes() == b"old\n"
    assert _leftovers(tmp_path) == []


def test_write_through_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real_test.py"
    real.write_bytes(b"old\n")
    link = tmp_path / "test_link.py"
    link.symlink_to(real.name)
    write_atomic(link, b"new\n", expected_digest=_digest(b"old\n"))
    assert link.is_symlink()
    assert real.read_bytes() == b"new\n"
    assert _leftovers(tmp_path) == []
