"""SARIF 2.1.0 output, for code-scanning services (GitHub, GitLab, Azure DevOps).

One run, whose driver lists every registered rule (so `ruleIndex` is stable
whatever was selected), one result per finding, and files that could not be
checked as error notifications of the one invocation. Paths are relative to
the current directory under the `%SRCROOT%` base; a file outside it gets an
absolute `file:` URI. The output is a pure function of the RunResult and the
current directory: the same input gives the same bytes.
"""
from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..model import FileError, Finding, RunResult, Severity
from ..registry import all_rules
from ..rule import Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/testmend/testmend"
SRCROOT = "%SRCROOT%"

LEVELS = {Severity.MAJOR: "error", Severity.MINOR: "warning", Severity.INFO: "note"}


def _artifact_location(path: Path) -> dict[str, str]:
    """A relative URI under %SRCROOT% for a path below the current directory,
    else an absolute file URI."""
    resolved = path.resolve()
    try:
        rel = resolved.relative_to(Path.cwd().resolve())
    except ValueError:
        return {"uri": resolved.as_uri()}
    return {"uri": quote(rel.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _what_it_does(doc: str) -> str:
    """The text of the docstring's `## What it does` section, or ''."""
    body: list[str] = []
    inside = False
    for line in doc.splitlines():
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip().rstrip(":") == "What it does"
        elif inside:
            body.append(line)
    return "\n".join(body).strip()


def _rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    # cleandoc, not Rule.doc() alone: a docstring whose first line starts right
    # after the quotes keeps the other lines' indentation under textwrap.dedent,
    # and indented Markdown would render as one code block.
    doc = inspect.cleandoc(rule.doc())
    full = _what_it_does(doc) or rule.summary()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": full},
        "help": {"text": doc or rule.summary(), "markdown": doc or rule.summary()},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "severity": rule.severity.value,
            "fixSafety": rule.fix_safety.value if rule.fix_safety else "none",
        },
    }


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    line = max(1, f.span.line)
    column = max(1, f.span.column + 1)
    end_line = max(line, f.span.end_line)
    end_column = max(1, f.span.end_column + 1)
    if end_line == line:
        end_column = max(column, end_column)
    out: dict[str, Any] = {"ruleId": f.code}
    if f.code in index:
        out["ruleIndex"] = index[f.code]
    out["level"] = LEVELS[f.severity]
    out["message"] = {"text": f.message}
    out["locations"] = [{
        "physicalLocation": {
            "artifactLocation": _artifact_location(f.path),
            "region": {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column},
        },
    }]
    out["properties"] = {
        "severity": f.severity.value,
        "fixable": f.fix is not None,
        **({"fixSafety": f.fix.safety.value, "fixDescription": f.fix.description} if f.fix else {}),
    }
    return out


def _notification(e: FileError) -> dict[str, Any]:
    message = e.message.removeprefix(str(e.path) + ": ")
    return {
        "level": "error",
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact_location(e.path)}}],
    }


def _result_key(r: dict[str, Any]) -> tuple[Any, ...]:
    loc = r["locations"][0]["physicalLocation"]
    region = loc["region"]
    return (loc["artifactLocation"]["uri"], region["startLine"], region["startColumn"], r["ruleId"],
            region["endLine"], region["endColumn"], r["message"]["text"])


def _notification_key(n: dict[str, Any]) -> tuple[str, str]:
    return (n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], n["message"]["text"])


def render(run: RunResult) -> str:
    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = sorted((_result(f, index) for f in run.findings), key=_result_key)
    notifications = sorted((_notification(e) for e in run.errors), key=_notification_key)
    invocation: dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    doc = {
        "$schema": SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "testmend",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_descriptor(rule) for rule in rules],
            }},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2) + "\n"
