"""Machine-readable output (schema version 1, documented in docs/json-schema.md)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import __version__
from ..model import FileChange, Finding, RunResult
from ..registry import rule_by_code
from .text import _rel, residue

SCHEMA_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    rule = rule_by_code(f.code)
    return {
        "code": f.code,
        "name": rule.name if rule else f.code,
        "severity": f.severity.value,
        "path": _rel(f.path),
        "line": f.span.line,
        "column": f.span.column + 1,
        "end_line": f.span.end_line,
        "end_column": f.span.end_column + 1,
        "message": f.message,
        "fix": None if f.fix is None else {"safety": f.fix.safety.value, "description": f.fix.description},
    }


def file_changes(run: RunResult) -> list[tuple[FileChange, bool]]:
    """One change per file, the passes of `fix --write` merged: first old bytes,
    last new bytes, every applied fix. The flag says whether an earlier pass
    (whose diff the caller did not compute) contributed."""
    merged: dict[Path, tuple[FileChange, bool]] = {}
    for change, earlier in [(c, True) for c in run.earlier] + [(c, False) for c in run.changes]:
        key = change.path.resolve()
        if key in merged:
            prev, _ = merged[key]
            change = FileChange(prev.path, prev.old, change.new, prev.applied + change.applied,
                                prev.dropped + change.dropped)
            earlier = True
        merged[key] = (change, earlier)
    return sorted(merged.values(), key=lambda item: _rel(item[0].path))


def _diff(change: FileChange, earlier: bool, diffs: dict[Path, str] | None) -> str:
    if diffs is None:
        return ""
    if not earlier and change.path in diffs:
        return diffs[change.path]
    from ..api import unified_diff  # the caller's diffs cover only the last pass

    return unified_diff(change)


def render(run: RunResult, fix_mode: bool = False, diffs: dict[Path, str] | None = None,
           report: dict[str, Any] | None = None) -> str:
    """The JSON document; `report` is `SuiteReport.to_dict()` (audit only, docs/report.md)."""
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "testmend", "version": __version__},
        "files_checked": run.files_seen,
        "findings": [finding_dict(f) for f in run.findings],
        "errors": sorted(({"path": _rel(e.path), "message": e.message} for e in run.errors),
                         key=lambda e: (e["path"], e["message"])),
    }
    if report is not None:
        doc["report"] = report
    if fix_mode:
        # Fix: changes applied by earlier passes of `fix --write` (run.earlier)
        # were missing, so a file fixed in the first pass showed no change.
        doc["changes"] = [
            {
                "path": _rel(c.path),
                "written": c.path in run.written,
                "applied": [finding_dict(f) for f in c.applied],
                "diff": _diff(c, earlier, diffs),
            }
            for c, earlier in file_changes(run)
        ]
        left = sorted(residue(run), key=lambda item: (_rel(item[0].path), item[0].span.line,
                                                       item[0].span.column, item[0].code))
        doc["residue"] = [dict(finding_dict(f), reason=why or f.message) for f, why in left]
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
