"""Applying fixes to a parsed file: all edits of a fix or none, validated before use.

`apply` composes every chosen fix in one transform (an edit receives its node
after nested edits were applied, so fixes inside fixes compose), adds the
imports the fixes need, re-compiles the result, and drops any fix whose edits
would produce code that does not compile, reporting it instead.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodeRange

from .config import Settings
from .formatting import format_ranges
from .model import Finding
from .rule import Edit, Fix


Positions = Optional[Mapping[cst.CSTNode, CodeRange]]


@dataclass
class Applied:
    text: str
    applied: list[tuple[Finding, Fix]]
    dropped: list[tuple[Finding, str]]


class _ApplyEdits(cst.CSTTransformer):
    """Replace edited nodes; descend only into subtrees that contain an edit
    (known from the positions the detectors' traversal already computed)."""

    def __init__(self, edits: dict[cst.CSTNode, Edit], reformat: set[cst.CSTNode],
                 positions: Mapping[cst.CSTNode, CodeRange] | None) -> None:
        super().__init__()
        self.edits = edits
        self.reformat = reformat
        self.produced: list[cst.CSTNode] = []  # replacements black should lay out
        self.positions = positions
        starts = sorted(positions[n].start.line for n in edits if n in positions) if positions else []
        self.starts = starts if positions and len(starts) == len(edits) else None

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.starts is None or isinstance(node, cst.Module):
            return True
        where = self.positions.get(node)  # type: ignore[union-attr]
        if where is None:
            return True
        inside = bisect.bisect_right(self.starts, where.end.line) - bisect.bisect_left(self.starts, where.start.line)
        # an edited node is rebuilt by its edit: look inside only for edits nested in it
        return inside > (1 if node in self.edits else 0)

    def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        edit = self.edits.get(original_node)
        if edit is None:
            return updated_node
        result = edit(updated_node)
        if original_node in self.reformat and isinstance(result, cst.CSTNode):
            self.produced.append(result)
        return result


@dataclass
class _LineTrackingState(CodegenState):
    """Codegen that also records the lines of a few chosen nodes (one pass, no
    full position metadata)."""

    marked: frozenset[int] = frozenset()
    line: int = 1
    ranges: list[tuple[int, int]] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.line += value.count("\n")

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.marked:
            skip = len(getattr(node, "leading_lines", ()))  # comments above a statement stay as they are
            self._starts.append(self.line + skip)

    def after_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.marked:
            end = self.line - 1 if self.tokens and self.tokens[-1].endswith("\n") else self.line
            self.ranges.append((self._starts.pop(), max(end, 1)))


def render(module: cst.Module, fixes: Sequence[Fix], positions: Positions = None) -> str:
    """The module's code with `fixes` applied (no validation, no formatting)."""
    return render_with_ranges(module, fixes, positions)[0]


def ensure_imports(module: cst.Module, names: Sequence[str]) -> cst.Module:
    """Add `import <name>` for each module not imported as itself at the top
    level, after the module's leading import block (docstring and __future__
    first), touching no other statement."""
    have = set()
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        bound = alias.evaluated_alias or alias.evaluated_name
                        if bound == alias.evaluated_name and "." not in bound:
                            have.add(bound)
    missing = [n for n in names if n not in have]
    if not missing:
        return module
    body = list(module.body)
    index = 0
    for i, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            break
        small = stmt.body
        if all(isinstance(x, (cst.Import, cst.ImportFrom)) for x in small):
            index = i + 1
        elif i == 0 and len(small) == 1 and isinstance(small[0], cst.Expr) and \
                isinstance(small[0].value, (cst.SimpleString, cst.ConcatenatedString)):
            index = 1  # docstring
        else:
            break
    new = [cst.SimpleStatementLine([cst.Import([cst.ImportAlias(cst.Name(n))])]) for n in missing]
    after = body[index] if index < len(body) else None
    first_import = not any(isinstance(s, cst.SimpleStatementLine)
                           and isinstance(s.body[0], (cst.Import, cst.ImportFrom)) for s in body[:index])
    if first_import and after is not None and not after.leading_lines:
        # the file had no imports: what follows the new one gets the blank lines PEP 8 puts after imports
        blank = cst.EmptyLine(indent=False, whitespace=cst.SimpleWhitespace(""))
        count = 2 if isinstance(after, (cst.FunctionDef, cst.ClassDef)) else 1
        body[index] = after.with_changes(leading_lines=[blank] * count)
    return module.with_changes(body=body[:index] + new + body[index:])


def drop_unused_imports(module: cst.Module, modules: Sequence[str]) -> cst.Module:
    """Remove top-level imports of `modules` (and names imported from them) that
    nothing else in the file mentions. Mentions are counted as words in the
    code, so a name in a comment or string keeps its import (never too eager)."""
    body = list(module.body)
    candidates: list[tuple[int, cst.SimpleStatementLine, cst.Import | cst.ImportFrom]] = []
    for index, stmt in enumerate(body):
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            continue
        small = stmt.body[0]
        if isinstance(small, cst.Import):
            if any(a.evaluated_name.split(".")[0] in modules for a in small.names):
                candidates.append((index, stmt, small))
        elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar) \
                and small.module and not small.relative:
            source = cst.helpers.get_full_name_for_node(small.module) or ""
            if source.split(".")[0] in modules:
                candidates.append((index, stmt, small))
    if not candidates:
        return module
    full = module.code  # one codegen; the imports' own text is discounted below
    # a module path in an import (`from unittest import mock`) is not a use of a name
    own = "".join(module.code_for_node(s) for s in body if isinstance(s, cst.SimpleStatementLine)
                  and all(isinstance(x, (cst.Import, cst.ImportFrom)) for x in s.body))
    changed = False
    for index, stmt, small in candidates:
        keep = []
        names = list(small.names)  # type: ignore[arg-type]
        for alias in names:
            bound = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
            word = re.compile(rf"(?<![.\w]){re.escape(bound)}\b")  # `x.main` is not a use of `main`
            if isinstance(small, cst.Import) and alias.evaluated_name.split(".")[0] not in modules:
                keep.append(alias)
            elif len(word.findall(full)) > len(word.findall(own)):
                keep.append(alias)
        if len(keep) == len(names):
            continue
        changed = True
        if not keep:
            body[index] = None  # type: ignore[call-overload]
            continue
        keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        body[index] = stmt.with_changes(body=[small.with_changes(names=keep)])
    if not changed:
        return module
    kept = [s for s in body if s is not None]
    if kept and body[0] is None:
        # the file's first statements went: no blank lines left at the top
        lines = list(kept[0].leading_lines)
        while lines and lines[0].comment is None:
            lines.pop(0)
        kept[0] = kept[0].with_changes(leading_lines=lines)
    return module.with_changes(body=kept)


def render_with_ranges(module: cst.Module, fixes: Sequence[Fix],
                       positions: Positions = None) -> tuple[str, list[tuple[int, int]]]:
    """The code with `fixes` applied, and the line ranges black should format."""
    edits: dict[cst.CSTNode, Edit] = {}
    reformat: set[cst.CSTNode] = set()
    for fix in fixes:
        edits.update(fix.edits)
        if fix.reformat:
            reformat.update(fix.edits)
    if not edits:
        return module.code, []
    applier = _ApplyEdits(edits, reformat, positions)
    new = module.visit(applier)
    needed = sorted({m for fix in fixes for m in fix.imports})
    if needed:
        new = ensure_imports(new, needed)
    unused = sorted({m for fix in fixes for m in fix.unused_imports})
    if unused:
        new = drop_unused_imports(new, unused)
    if not applier.produced:
        return new.code, []
    state = _LineTrackingState(default_indent=new.default_indent, default_newline=new.default_newline,
                               marked=frozenset(id(n) for n in applier.produced))
    new._codegen(state)
    return "".join(state.tokens), sorted(state.ranges)


def compiles(text: str, filename: str) -> str | None:
    """None if `text` compiles, else the error."""
    try:
        compile(text, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        return f"{exc.__class__.__name__}: {getattr(exc, 'msg', exc)}" + (f" (line {line})" if line else "")
    return None


def apply(module: cst.Module, chosen: Sequence[tuple[Finding, Fix]], settings: Settings, filename: str,
          positions: Positions = None) -> Applied:
    taken: list[tuple[Finding, Fix]] = []
    dropped: list[tuple[Finding, str]] = []
    claimed: dict[cst.CSTNode, Edit] = {}
    for finding, fix in chosen:
        # Two fixes may share an edit (a class conversion includes the assertion
        # rewrites inside it): the same edit twice is no conflict.
        if any(node in claimed and claimed[node] is not edit for node, edit in fix.edits.items()):
            dropped.append((finding, "overlaps another fix in this run; run testmend again to apply it"))
            continue
        claimed.update(fix.edits)
        taken.append((finding, fix))

    text, ranges = render_with_ranges(module, [f for _, f in taken], positions)
    error = compiles(text, filename)
    if error is not None:
        # find the culprits one by one; keep the fixes that compile on their own
        good: list[tuple[Finding, Fix]] = []
        for finding, fix in taken:
            problem = compiles(render(module, [f for _, f in good] + [fix], positions), filename)
            if problem is None:
                good.append((finding, fix))
            else:
                dropped.append((finding, f"the fixed code would not compile ({problem}); left unchanged"))
        taken = good
        text, ranges = render_with_ranges(module, [f for _, f in taken], positions)
        if compiles(text, filename) is not None:
            dropped.extend((f, "the fixed code would not compile; left unchanged") for f, _ in taken)
            return Applied(module.code, [], dropped)

    if ranges:
        formatted = format_ranges(text, ranges, settings)
        if formatted != text and compiles(formatted, filename) is None:
            text = formatted
    return Applied(text, taken, dropped)
