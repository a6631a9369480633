"""The base class every rule derives from, and the context a rule runs in.

A rule is one class in one file under `detectors/`: a libcst visitor that
reports findings, each optionally carrying a `Fix` built by the paired codemod
in `codemods/`. All rules of a file run in one batched traversal of one parse.
A rule that needs the whole suite names the analyses it `needs`: each indexes
every file first (in parallel, on a cheap `ast` parse) and builds one shared
result, which the rule reads from `context.suite.data`.
"""
from __future__ import annotations

import re
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping, Union

import libcst as cst

from .config import Settings
from .model import FileChange, Finding, FixInfo, Safety, Severity, Span

NodeResult = Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel]
# An edit receives the node as it is after its children were transformed
# (so fixes nested inside each other compose) and returns its replacement.
Edit = Callable[[Any], NodeResult]

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Fix safety")


@dataclass(eq=False)
class Fix:
    """A codemod's answer to one finding: edits to apply all together or not at all."""

    description: str
    safety: Safety
    edits: dict[cst.CSTNode, Edit]
    imports: tuple[str, ...] = ()  # modules the fixed code needs ("pytest", "re")
    reformat: bool = False  # the fix wrote lines that black should lay out
    unused_imports: tuple[str, ...] = ()  # modules whose imports go if nothing uses them after the fix

    def info(self) -> FixInfo:
        return FixInfo(safety=self.safety, description=self.description)


@dataclass
class SuiteIndex:
    """What the suite phase built from every file, for rules that look beyond one file."""

    data: dict[str, Any] = field(default_factory=dict)  # analysis name -> what it built
    root: Path = Path(".")
    # The run's settings, for suite-level fixes whose output depends on the
    # project (black's line length and target versions for code they write).
    settings: Settings = field(default_factory=Settings)


@dataclass
class FileContext:
    path: Path
    module: cst.Module
    suite: SuiteIndex
    options: Mapping[str, Any]
    # What each rule decided for a node: its Fix, or the reason it left the node
    # alone. Shared by the rules of one file, so a rule can build on another's
    # fixes (a class conversion includes the assertion rewrites inside it).
    outcomes: dict[cst.CSTNode, "Fix | str"] = field(default_factory=dict)
    # The run's settings, for codemods whose output depends on the project
    # (its oldest Python, its line length).
    settings: Settings = field(default_factory=Settings)
    # The file's decoded text (module.code), for quick textual checks.
    text: str = ""


class Rule(cst.BatchableCSTVisitor):
    """Base class: subclasses set the ClassVars and report from visit_* methods."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    # Safety of the paired codemod's fixes; None when the rule has no codemod.
    fix_safety: ClassVar[Safety | None] = None
    # A file whose bytes do not match this is skipped without a libcst parse.
    prefilter: ClassVar[re.Pattern[bytes] | None] = None
    # Per-rule options, read from [tool.testmend.<code>] with these defaults.
    defaults: ClassVar[dict[str, Any]] = {}
    # Suite analyses this rule reads from `context.suite.data` (see engine.py).
    needs: ClassVar[tuple[Any, ...]] = ()
    # Rules whose outcomes this rule reads; they run (silently) even when not selected.
    requires: ClassVar[tuple[str, ...]] = ()
    # False for rules that only look at the whole suite (check_suite).
    per_file: ClassVar[bool] = True

    # No metadata by default: spans are computed after the traversal, only for
    # reported nodes (see positions.py). A rule that needs scopes or qualified
    # names declares METADATA_DEPENDENCIES as in libcst.
    METADATA_DEPENDENCIES = ()

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context
        self.pending: list[tuple[cst.CSTNode, str, Fix | None]] = []

    # ------------------------------------------------------------ reporting
    def report(self, node: cst.CSTNode, message: str, fix: Fix | None = None) -> None:
        """A finding at `node`; its span is filled in after the traversal."""
        self.pending.append((node, message, fix))
        self.attach(node, fix if fix is not None else message)

    def attach(self, node: cst.CSTNode, outcome: "Fix | str") -> None:
        """Record what this rule decided for `node`, for other rules to build on."""
        self.context.outcomes[node] = outcome

    def findings(self, spans: Mapping[cst.CSTNode, Any]) -> list[tuple[Finding, Fix | None]]:
        """The reports as findings, given the spans of the reported nodes."""
        out = []
        for node, message, fix in self.pending:
            pos = spans[node]
            span = Span(pos.start.line, pos.start.column, pos.end.line, pos.end.column)
            out.append((Finding(code=self.code, path=self.context.path, span=span, message=message,
                                severity=self.severity, fix=fix.info() if fix else None), fix))
        return out

    @classmethod
    def applies_to(cls, path: Path, suite: SuiteIndex) -> bool:
        """Whether the per-file phase can report anything in `path`, asked before
        the parse (after `prefilter`): a rule that acts only where its suite
        analysis found something spares the files it found nothing in."""
        return True

    # ------------------------------------------------------------ suite phase
    @classmethod
    def check_suite(cls, suite: SuiteIndex, options: Mapping[str, Any]) -> list[tuple[Finding, FileChange | None]]:
        """Findings that only the whole suite shows, each with the change to a
        file (a configuration, a conftest.py) that fixes it, if any."""
        return []

    # ------------------------------------------------------------ docs
    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        return cls.doc().splitlines()[0] if cls.doc() else cls.name

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        sections: dict[str, str] = {}
        current = None
        for line in cls.doc().splitlines():
            heading = line.strip().rstrip(":")
            if line.startswith("## ") or heading in DOC_SECTIONS and line.endswith(":"):
                current = line.lstrip("# ").strip().rstrip(":")
                sections[current] = ""
            elif current:
                sections[current] += line + "\n"
        return {k: v.strip() for k, v in sections.items()}
