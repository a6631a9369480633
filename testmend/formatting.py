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


def _mode(settings: Settings, line_length: int):  # type: ignore[no-untyped-def]
    import black

    targets = {
        getattr(black.TargetVersion, f"PY{major}{minor}")
        for major, minor in settings.target_versions
        if hasattr(black.TargetVersion, f"PY{major}{minor}")
    }
    return black.Mode(target_versions=targets, line_length=max(line_length, 20),
                      string_normalization=False, magic_trailing_comma=True)


def _format_snippet(lines: list[str], settings: Settings) -> list[str] | None:
    """One produced statement, formatted on its own at its indentation; None
    when it is not exactly one statement on these lines."""
    import ast

    import black

    import io
    import tokenize

    try:  # a string spanning lines must keep its lines' indentation: leave it to black's file mode
        for token in tokenize.generate_tokens(io.StringIO("".join(lines).lstrip()).readline):
            if token.type == tokenize.STRING and "\n" in token.string:
                return None
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    first = lines[0]
    indent = first[: len(first) - len(first.lstrip())]
    body = [line[len(indent):] if line.startswith(indent) else line.lstrip() for line in lines]
    snippet = "".join(body)
    try:
        if len(ast.parse(snippet).body) != 1:
            return None
        out = black.format_str(snippet, mode=_mode(settings, settings.line_length - len(indent)))
    except Exception:  # black's InvalidInput and friends: keep the valid, unformatted fix
        return None
    return [indent + line if line.strip() else line for line in out.splitlines(keepends=True)]


def format_ranges(text: str, ranges: Sequence[tuple[int, int]], settings: Settings) -> str:
    """`text` with black applied to the statements at `ranges` only.

    Each produced statement is formatted on its own (black's cost grows with
    what it reads, and a test module can be 300 KB); when a range is not a
    single statement, black formats the whole text restricted to the ranges,
    and that result is kept only if every other line is byte-identical."""
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
    lines = lines_of(work)
    leftover = []
    for lo, hi in sorted(ranges, reverse=True):
        formatted = _format_snippet(lines[lo - 1:hi], settings)
        if formatted is None:
            leftover.append((lo, hi))
        else:
            lines[lo - 1:hi] = formatted
    out = "".join(lines)
    if leftover:
        try:
            whole = black.format_str(work, mode=_mode(settings, settings.line_length), lines=list(ranges))
        except Exception:  # keep the valid, unformatted fix
            return text
        if not _outside_unchanged(work, whole, ranges):
            return text
        out = whole
    return out.replace("\n", "\r\n") if crlf else out
