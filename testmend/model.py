"""Shared data types: rules' metadata, findings, fixes and per-file results.

Everything that crosses a process boundary or reaches a renderer is a frozen
dataclass made of plain values, so results can be pickled, compared and
serialised without touching libcst nodes.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


class Severity(str, enum.Enum):
    """How much a finding matters to the suite's health."""

    MAJOR = "major"
    MINOR = "minor"
    INFO = "info"


class Safety(str, enum.Enum):
    """Fix safety, as ruff defines it.

    A *safe* fix keeps exactly the cases in which each test passes and fails;
    an *unsafe* one may change behaviour and is applied only with --unsafe-fixes.
    """

    SAFE = "safe"
    UNSAFE = "unsafe"


class Mode(str, enum.Enum):
    """What `fix` does with the fixes it computes."""

    DIFF = "diff"  # show a unified diff, write nothing (the default)
    WRITE = "write"  # apply every selected fix
    INTERACTIVE = "interactive"  # ask fix by fix
    CHECK = "check"  # only report whether anything would change


@dataclass(frozen=True)
class Span:
    """A 1-based line, 0-based column range, as editors and SARIF count them."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Finding:
    """One problem a detector found; `fix` describes the paired codemod's fix."""

    code: str
    path: Path
    span: Span
    message: str
    severity: Severity
    fix: FixInfo | None = None

    @property
    def fixable(self) -> bool:
        return self.fix is not None


@dataclass(frozen=True)
class FixInfo:
    """What a fix would do, without the nodes it needs to do it."""

    safety: Safety
    description: str


@dataclass(frozen=True)
class FileError:
    """A file the run could not handle, with a message that says what to do."""

    path: Path
    message: str


@dataclass(frozen=True)
class FileChange:
    """New content for one file, decided by the fixes that were applied to it."""

    path: Path
    old: bytes
    new: bytes
    applied: tuple[Finding, ...]
    dropped: tuple[tuple[Finding, str], ...] = ()


@dataclass(frozen=True)
class FileResult:
    """Everything a run learned about one file."""

    path: Path
    findings: tuple[Finding, ...] = ()
    change: FileChange | None = None
    error: FileError | None = None
    notes: tuple[str, ...] = ()


@dataclass
class RunResult:
    """The outcome of an audit or fix over a tree."""

    files: list[FileResult] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    earlier: list[FileChange] = field(default_factory=list)  # applied by earlier passes of `fix --write`
    write_errors: list[FileError] = field(default_factory=list)
    files_seen: int = 0

    @property
    def findings(self) -> list[Finding]:
        out = [f for r in self.files for f in r.findings]
        return sorted(out, key=lambda f: (str(f.path), f.span.line, f.span.column, f.code))

    @property
    def errors(self) -> list[FileError]:
        return [r.error for r in self.files if r.error] + self.write_errors

    @property
    def changes(self) -> list[FileChange]:
        return [r.change for r in self.files if r.change and r.change.new != r.change.old]
