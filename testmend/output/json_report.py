"""Machine-readable output (schema version 1, documented in README.md)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import __version__
from ..model import Finding, RunResult
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


def render(run: RunResult, fix_mode: bool = False, diffs: dict[Path, str] | None = None) -> str:
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "testmend", "version": __version__},
        "files_checked": run.files_seen,
        "findings": [finding_dict(f) for f in run.findings],
        "errors": [{"path": _rel(e.path), "message": e.message} for e in run.errors],
    }
    if fix_mode:
        doc["changes"] = [
            {
                "path": _rel(c.path),
                "written": c.path in run.written,
                "applied": [finding_dict(f) for f in c.applied],
                "diff": (diffs or {}).get(c.path, ""),
            }
            for c in run.changes
        ]
        doc["residue"] = [dict(finding_dict(f), reason=why or f.message) for f, why in residue(run)]
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
