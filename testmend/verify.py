"""`fix --verify`: prove every fix on the project's own tests; keep only what keeps them green.

    from testmend.verify import fix_and_verify
    run, report = fix_and_verify([Path("tests")])

How it works:
  1. a dry first pass says which files will change; the tests those files can
     affect (a test module: its own tests; a conftest.py: every test under its
     directory; a helper module: every test under the paths given; a
     configuration file, or `--verify-all`: the project's whole run) are run
     with pytest *before anything is written* (the baseline, per test id);
  2. the fixes are written (`api.fix(write=True)`, every pass) and the tests
     of every changed file are run again. A test that passed before and now
     fails, errors, is skipped or is gone is broken (compared per test id); a
     test that was already failing never blocks a fix;
  3. every changed file whose tests broke goes back to its original bytes (if
     that does not bring them back, every change goes back and each file is
     from then on checked against all the tests: a change in one file broke
     another's; tests that fail even then are flaky and no longer compared).
     Then each of them is tried again on its own: the whole multi-pass result
     first; if that breaks its tests, the file is analysed again (one pass over
     its original content) and its fixes are bisected: the largest set that
     keeps its tests green stays, the culprits are reverted and reported with
     the tests they broke. A suite-level change (a pyproject.toml edit) is kept
     or reverted whole. Then everything is checked again, until stable.

A test run that crashes, times out or writes no readable junit XML is "could
not verify": the changes it was to check are reverted, never reported as
verified. Ctrl-C restores every file this run changed and raises `Interrupted`.

pytest runs as the project runs it: the configured command (default: this
interpreter's `python -m pytest`), from the project root testmend found
(`Settings.root`), with the user's environment, plus
`-p no:cacheprovider --junitxml=<tmp> -q -o junit_family=xunit1
--continue-on-collection-errors` (a module broken by a fix must not hide the
others) and PYTHONDONTWRITEBYTECODE=1 (a file rewritten twice within one second
with the same size must not be run from a stale .pyc).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import api
from .config import Settings, load_settings
from .engine import Job, Parsed, chosen_fixes, parse_and_check
from .fixing import apply
from .model import FileChange, FileResult, Finding, RunResult
from .source import SourceError, write_atomic

Log = Callable[[str], None]

EXTRA_ARGS = ("-p", "no:cacheprovider", "-q", "-o", "junit_family=xunit1", "--continue-on-collection-errors")
MAX_ROUNDS = 6  # stabilisation rounds before giving up (and reverting what is left unproven)
_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


class VerifyError(Exception):
    """The verification could not go on (a file changed under it); every file it changed was restored."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during `fix --verify`: every file this run changed was restored."""

    def __init__(self, restored: Sequence[Path], failed: Sequence[tuple[Path, str]]) -> None:
        super().__init__()
        self.restored = list(restored)
        self.failed = list(failed)

    @property
    def message(self) -> str:
        n = len(self.restored)
        text = (f"interrupted: restored {n} file{'s' if n != 1 else ''} to {'their' if n != 1 else 'its'} "
                "original content; nothing was changed" if n else "interrupted: nothing was changed")
        for path, why in self.failed:
            text += f"\nerror: {path}: could not be restored ({why})"
        return text


# ---------------------------------------------------------------- scopes
@dataclass(frozen=True)
class Scope:
    """The tests a change can affect: test files and directories, or everything
    (`targets` None: pytest without path arguments, the project's own run)."""

    targets: frozenset[Path] | None

    @staticmethod
    def everything() -> Scope:
        return Scope(None)

    @staticmethod
    def empty() -> Scope:
        return Scope(frozenset())

    @staticmethod
    def of(paths: Iterable[Path]) -> Scope:
        items = {p.resolve() for p in paths}
        # a target inside another target adds nothing
        kept = frozenset(p for p in items if not any(q != p and q in p.parents for q in items))
        return Scope(kept)

    @property
    def is_everything(self) -> bool:
        return self.targets is None

    def __or__(self, other: Scope) -> Scope:
        if self.targets is None or other.targets is None:
            return Scope.everything()
        return Scope.of(self.targets | other.targets)

    def covers(self, module: Path | None) -> bool:
        if self.targets is None:
            return True
        if module is None:
            return False
        return any(t == module or t in module.parents for t in self.targets)

    def includes(self, other: Scope) -> bool:
        if self.targets is None:
            return True
        if other.targets is None:
            return False
        return all(self.covers(t) for t in other.targets)

    def args(self, cwd: Path) -> list[str]:
        if self.targets is None:
            return []
        out = []
        for t in sorted(self.targets):
            try:
                out.append(t.relative_to(cwd).as_posix() or ".")
            except ValueError:
                out.append(str(t))
        return out

    def describe(self, cwd: Path) -> str:
        if self.targets is None:
            return "the whole test suite"
        args = self.args(cwd)
        return ", ".join(args[:3]) + (f" and {len(args) - 3} more" if len(args) > 3 else "")


def scope_of(path: Path, settings: Settings, paths: Sequence[Path], everything: bool = False) -> Scope:
    """Which tests a change to `path` can affect."""
    if everything or path.suffix != ".py":
        return Scope.everything()  # a configuration file decides collection for the whole project
    if path.name == "conftest.py":
        return Scope.of([path.parent])
    patterns = [p for p in settings.include if p != "conftest.py"]
    if any(fnmatch(path.name, p) for p in patterns):
        return Scope.of([path])
    # a helper module (base classes, mixins): any test under the paths given may import it
    resolved = path.resolve()
    dirs = [p.resolve() for p in paths if p.is_dir() and p.resolve() in resolved.parents]
    return Scope.of(dirs) if dirs else Scope.everything()


# ---------------------------------------------------------------- test runs
@dataclass(frozen=True)
class Case:
    """One test id's outcome in one run (several reports for one id merge to the worst)."""

    id: str  # junit classname::name
    module: Path | None  # the file that collected it (None: could not tell)
    outcome: str  # passed, skipped, failed, error
    message: str = ""


@dataclass
class TestRun:
    scope: Scope
    args: list[str]
    seconds: float
    returncode: int | None
    cases: dict[str, Case] | None  # None: could not verify
    problem: str | None = None
    rootdir: Path | None = None

    @property
    def ok(self) -> bool:
        return self.cases is not None


def default_command() -> tuple[str, ...]:
    return (sys.executable, "-m", "pytest")


class Runner:
    """Runs pytest with a junit XML report and reads the outcome of every test."""

    def __init__(self, command: Sequence[str], cwd: Path, timeout: float, log: Log | None = None) -> None:
        self.command = list(command)
        self.cwd = cwd
        self.timeout = timeout
        self.log = log
        self.runs: list[TestRun] = []
        self._tmp = Path(tempfile.mkdtemp(prefix="testmend-verify-"))

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.runs)

    def run(self, scope: Scope, why: str = "") -> TestRun:
        n = len(self.runs) + 1
        xml = self._tmp / f"run{n}.xml"
        out = self._tmp / f"run{n}.out"
        args = scope.args(self.cwd)
        argv = self.command + list(EXTRA_ARGS[:2]) + [f"--junitxml={xml}"] + list(EXTRA_ARGS[2:]) + args
        if self.log:
            self.log(f"verify: test run {n}{f' ({why})' if why else ''}: {scope.describe(self.cwd)}")
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        start = time.monotonic()
        returncode: int | None = None
        problem: str | None = None
        with open(out, "wb") as sink:
            try:
                proc = subprocess.Popen(argv, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL, stdout=sink,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as exc:
                problem = f"cannot start {argv[0]!r} ({exc.strerror or exc})"
            else:
                try:
                    returncode = proc.wait(timeout=self.timeout)
                except subprocess.TimeoutExpired:
                    _kill(proc)
                    problem = f"the test run timed out after {self.timeout:g} s"
                except BaseException:  # Ctrl-C: stop the tests we started, then let it propagate
                    _kill(proc)
                    raise
        seconds = time.monotonic() - start
        cases: dict[str, Case] | None = None
        rootdir = None
        if problem is None:
            if returncode in (3, 4) or not xml.is_file():
                what = {3: " (pytest: internal error)", 4: " (pytest: usage error)"}.get(returncode, "")
                problem = f"the test run exited with code {returncode}{what} without a usable junit XML" + _tail(out)
            else:
                try:
                    cases, rootdir = read_junit(xml, self.cwd, scope)
                except (ET.ParseError, OSError) as exc:
                    problem = f"the junit XML of the test run cannot be read ({exc})" + _tail(out)
        run = TestRun(scope, args, seconds, returncode, cases, problem, rootdir)
        self.runs.append(run)
        return run


def _kill(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)  # the whole process group the run started
        else:  # pragma: no cover
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    last = [line.rstrip() for line in text.splitlines() if line.strip()][-lines:]
    return (": " + " | ".join(line[:200] for line in last)) if last else ""


def read_junit(xml: Path, cwd: Path, scope: Scope) -> tuple[dict[str, Case], Path | None]:
    """{key: Case} from a junit XML (xunit1). Keys name the collecting file, not
    pytest's rootdir-relative classname, so runs with different arguments (which
    can move pytest's rootdir) compare test by test."""
    root = ET.parse(xml).getroot()
    raw = []
    for tc in root.iter("testcase"):
        outcome, message = "passed", ""
        for child in tc:
            kind = {"error": "error", "failure": "failed", "skipped": "skipped"}.get(child.tag)
            if kind and _RANK[kind] > _RANK[outcome]:
                outcome, message = kind, _first_lines(child.get("message") or child.text or "")
        raw.append((tc.get("classname", ""), tc.get("name", ""), tc.get("file") or "", outcome, message))
    rootdir = _infer_rootdir(raw, cwd, scope)
    cases: dict[str, Case] = {}
    for classname, name, file, outcome, message in raw:
        key, module = _key(rootdir, classname, name, file)
        tid = f"{classname}::{name}" if classname else f"{name}::<collection>"
        prev = cases.get(key)
        if prev is None or _RANK[outcome] > _RANK[prev.outcome]:
            cases[key] = Case(tid, module, outcome, message)
    return cases, rootdir


def _first_lines(text: str, lines: int = 3, width: int = 200) -> str:
    out = [line.rstrip()[:width] for line in text.strip().splitlines() if line.strip()][:lines]
    return "\n".join(out)


def _infer_rootdir(raw: list[tuple[str, str, str, str, str]], cwd: Path, scope: Scope) -> Path | None:
    """pytest's rootdir for this run: the directory the `file` attributes and
    classnames are relative to (it depends on the arguments and configuration)."""
    if not raw:
        return None
    candidates: list[Path] = []
    starts = [cwd.resolve()] + sorted(t if t.is_dir() else t.parent for t in (scope.targets or ()))
    for start in starts:
        for d in [start, *start.parents]:
            if d not in candidates:
                candidates.append(d)
    sample = raw[:200]
    best, best_score = None, (0, 0)
    for d in candidates:
        files = sum(1 for _, _, f, _, _ in sample if f and (d / f).is_file())
        modules = sum(1 for c, n, _, _, _ in sample if _resolve(d, c or n)[0] is not None)
        if (files, modules) > best_score:
            best, best_score = d, (files, modules)
    return best


_resolved: dict[tuple[Path, str], tuple[Path | None, str]] = {}


def _resolve(rootdir: Path, dotted: str) -> tuple[Path | None, str]:
    """'tests.test_x.TestA' -> (<rootdir>/tests/test_x.py, 'TestA')."""
    cached = _resolved.get((rootdir, dotted))
    if cached is not None:
        return cached
    parts = dotted.split(".") if dotted else []
    result: tuple[Path | None, str] = (None, dotted)
    for i in range(len(parts), 0, -1):
        if not all(parts[:i]):
            continue
        candidate = rootdir.joinpath(*parts[:i - 1], parts[i - 1] + ".py")
        if candidate.is_file():
            result = (candidate.resolve(), ".".join(parts[i:]))
            break
    if len(_resolved) > 100_000:
        _resolved.clear()
    _resolved[(rootdir, dotted)] = result
    return result


def _key(rootdir: Path | None, classname: str, name: str, file: str) -> tuple[str, Path | None]:
    module: Path | None = None
    if rootdir is not None:
        if not classname:  # a collection error: name is the module's dotted path
            module, rest = _resolve(rootdir, name)
            if module is None and file and (rootdir / file).is_file():
                module = (rootdir / file).resolve()
            if module is not None:
                return f"{module}::<collection>", module
        else:
            module, rest = _resolve(rootdir, classname)
            if module is None and file and (rootdir / file).is_file():
                module, rest = (rootdir / file).resolve(), classname  # e.g. a test item from a non-Python file
            if module is not None:
                return f"{module}::{rest + '::' if rest else ''}{name}", module
    return f"?{classname}::{name}", None


# ---------------------------------------------------------------- report
@dataclass(frozen=True)
class Broken:
    """A test that passed before the change and does not now."""

    id: str
    after: str  # failed, error, skipped, vanished
    message: str = ""


@dataclass(frozen=True)
class Revert:
    """Fixes taken back, and why."""

    path: Path
    findings: tuple[Finding, ...]  # the fixes reverted (every fix of the change when `whole`)
    why: str  # "broke-tests" | "could-not-verify"
    tests: tuple[Broken, ...] = ()
    problem: str = ""  # could not verify: what happened to the test run
    whole: bool = True  # the whole change went back (False: the culprit fixes only)
    note: str = ""

    def reason(self) -> str:
        if self.why == "could-not-verify":
            return f"could not verify: {self.problem}"
        if not self.tests:
            return "it broke tests"
        first = self.tests[0]
        more = f" and {len(self.tests) - 1} more" if len(self.tests) > 1 else ""
        return f"it broke {first.id} ({first.after}){more}"


@dataclass(frozen=True)
class Verified:
    path: Path
    fixes: int
    tests: int  # tests in its scope that passed before and still pass


@dataclass
class VerifyReport:
    command: tuple[str, ...]
    cwd: Path
    runs: list[TestRun] = field(default_factory=list)
    verified: list[Verified] = field(default_factory=list)
    reverts: list[Revert] = field(default_factory=list)
    already_failing: list[str] = field(default_factory=list)
    unstable: list[str] = field(default_factory=list)
    tests_checked: int = 0
    error: str | None = None  # the verification as a whole could not be done

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.runs)

    @property
    def could_not_verify(self) -> bool:
        return self.error is not None or any(r.why == "could-not-verify" for r in self.reverts)

    def to_dict(self) -> dict[str, Any]:
        from .output.json_report import finding_dict
        from .output.text import _rel

        return {
            "command": list(self.command),
            "cwd": str(self.cwd),
            "test_runs": len(self.runs),
            "seconds": round(self.seconds, 2),
            "runs": [{"args": r.args, "seconds": round(r.seconds, 2), "returncode": r.returncode,
                      "tests": len(r.cases) if r.cases is not None else None, "problem": r.problem}
                     for r in self.runs],
            "tests_checked": self.tests_checked,
            "error": self.error,
            "verified": [{"path": _rel(v.path), "fixes": v.fixes, "tests": v.tests} for v in self.verified],
            "reverted": [{
                "path": _rel(r.path),
                "reason": r.why,
                "whole_change": r.whole,
                "fixes": [finding_dict(f) for f in r.findings],
                "tests": [{"id": b.id, "outcome": b.after, "message": b.message} for b in r.tests],
                "problem": r.problem or None,
                "note": r.note or None,
            } for r in self.reverts],
            "already_failing": self.already_failing,
            "unstable": self.unstable,
        }


def summary(report: VerifyReport, color: bool = False) -> str:
    """The human-readable account of a verified run."""
    import click

    from .output.text import _rel, finding_line

    def bold(s: str) -> str:
        return click.style(s, bold=True) if color else s

    lines: list[str] = []
    command = " ".join(report.command)
    runs = len(report.runs)
    head = (f"Verified with `{command}` in {_rel(report.cwd) if report.cwd != Path.cwd() else '.'}: "
            f"{runs} test run{'s' if runs != 1 else ''}, {report.seconds:.1f} s.")
    lines.append(bold(head))
    if report.error:
        lines.append(f"  could not verify: {report.error}; nothing was written.")
    fixes = sum(v.fixes for v in report.verified)
    if report.verified:
        files = len(report.verified)
        lines.append(f"  Applied and verified: {fixes} fix{'es' if fixes != 1 else ''} in {files} "
                     f"file{'s' if files != 1 else ''} ({report.tests_checked} test"
                     f"{'s' if report.tests_checked != 1 else ''} that passed before still pass).")
    elif not report.error and not report.reverts:
        lines.append("  Nothing to verify.")
    if report.reverts:
        n = sum(len(r.findings) for r in report.reverts)
        lines.append(f"  Reverted {n} fix{'es' if n != 1 else ''}:")
        for r in report.reverts:
            where = _rel(r.path)
            what = "whole change" if r.whole else f"{len(r.findings)} fix{'es' if len(r.findings) != 1 else ''}"
            lines.append(f"    {where} ({what}): {r.reason()}")
            if r.note:
                lines.append(f"      {r.note}")
            for f in r.findings[:10] if not r.whole or len(r.findings) <= 3 else ():
                lines.append("      " + finding_line(f, color))
            for b in r.tests[:5]:
                lines.append(f"      {b.after}: {b.id}")
                for line in b.message.splitlines()[:3]:
                    lines.append(f"        {line}")
            if len(r.tests) > 5:
                lines.append(f"      ... and {len(r.tests) - 5} more tests")
    if report.already_failing:
        n = len(report.already_failing)
        lines.append(f"  {n} test{'s' if n != 1 else ''} already failing before the fixes (not blocking): "
                     + ", ".join(report.already_failing[:3]) + (" ..." if n > 3 else ""))
    if report.unstable:
        n = len(report.unstable)
        lines.append(f"  {n} test{'s' if n != 1 else ''} failed even with every change reverted (flaky?; "
                     f"not compared): " + ", ".join(report.unstable[:3]) + (" ..." if n > 3 else ""))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the units of verification
@dataclass
class Unit:
    """One changed file: kept, partly kept (culprit fixes reverted) or reverted whole."""

    path: Path
    original: bytes
    final: bytes  # the result of every pass
    applied: tuple[Finding, ...]  # every fix of `final`
    suite: bool  # a suite-level change: kept or reverted whole
    scope: Scope
    current: bytes = b""  # what is on disk (as this run last wrote it)
    kept: tuple[Finding, ...] = ()  # the fixes in `current`
    reverts: list[Revert] = field(default_factory=list)
    findings: tuple[Finding, ...] | None = None  # set when re-analysed in one pass
    dropped: tuple[tuple[Finding, str], ...] = ()  # apply()'s own drops in the re-analysis
    approved: tuple[Finding, ...] | None = None  # --interactive: only these may be applied

    @property
    def applied_now(self) -> bool:
        return self.current != self.original


def _is_suite_change(change: FileChange) -> bool:
    from .registry import rule_by_code

    if change.path.suffix != ".py" or not change.applied:
        return True
    for f in change.applied:
        rule = rule_by_code(f.code)
        if rule is not None and not rule.per_file:
            return True
    return False


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Verifier:
    def __init__(self, paths: Sequence[Path], settings: Settings, runner: Runner, everything: bool,
                 log: Log | None = None) -> None:
        self.paths = list(paths)
        self.settings = settings
        self.runner = runner
        self.everything = everything
        self.log = log
        self.units: list[Unit] = []
        self.baseline: dict[str, Case] = {}
        self.baseline_scope = Scope.empty()  # what the baseline runs covered
        self.scope = Scope.empty()  # the tests of every change: what the checks after writing run
        self.ignored: set[str] = set()  # keys that fail with every change reverted (flaky)
        self.broad = False  # cross-file effects seen: every unit's tests are the whole scope

    # -------------------------------------------------------- disk
    def write(self, unit: Unit, data: bytes) -> None:
        if data == unit.current:
            return
        write_atomic(unit.path, data, expected_digest=_digest(unit.current))
        unit.current = data

    def restore_all(self) -> tuple[list[Path], list[tuple[Path, str]]]:
        restored, failed = [], []
        for unit in self.units:
            if not unit.applied_now:
                continue
            try:
                self.write(unit, unit.original)
                restored.append(unit.path)
            except (SourceError, OSError) as exc:
                failed.append((unit.path, str(exc)))
        return restored, failed

    # -------------------------------------------------------- comparison
    def unit_scope(self, unit: Unit) -> Scope:
        return self.scope if self.broad else unit.scope

    def run(self, scope: Scope, why: str) -> TestRun:
        return self.runner.run(scope, why)

    def add_baseline(self, run: TestRun) -> None:
        assert run.cases is not None
        self.baseline.update(run.cases)
        self.baseline_scope = self.baseline_scope | run.scope

    def in_scope(self, case: Case, scope: Scope) -> bool:
        """Whether a run over `scope` must show this test. A test whose file could
        not be told counts only in runs over the whole baseline scope."""
        return scope.covers(case.module) or (case.module is None and scope == self.baseline_scope)

    def broken(self, run: TestRun, scope: Scope) -> list[tuple[str, Broken]]:
        """Tests in `scope` that passed in the baseline and do not in `run`."""
        assert run.cases is not None
        out = []
        for key, before in self.baseline.items():
            if before.outcome != "passed" or key in self.ignored:
                continue
            if not self.in_scope(before, scope) and not (before.module is None and key in run.cases):
                continue
            after = run.cases.get(key)
            if after is None:
                out.append((key, Broken(before.id, "vanished", "no longer collected")))
            elif after.outcome != "passed":
                out.append((key, Broken(before.id, after.outcome, after.message)))
        return out

    def green(self, run: TestRun, scope: Scope) -> bool:
        return run.ok and not self.broken(run, scope)

    def passing(self, scope: Scope) -> int:
        return sum(1 for k, c in self.baseline.items() if c.outcome == "passed" and k not in self.ignored
                   and self.in_scope(c, scope))

    # -------------------------------------------------------- stabilising
    def stabilize(self) -> None:
        """Check everything applied; revert what breaks tests until nothing does."""
        self.scope = Scope.empty()
        for unit in self.units:
            self.scope = self.scope | unit.scope
        for _ in range(MAX_ROUNDS):
            applied = [u for u in self.units if u.applied_now]
            if not applied:
                return
            run = self.run(self.scope, "after writing")
            broken = self.broken(run, self.scope) if run.ok else []
            if run.ok and not broken:
                return
            if run.ok:
                keys = {k for k, _ in broken}
                modules = {self.baseline[k].module for k in keys}
                suspects = [u for u in applied if any(
                    self.unit_scope(u).covers(m) or (m is None and self.unit_scope(u).is_everything)
                    for m in modules)]
            else:
                keys, suspects = set(), list(applied)
            for unit in suspects:
                self.write(unit, unit.original)
            escalated = not keys  # a crashed run: every change is retried on its own
            if keys:
                # do the suspects explain it? if not, other files affect these tests too
                check_scope = self._union(suspects)
                check = self.run(check_scope, "changes of the failing tests' files reverted") \
                    if suspects else None
                if check is not None and check.ok:
                    outside = {k for k in keys if not self.in_scope(self.baseline[k], check_scope)}
                    still = ({k for k, _ in self.broken(check, check_scope)} & keys) | outside
                else:
                    still = keys
                if still:
                    others = [u for u in applied if u not in suspects]
                    for unit in others:
                        self.write(unit, unit.original)
                    if others or check is None or check_scope != self.scope:
                        check = self.run(self.scope, "every change reverted")
                    if not check.ok:
                        self._give_up(applied, f"{check.problem} (with every change reverted)")
                        return
                    stuck = {k for k, _ in self.broken(check, self.scope)} & keys
                    if stuck:
                        self.ignored |= stuck  # they fail on the original code too: flaky, not ours
                    if still - stuck:
                        self.broad = True  # a change in one file broke another file's tests
                    suspects, escalated = applied, True
            # one suspect, nothing else touched since: the run above shows its final content already
            alone = run if len(suspects) == 1 and (not escalated or len(applied) == 1) else None
            for unit in sorted(suspects, key=_order):
                self.settle(unit, first=alone)
        leftover = [u for u in self.units if u.applied_now]
        self._give_up(leftover, f"the results did not settle after {MAX_ROUNDS} rounds of test runs")

    def _union(self, units: Sequence[Unit]) -> Scope:
        scope = Scope.empty()
        for u in units:
            scope = scope | self.unit_scope(u)
        return scope

    def _give_up(self, units: Sequence[Unit], problem: str) -> None:
        """Revert `units` (whatever state they are in) as not verifiable."""
        for unit in units:
            self.write(unit, unit.original)
            self._record(unit, Revert(unit.path, unit.kept or unit.applied, "could-not-verify",
                                      problem=problem), kept=())

    def _record(self, unit: Unit, revert: Revert | None, kept: tuple[Finding, ...]) -> None:
        unit.reverts = [revert] if revert is not None else []
        unit.kept = kept

    def settle(self, unit: Unit, first: TestRun | None = None) -> None:
        """Put back as much of `unit` as keeps its tests green. `first`: a run of
        its tests with `unit.final` written (made now if not given)."""
        scope = self.unit_scope(unit)
        if first is None:
            self.write(unit, unit.final)
            first = self.run(scope, f"{_display(unit.path)} re-applied")
        if self.green(first, scope):
            self.write(unit, unit.final)
            self._record(unit, None, unit.applied)
            return
        if unit.suite or unit.path.suffix != ".py":
            self.write(unit, unit.original)
            self._record(unit, self._revert(unit, unit.applied, first, scope, whole=True), kept=())
            return
        self.write(unit, unit.original)
        self.bisect(unit, first, scope)

    def _revert(self, unit: Unit, findings: Sequence[Finding], run: TestRun, scope: Scope, whole: bool,
                note: str = "") -> Revert:
        if not run.ok:
            return Revert(unit.path, tuple(findings), "could-not-verify", problem=run.problem or "", whole=whole,
                          note=note)
        return Revert(unit.path, tuple(findings), "broke-tests", tests=tuple(b for _, b in self.broken(run, scope)),
                      whole=whole, note=note)

    def job(self) -> Job:
        _files, _errors, job, _rules = api._prepare(self.paths, self.settings)
        return Job(job.settings, job.rules, job.suite, fix=True)

    def bisect(self, unit: Unit, first: TestRun, scope: Scope) -> None:
        """One pass over the original content; keep the largest set of its fixes
        that keeps the tests green (adaptive group testing over the fixes)."""
        parsed = parse_and_check(unit.path, self.job())
        if not isinstance(parsed, Parsed) or parsed.module is None:
            self._record(unit, self._revert(unit, unit.applied, first, scope, whole=True), kept=())
            return
        chosen = chosen_fixes(parsed.reports, self.settings.unsafe_fixes)
        if unit.approved is not None:
            chosen = [(f, fx) for f, fx in chosen if f in unit.approved]
        unit.findings = tuple(f for f, _ in parsed.reports)
        if not chosen:
            self._record(unit, self._revert(unit, unit.applied, first, scope, whole=True), kept=())
            return
        memo: dict[bytes, tuple[bool, TestRun]] = {unit.final: (False, first)}
        rendered: dict[frozenset[int], tuple[bytes, tuple[Finding, ...], tuple[tuple[Finding, str], ...]]] = {}
        module = parsed.module

        def render(subset: Sequence[int]) -> tuple[bytes, tuple[Finding, ...], tuple[tuple[Finding, str], ...]]:
            key = frozenset(subset)
            if key not in rendered:
                if not subset:
                    rendered[key] = (unit.original, (), ())
                else:
                    result = apply(module, [chosen[i] for i in sorted(subset)], self.settings, str(unit.path),
                                   parsed.positions)
                    data = parsed.source.encode(result.text)
                    rendered[key] = (data, tuple(f for f, _ in result.applied), tuple(result.dropped))
            return rendered[key]

        def trial(subset: Sequence[int]) -> tuple[bool, TestRun]:
            data = render(subset)[0]
            if data not in memo:
                self.write(unit, data)
                run = self.run(scope, f"{_display(unit.path)}: {len(subset)} of {len(chosen)} fixes")
                memo[data] = (self.green(run, scope), run)
            return memo[data]

        every = list(range(len(chosen)))
        ok, run_all = trial(every)
        if ok:
            data, applied, dropped = render(every)
            self.write(unit, data)
            unit.dropped = dropped
            note = ("the fixes of later passes broke its tests; kept the first pass's fixes"
                    if data != unit.final else "")
            lost = tuple(f for f in unit.applied if f not in applied) if data != unit.final else ()
            revert = self._revert(unit, lost, first, scope, whole=False, note=note) if note else None
            self._record(unit, revert, kept=applied)
            return
        if not first.ok or not run_all.ok:
            ok0, _ = trial([])
            if not ok0:  # the original file fails too: not this file's fixes (or the run itself is broken)
                self.write(unit, unit.original)
                self._record(unit, self._revert(unit, unit.applied, run_all, scope, whole=True), kept=())
                return

        culprits: list[tuple[int, TestRun]] = []

        def search(cands: list[int], keep: list[int]) -> list[int]:
            """Culprits among `cands`, given keep+cands is red (tested) and keep is green."""
            if len(cands) == 1:
                culprits.append((cands[0], trial(keep + cands)[1]))
                return list(cands)
            half = len(cands) // 2
            a, b = cands[:half], cands[half:]
            if trial(keep + a)[0]:
                return search(b, keep + a)
            found = search(a, keep)
            rest = keep + [i for i in a if i not in found]
            if trial(rest + b)[0]:
                return found
            return found + search(b, rest)

        bad = set(search(every, []))
        keep = [i for i in every if i not in bad]
        ok_keep, run_keep = trial(keep)
        if not ok_keep:
            self.write(unit, unit.original)
            self._record(unit, self._revert(unit, unit.applied, run_keep, scope, whole=True,
                                            note="no subset of its fixes kept its tests green"), kept=())
            return
        data, applied, dropped = render(keep)
        self.write(unit, data)
        unit.dropped = dropped
        culprit = [(chosen[i][0], evidence) for i, evidence in culprits]
        # one Revert per culprit fix, each with the tests it broke
        unit.kept = applied
        unit.reverts = [self._revert(unit, (f,), evidence, scope, whole=False) for f, evidence in culprit]
        if data != unit.final and memo.get(unit.final, (True,))[0] is False and not culprit:
            unit.reverts.append(self._revert(unit, (), first, scope, whole=False,
                                             note="the fixes of later passes broke its tests"))

    # -------------------------------------------------------- result
    def report(self, command: Sequence[str], cwd: Path) -> VerifyReport:
        report = VerifyReport(tuple(command), cwd, runs=list(self.runner.runs))
        for unit in self.units:
            report.reverts.extend(unit.reverts)
            if unit.applied_now and unit.kept:
                report.verified.append(Verified(unit.path, len(unit.kept), self.passing(self.unit_scope(unit))))
            elif unit.applied_now:  # a suite-level change keeps its finding in `applied`
                report.verified.append(Verified(unit.path, len(unit.applied), self.passing(self.unit_scope(unit))))
        live = [u for u in self.units if u.applied_now]
        report.tests_checked = self.passing(self._union(live)) if live else 0
        report.already_failing = sorted(c.id for c in self.baseline.values() if c.outcome in ("failed", "error"))
        report.unstable = sorted(self.baseline[k].id for k in self.ignored if k in self.baseline)
        return report

    def rewrite(self, run: RunResult) -> RunResult:
        """`run` as it ended up on disk: kept fixes applied, reverted ones listed
        with the reason (so the summary and residue report tell the truth)."""
        for unit in self.units:
            if unit.current == unit.final and not unit.reverts:
                continue
            key = unit.path.resolve()
            earlier_applied = [f for c in run.earlier if c.path.resolve() == key for f in c.applied]
            old_results = [r for r in run.files if r.path.resolve() == key]
            findings: list[Finding] = []
            if unit.findings is not None:
                findings = list(unit.findings)
            else:
                for f in [f for r in old_results for f in r.findings] + earlier_applied + list(unit.applied):
                    if not any(f is g for g in findings):
                        findings.append(f)
            dropped = list(unit.dropped)
            for revert in unit.reverts:
                for f in revert.findings:
                    dropped.append((f, "reverted by --verify: " + revert.reason()))
                    if not any(f is g for g in findings):
                        findings.append(f)
            change = FileChange(unit.path, unit.original, unit.current, applied=unit.kept if unit.applied_now else (),
                                dropped=tuple(dropped))
            index = next((i for i, r in enumerate(run.files) if r.path.resolve() == key), len(run.files))
            notes = tuple(n for r in old_results for n in r.notes)
            run.files = [r for r in run.files if r.path.resolve() != key]
            run.files.insert(min(index, len(run.files)), FileResult(unit.path, findings=tuple(findings),
                                                                    change=change, notes=notes))
            run.earlier = [c for c in run.earlier if c.path.resolve() != key]
            if not unit.applied_now:
                run.written = [p for p in run.written if p.resolve() != key]
        return run


def _order(unit: Unit) -> tuple[int, int, str]:
    """Suite-level changes first (file fixes may rely on them), then conftest.py
    and helper modules, then test modules."""
    if unit.suite:
        rank = 0
    elif unit.path.name == "conftest.py" or unit.scope.is_everything or len(unit.scope.targets or ()) != 1 \
            or unit.path.resolve() not in (unit.scope.targets or ()):
        rank = 1
    else:
        rank = 2
    return rank, len(unit.path.resolve().parts), str(unit.path)


def _display(path: Path) -> str:
    from .output.text import _rel

    return _rel(path)


# ---------------------------------------------------------------- entry points
def _setup(paths: Sequence[Path], settings: Settings | None, everything: bool, timeout: float | None,
           command: Sequence[str] | None, log: Log | None) -> tuple[Settings, Runner, Verifier]:
    settings = settings or load_settings(list(paths))
    if timeout is not None:
        settings = replace(settings, verify_timeout=timeout)
    cmd = tuple(command or settings.verify_command or default_command())
    runner = Runner(cmd, settings.root, settings.verify_timeout, log)
    return settings, runner, Verifier(paths, settings, runner, everything, log)


def _pending(run: RunResult) -> list[Path]:
    """Python files a later pass of `fix --write` may still change (as api.fix decides)."""
    applied = {id(f) for c in run.changes for f in c.applied}
    return [r.path for r in run.files
            if not r.error and r.path.suffix == ".py" and any(id(f) not in applied for f in r.findings)]


def _merge(run: RunResult) -> list[FileChange]:
    """One change per file over every pass: first old bytes, last new bytes."""
    merged: dict[Path, FileChange] = {}
    for change in list(run.earlier) + list(run.changes):
        key = change.path.resolve()
        if key in merged:
            prev = merged[key]
            change = FileChange(prev.path, prev.old, change.new, prev.applied + change.applied,
                                prev.dropped + change.dropped)
        merged[key] = change
    written = {p.resolve() for p in run.written}
    return [c for k, c in merged.items() if k in written and c.new != c.old]


def _unwritten(plan: RunResult, problem: str) -> RunResult:
    """The dry run's result with every change turned into 'not applied: <problem>'."""
    files = []
    for r in plan.files:
        if r.change is not None and r.change.new != r.change.old:
            change = FileChange(r.path, r.change.old, r.change.old, applied=(),
                                dropped=tuple((f, f"could not verify: {problem}") for f in r.change.applied)
                                + r.change.dropped)
            r = FileResult(r.path, findings=r.findings, change=change, error=r.error, notes=r.notes)
        files.append(r)
    return RunResult(files=files, files_seen=plan.files_seen, write_errors=list(plan.write_errors))


def fix_and_verify(paths: Sequence[Path], settings: Settings | None = None, *, everything: bool = False,
                   timeout: float | None = None, command: Sequence[str] | None = None,
                   progress: Any = None, log: Log | None = None) -> tuple[RunResult, VerifyReport]:
    """`fix --write --verify`: write every fix that keeps the tests green.

    Returns the run as it ended up on disk (reverted fixes are listed as left
    unchanged, with the reason) and the verification report. Raises
    `Interrupted` on Ctrl-C, after restoring every file it changed."""
    settings, runner, ver = _setup(paths, settings, everything, timeout, command, log)
    snapshot: dict[Path, bytes] = {}
    try:
        plan = api.fix(paths, settings, write=False)
        if not plan.changes:
            return plan, ver.report(runner.command, settings.root)
        for r in plan.files:
            if r.change is not None:
                snapshot[r.path] = r.change.old
        scope = Scope.empty()
        for target in [c.path for c in plan.changes] + _pending(plan):
            scope = scope | scope_of(target, settings, paths, everything)
        for r in plan.files:  # for Ctrl-C: every file a later pass could write
            if r.path not in snapshot and not r.error and r.findings:
                try:
                    snapshot[r.path] = r.path.read_bytes()
                except OSError:
                    pass
        base = runner.run(scope, "baseline, before any change")
        if not base.ok:
            report = ver.report(runner.command, settings.root)
            report.error = f"the baseline test run failed: {base.problem}"
            return _unwritten(plan, report.error), report
        ver.add_baseline(base)
        run = api.fix(paths, settings, write=True, progress=progress)
        for change in _merge(run):
            unit = Unit(change.path, change.old, change.new, change.applied, _is_suite_change(change),
                        scope_of(change.path, settings, paths, everything))
            unit.current, unit.kept = change.new, change.applied
            ver.units.append(unit)
        missing = Scope.empty()
        for unit in ver.units:
            if not ver.baseline_scope.includes(unit.scope):
                missing = missing | unit.scope
        if missing != Scope.empty():
            # a later pass changed a file the dry pass did not foresee: take its baseline now,
            # on the original content of everything
            finals = {id(u): u.current for u in ver.units}
            ver.restore_all()
            extra = runner.run(missing, "baseline for changes of later passes")
            if not extra.ok:
                for unit in ver.units:
                    unit.reverts = [Revert(unit.path, unit.applied, "could-not-verify",
                                           problem=f"the baseline test run failed: {extra.problem}")]
                    unit.kept = ()
                report = ver.report(runner.command, settings.root)
                return ver.rewrite(run), report
            ver.add_baseline(extra)
            for unit in ver.units:
                ver.write(unit, finals[id(unit)])
        ver.stabilize()
        return ver.rewrite(run), ver.report(runner.command, settings.root)
    except KeyboardInterrupt:
        raise _interrupted(ver, snapshot) from None
    except (SourceError, OSError) as exc:
        raise _failed(ver, snapshot, exc) from exc
    finally:
        runner.close()


def _interrupted(ver: Verifier, snapshot: dict[Path, bytes]) -> Interrupted:
    """Put every file this run changed back to its original bytes."""
    restored, failed = ver.restore_all()
    known = {u.path.resolve() for u in ver.units}
    for path, old in snapshot.items():
        if path.resolve() in known:
            continue
        try:
            if path.read_bytes() != old:
                write_atomic(path, old, expected_digest=None)
                restored.append(path)
        except (SourceError, OSError) as exc:
            failed.append((path, str(exc)))
    return Interrupted(restored, failed)


def _failed(ver: Verifier, snapshot: dict[Path, bytes], exc: Exception) -> VerifyError:
    done = _interrupted(ver, snapshot)
    n = len(done.restored)
    text = f"{exc}; verification stopped, {n} changed file{'s' if n != 1 else ''} restored"
    for path, why in done.failed:
        text += f"; {path} could not be restored ({why})"
    return VerifyError(text)


def fix_interactively_verified(paths: Sequence[Path], ask: Callable[[api.Proposal], api.Answer],
                               settings: Settings | None = None, *, everything: bool = False,
                               timeout: float | None = None, command: Sequence[str] | None = None,
                               log: Log | None = None) -> tuple[RunResult, VerifyReport]:
    """`fix --interactive --verify`: each file's approved fixes are verified as
    soon as the file is written, before the next file's fixes are offered."""
    settings, runner, ver = _setup(paths, settings, everything, timeout, command, log)
    snapshot: dict[Path, bytes] = {}
    try:
        plan = api.fix(paths, settings, write=False)
        if plan.changes:
            scope = Scope.empty()
            for change in plan.changes:
                scope = scope | scope_of(change.path, settings, paths, everything)
                snapshot[change.path] = change.old
            base = runner.run(scope, "baseline, before any change")
            if not base.ok:
                report = ver.report(runner.command, settings.root)
                report.error = f"the baseline test run failed: {base.problem}"
                return _unwritten(plan, report.error), report
            ver.add_baseline(base)

        def done(run: RunResult, change: FileChange) -> None:
            unit = Unit(change.path, change.old, change.new, change.applied, False,
                        scope_of(change.path, settings, paths, everything), current=change.new,
                        kept=change.applied, approved=change.applied)
            snapshot[change.path] = change.old
            ver.units.append(unit)
            scope = ver.unit_scope(unit)
            if not ver.baseline_scope.includes(scope):
                ver.write(unit, unit.original)
                ver._record(unit, Revert(unit.path, unit.applied, "could-not-verify",
                                         problem="its tests had no baseline run"), kept=())
                return
            check = ver.run(scope, f"{_display(unit.path)} written")
            if not ver.green(check, scope):
                ver.settle(unit, first=check)

        run = api.fix_interactively(paths, ask, settings, on_file_done=done)
        if sum(1 for u in ver.units if u.applied_now) > 1:
            ver.stabilize()  # files can affect each other's tests: one last check of everything kept
        return ver.rewrite(run), ver.report(runner.command, settings.root)
    except KeyboardInterrupt:
        raise _interrupted(ver, snapshot) from None
    except (SourceError, OSError) as exc:
        raise _failed(ver, snapshot, exc) from exc
    finally:
        runner.close()
