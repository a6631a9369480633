"""The audit report: every test classified, per file and per suite, as data.

`build_report(run, paths, settings)` turns an audit's findings into a
`SuiteReport` of frozen dataclasses; `output/markdown.py` renders it and
`SuiteReport.to_dict()` is its JSON form (`audit --format json`, key
"report"). The report depends on no rule in particular: it reads each
finding's code, severity, span, message and fix, and the rule's name from the
registry. The one exception is the placeholder verdict, which belongs to the
rule that finds placeholders (`PLACEHOLDER_CODE`).

Which functions are tests is decided by the test-quality rules' own suite
analysis (`tests_inventory.TestInventory`: pytest's `python_files`,
`python_functions`, `python_classes`, `__test__`, unittest.TestCase
subclasses), so the report and the rules agree about it. The engine's
RunResult does not carry suite data, and that analysis only runs when a
selected rule needs it, so the report indexes the audited files itself: one
extra `ast` parse per file, about 5% of an audit.

docs/report.md describes the verdicts and the risk rule; every report prints
them too (`RISK_RULE`).
"""
from __future__ import annotations

import ast
import enum
import os
import re
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from .check_facts import dotted_ast, is_fixture_decorator
from .config import Settings
from .model import FileError, Finding, RunResult, Severity
from .registry import rule_by_code, select_rules
from .source import SourceError, read_source
from .tests_inventory import Inventory, TestInventory

PLACEHOLDER_CODE = "TM504"  # placeholder-test: its findings make a test's verdict "placeholder"
MEDIUM_SHARE = 20  # percent of tests with a minor verdict above which a file's risk is medium
SEVERITY_ORDER = (Severity.MAJOR, Severity.MINOR, Severity.INFO)


class Verdict(str, enum.Enum):
    WELL_DESIGNED = "well-designed"  # no major or minor finding on the test
    MINOR = "minor"  # a minor finding, no major one
    MAJOR = "major"  # a major finding
    PLACEHOLDER = "placeholder"  # a placeholder-test finding: the test was never written


class Risk(str, enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


RISK_ORDER = (Risk.HIGH, Risk.MEDIUM, Risk.LOW)
RISK_RULE = (
    f"high when any finding on the file or its tests is major; medium when none is but more than "
    f"{MEDIUM_SHARE}% of the tests have a minor verdict; low otherwise (minor findings outside the tests "
    "and info findings are listed but do not raise the risk)"
)


# ---------------------------------------------------------------- the data
@dataclass(frozen=True)
class TestItem:
    """A test function or method, as the inventory found it."""

    __test__ = False  # a report entry, not a test class for pytest to collect

    name: str  # qualified within the module: "test_x", "TestA.test_x"
    cls: str | None  # its class, qualified within the module
    line: int  # first line, decorators included
    end_line: int

    @property
    def lines(self) -> int:
        return self.end_line - self.line + 1


@dataclass(frozen=True)
class TestClass:
    """A class with tests in it (a pytest class, a TestCase, a mixin of tests)."""

    __test__ = False  # a report entry, not a test class for pytest to collect

    name: str
    line: int
    end_line: int
    tests: int


@dataclass(frozen=True)
class FileInventory:
    lines: int
    tests: tuple[TestItem, ...] = ()
    classes: tuple[TestClass, ...] = ()


@dataclass(frozen=True)
class Issue:
    """A finding, placed: in a test, in a class (outside its tests) or in the module.

    With `origin` set, the finding was reported in that other file and names
    this file's test `test` by its pytest node id (a fixture missing for tests
    in several modules is one finding, at the first test that requests it).
    """

    code: str
    name: str
    severity: Severity
    line: int  # in this file, or in `origin`
    end_line: int
    message: str
    fix: str | None  # "safe", "unsafe", or None when nothing can fix this finding
    test: str | None = None  # the test it is on
    cls: str | None = None  # the class it is in, when not in a test
    origin: str | None = None


@dataclass(frozen=True)
class TestRow:
    __test__ = False  # a report entry, not a test class for pytest to collect

    test: TestItem
    verdict: Verdict
    issues: tuple[Issue, ...]


@dataclass(frozen=True)
class RuleGroup:
    """One anti-pattern (rule): its findings in a file, or in the suite."""

    code: str
    name: str
    severity: Severity
    findings: int
    tests: int  # distinct tests it was found in
    files: tuple[str, ...] = ()  # suite level only: the files it was found in


@dataclass(frozen=True)
class Recommendation:
    """What to do about one rule's findings: testmend commands, or work by hand."""

    severity: Severity  # the priority: major high, minor medium, info low
    code: str
    name: str
    findings: int
    safe: int  # findings `command` fixes
    unsafe: int  # findings only `unsafe_command` fixes
    manual: int  # findings left to a person (no codemod, or the codemod declined)
    command: str | None  # `testmend fix --select CODE PATH`, when some fix is safe
    unsafe_command: str | None  # the same with --unsafe-fixes, when some fix is unsafe
    lines: tuple[int, ...] = ()  # file level: the lines of the manual ones
    files: int = 1  # suite level: files with findings of the rule

    @property
    def priority(self) -> str:
        return {Severity.MAJOR: "high", Severity.MINOR: "medium", Severity.INFO: "low"}[self.severity]


@dataclass(frozen=True)
class Metrics:
    total: int = 0
    well_designed: int = 0
    minor: int = 0
    major: int = 0
    placeholders: int = 0

    def __add__(self, other: "Metrics") -> "Metrics":
        return Metrics(self.total + other.total, self.well_designed + other.well_designed,
                       self.minor + other.minor, self.major + other.major,
                       self.placeholders + other.placeholders)

    def share(self, count: int) -> int:
        """`count` as a whole percentage of the tests, rounded half up."""
        return (200 * count + self.total) // (2 * self.total) if self.total else 0


@dataclass(frozen=True)
class RiskAssessment:
    level: Risk
    reason: str  # which part of RISK_RULE set it, with the numbers
    codes: tuple[str, ...] = ()  # the rules whose findings set it


@dataclass(frozen=True)
class FileReport:
    path: str  # relative to the current directory, POSIX
    inventory: FileInventory
    rows: tuple[TestRow, ...]  # by line
    issues: tuple[Issue, ...]  # the findings in this file, by line then code
    mentions: tuple[Issue, ...]  # findings in other files that name tests of this one
    rules: tuple[RuleGroup, ...]  # by severity, then findings (most first), then code
    recommendations: tuple[Recommendation, ...]
    metrics: Metrics
    risk: RiskAssessment
    quiet_rules: tuple[str, ...] = ()  # per-file rules that ran and found nothing here
    error: str | None = None

    @property
    def clean_tests(self) -> tuple[str, ...]:
        return tuple(r.test.name for r in self.rows if not r.issues)

    def count(self, severity: Severity) -> int:
        return sum(1 for i in self.issues if i.severity is severity)


@dataclass(frozen=True)
class Pattern:
    """A finding that concerns several files: its message names other audited
    files (a helper duplicated across modules, tests of several modules that
    request the same missing fixture). `files` starts with the file it is in."""

    code: str
    name: str
    severity: Severity
    message: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class SuiteReport:
    paths: tuple[str, ...]  # what was audited, relative
    files_audited: int
    files: tuple[FileReport, ...]  # by path
    metrics: Metrics
    risk: RiskAssessment
    recurring: tuple[RuleGroup, ...]  # rules found in two files or more
    patterns: tuple[Pattern, ...]  # findings that name other files
    recommendations: tuple[Recommendation, ...]
    errors: tuple[tuple[str, str], ...] = ()  # (path, message): files that could not be checked
    rules_run: tuple[str, ...] = ()

    @property
    def ranked(self) -> tuple[FileReport, ...]:
        """Files with tests or findings, riskiest first."""
        shown = [f for f in self.files if f.error is None and (f.rows or f.issues)]
        return tuple(sorted(shown, key=lambda f: (RISK_ORDER.index(f.risk.level), -f.metrics.major
                                                  - f.metrics.placeholders, -f.count(Severity.MAJOR),
                                                  -f.metrics.minor, -len(f.issues), f.path)))

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data: the dataclasses field for field,
        enums as their values (docs/report.md)."""
        return _plain(asdict(self))  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------- classification
def verdict(issues: Iterable[Issue]) -> Verdict:
    issues = list(issues)
    if any(i.code == PLACEHOLDER_CODE for i in issues):
        return Verdict.PLACEHOLDER
    if any(i.severity is Severity.MAJOR for i in issues):
        return Verdict.MAJOR
    if any(i.severity is Severity.MINOR for i in issues):
        return Verdict.MINOR
    return Verdict.WELL_DESIGNED


def metrics(rows: Iterable[TestRow]) -> Metrics:
    verdicts = [r.verdict for r in rows]
    return Metrics(len(verdicts), verdicts.count(Verdict.WELL_DESIGNED), verdicts.count(Verdict.MINOR),
                   verdicts.count(Verdict.MAJOR), verdicts.count(Verdict.PLACEHOLDER))


def assess(issues: Sequence[Issue], m: Metrics) -> RiskAssessment:
    """The risk level and the part of RISK_RULE that set it. `issues` are the
    findings on the file and its tests (mentions included)."""
    major = [i for i in issues if i.severity is Severity.MAJOR]
    if major:
        return RiskAssessment(Risk.HIGH, f"{_n(len(major), 'major finding')} ({_counted(major)})", _codes(major))
    in_tests = [i for i in issues if i.severity is Severity.MINOR and i.test is not None]
    tests = f"{m.minor} of {_n(m.total, 'test')} ({m.share(m.minor)}%) {'has' if m.minor == 1 else 'have'}"
    if m.total and 100 * m.minor > MEDIUM_SHARE * m.total:
        return RiskAssessment(Risk.MEDIUM, f"no major finding; {tests} a minor verdict "
                              f"({_counted(in_tests)})", _codes(in_tests))
    if in_tests:
        return RiskAssessment(Risk.LOW, f"no major finding; {tests} a minor verdict, not more than "
                              f"{MEDIUM_SHARE}%", _codes(in_tests))
    if issues:
        return RiskAssessment(Risk.LOW, "no major finding and no minor finding in a test")
    return RiskAssessment(Risk.LOW, "no findings")


def _codes(issues: Iterable[Issue]) -> tuple[str, ...]:
    return tuple(sorted({i.code for i in issues}))


def _counted(issues: Sequence[Issue]) -> str:
    counts: dict[str, int] = {}
    for i in issues:
        counts[i.code] = counts.get(i.code, 0) + 1
    return ", ".join(f"{code} \u00d7{n}" for code, n in sorted(counts.items()))


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def place(finding: Finding, inventory: FileInventory) -> tuple[str | None, str | None]:
    """The innermost test whose lines contain the finding's whole span, else the
    innermost such class: (test, class), at most one of them set."""
    first, last = finding.span.line, max(finding.span.line, finding.span.end_line)
    tests = [t for t in inventory.tests if t.line <= first and last <= t.end_line]
    if tests:
        return min(tests, key=lambda t: (t.lines, t.line)).name, None
    classes = [c for c in inventory.classes if c.line <= first and last <= c.end_line]
    if classes:
        return None, min(classes, key=lambda c: (c.end_line - c.line, c.line)).name
    return None, None


def issue_of(finding: Finding, inventory: FileInventory, test: str | None = None,
             origin: str | None = None) -> Issue:
    """The finding as an Issue of this file (placed by its span), or, with
    `origin`, of the named `test` of this file."""
    rule = rule_by_code(finding.code)
    cls = None
    if origin is None:
        test, cls = place(finding, inventory)
    return Issue(finding.code, rule.name if rule else finding.code, finding.severity, finding.span.line,
                 max(finding.span.line, finding.span.end_line), " ".join(finding.message.split()),
                 finding.fix.safety.value if finding.fix else None, test, cls, origin)


def _issue_key(i: Issue) -> tuple[Any, ...]:
    return (i.origin or "", i.line, i.code, i.end_line, i.test or "", i.message)


def _distinct(issues: Iterable[Issue], path: str | None) -> list[Issue]:
    """One issue per finding of the file at `path`: a finding that names several
    of its tests is one finding. With no path (issues of several files), all."""
    if path is None:
        return list(issues)
    seen: dict[tuple[Any, ...], Issue] = {}
    for i in issues:
        seen.setdefault((i.origin or path, i.line, i.end_line, i.code, i.message), i)
    return list(seen.values())


def _rule_groups(issues: Sequence[Issue], path: str | None = None) -> tuple[RuleGroup, ...]:
    by_code: dict[str, list[Issue]] = {}
    for i in issues:
        by_code.setdefault(i.code, []).append(i)
    groups = [RuleGroup(code, found[0].name, found[0].severity, len(_distinct(found, path)),
                        len({i.test for i in found if i.test})) for code, found in by_code.items()]
    return tuple(sorted(groups, key=lambda g: (SEVERITY_ORDER.index(g.severity), -g.findings, g.code)))


def fix_command(code: str, targets: Sequence[str], unsafe: bool) -> str:
    parts = ["testmend", "fix", "--select", code, *(["--unsafe-fixes"] if unsafe else []), *targets]
    return " ".join(shlex.quote(p) for p in parts)


def recommend(issues: Sequence[Issue], targets: Sequence[str], suite_targets: Sequence[str],
              files: dict[str, int] | None = None, path: str | None = None) -> tuple[Recommendation, ...]:
    """One recommendation per rule: most severe first, then most findings.

    The commands name `targets` (the file), or `suite_targets` (what was
    audited) for rules that look at the whole suite: those only see their
    findings when run over it.
    """
    out = []
    for group in _rule_groups(issues, path):
        found = _distinct((i for i in issues if i.code == group.code), path)
        safe = sum(1 for i in found if i.fix == "safe")
        unsafe = sum(1 for i in found if i.fix == "unsafe")
        manual = [i for i in found if i.fix is None]
        rule = rule_by_code(group.code)
        where = suite_targets if rule is not None and not rule.per_file else targets
        out.append(Recommendation(
            group.severity, group.code, group.name, len(found), safe, unsafe, len(manual),
            fix_command(group.code, where, False) if safe else None,
            fix_command(group.code, where, True) if unsafe else None,
            tuple(sorted({i.line for i in manual if i.origin is None})), (files or {}).get(group.code, 1)))
    return tuple(out)


def file_report(path: str, inventory: FileInventory, findings: Iterable[Finding],
                mentions: Iterable[tuple[Finding, str, str]] = (), quiet_rules: Sequence[str] = (),
                suite_targets: Sequence[str] = (), error: str | None = None) -> FileReport:
    """A file's report from its inventory and findings; pure, for tests too.

    `mentions` are findings of other files that name a test of this one:
    (finding, its file's report path, the test's name here).
    """
    issues = tuple(sorted((issue_of(f, inventory) for f in findings), key=_issue_key))
    names = {t.name for t in inventory.tests}
    placed = {(i.test, i.code, i.line, i.message) for i in issues}
    named_set = set()
    for f, origin, test in mentions:
        issue = issue_of(f, inventory, test, origin)
        already = origin == path and (test, issue.code, issue.line, issue.message) in placed
        if test in names and not already:
            named_set.add(issue)
    named = tuple(sorted(named_set, key=_issue_key))
    rows = []
    for test in sorted(inventory.tests, key=lambda t: (t.line, t.name)):
        own = [i for i in issues if i.test == test.name and test.line <= i.line <= test.end_line]
        own += [i for i in named if i.test == test.name]
        rows.append(TestRow(test, verdict(own), tuple(own)))
    m = metrics(rows)
    found = {i.code for i in issues}
    quiet = tuple(sorted(c for c in quiet_rules if c not in found)) if error is None else ()
    on_file = issues + named
    return FileReport(path, inventory, tuple(rows), issues, named, _rule_groups(on_file, path),
                      recommend(on_file, [path], suite_targets or [path], path=path),
                      m, assess(_distinct(on_file, path), m), quiet, error)


def suite_report(paths: Sequence[str], files_audited: int, files: Sequence[FileReport],
                 rules_run: Sequence[str] = (), aliases: dict[str, str] | None = None) -> SuiteReport:
    """The suite's report from its files' reports; `aliases` maps other spellings
    of the files' paths (relative to the project root) to their report paths."""
    files = tuple(sorted(files, key=lambda f: f.path))
    issues = [i for f in files for i in f.issues]
    where: dict[str, set[str]] = {}
    for f in files:
        for i in f.issues:
            where.setdefault(i.code, set()).add(f.path)
    recurring = tuple(RuleGroup(g.code, g.name, g.severity, g.findings, g.tests, tuple(sorted(where[g.code])))
                      for g in _rule_groups(issues) if len(where[g.code]) > 1)
    patterns = sorted(_naming_files(files, aliases or {}),
                      key=lambda p: (SEVERITY_ORDER.index(p.severity), -len(p.files), p.code, p.files, p.message))
    m = sum((f.metrics for f in files), Metrics())
    errors = tuple((f.path, f.error) for f in files if f.error is not None)
    return SuiteReport(tuple(paths), files_audited, files, m, assess(issues, m), recurring, tuple(patterns),
                       recommend(issues, list(paths), list(paths), {c: len(p) for c, p in where.items()}),
                       errors, tuple(rules_run))


def spellings(paths: Iterable[str], aliases: dict[str, str]) -> tuple[dict[str, str], str]:
    """Every way a message may name one of `paths` (report paths, or `aliases`
    of them) -> its report path; and the regex alternation of those spellings."""
    names = {p: p for p in paths}
    names.update((alias, path) for alias, path in aliases.items() if path in names)
    return names, "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))


def _naming_files(files: Sequence[FileReport], aliases: dict[str, str]) -> list[Pattern]:
    names, spelled = spellings([f.path for f in files], aliases)
    if not names:
        return []
    pattern = re.compile(rf"(?<![\w./-])({spelled})(?![\w/])")
    out = []
    for f in files:
        for i in f.issues:
            named = sorted({names[m] for m in pattern.findall(i.message)} - {f.path})
            if named:
                out.append(Pattern(i.code, i.name, i.severity, i.message, (f.path, *named)))
    return out


def named_tests(message: str, names: dict[str, str], spelled: str) -> list[tuple[str, str]]:
    """(report path, test name) for every pytest node id of an audited file in
    `message`: `tests/test_a.py::TestX::test_y[1]` -> ("tests/test_a.py", "TestX.test_y")."""
    if not spelled:
        return []
    node = re.compile(rf"(?<![\w./-])({spelled})::([A-Za-z_]\w*(?:::[A-Za-z_]\w*)*)")
    return sorted({(names[path], test.replace("::", ".")) for path, test in node.findall(message)})


# ---------------------------------------------------------------- the inventory
def display(path: Path) -> str:
    """`path` relative to the current directory, POSIX, never absolute."""
    return Path(os.path.relpath(path.resolve(), Path.cwd().resolve())).as_posix()


def inventory_of(path: Path, tree: ast.Module, lines: int, suite: Inventory) -> FileInventory:
    """The tests and test classes of one parsed file, as `suite` defines tests."""
    index = suite.module(path)
    imports = dict(index.facts.imports) if index is not None else {}
    tests: list[TestItem] = []
    classes: list[TestClass] = []

    def visit(body: list[ast.stmt], cls: str | None) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                targets = [d.func if isinstance(d, ast.Call) else d for d in stmt.decorator_list]
                fixture = any(is_fixture_decorator(dotted_ast(t), imports) for t in targets)
                if suite.is_test(path, cls, stmt.name, fixture):
                    first = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
                    name = f"{cls}.{stmt.name}" if cls else stmt.name
                    tests.append(TestItem(name, cls, first, stmt.end_lineno or stmt.lineno))
            elif isinstance(stmt, ast.ClassDef):
                qual = f"{cls}.{stmt.name}" if cls else stmt.name
                before = len(tests)
                visit(stmt.body, qual)
                own = sum(1 for t in tests[before:] if t.cls == qual)
                if own:
                    first = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
                    classes.append(TestClass(qual, first, stmt.end_lineno or stmt.lineno, own))
            elif cls is None:
                # module-level `if`/`try`/`with` blocks: their functions are module attributes
                for part in ("body", "orelse", "finalbody", "handlers"):
                    block = getattr(stmt, part, None)
                    if isinstance(block, list):
                        inner = [s.body if isinstance(s, ast.ExceptHandler) else [s] for s in block]
                        visit([s for group in inner for s in group if isinstance(s, ast.stmt)], None)

    visit(tree.body, None)
    return FileInventory(lines, tuple(sorted(tests, key=lambda t: (t.line, t.name))),
                         tuple(sorted(classes, key=lambda c: (c.line, c.name))))


def _parse(path: Path) -> tuple[ast.Module, str] | None:
    try:
        text = read_source(path).text
        return ast.parse(text, filename=str(path)), text
    except (SourceError, SyntaxError, ValueError, RecursionError):
        return None


def build_report(run: RunResult, paths: Sequence[Path], settings: Settings) -> SuiteReport:
    """The report of an audit run over `paths` with `settings`."""
    findings: dict[Path, list[Finding]] = {}
    errors: dict[Path, list[FileError]] = {}
    shown: dict[Path, Path] = {}
    for result in run.files:
        key = result.path.resolve()
        shown.setdefault(key, result.path)
        findings.setdefault(key, []).extend(result.findings)
        if result.error is not None:
            errors.setdefault(key, []).append(result.error)
    parsed = {key: _parse(shown[key]) for key in sorted(shown) if key not in errors and key.suffix == ".py"}
    suite = TestInventory.build({shown[k]: TestInventory.index_file(shown[k], p[0], p[1])
                                 for k, p in parsed.items() if p is not None}, settings.root)
    rules = select_rules(list(settings.select), list(settings.ignore))
    quiet = [r.code for r in rules if r.per_file]
    targets = sorted({display(p) for p in paths})
    paths_of = {key: display(shown[key]) for key in shown}
    aliases = {}
    for key in shown:
        try:
            aliases[key.relative_to(settings.root.resolve()).as_posix()] = paths_of[key]
        except ValueError:
            pass
    names, spelled = spellings(paths_of.values(), aliases)
    mentions: dict[str, list[tuple[Finding, str, str]]] = {}
    for key in sorted(shown):
        for f in findings[key]:
            for path, test in named_tests(f.message, names, spelled):
                mentions.setdefault(path, []).append((f, paths_of[key], test))
    reports = []
    for key in sorted(shown):
        got = parsed.get(key)
        if got is not None:
            inventory = inventory_of(shown[key], got[0], len(got[1].splitlines()), suite)
        else:
            inventory = FileInventory(_count_lines(shown[key]))
        error = "; ".join(e.message.removeprefix(str(e.path) + ": ") for e in errors.get(key, [])) or None
        if error is None and not inventory.tests and not findings[key]:
            continue  # nothing to say about it: counted in files_audited only
        reports.append(file_report(paths_of[key], inventory, findings[key], mentions.get(paths_of[key], ()),
                                   quiet if key.suffix == ".py" else (), targets, error))
    return suite_report(targets, run.files_seen, reports, [r.code for r in rules], aliases)


def _count_lines(path: Path) -> int:
    try:
        return len(read_source(path).text.splitlines())
    except SourceError:
        return 0
