"""TM302 (duplicated configuration) and TM303 (duplicated helper classes) across files.

The fixture harness runs single modules; here are the multi-file trees: the
conftest.py a cross-file fixture goes to, the imports that move with it, the
all-or-nothing application of a fix that edits several files, the helper-class
detector, and a measurement of the grouping's cost.
"""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from testmend import api
from testmend.config import load_settings
from testmend.construction_index import ConstructionIndex, cluster
from testmend.engine import suite_results
from testmend.model import FileChange, Finding, FixInfo, Safety, Severity, Span
from testmend.rule import SuiteIndex

APP = '''\
from dataclasses import dataclass


@dataclass
class EnvConfig:
    device: str
    seed: int
    workers: int


@dataclass
class TrainingConfig:
    lr: float
    epochs: int
    batch_size: int
    optimizer: str


@dataclass
class AppConfig:
    env: EnvConfig
    training: TrainingConfig
    name: str
'''


def config_test(name: str, lr: str = "0.1", var: str = "config", extra: str = "") -> str:
    checks = extra or f"assert {var}.training.lr == {lr}"
    return "".join(line + "\n" for line in [
        f"def {name}():",
        f"    {var} = AppConfig(",
        '        env=EnvConfig(device="cpu", seed=1, workers=2),',
        f'        training=TrainingConfig(lr={lr}, epochs=3, batch_size=16, optimizer="adam"),',
        '        name="run",',
        "    )",
        *(f"    {c}" for c in checks.split("\n")),
    ])


IMPORT = "from app import AppConfig, EnvConfig, TrainingConfig\n"
PAYLOAD = 'def NAME():\n    payload = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8}\n' \
          "    assert payload\n"


def module(*tests: str, head: str = IMPORT) -> str:
    return head + "".join("\n\n" + t for t in tests)


def project(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n\n[tool.pytest.ini_options]\n'
                                         'pythonpath = ["."]\n')
    (root / "app.py").write_text(APP)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def settings(root: Path, select: str = "TM302", **kw):  # type: ignore[no-untyped-def]
    return load_settings([root / "tests"], select=select.split(","), jobs=1, unsafe_fixes=True, **kw)


def findings(root: Path, select: str = "TM302") -> list[Finding]:
    return api.audit([root / "tests"], settings(root, select)).findings


def run_pytest(root: Path) -> dict[str, str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "tests"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    outcomes = {}
    for line in done.stdout.splitlines():
        for word in ("PASSED", "FAILED", "ERROR"):
            if line.startswith(word + " "):
                outcomes[line.split()[1]] = word
    return outcomes


# ---------------------------------------------------------------- where the fixture goes
def test_nearest_shared_conftest_is_chosen_at_every_level(tmp_path: Path) -> None:
    project(tmp_path, {
        "tests/conftest.py": "",
        "tests/unit/conftest.py": "",
        "tests/unit/a/test_x.py": module(config_test("test_x"), config_test("test_x2", lr="0.2"),
                                         PAYLOAD.replace("NAME", "test_x3")),
        "tests/unit/b/test_y.py": module(config_test("test_y")),
        "tests/other/test_z.py": module(PAYLOAD.replace("NAME", "test_z")),
    })
    found = {f.message.split(" with ")[0]: f for f in findings(tmp_path)}
    assert set(found) == {"AppConfig(...)", "{...}"}
    # unit/a and unit/b share tests/unit/, which has a conftest.py
    assert "factory fixture `make_config` in tests/unit/conftest.py" in found["AppConfig(...)"].message
    # unit/a and other share only tests/
    assert "fixture `payload` in tests/conftest.py" in found["{...}"].message
    assert "tests/unit/a/test_x.py:5 (test_x), tests/unit/a/test_x.py:14 (test_x2), tests/unit/b/test_y.py:5 " \
           "(test_y)" in found["AppConfig(...)"].message


def test_common_directory_without_conftest_gets_a_new_one(tmp_path: Path) -> None:
    project(tmp_path, {"tests/sub/test_a.py": module(config_test("test_a")),
                       "tests/sub/test_b.py": module(config_test("test_b"))})
    before = run_pytest(tmp_path)
    run = api.fix([tmp_path / "tests"], settings(tmp_path), write=True)
    assert not run.errors
    conftest = tmp_path / "tests/sub/conftest.py"
    assert conftest.read_text() == textwrap.dedent('''\
        import pytest
        from app import AppConfig, EnvConfig, TrainingConfig


        @pytest.fixture
        def config():
            return AppConfig(
                env=EnvConfig(device="cpu", seed=1, workers=2),
                training=TrainingConfig(lr=0.1, epochs=3, batch_size=16, optimizer="adam"),
                name="run",
            )
        ''')
    assert (tmp_path / "tests/sub/test_a.py").read_text() == \
        "def test_a(config):\n    assert config.training.lr == 0.1\n"
    assert run_pytest(tmp_path) == before == {"tests/sub/test_a.py::test_a": "PASSED",
                                              "tests/sub/test_b.py::test_b": "PASSED"}


# ---------------------------------------------------------------- end to end
def test_fix_write_keeps_tests_passing_and_leaves_one_copy(tmp_path: Path) -> None:
    mutating = config_test("test_mutates", extra="config.training.lr = 9.0\nassert config.training.lr == 9.0")
    project(tmp_path, {
        "tests/__init__.py": "",
        "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef config():\n    return 'taken'\n",
        "tests/test_train.py": module(config_test("test_lr"), mutating,
                                      "class TestTraining:\n" + textwrap.indent(
                                          config_test("test_in_class", var="cfg").replace("():", "(self):"),
                                          "    "),
                                      head=IMPORT + "import os\n"),
        "tests/test_eval.py": module(config_test("test_eval"), config_test("test_eval_fast", lr="0.5"),
                                     "def test_uses_existing(config):\n    assert config == 'taken'\n"),
        "tests/test_other.py": module(config_test("test_other"),
                                      "def test_still_uses_the_import():\n    assert EnvConfig('cpu', 1, 1)\n"),
    })
    before = run_pytest(tmp_path)
    assert len(before) == 8 and set(before.values()) == {"PASSED"}
    run = api.fix([tmp_path / "tests"], settings(tmp_path), write=True)
    assert not run.errors
    assert run_pytest(tmp_path) == before
    texts = {p.name: p.read_text() for p in (tmp_path / "tests").glob("*.py")}
    every = "".join(texts.values())
    assert every.count('EnvConfig(device="cpu", seed=1, workers=2)') == 1
    # `config` is an existing fixture: the factory takes another name
    assert "def make_config():" in texts["conftest.py"] and "def make(*, lr=0.1):" in texts["conftest.py"]
    assert "config = make_config(lr=0.5)" in texts["test_eval.py"]
    assert "    def test_in_class(self, make_config):\n        cfg = make_config()\n" in texts["test_train.py"]
    # imports: moved to the conftest.py; gone where unused, kept where still used
    assert "from app import AppConfig, EnvConfig, TrainingConfig" in texts["conftest.py"]
    assert "from app import" not in texts["test_eval.py"]
    assert texts["test_train.py"].startswith("import os\n")
    assert texts["test_other.py"].startswith("from app import EnvConfig\n")
    again = api.fix([tmp_path / "tests"], settings(tmp_path), write=True)
    assert again.changes == [] and findings(tmp_path) == []


def test_conftest_that_holds_an_occurrence_gets_one_change(tmp_path: Path) -> None:
    fixture = config_test("app", extra="return config").replace("def app", "@pytest.fixture\ndef app")
    project(tmp_path, {"tests/conftest.py": module(fixture, head="import pytest\n" + IMPORT),
                       "tests/test_a.py": module(config_test("test_a", extra="assert app == config"),
                                                 head=IMPORT).replace("test_a()", "test_a(app)")})
    before = run_pytest(tmp_path)
    run = api.fix([tmp_path / "tests"], settings(tmp_path), write=True)
    assert not run.errors and len(run.changes) + len(run.earlier) == 2
    conftest = (tmp_path / "tests/conftest.py").read_text()
    # a fixture is a site: a factory, so `app` and the test each get their own object
    assert "def make_config():" in conftest and "def app(make_config):\n    config = make_config()\n" in conftest
    assert conftest.count("EnvConfig(device=") == 1
    assert "from app import" not in (tmp_path / "tests/test_a.py").read_text()
    assert run_pytest(tmp_path) == before == {"tests/test_a.py::test_a": "PASSED"}


def test_cross_file_fix_waits_for_a_per_file_fix_of_the_same_file(tmp_path: Path) -> None:
    unittest_part = "import unittest\n\n\nclass TestOld(unittest.TestCase):\n    def test_old(self):\n" \
                    "        self.assertEqual(1, 1)\n"
    project(tmp_path, {"tests/test_a.py": module(config_test("test_a"), head=IMPORT + unittest_part),
                       "tests/test_b.py": module(config_test("test_b"))})
    s = settings(tmp_path, "TM101,TM302")
    first = api._fix_pass([tmp_path / "tests"], s, None)[0]
    # pass 1: TM101 changes test_a.py, so TM302's change (conftest.py, test_a.py, test_b.py) waits whole
    assert [c.path.name for c in first.changes] == ["test_a.py"]
    assert [c.applied[0].code for c in first.changes] == ["TM101"]
    run = api.fix([tmp_path / "tests"], s, write=True)
    assert not run.errors
    text = (tmp_path / "tests/test_a.py").read_text()
    assert "assert 1 == 1" in text and "def test_a(config):" in text
    assert (tmp_path / "tests/conftest.py").exists()
    assert run_pytest(tmp_path) == {"tests/test_a.py::TestOld::test_old": "PASSED",
                                    "tests/test_a.py::test_a": "PASSED", "tests/test_b.py::test_b": "PASSED"}


# ---------------------------------------------------------------- all or nothing
def _finding(path: Path) -> Finding:
    return Finding("TM302", path, Span(1, 0, 1, 0), "x", Severity.MINOR, FixInfo(Safety.UNSAFE, "x"))


def test_suite_changes_of_one_finding_wait_together(tmp_path: Path) -> None:
    a, b, c = (tmp_path / n for n in ("a.py", "b.py", "conftest.py"))
    shared = _finding(a)
    other = _finding(c)

    class Rule:
        code, defaults = "TM302", {}

        @classmethod
        def check_suite(cls, suite, options):  # type: ignore[no-untyped-def]
            return [(shared, FileChange(a, b"a", b"A", ())), (shared, FileChange(c, b"", b"C", ())),
                    (other, FileChange(c, b"", b"C", ())), (shared, FileChange(b, b"b", b"B", ()))]

    s = load_settings([tmp_path], unsafe_fixes=True)
    results = suite_results([Rule], SuiteIndex(), s, fix=True)  # type: ignore[list-item]
    assert sorted(r.change.path.name for r in results if r.change) == ["a.py", "b.py", "conftest.py"]
    # b.py is changed by a per-file fix: `shared` waits, and so does `other`, whose
    # conftest.py change is the same text as `shared`'s
    results = suite_results([Rule], SuiteIndex(), s, fix=True, busy=[b])  # type: ignore[list-item]
    assert [r.change for r in results if r.change] == []


def test_linked_writes_are_all_or_nothing(tmp_path: Path) -> None:
    a, b, c = (tmp_path / n for n in ("a.py", "b.py", "conftest.py"))
    a.write_text("a = 1\n")
    b.write_text("b = 1\n")
    shared = _finding(a)
    run = api.RunResult()
    run.files = [api.FileResult(p, change=FileChange(p, old, new, (shared,)))
                 for p, old, new in [(a, b"a = 1\n", b"a = 2\n"), (c, b"", b"c = 2\n"), (b, b"b = 1\n", b"b = 2\n")]]
    b.chmod(0o444)  # the last write fails: the others are restored, the new conftest.py removed
    try:
        api.write_changes(run)
    finally:
        b.chmod(0o644)
    assert a.read_text() == "a = 1\n" and b.read_text() == "b = 1\n" and not c.exists()
    assert run.written == [] and len(run.write_errors) == 3
    b.write_text("b = 0\n")  # changed since it was read: nothing is written at all
    run.write_errors = []
    api.write_changes(run)
    assert a.read_text() == "a = 1\n" and not c.exists() and run.written == []
    assert "changed since it was read" in run.write_errors[0].message


# ---------------------------------------------------------------- not fixed
def test_cross_file_groups_that_cannot_move_name_their_conftest(tmp_path: Path) -> None:
    local = "class AppConfig:\n    def __init__(self, **kw):\n        self.__dict__.update(kw)\n"
    project(tmp_path, {
        "tests/test_a.py": module(config_test("test_a"), head="from app import EnvConfig, TrainingConfig\n" + local),
        "tests/test_b.py": module(config_test("test_b"), head="from app import EnvConfig, TrainingConfig\n" + local),
    })
    [finding] = findings(tmp_path)
    assert finding.fix is None
    assert "not fixed (it would go to tests/conftest.py): tests/test_a.py:8 (test_a) uses `AppConfig`, defined in " \
           "test_a.py (class), which a conftest.py cannot import" in finding.message


def test_testcase_methods_are_reported_not_fixed(tmp_path: Path) -> None:
    body = "import unittest\n" + IMPORT + "\n\nclass TestA(unittest.TestCase):\n" + \
        textwrap.indent(config_test("test_a").replace("():", "(self):"), "    ")
    project(tmp_path, {"tests/test_a.py": body, "tests/test_b.py": body.replace("TestA", "TestB")})
    [finding] = findings(tmp_path)
    assert finding.fix is None and "TestCase methods cannot request fixtures" in finding.message
    assert "tests/test_a.py:7 (TestA.test_a), tests/test_b.py:7 (TestB.test_a)" in finding.message


def test_threshold_and_differences_are_options(tmp_path: Path) -> None:
    project(tmp_path, {"tests/test_a.py": module(config_test("test_a")),
                       "tests/test_b.py": module(config_test("test_b", lr="0.2"))})
    (tmp_path / "pyproject.toml").write_text((tmp_path / "pyproject.toml").read_text()
                                             + "\n[tool.testmend.TM302]\nmax-differences = 0\n")
    assert findings(tmp_path) == []
    (tmp_path / "pyproject.toml").write_text((tmp_path / "pyproject.toml").read_text()
                                             .replace("max-differences = 0", "min-size = 11"))
    assert findings(tmp_path) == []  # 10 keyword arguments
    (tmp_path / "pyproject.toml").write_text((tmp_path / "pyproject.toml").read_text()
                                             .replace("min-size = 11", "min-size = 10"))
    [finding] = findings(tmp_path)
    assert "they differ in `training.lr`" in finding.message


def test_a_nested_construction_is_reported_once_with_its_outer_one(tmp_path: Path) -> None:
    project(tmp_path, {"tests/test_a.py": module(config_test("test_a"), config_test("test_b"))})
    [finding] = findings(tmp_path)
    assert finding.message.startswith("AppConfig(...) with 10 keyword arguments")


# ---------------------------------------------------------------- TM303
def test_duplicated_helper_classes(tmp_path: Path) -> None:
    mock_args = textwrap.dedent('''\
        class MockArgs:
            def __init__(self, **kwargs):
                self.resume = None
                self.run_name = None
                self.__dict__.update(kwargs)
        ''')
    small = "class Tiny:\n    x = 1\n"
    test_class = "class TestThing:\n    def test_x(self):\n        assert 1\n        assert 2\n        assert 3\n"
    project(tmp_path, {
        "tests/test_a.py": mock_args + small + test_class,
        "tests/test_b.py": mock_args.replace("run_name = None", 'run_name = "x"') + small + test_class,
        "tests/sub/test_c.py": mock_args.replace("MockArgs", "Args"),
    })
    [finding] = findings(tmp_path, "TM303")
    assert finding.message == (
        "class MockArgs is defined 3 times with bodies that differ in 1 constant value: tests/sub/test_c.py:1 "
        "(as Args), tests/test_a.py:1, tests/test_b.py:1; define it once and import it (or provide it from a "
        "conftest.py fixture)")
    assert finding.path.name == "test_c.py" and finding.fix is None


# ---------------------------------------------------------------- cost
def test_grouping_is_linear_in_the_number_of_constructions(capsys: pytest.CaptureFixture[str]) -> None:
    """2,000 constructions in 200 modules (10 shapes, each repeated with small
    differences); not a timing assertion, the measurement is printed."""
    sources = []
    for m in range(200):
        tests = []
        for t in range(10):
            shape = (m * 10 + t) % 10
            keys = ", ".join(f"k{shape}_{i}={(m + i) % 3 if i == 0 else i}" for i in range(9))
            tests.append(f"def test_{t}():\n    value = Shape{shape}({keys})\n    assert value\n")
        sources.append("\n\n".join(tests))
    start = time.perf_counter()
    facts = {Path(f"test_{m}.py"): ConstructionIndex.index_file(Path(f"test_{m}.py"), ast.parse(src), src)
             for m, src in enumerate(sources)}
    indexed = time.perf_counter()
    index = ConstructionIndex.build(facts, Path("."))
    groups = index.groups(8, 2)
    grouped = time.perf_counter()
    assert sum(len(f.constructions) for f in facts.values()) == 2000
    # every shape is one group: its three variants differ in one value
    assert len(groups) == 10 and sorted(len(g.members) for g in groups) == [200] * 10
    with capsys.disabled():
        print(f"\nTM302 cost: index {indexed - start:.3f}s, grouping {grouped - indexed:.3f}s "
              "for 2,000 constructions in 200 files")


def test_cluster_finds_near_duplicates_through_shared_blocks() -> None:
    far = [("fp", tuple(str(i * 100 + j) for j in range(12))) for i in range(500)]  # all far apart
    assert cluster(far, lambda x: x[0], lambda x: x[1], 2) == []
    base = tuple("x" * 12)
    near = [("fp", base), ("fp", base)] + [("fp", base[:i] + ("y",) + base[i + 1:]) for i in range(12)]
    [(members, centre)] = cluster(near, lambda x: x[0], lambda x: x[1], 2)
    assert len(members) == 14 and centre == base  # the most common vector is the centre
    two_apart = [("fp", base), ("fp", base), ("fp", ("y", "y", "y") + base[3:])]
    assert [len(m) for m, _ in cluster(two_apart, lambda x: x[0], lambda x: x[1], 2)] == [2]
    assert [len(m) for m, _ in cluster(two_apart, lambda x: x[0], lambda x: x[1], 3)] == [3]
    other_shape = [("fp", base), ("fp2", base)]
    assert cluster(other_shape, lambda x: x[0], lambda x: x[1], 2) == []
