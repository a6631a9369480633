"""Reading and writing user files without losing a byte we were not asked to change.

A `SourceFile` remembers how the file was stored (encoding, BOM, newline style,
permissions, a digest of the bytes) so that writing it back reproduces
everything a fix did not touch, and so that a file changed by someone else
since it was read is never overwritten.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path


class SourceError(Exception):
    """A file cannot be read or written; the message says why and what to do."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    raw: bytes
    text: str  # decoded, BOM removed, newlines as stored
    encoding: str
    bom: bool

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def newline(self) -> str:
        """The file's dominant newline ("\\r\\n" or "\\n")."""
        crlf = self.text.count("\r\n")
        return "\r\n" if crlf and crlf >= self.text.count("\n") - crlf else "\n"

    def encode(self, text: str) -> bytes:
        """Encode `text` the way this file was stored (same codec, same BOM)."""
        try:
            data = text.encode(self.encoding)
        except UnicodeEncodeError as exc:
            raise SourceError(
                f"{self.path}: the fixed text cannot be encoded as {self.encoding} ({exc.reason})"
            ) from exc
        return (codecs.BOM_UTF8 + data) if self.bom else data


def decode(path: Path, raw: bytes) -> SourceFile:
    """Decode Python source bytes as the interpreter would (PEP 263 cookie, BOM)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in str(exc):
            raise SourceError(f"{path}: {exc}; fix the coding cookie or save the file as UTF-8") from exc
        # Fix: bad UTF-8 in the first two lines of a file without a cookie was
        # reported as a bad "encoding declaration" the file does not have;
        # decode as UTF-8 below, which says which byte on which line is wrong.
        encoding = "utf-8"
    bom = raw.startswith(codecs.BOM_UTF8)
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    body = raw[len(codecs.BOM_UTF8):] if bom else raw
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[:exc.start].count(b"\n") + 1
        raise SourceError(
            f"{path}: line {line}: byte 0x{body[exc.start]:02x} (offset {exc.start}) is not valid {codec}; "
            f"save the file as UTF-8 or declare its encoding with a '# -*- coding: ... -*-' line"
        ) from exc
    return SourceFile(path=path, raw=raw, text=text, encoding=codec, bom=bom)


def read_source(path: Path) -> SourceFile:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise SourceError(f"{path}: is a directory, not a Python file") from exc
    except PermissionError as exc:
        raise SourceError(f"{path}: permission denied; make it readable or exclude it") from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror})") from exc
    return decode(path, raw)


def write_atomic(path: Path, data: bytes, expected_digest: str | None) -> None:
    """Replace `path` with `data` atomically, keeping its permission bits.

    The bytes go to a temporary file in the same directory, which is flushed
    and then renamed over the original, so an interrupted write (Ctrl-C, a full
    disk) leaves either the old file or the new one, never half of each.
    If `expected_digest` is given and the file no longer has those bytes, it
    was changed since it was read and is left alone.
    """
    # Fix: write through a symlink to the file it points at; os.replace on the
    # link itself would turn the link into a regular file.
    target = Path(os.path.realpath(path))
    if expected_digest is not None:
        try:
            current = target.read_bytes()
        except FileNotFoundError as exc:
            # A file a fix creates (a new conftest.py) was read as empty: it may
            # be written as long as it still does not exist (or is empty).
            if expected_digest != hashlib.sha256(b"").hexdigest():
                raise SourceError(f"{path}: was deleted since it was read; not written") from exc
            current = b""
        except OSError as exc:
            raise SourceError(f"{path}: cannot be re-read before writing ({exc.strerror})") from exc
        if hashlib.sha256(current).hexdigest() != expected_digest:
            raise SourceError(f"{path}: changed since it was read; not written (run testmend again)")
    try:
        st: os.stat_result | None = os.stat(target)
        mode = stat.S_IMODE(st.st_mode)
    except FileNotFoundError:
        st, mode = None, 0o644
    # Fix: os.access() says "writable" for root whatever the mode, and the
    # rename below does not need write permission on the file at all, so a
    # file with no write bit for anyone is read-only by intent: respect it.
    if expected_digest is not None and st is not None and (
            not os.access(target, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)):
        raise SourceError(f"{path}: is read-only; not written (make it writable to apply the fix)")
    directory = target.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".testmend", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if st is not None and hasattr(os, "chown"):
            # Fix: keep the owner too (root fixing a user's checkout must not
            # leave root-owned files behind); unprivileged users cannot, fine.
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
