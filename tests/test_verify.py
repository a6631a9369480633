"""`fix --verify`: small projects whose tests really run (pytest in a subprocess).

One hand-made rule (TM990) breaks a test on purpose: its fix turns the module
constant `ANSWER = 41` into 42, which `test_answer` checks. It is injected by
patching the registry, and every test selects only TM101 (+ TM990), so rules
written concurrently by others cannot change these results.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Mapping

import libcst as cst
import pytest
from click.testing import CliRunner

from testmend import api, registry, verify
from testmend.cli import main
from testmend.config import ConfigError, load_settings
from testmend.model import FileChange, Finding, Safety, Severity, Span
from testmend.output.text import residue
from testmend.rule import Fix, Rule, SuiteIndex

PYPROJECT = '[tool.pytest.ini_options]\naddopts = "-p no:randomly"\n'

CALC = """import unittest

ANSWER = 41


class TestCalc(unittest.TestCase):
    def test_add(self):
        self.assertEqual(1 + 1, 2)

    def test_answer(self):
        self.assertEqual(ANSWER, 41)

    def test_fails_already(self):
        self.assertEqual(1, 2)
"""
CALC_FIXED = (CALC.replace("self.assertEqual(1 + 1, 2)", "assert 1 + 1 == 2")
              .replace("self.assertEqual(ANSWER, 41)", "assert ANSWER == 41")
              .replace("self.assertEqual(1, 2)", "assert 1 == 2"))
OTHER = """import unittest


class TestOther(unittest.TestCase):
    def test_true(self):
        self.assertTrue(isinstance(1, int))

    def test_in(self):
        self.assertIn(1, [1, 2])
"""
OTHER_FIXED = (OTHER.replace("self.assertTrue(isinstance(1, int))", "assert isinstance(1, int)")
               .replace("self.assertIn(1, [1, 2])", "assert 1 in [1, 2]"))


class BumpAnswer(Rule):
    """Hand-made rule for these tests: its fix changes `ANSWER = 41` to 42."""

    code = "TM990"
    name = "bump-answer"
    severity = Severity.MINOR
    fix_safety = Safety.SAFE

    def visit_Assign(self, node: cst.Assign) -> None:
        target = node.targets[0].target
        if isinstance(target, cst.Name) and target.value == "ANSWER" and isinstance(node.value, cst.Integer):
            fix = Fix("bump ANSWER", Safety.SAFE, {node.value: lambda n: n.with_changes(value="42")})
            self.report(node, "ANSWER can be bumped", fix)


class BumpAnswerLater(Rule):
    """Hand-made rule whose breaking fix only exists in a later pass of
    `fix --write`: it offers it once the base class in base.py was converted
    (which TM101 does in the first pass)."""

    code = "TM992"
    name = "bump-answer-later"
    severity = Severity.MINOR
    fix_safety = Safety.SAFE

    def visit_Assign(self, node: cst.Assign) -> None:
        target = node.targets[0].target
        if isinstance(target, cst.Name) and target.value == "ANSWER" and isinstance(node.value, cst.Integer):
            if "assert x" in (self.context.path.parent / "base.py").read_text():
                fix = Fix("bump ANSWER", Safety.SAFE, {node.value: lambda n: n.with_changes(value="42")})
                self.report(node, "ANSWER can be bumped now", fix)
            else:
                self.report(node, "ANSWER can be bumped once base.py is converted")


class NoFunctions(Rule):
    """Hand-made suite-level rule: its fix edits pyproject.toml so that pytest
    collects no test function at all (every test function vanishes)."""

    code = "TM991"
    name = "no-functions"
    severity = Severity.INFO
    fix_safety = Safety.SAFE
    per_file = False

    @classmethod
    def check_suite(cls, suite: SuiteIndex, options: Mapping[str, Any]) -> list[tuple[Finding, FileChange | None]]:
        target = suite.root / "pyproject.toml"
        old = target.read_bytes()
        if b"python_functions" in old:
            return []
        new = old + b'python_functions = ["nothing_*"]\n'
        info = Fix("collect nothing", Safety.SAFE, {}).info()
        finding = Finding(cls.code, target, Span(1, 0, 1, 0), "pyproject.toml can be changed", cls.severity, info)
        return [(finding, FileChange(target, old, new, applied=()))]


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def extra_rules(monkeypatch):
    real = registry.all_rules()

    def inject(*rules: type[Rule]) -> None:
        monkeypatch.setattr(registry, "all_rules", lambda: tuple(real) + rules)

    return inject


def project(root: Path, files: dict[str, str], toml: str = PYPROJECT) -> Path:
    (root / "pyproject.toml").write_text(toml)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def settings(root: Path, select: tuple[str, ...] = ("TM101",), **kw: Any):
    return load_settings([root / "tests"], select=select, jobs=1, **kw)


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


# ---------------------------------------------------------------- every fix keeps the tests green
def test_fixes_that_keep_tests_green_are_all_kept(tmp_path: Path) -> None:
    project(tmp_path, {"tests/test_calc.py": CALC, "tests/test_other.py": OTHER})
    run, report = verify.fix_and_verify([tmp_path / "tests"], settings(tmp_path))
    assert (tmp_path / "tests/test_calc.py").read_text() == CALC_FIXED
    assert (tmp_path / "tests/test_other.py").read_text() == OTHER_FIXED
    assert report.reverts == [] and report.error is None and not report.could_not_verify
    assert sorted((v.path.name, v.fixes, v.tests) for v in report.verified) == [
        ("test_calc.py", 3, 2), ("test_other.py", 2, 2)]
    assert len(report.runs) == 2  # the baseline and one run after writing
    assert report.runs[0].args == ["tests/test_calc.py", "tests/test_other.py"]
    # an already failing test is reported, never blocks its fix
    assert report.already_failing == ["tests.test_calc.TestCalc::test_fails_already"]
    assert sum(len(c.applied) for c in run.changes) == 5
    assert "Applied and verified: 5 fixes in 2 files (4 tests that passed before still pass)" \
        in verify.summary(report)


def test_nothing_to_fix_runs_no_tests(tmp_path: Path) -> None:
    project(tmp_path, {"tests/test_clean.py": "def test_x():\n    assert 1\n"})
    run, report = verify.fix_and_verify([tmp_path / "tests"], settings(tmp_path))
    assert report.runs == [] and run.changes == [] and report.reverts == []


# ---------------------------------------------------------------- a fix that breaks a test
def test_breaking_fix_is_reverted_and_the_others_stay(tmp_path: Path, extra_rules) -> None:
    extra_rules(BumpAnswer)
    project(tmp_path, {"tests/test_calc.py": CALC, "tests/test_other.py": OTHER})
    run, report = verify.fix_and_verify([tmp_path / "tests"], settings(tmp_path, ("TM101", "TM990")))
    # TM990 is gone, every TM101 fix stays, in both files
    assert (tmp_path / "tests/test_calc.py").read_text() == CALC_FIXED
    assert (tmp_path / "tests/test_other.py").read_text() == OTHER_FIXED
    [revert] = report.reverts
    assert revert.path.name == "test_calc.py" and revert.why == "broke-tests" and not revert.whole
    assert [f.code for f in revert.findings] == ["TM990"]
    [broken] = revert.tests
    assert broken.id == "tests.test_calc.TestCalc::test_answer" and broken.after == "failed"
    assert re.search(r"42 [!=]= 41", broken.message)
    assert sorted((v.path.name, v.fixes) for v in report.verified) == [("test_calc.py", 3), ("test_other.py", 2)]
    # the run tells the same story: 5 fixes written, TM990 left with the reason
    assert sum(len(c.applied) for c in run.changes) == 5
    left = [(f.code, why) for f, why in residue(run)]
    assert left == [("TM990", "reverted by --verify: it broke tests.test_calc.TestCalc::test_answer (failed)")]
    text = verify.summary(report)
    assert "Reverted 1 fix:" in text and "failed: tests.test_calc.TestCalc::test_answer" in text
    assert re.search(r"42 [!=]= 41", text)


BASE = "import unittest\n\n\nclass Base(unittest.TestCase):\n    def check(self, x):\n        self.assertTrue(x)\n"


def test_breaking_fix_of_a_later_pass_is_found_too(tmp_path: Path, extra_rules) -> None:
    extra_rules(BumpAnswerLater)
    calc = CALC.replace("import unittest\n", "import unittest\n\nfrom .base import Base\n").replace(
        "(unittest.TestCase)", "(Base)")
    files = {"tests/__init__.py": "", "tests/base.py": BASE, "tests/test_calc.py": calc}
    project(tmp_path, files)
    api.fix([tmp_path / "tests"], settings(tmp_path, ("TM101", "TM992")), write=True)
    assert "ANSWER = 42" in (tmp_path / "tests/test_calc.py").read_text()  # what --write alone does: 2 passes
    project(tmp_path, files)
    run, report = verify.fix_and_verify([tmp_path / "tests"], settings(tmp_path, ("TM101", "TM992")))
    text = (tmp_path / "tests/test_calc.py").read_text()
    assert "ANSWER = 41" in text and "assert ANSWER == 41" in text and "self.assert" not in text
    assert "assert x" in (tmp_path / "tests/base.py").read_text()
    [revert] = report.reverts
    assert [(f.code, f.message) for f in revert.findings] == [("TM992", "ANSWER can be bumped now")]
    assert [b.id for b in revert.tests] == ["tests.test_calc.TestCalc::test_answer"]
    assert sorted((v.path.name, v.fixes) for v in report.verified) == [("base.py", 1), ("test_calc.py", 3)]
    # base.py stays a change of the first pass; test_calc.py's passes became one verified change
    assert [(c.path.name, len(c.applied)) for c in run.earlier] == [("base.py", 1)]
    assert [(c.path.name, len(c.applied)) for c in run.changes] == [("test_calc.py", 3)]


A_MODULE = "import unittest\n\nANSWER = 41\n\n\nclass TestA(unittest.TestCase):\n    def test_one(self):\n" \
           "        self.assertEqual(1, 1)\n"
B_MODULE = "import unittest\n\nfrom .test_a import ANSWER\n\n\nclass TestB(unittest.TestCase):\n" \
           "    def test_answer(self):\n        self.assertEqual(ANSWER, 41)\n"


def test_fix_that_breaks_another_changed_files_test_is_found(tmp_path: Path, extra_rules) -> None:
    # test_b.py's test breaks, but the culprit is in test_a.py: reverting test_b.py's
    # own fixes does not help, so every change is retried against both files' tests
    extra_rules(BumpAnswer)
    project(tmp_path, {"tests/__init__.py": "", "tests/test_a.py": A_MODULE, "tests/test_b.py": B_MODULE})
    _, report = verify.fix_and_verify([tmp_path / "tests"], settings(tmp_path, ("TM101", "TM990")))
    assert (tmp_path / "tests/test_a.py").read_text() == A_MODULE.replace("self.assertEqual(1, 1)", "assert 1 == 1")
    assert (tmp_path / "tests/test_b.py").read_text() == B_MODULE.replace("self.assertEqual(ANSWER, 41)",
                                                                          "assert ANSWER == 41")
    assert [(r.path.name, [f.code for f in r.findings], [b.id for b in r.tests]) for r in report.reverts] == [
        ("test_a.py", ["TM990"], ["tests.test_b.TestB::test_answer"])]


def test_verify_all_runs_the_whole_suite_and_sees_untouched_files(tmp_path: Path, extra_rules) -> None:
    # test_b.py has nothing to fix: only --verify-all runs its tests
    extra_rules(BumpAnswer)
    b_fixed = B_MODULE.replace("self.assertEqual(ANSWER, 41)", "assert ANSWER == 41")
    project(tmp_path, {"tests/__init__.py": "", "tests/test_a.py": A_MODULE, "tests/test_b.py": b_fixed})
    _, report = verify.fix_and_verify([tmp_path / "tests"], settings(tmp_path, ("TM101", "TM990")),
                                      everything=True)
    assert all(r.args == [] for r in report.runs)
    assert "ANSWER = 41" in (tmp_path / "tests/test_a.py").read_text()
    assert "assert 1 == 1" in (tmp_path / "tests/test_a.py").read_text()
    assert [(r.path.name, [f.code for f in r.findings], [b.id for b in r.tests]) for r in report.reverts] == [
        ("test_a.py", ["TM990"], ["tests.test_b.TestB::test_answer"])]


def test_suite_level_change_that_breaks_tests_is_reverted_whole(tmp_path: Path, extra_rules) -> None:
    extra_rules(NoFunctions)
    project(tmp_path, {"tests/test_plain.py": "def test_x():\n    assert 1 + 1 == 2\n",
                       "tests/test_other.py": OTHER})
    before = (tmp_path / "pyproject.toml").read_bytes()
    _, report = verify.fix_and_verify([tmp_path / "tests"], settings(tmp_path, ("TM101", "TM991")))
    assert (tmp_path / "pyproject.toml").read_bytes() == before
    assert (tmp_path / "tests/test_other.py").read_text() == OTHER_FIXED
    [revert] = report.reverts
    assert revert.path.name == "pyproject.toml" and revert.whole and [f.code for f in revert.findings] == ["TM991"]
    assert [(b.id, b.after) for b in revert.tests] == [("tests.test_plain::test_x", "vanished")]
    assert report.runs[0].args == []  # a configuration change affects the whole suite
    assert [v.path.name for v in report.verified] == ["test_other.py"]


# ---------------------------------------------------------------- test runs that cannot verify
def test_crashing_test_run_is_could_not_verify_and_writes_nothing(tmp_path: Path) -> None:
    project(tmp_path, {"tests/test_calc.py": CALC})
    before = snapshot(tmp_path)
    run, report = verify.fix_and_verify([tmp_path / "tests"], settings(tmp_path),
                                        command=[sys.executable, "-c", "import sys; sys.exit(3)"])
    assert snapshot(tmp_path) == before
    assert report.could_not_verify and report.verified == []
    assert "exited with code 3 (pytest: internal error) without a usable junit XML" in (report.error or "")
    assert run.changes == [] and run.written == []
    assert {why for _, why in residue(run)} == {f"could not verify: {report.error}"}
    assert "could not verify" in verify.summary(report)


WRAPPER = """import os, pathlib, sys
# crashes (no junit XML) whenever a fix is in the test file, else runs pytest
if "        assert " in pathlib.Path("tests/test_calc.py").read_text():
    sys.exit(3)
os.execv(sys.executable, [sys.executable, "-m", "pytest", *sys.argv[1:]])
"""


def test_crash_after_writing_restores_the_files(tmp_path: Path) -> None:
    calc = CALC.replace("    def test_fails_already(self):\n        self.assertEqual(1, 2)\n", "")
    project(tmp_path, {"tests/test_calc.py": calc, "wrapper.py": WRAPPER})
    run, report = verify.fix_and_verify([tmp_path / "tests"], settings(tmp_path),
                                        command=[sys.executable, str(tmp_path / "wrapper.py")])
    assert (tmp_path / "tests/test_calc.py").read_text() == calc
    assert report.could_not_verify and report.verified == []
    reverted = [(f.code, r.why) for r in report.reverts for f in r.findings]
    assert ("TM101", "could-not-verify") in reverted
    assert all("exited with code 3" in r.problem for r in report.reverts)
    assert run.changes == [] and run.written == []


def test_timed_out_test_run_is_could_not_verify(tmp_path: Path) -> None:
    project(tmp_path, {"tests/test_calc.py": CALC})
    before = snapshot(tmp_path)
    _, report = verify.fix_and_verify([tmp_path / "tests"], settings(tmp_path), timeout=0.5,
                                      command=[sys.executable, "-c", "import time; time.sleep(30)"])
    assert snapshot(tmp_path) == before
    assert "timed out after 0.5 s" in (report.error or "")
    assert report.runs[0].seconds < 10


# ---------------------------------------------------------------- Ctrl-C
def test_ctrl_c_between_writing_and_the_rerun_restores_every_file(tmp_path: Path, monkeypatch) -> None:
    project(tmp_path, {"tests/test_calc.py": CALC, "tests/test_other.py": OTHER})
    before = snapshot(tmp_path)
    real = verify.Runner.run
    seen: list[str] = []

    def run(self, scope, why=""):
        if seen:  # the baseline ran; the fixes are written now
            assert (tmp_path / "tests/test_calc.py").read_text() == CALC_FIXED
            raise KeyboardInterrupt
        seen.append(why)
        return real(self, scope, why)

    monkeypatch.setattr(verify.Runner, "run", run)
    with pytest.raises(verify.Interrupted) as info:
        verify.fix_and_verify([tmp_path / "tests"], settings(tmp_path))
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in info.value.restored) == ["test_calc.py", "test_other.py"]
    assert "restored 2 files" in info.value.message


def test_ctrl_c_on_the_command_line_exits_2(tmp_path: Path, monkeypatch) -> None:
    project(tmp_path, {"tests/test_calc.py": CALC})
    before = snapshot(tmp_path)
    real = verify.Runner.run
    calls = []

    def run(self, scope, why=""):
        calls.append(why)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, scope, why)

    monkeypatch.setattr(verify.Runner, "run", run)
    result = CliRunner().invoke(main, ["fix", "--write", "--verify", "--select", "TM101", "tests"])
    assert result.exit_code == 2
    assert "interrupted: restored 1 file to its original content" in result.output
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------- interactive
def test_interactive_verifies_each_file_before_the_next(tmp_path: Path, extra_rules, monkeypatch) -> None:
    extra_rules(BumpAnswer)
    project(tmp_path, {"tests/test_calc.py": CALC, "tests/test_other.py": OTHER})
    events: list[str] = []
    real = verify.Runner.run

    def run(self, scope, why=""):
        events.append("run " + why)
        return real(self, scope, why)

    monkeypatch.setattr(verify.Runner, "run", run)

    def ask(p: api.Proposal) -> api.Answer:
        events.append(f"ask {p.finding.path.name}")
        return api.Answer.YES

    run_, report = verify.fix_interactively_verified([tmp_path / "tests"], ask,
                                                     settings(tmp_path, ("TM101", "TM990")))
    assert (tmp_path / "tests/test_calc.py").read_text() == CALC_FIXED
    assert (tmp_path / "tests/test_other.py").read_text() == OTHER_FIXED
    assert [(r.path.name, [f.code for f in r.findings]) for r in report.reverts] == [("test_calc.py", ["TM990"])]
    # test_calc.py's fixes were checked (and TM990 reverted) before test_other.py's first question
    first_other = events.index("ask test_other.py")
    assert events[0].startswith("run baseline")
    assert any(e.startswith("run ") and "test_calc.py" in e for e in events[:first_other])
    assert not any("test_other.py" in e for e in events[:first_other] if e.startswith("run "))
    assert [(f.code, why.startswith("reverted by --verify")) for f, why in residue(run_)] == [("TM990", True)]


def test_interactive_declined_fixes_are_never_put_back(tmp_path: Path, extra_rules) -> None:
    extra_rules(BumpAnswer)
    project(tmp_path, {"tests/test_calc.py": CALC})

    def ask(p: api.Proposal) -> api.Answer:  # decline the first assertion fix, approve the rest
        return api.Answer.NO if "1 + 1" in p.diff and "-        self.assertEqual(1 + 1" in p.diff else api.Answer.YES

    _, report = verify.fix_interactively_verified([tmp_path / "tests"], ask, settings(tmp_path, ("TM101", "TM990")))
    text = (tmp_path / "tests/test_calc.py").read_text()
    assert "self.assertEqual(1 + 1, 2)" in text  # declined: still there after the bisection
    assert "ANSWER = 41" in text and "assert ANSWER == 41" in text
    assert [f.code for r in report.reverts for f in r.findings] == ["TM990"]


# ---------------------------------------------------------------- command line and configuration
def test_cli_text_and_json(tmp_path: Path) -> None:
    project(tmp_path, {"tests/test_calc.py": CALC})
    result = CliRunner().invoke(main, ["fix", "--write", "--verify", "--select", "TM101", "tests"])
    assert result.exit_code == 0, result.output
    assert "Fixed 3 findings in 1 file" in result.stdout
    assert re.search(r"Verified with `.+ -m pytest` in \.: 2 test runs, \d+\.\d s\.", result.stdout)
    assert "Applied and verified: 3 fixes in 1 file (2 tests that passed before still pass)" in result.stdout
    assert "1 test already failing before the fixes (not blocking)" in result.stdout

    project(tmp_path, {"tests/test_calc.py": CALC})
    result = CliRunner().invoke(main, ["fix", "--write", "--verify", "--select", "TM101", "--format", "json",
                                       "tests"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["verify"]["verified"] == [{"path": "tests/test_calc.py", "fixes": 3, "tests": 2}]
    assert doc["verify"]["reverted"] == [] and doc["verify"]["test_runs"] == 2
    assert doc["verify"]["already_failing"] == ["tests.test_calc.TestCalc::test_fails_already"]
    assert [c["path"] for c in doc["changes"]] == ["tests/test_calc.py"]


@pytest.mark.parametrize("args, message", [
    (["fix", "--verify", "tests"], "--verify needs --write or --interactive"),
    (["fix", "--write", "--verify-timeout", "5", "tests"], "--verify-timeout needs --verify"),
    (["fix", "--write", "--verify", "--verify-timeout", "0", "tests"], "Invalid value for '--verify-timeout'"),
])
def test_cli_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    project(tmp_path, {"tests/test_calc.py": CALC})
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output
    assert (tmp_path / "tests/test_calc.py").read_text() == CALC


def test_cli_exit_1_when_the_tests_cannot_run(tmp_path: Path) -> None:
    project(tmp_path, {"tests/test_calc.py": CALC},
            PYPROJECT + '\n[tool.testmend]\nverify-command = "python -c \'import sys; sys.exit(3)\'"\n')
    result = CliRunner().invoke(main, ["fix", "--write", "--verify", "--select", "TM101", "tests"])
    assert result.exit_code == 1
    assert "could not verify" in result.stdout
    assert (tmp_path / "tests/test_calc.py").read_text() == CALC


def test_config_keys(tmp_path: Path) -> None:
    project(tmp_path, {}, '[tool.testmend]\nverify-command = "tox -e py -- -x"\nverify-timeout = 90\n')
    s = load_settings([tmp_path])
    assert s.verify_command == ("tox", "-e", "py", "--", "-x") and s.verify_timeout == 90.0
    assert s.warnings == ()
    project(tmp_path, {}, '[tool.testmend]\nverify-command = ["python3", "-m", "pytest", "-x"]\n')
    assert load_settings([tmp_path]).verify_command == ("python3", "-m", "pytest", "-x")


@pytest.mark.parametrize("toml, message", [
    ('verify-command = ""', "verify-command is empty"),
    ("verify-command = 3", "verify-command must be a command line or a list of strings"),
    ('verify-command = "python \'unclosed"', "cannot be split"),
    ("verify-timeout = 0", "verify-timeout must be a positive number of seconds"),
    ('verify-timeout = "60"', "verify-timeout must be a positive number of seconds"),
    ("verify-timeout = true", "verify-timeout must be a positive number of seconds"),
])
def test_bad_config_values(tmp_path: Path, toml: str, message: str) -> None:
    project(tmp_path, {}, "[tool.testmend]\n" + toml + "\n")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings([tmp_path])


def test_default_command_is_this_interpreter(tmp_path: Path) -> None:
    project(tmp_path, {})
    s = load_settings([tmp_path])
    assert s.verify_command == () and s.verify_timeout == 600.0
    assert verify.default_command() == (sys.executable, "-m", "pytest")


# ---------------------------------------------------------------- reading pytest's junit XML
def test_junit_ids_name_the_collecting_file_whatever_the_rootdir(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "test_lru.py").write_text("")
    xml = tmp_path / "r.xml"
    xml.write_text(
        '<testsuites><testsuite>'
        '<testcase classname="tests.test_lru.LRUTest" name="test_a" file="tests/__init__.py" line="3"/>'
        '<testcase classname="tests.test_lru.LRUTest" name="test_b" file="tests/test_lru.py" line="9">'
        '<failure message="assert 1 == 2&#10;second line&#10;third&#10;fourth">tb</failure></testcase>'
        '<testcase classname="" name="tests.test_lru" file="tests/test_lru.py">'
        '<error message="collection failure"/></testcase>'
        '</testsuite></testsuites>')
    module = (tmp_path / "tests" / "test_lru.py").resolve()
    for cwd in (tmp_path, tmp_path / "tests"):  # the rootdir is found from the data, not assumed
        cases, rootdir = verify.read_junit(xml, cwd, verify.Scope.of([tmp_path / "tests"]))
        assert rootdir == tmp_path.resolve()
        assert {c.id: (c.module, c.outcome) for c in cases.values()} == {
            "tests.test_lru.LRUTest::test_a": (module, "passed"),
            "tests.test_lru.LRUTest::test_b": (module, "failed"),
            "tests.test_lru::<collection>": (module, "error"),
        }
        failed = next(c for c in cases.values() if c.outcome == "failed")
        assert failed.message == "assert 1 == 2\nsecond line\nthird"


def test_scopes(tmp_path: Path) -> None:
    project(tmp_path, {"tests/test_a.py": "", "tests/conftest.py": "", "tests/helpers.py": "",
                       "tests/sub/test_b.py": ""})
    s = load_settings([tmp_path / "tests"])
    tests = (tmp_path / "tests").resolve()
    given = [tmp_path / "tests"]
    assert verify.scope_of(tmp_path / "tests/test_a.py", s, given).targets == {tests / "test_a.py"}
    assert verify.scope_of(tmp_path / "tests/conftest.py", s, given).targets == {tests}
    assert verify.scope_of(tmp_path / "tests/helpers.py", s, given).targets == {tests}
    assert verify.scope_of(tmp_path / "pyproject.toml", s, given).is_everything
    assert verify.scope_of(tmp_path / "tests/test_a.py", s, given, everything=True).is_everything
    both = verify.Scope.of([tests / "test_a.py"]) | verify.Scope.of([tests])
    assert both.targets == {tests}
    assert both.args(tmp_path.resolve()) == ["tests"]
    assert both.covers(tests / "sub" / "test_b.py") and not both.covers(None)
