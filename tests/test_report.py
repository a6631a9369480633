"""The audit report (testmend/report.py, testmend/output/markdown.py, docs/report.md).

The end-to-end tests audit the fixture suite tests/data/report_suite with a
fixed selection of rules and compare the Markdown with a checked-in report; the
rest build the report from hand-made findings, so they do not depend on how
any rule behaves. Regenerate the expected report after an intended change with
TESTMEND_UPDATE_EXPECTED=1 (docs/report.md).
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from testmend import api
from testmend.cli import main
from testmend.config import load_settings
from testmend.model import (
    Finding,
    FixInfo,
    RunResult,
    Safety,
    Severity,
    Span,
)
from testmend.output import markdown
from testmend.registry import all_rules
from testmend.report import (
    PLACEHOLDER_CODE,
    FileInventory,
    Metrics,
    Risk,
    TestClass,
    TestItem,
    Verdict,
    assess,
    build_report,
    display,
    file_report,
    fix_command,
    named_tests,
    spellings,
    suite_report,
    verdict,
)

DATA = Path(__file__).resolve().parent / "data"
SUITE = DATA / "report_suite"
EXPECTED = DATA / "report_suite.expected.md"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "report.md"
# The rules the expected report was made with: a rule added later must not change it.
SELECT = ("TM101,TM102,TM103,TM201,TM202,TM203,TM204,TM301,TM403,TM501,TM502,TM503,TM504,"
          "TM601,TM602,TM603,TM604,TM605,TM606,TM607")
UPDATE = os.environ.get("TESTMEND_UPDATE_EXPECTED") == "1"


@pytest.fixture
def suite(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the fixture suite, the current directory its parent."""
    shutil.copytree(SUITE, tmp_path / "report_suite", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "report_suite"


def audit(*args: str):
    return CliRunner().invoke(main, ["audit", "--select", SELECT, *args], catch_exceptions=False)


# ---------------------------------------------------------------- end to end
def test_report_matches_the_expected_report(suite: Path) -> None:
    result = audit("--format", "markdown", "report_suite")
    assert result.exit_code == 1, result.output
    if UPDATE:
        EXPECTED.write_bytes(result.stdout_bytes)
        pytest.skip(f"wrote {EXPECTED}")
    assert result.stdout_bytes == EXPECTED.read_bytes(), (
        "the report of tests/data/report_suite changed; if that is intended, run "
        "TESTMEND_UPDATE_EXPECTED=1 python -m pytest tests/test_report.py and review the diff")


def test_expected_report_covers_every_verdict_and_a_cross_file_finding() -> None:
    """The fixture suite keeps exercising what the report is for."""
    text = EXPECTED.read_text(encoding="utf-8")
    for verdict_ in ("**placeholder**", "**major**", "**minor**", "well-designed"):
        assert f"| {verdict_} |" in text
    assert "### Findings reported with another test" in text
    assert "### Findings that concern several files" in text
    assert "module level" in text and "in class `TestLegacy`" in text
    assert str(Path.cwd()) not in text and "/tmp" not in text


def test_report_is_deterministic(suite: Path) -> None:
    first = audit("--format", "markdown", "report_suite").stdout_bytes
    assert audit("--format", "markdown", "report_suite").stdout_bytes == first
    settings = load_settings([Path("report_suite")], select=tuple(SELECT.split(",")))
    run = api.audit([Path("report_suite")], settings)
    shuffled = RunResult(files=list(reversed(run.files)), files_seen=run.files_seen)
    report = build_report(run, [Path("report_suite")], settings)
    assert build_report(shuffled, [Path("report_suite")], settings) == report
    assert markdown.render(report).encode() == first


def test_output_dir_writes_an_index_and_one_page_per_module(suite: Path) -> None:
    result = audit("--output", "out", "report_suite")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Wrote 5 report pages to out" in result.stderr
    written = sorted(p.relative_to("out").as_posix() for p in Path("out").rglob("*") if p.is_file())
    assert written == ["index.md", "report_suite/test_clean.py.md", "report_suite/test_legacy_unittest.py.md",
                       "report_suite/test_more.py.md", "report_suite/test_problems.py.md"]
    index = Path("out/index.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]+)\)", index)
    assert sorted(links) == written[1:]
    page = Path("out/report_suite/test_problems.py.md").read_text(encoding="utf-8")
    assert page.startswith("# Test audit: `report_suite/test_problems.py`\n")
    # the pages hold what stdout holds, a heading level up
    whole = audit("--format", "markdown", "report_suite").stdout
    assert page.replace("\n#", "\n##").replace("# Test audit", "## Test audit", 1) in whole


def test_output_dir_with_another_format_is_a_usage_error(suite: Path) -> None:
    result = audit("--format", "json", "--output", "out", "report_suite")
    assert result.exit_code == 2
    assert "--output writes the markdown report" in result.output
    assert not Path("out").exists()


def test_json_audit_carries_the_report(suite: Path) -> None:
    result = audit("--format", "json", "report_suite")
    doc = json.loads(result.stdout)
    assert list(doc)[-1] == "report"
    settings = load_settings([Path("report_suite")], select=tuple(SELECT.split(",")))
    report = build_report(api.audit([Path("report_suite")], settings), [Path("report_suite")], settings)
    assert doc["report"] == json.loads(json.dumps(report.to_dict()))
    verdicts = {row["test"]["name"]: row["verdict"] for f in doc["report"]["files"] for row in f["rows"]}
    assert verdicts["test_placeholder"] == "placeholder"
    assert verdicts["test_needs_service"] == "major"  # named by the missing-fixture finding in test_more.py


def test_every_report_json_key_is_documented(suite: Path) -> None:
    doc = json.loads(audit("--format", "json", "report_suite").stdout)["report"]
    keys: set[str] = set()

    def walk(value) -> None:  # type: ignore[no-untyped-def]
        if isinstance(value, dict):
            keys.update(value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(doc)
    text = DOCS.read_text(encoding="utf-8")
    assert not sorted(k for k in keys if f"`{k}`" not in text)


# ---------------------------------------------------------------- hand-built data
def finding(code: str, line: int, severity: Severity = Severity.MINOR, end_line: int | None = None,
            message: str = "", fix: Safety | None = None, path: str = "test_a.py") -> Finding:
    info = FixInfo(fix, "fix it") if fix else None
    return Finding(code, Path(path), Span(line, 4, end_line or line, 10), message or f"{code} at {line}",
                   severity, info)


INV = FileInventory(40, tests=(
    TestItem("test_one", None, 1, 5),
    TestItem("TestA.test_two", "TestA", 9, 12),
    TestItem("TestA.test_three", "TestA", 14, 20),
    TestItem("test_dup", None, 22, 24),
    TestItem("test_dup", None, 26, 28),
), classes=(TestClass("TestA", 7, 20, 2),))


def test_verdict_placeholder_then_major_then_minor() -> None:
    def issues(*specs):  # type: ignore[no-untyped-def]
        return file_report("t.py", FileInventory(9, (TestItem("test_x", None, 1, 9),)),
                           [finding(c, 2, s) for c, s in specs]).rows[0].issues

    assert verdict(issues((PLACEHOLDER_CODE, Severity.MAJOR), ("TM999", Severity.MINOR))) is Verdict.PLACEHOLDER
    assert verdict(issues(("TM998", Severity.MAJOR), ("TM999", Severity.MINOR))) is Verdict.MAJOR
    assert verdict(issues(("TM999", Severity.MINOR), ("TM997", Severity.INFO))) is Verdict.MINOR
    assert verdict(issues(("TM997", Severity.INFO))) is Verdict.WELL_DESIGNED
    assert verdict(()) is Verdict.WELL_DESIGNED


def test_findings_are_placed_in_the_test_or_class_or_module() -> None:
    report = file_report("test_a.py", INV, [
        finding("TM901", 3),  # in test_one
        finding("TM902", 8),  # class body, outside its tests
        finding("TM903", 30),  # module level
        finding("TM904", 4, end_line=10),  # spans two tests: in neither, not in the class either
        finding("TM905", 23, Severity.MAJOR),  # the first test_dup, not the second
    ])
    where = {i.code: (i.test, i.cls) for i in report.issues}
    assert where == {"TM901": ("test_one", None), "TM902": (None, "TestA"), "TM903": (None, None),
                     "TM904": (None, None), "TM905": ("test_dup", None)}
    verdicts = [(r.test.name, r.test.line, r.verdict) for r in report.rows]
    assert verdicts == [("test_one", 1, Verdict.MINOR), ("TestA.test_two", 9, Verdict.WELL_DESIGNED),
                        ("TestA.test_three", 14, Verdict.WELL_DESIGNED), ("test_dup", 22, Verdict.MAJOR),
                        ("test_dup", 26, Verdict.WELL_DESIGNED)]
    assert report.clean_tests == ("TestA.test_two", "TestA.test_three", "test_dup")


def test_metrics_count_verdicts_and_round_half_up() -> None:
    report = file_report("test_a.py", INV, [finding(PLACEHOLDER_CODE, 2, Severity.MAJOR),
                                            finding("TM901", 10, Severity.MAJOR), finding("TM902", 15),
                                            finding("TM903", 16, Severity.INFO)])
    assert report.metrics == Metrics(total=5, well_designed=2, minor=1, major=1, placeholders=1)
    assert [report.metrics.share(n) for n in (5, 2, 1, 0)] == [100, 40, 20, 0]
    assert Metrics(total=8).share(1) == 13  # 12.5 rounds up
    assert Metrics().share(0) == 0
    assert sum((report.metrics, report.metrics), Metrics()) == Metrics(10, 4, 2, 2, 2)


def test_metrics_table_shows_tiny_shares_as_less_than_one_percent() -> None:
    rows = [TestItem(f"test_{n}", None, 2 * n + 1, 2 * n + 1) for n in range(300)]
    report = file_report("test_a.py", FileInventory(600, tuple(rows)), [finding("TM901", 1, Severity.MAJOR)])
    page = markdown.render_file(report)
    assert "| Major issues | 1 | <1% |" in page
    assert "| Well-designed | 299 | >99% |" in page


def test_risk_rule() -> None:
    five = FileInventory(20, tuple(TestItem(f"test_{n}", None, 4 * n + 1, 4 * n + 3) for n in range(5)))

    def risk(*findings: Finding) -> Risk:
        return file_report("t.py", five, findings).risk.level

    assert risk() is Risk.LOW
    assert risk(finding("TM901", 2, Severity.MAJOR)) is Risk.HIGH
    assert risk(finding("TM901", 30, Severity.MAJOR)) is Risk.HIGH  # module level counts too
    assert risk(finding("TM901", 2)) is Risk.LOW  # 1 of 5 tests: 20%, not more
    assert risk(finding("TM901", 2), finding("TM901", 3)) is Risk.LOW  # still one test
    assert risk(finding("TM901", 2), finding("TM901", 6)) is Risk.MEDIUM  # 2 of 5: 40%
    assert risk(finding("TM901", 30), finding("TM902", 31)) is Risk.LOW  # minor outside tests
    assert risk(*(finding("TM901", 4 * n + 2, Severity.INFO) for n in range(5))) is Risk.LOW
    high = file_report("t.py", five, [finding("TM901", 2, Severity.MAJOR), finding("TM902", 6, Severity.MAJOR),
                                      finding("TM902", 10, Severity.MAJOR)]).risk
    assert high.reason == "3 major findings (TM901 \u00d71, TM902 \u00d72)"
    assert high.codes == ("TM901", "TM902")
    medium = assess([], Metrics(total=4, minor=2, well_designed=2))
    assert medium.level is Risk.MEDIUM and "2 of 4 tests (50%) have a minor verdict" in medium.reason


def test_recommendations_by_priority_with_commands() -> None:
    report = file_report("tests/test a.py", INV, [
        finding("TM901", 3, fix=Safety.SAFE), finding("TM901", 4, fix=Safety.UNSAFE), finding("TM901", 10),
        finding("TM902", 15, Severity.MAJOR), finding("TM902", 16, Severity.MAJOR),
        finding("TM903", 30, Severity.INFO, fix=Safety.SAFE),
    ])
    assert [(r.code, r.severity) for r in report.recommendations] == [
        ("TM902", Severity.MAJOR), ("TM901", Severity.MINOR), ("TM903", Severity.INFO)]
    major, minor, info = report.recommendations
    assert (major.command, major.unsafe_command, major.manual, major.lines) == (None, None, 2, (15, 16))
    assert (minor.safe, minor.unsafe, minor.manual, minor.lines) == (1, 1, 1, (10,))
    assert minor.command == "testmend fix --select TM901 'tests/test a.py'"
    assert minor.unsafe_command == "testmend fix --select TM901 --unsafe-fixes 'tests/test a.py'"
    assert info.command == fix_command("TM903", ["tests/test a.py"], False)
    page = markdown.render_file(report)
    assert "1. **High priority: TM902 TM902** (2 findings). Fix them by hand (lines 15, 16)" in page
    assert "`testmend fix --select TM901 'tests/test a.py'` shows the safe fix for 1 of them" in page
    assert "Fix the other one by hand (line 10)" in page


def test_suite_wide_rules_are_fixed_over_the_audited_paths() -> None:
    rule = next(r for r in all_rules() if not r.per_file)
    report = file_report("tests/test_a.py", INV, [finding(rule.code, 3, fix=Safety.SAFE)],
                         suite_targets=["tests"])
    assert report.recommendations[0].command == f"testmend fix --select {rule.code} tests"


def test_quiet_rules_are_the_rules_that_found_nothing() -> None:
    report = file_report("test_a.py", INV, [finding("TM901", 3)], quiet_rules=["TM901", "TM902"])
    assert report.quiet_rules == ("TM902",)
    assert "No finding from 1 rule that checked this file: TM902." in markdown.render_file(report)


def test_a_finding_naming_tests_of_other_files_counts_for_them_once() -> None:
    message = "fixture 'svc' is missing; 3 tests error: test_a.py::test_one, b/test_b.py::TestB::test_x[1], " \
              "b/test_b.py::test_y and 2 more"
    names, spelled = spellings(["test_a.py", "tests/b/test_b.py"], {"b/test_b.py": "tests/b/test_b.py"})
    assert named_tests(message, names, spelled) == [("test_a.py", "test_one"), ("tests/b/test_b.py", "TestB.test_x"),
                                                    ("tests/b/test_b.py", "test_y")]
    found = finding("TM901", 2, Severity.MAJOR, message=message)
    a = file_report("test_a.py", INV, [found], [(found, "test_a.py", "test_one")])
    assert a.mentions == ()  # the test it is placed in already has it
    b_inv = FileInventory(9, (TestItem("TestB.test_x", "TestB", 2, 3), TestItem("test_y", None, 5, 6),
                              TestItem("test_z", None, 8, 9)), (TestClass("TestB", 1, 3, 1),))
    b = file_report("tests/b/test_b.py", b_inv, [], [(found, "test_a.py", "TestB.test_x"),
                                                     (found, "test_a.py", "test_y")])
    assert [r.verdict for r in b.rows] == [Verdict.MAJOR, Verdict.MAJOR, Verdict.WELL_DESIGNED]
    assert b.issues == () and len(b.mentions) == 2 and b.mentions[0].origin == "test_a.py"
    assert b.risk.level is Risk.HIGH and b.risk.reason == "1 major finding (TM901 \u00d71)"
    assert b.rules[0].findings == 1 and b.rules[0].tests == 2
    suite = suite_report(["."], 2, [a, b], aliases={"b/test_b.py": "tests/b/test_b.py"})
    assert sum(g.findings for g in suite.recurring) == 0  # one finding, one file
    assert suite.risk.reason == "1 major finding (TM901 \u00d71)"
    assert [p.files for p in suite.patterns] == [("test_a.py", "tests/b/test_b.py")]
    assert "TM901 TM901 (line 2 of `test_a.py`)" in markdown.render_file(b)


def test_rules_in_several_files_recur_and_files_named_in_a_message_are_a_pattern() -> None:
    def report(path: str, *findings: Finding):  # type: ignore[no-untyped-def]
        return file_report(path, INV, findings)

    generic = "self.assertEqual() can be a plain assert"
    named = "class Timer is defined 2 times with the same body: tests/test_a.py:30, test_b.py:9"
    files = [report("test_a.py", finding("TM901", 30, message=named), finding("TM902", 3, message=generic),
                    finding("TM902", 4, message=generic)),
             report("test_b.py", finding("TM902", 3, message=generic)),
             report("test_c.py", finding("TM903", 3, message="no other file: test_c.py.bak, xtest_b.py"))]
    suite = suite_report(["."], 3, files, aliases={"tests/test_a.py": "test_a.py"})
    assert [(p.code, p.files) for p in suite.patterns] == [("TM901", ("test_a.py", "test_b.py"))]
    assert [(g.code, g.files, g.findings) for g in suite.recurring] == [("TM902", ("test_a.py", "test_b.py"), 3)]
    index = markdown.render_index(suite)
    assert "### Rules found in several files" in index
    assert "- **TM901** TM901 (minor) in `test_a.py`, naming `test_b.py`: class Timer" in index


def test_files_are_ranked_by_risk_then_by_what_they_found() -> None:
    files = [file_report("test_low.py", INV, []),
             file_report("test_medium.py", INV, [finding("TM901", 3), finding("TM901", 10)]),
             file_report("test_high_one.py", INV, [finding("TM902", 3, Severity.MAJOR)]),
             file_report("test_high_two.py", INV, [finding("TM902", 3, Severity.MAJOR),
                                                   finding("TM902", 10, Severity.MAJOR)]),
             file_report("conftest.py", FileInventory(3), [])]
    suite = suite_report(["."], 5, files)
    assert [f.path for f in suite.ranked] == ["test_high_two.py", "test_high_one.py", "test_medium.py",
                                              "test_low.py"]
    assert suite.metrics.total == 20


def test_markdown_cells_escape_pipes_and_pages_stay_inside_the_directory() -> None:
    report = file_report("../x/test_a.py", INV, [finding("TM901", 3, message="a | b\nc")])
    page = markdown.render_file(report)
    assert "a | b c" in page  # a list item keeps the text
    assert "| `test_one` | 1-5 (5) | **minor** | TM901 TM901 (line 3) |" in page
    assert markdown.page_name("../x/test_a.py") == "__/x/test_a.py.md"
    assert markdown.page_name("./tests/test_a.py") == "tests/test_a.py.md"
    assert markdown._table(["a"], [["x | y"]]).endswith("| x \\| y |")


def test_paths_are_relative_never_absolute(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "in").mkdir()
    monkeypatch.chdir(tmp_path / "in")
    assert display(tmp_path / "in" / "test_a.py") == "test_a.py"
    assert display(tmp_path / "out" / "test_b.py") == "../out/test_b.py"


def test_unreadable_file_is_listed_not_ranked(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("test_ok.py").write_text("def test_x():\n    assert 1\n")
    Path("test_bad.py").write_text("def test_x(:\n")
    settings = load_settings([Path(".")], select=("TM501",))
    report = build_report(api.audit([Path(".")], settings), [Path(".")], settings)
    assert [f.path for f in report.ranked] == ["test_ok.py"]
    assert report.errors and report.errors[0][0] == "test_bad.py"
    assert "syntax error" in report.errors[0][1]
    assert "## Files not checked" in markdown.render(report)
