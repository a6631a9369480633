"""Formatting only the lines a fix produced, with black, in process.

black is imported on first use (it costs ~0.2 s). It runs in its stable style,
for the project's target versions, without string normalisation (a fix must
not change the quotes of code it merely moved). Its output is kept only if
every line outside the requested ranges is byte-identical; otherwise the
unformatted (still valid) fix is kept.
"""
from __future__ import annotations

import difflib
from typing import Sequence

from .config import Settings


def lines_of(text: str) -> list[str]:
    """`text` split after each "\n" only (ends kept), as black, diff and the
    line counts in fixing.py do. Fix: str.splitlines() also splits at \x0c,
    \x1c, \u2028 and friends, which shifted line numbers against black's and
    put bogus "No newline at end of file" markers in diffs of such files."""
    parts = text.split("\n")
    out = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def changed_ranges(old: str, new: str, multiline_only: bool = False) -> list[tuple[int, int]]:
    """1-based inclusive line ranges of `new` that differ from `old`; with
    `multiline_only`, only changes that span several lines on either side (a
    one-line statement rewritten as one line needs no layout)."""
    a, b = lines_of(old), lines_of(new)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "insert") and j2 > j1:
            if multiline_only and j2 - j1 == 1 and i2 - i1 <= 1:
                continue
            out.append((j1 + 1, j2))
    return out


def _outside_unchanged(before: str, after: str, ranges: Sequence[tuple[int, int]]) -> bool:
    inside = {n for lo, hi in ranges for n in range(lo, hi + 1)}
    a, b = lines_of(before), lines_of(after)
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal" and any(n not in inside for n in range(i1 + 1, max(i2, i1 + 1) + 1)):
            return False
    return True


def format_ranges(text: str, ranges: Sequence[tuple[int, int]], settings: Settings) -> str:
    """`text` with black applied to `ranges` only, or `text` unchanged if black
    cannot do that without touching other lines."""
    if not ranges:
        return text
    crlf = "\r\n" in text
    if crlf and text.count("\r\n") != text.count("\n"):
        return text  # mixed line endings: do not let black normalise them
    work = text.replace("\r\n", "\n") if crlf else text
    try:
        import black
    except ImportError:  # pragma: no cover - black is a dependency
        return text
    targets = {
        getattr(black.TargetVersion, f"PY{major}{minor}")
        for major, minor in settings.target_versions
        if hasattr(black.TargetVersion, f"PY{major}{minor}")
    }
    mode = black.Mode(
        target_versions=targets,
        line_length=settings.line_length,
        string_normalization=False,
        magic_trailing_comma=True,
    )
    try:
        out = black.format_str(work, mode=mode, lines=list(ranges))
    except Exception:  # black's own parse errors (InvalidInput, ...): keep the valid fix
        return text
    if not _outside_unchanged(work, out, ranges):
        return text
    return out.replace("\n", "\r\n") if crlf else out
