"""TM202 (python_classes patterns) and how it lets TM201 convert FooTest classes.

The fixture harness writes single test modules into a directory without a
pytest configuration, so the suite-level rule is tested here: the text edit of
each configuration format, and whole projects fixed with `fix --write`.
"""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from testmend import api
from testmend.codemods.python_classes import add_patterns
from testmend.config import load_settings
from testmend.pytest_config import read_pytest_config


# ---------------------------------------------------------------- add_patterns
def test_pyproject_without_pytest_table_gets_one() -> None:
    text = '[project]\nname = "demo"\n'
    assert add_patterns(Path("pyproject.toml"), text, ["*Test"]) == (
        '[project]\nname = "demo"\n'
        "\n"
        "[tool.pytest.ini_options]\n"
        'python_classes = ["Test", "*Test"]\n'
    )


def test_pyproject_without_final_newline() -> None:
    text = '[project]\nname = "demo"'
    assert add_patterns(Path("pyproject.toml"), text, ["*Test"]) == (
        '[project]\nname = "demo"\n\n[tool.pytest.ini_options]\npython_classes = ["Test", "*Test"]\n'
    )


def test_pyproject_existing_table_gets_the_line_first() -> None:
    text = textwrap.dedent("""\
        [tool.pytest.ini_options]  # pytest
        addopts = "-q"
        testpaths = ["tests"]

        [tool.black]
        line-length = 100
        """)
    assert add_patterns(Path("pyproject.toml"), text, ["*Test", "*Tests"]) == textwrap.dedent("""\
        [tool.pytest.ini_options]  # pytest
        python_classes = ["Test", "*Test", "*Tests"]
        addopts = "-q"
        testpaths = ["tests"]

        [tool.black]
        line-length = 100
        """)


@pytest.mark.parametrize("text", [
    '[tool.pytest.ini_options]\npython_classes = ["Check"]\n',
    '[tool.pytest.ini_options]\naddopts = "-q"\npython_classes = [\n  "Check",\n]\n',
    '[tool.pytest.ini_options]\n  python_classes = ["Check"]\n',  # indented key: found by parsing
    '[tool.pytest]\npython_classes = ["Check"]\n',  # pytest 9's native table: left to a person
    '[tool]\npytest.ini_options.addopts = "-q"\n',  # a second [tool.pytest.ini_options] would be invalid
], ids=["set", "multiline", "indented", "native-table", "dotted-keys"])
def test_pyproject_left_to_a_person(text: str) -> None:
    assert add_patterns(Path("pyproject.toml"), text, ["*Test"]) is None


def test_pyproject_other_tables_named_like_pytest_do_not_count() -> None:
    text = "[tool.pytest-cov]\nfoo = 1\n"
    new = add_patterns(Path("pyproject.toml"), text, ["*Test"])
    assert new == text + '\n[tool.pytest.ini_options]\npython_classes = ["Test", "*Test"]\n'


@pytest.mark.parametrize("name, section", [
    ("pytest.ini", "[pytest]"), (".pytest.ini", "[pytest]"), ("tox.ini", "[pytest]"), ("setup.cfg", "[tool:pytest]"),
])
def test_ini_files(name: str, section: str) -> None:
    text = f"[metadata]\nname = demo\n\n{section}\naddopts =\n    -q\n    -ra\n\n[flake8]\nmax-line-length = 100\n"
    assert add_patterns(Path(name), text, ["*Test"]) == (
        f"[metadata]\nname = demo\n\n{section}\npython_classes = Test *Test\naddopts =\n    -q\n    -ra\n\n"
        "[flake8]\nmax-line-length = 100\n"
    )


@pytest.mark.parametrize("name, text", [
    ("tox.ini", "[tox]\nenvlist = py311\n"),  # no [pytest] section
    ("setup.cfg", "[pytest]\naddopts = -q\n"),  # setup.cfg's section is [tool:pytest]
    ("pytest.ini", "[pytest]\npython_classes = Check\n"),
    ("pytest.ini", "[pytest]\npython_classes: Check\n"),  # the other delimiter: found by parsing
    ("tox.ini", "[pytest]\naddopts = -q\n\n[pytest]\nminversion = 8\n"),  # unreadable: duplicate section
], ids=["no-section", "setup-cfg-wrong-section", "set", "colon", "duplicate-section"])
def test_ini_left_to_a_person(name: str, text: str) -> None:
    assert add_patterns(Path(name), text, ["*Test"]) is None


@pytest.mark.parametrize("name, text", [
    ("pyproject.toml", '[project]\r\nname = "demo"\r\n'),
    ("pyproject.toml", '[tool.pytest.ini_options]\r\naddopts = "-q"\r\n'),
    ("pytest.ini", "[pytest]\r\naddopts = -q\r\n"),
    ("setup.cfg", "[tool:pytest]  ; comment\r\naddopts = -q"),
])
def test_crlf_is_kept(name: str, text: str) -> None:
    new = add_patterns(Path(name), text, ["*Test"])
    assert new is not None
    assert re.search(r"(?<!\r)\n", new) is None, "a bare LF in a CRLF file"
    added = re.search(r"(?m)^python_classes = .*\r\n", new)
    assert added is not None
    rest = new[:added.start()] + new[added.end():]
    # the rest is the file as it was (plus a final newline, or the table the line went into)
    assert rest in (text, text + "\r\n", text + "\r\n[tool.pytest.ini_options]\r\n")


@pytest.mark.parametrize("name, text", [
    ("pyproject.toml", '[project]\nname = "demo"\n'),
    ("pyproject.toml", '[tool.pytest.ini_options]\naddopts = "-q"\n'),
    ("pytest.ini", "[pytest]\n"),
    ("tox.ini", "[pytest]\naddopts = -q\n"),
    ("setup.cfg", "[tool:pytest]\naddopts = -q\n"),
])
def test_pytest_reads_the_patterns_back(tmp_path: Path, name: str, text: str) -> None:
    new = add_patterns(Path(name), text, ["*Test", "*Tests"])
    assert new is not None
    (tmp_path / name).write_text(new)
    assert read_pytest_config(tmp_path).python_classes == ("Test", "*Test", "*Tests")


# ---------------------------------------------------------------- whole projects
PYPROJECT = '[project]\nname = "demo"\nversion = "0.1"\n'

CACHE_TEST = '''\
import unittest


class CacheTest(unittest.TestCase):
    def setUp(self):
        self.cache = {}

    def test_put(self):
        self.cache["k"] = 1
        self.assertEqual(self.cache, {"k": 1})
'''


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def fix_write(root: Path) -> api.RunResult:
    """`testmend fix --write` over `root`. Only the rules under test are selected
    (TM201 still runs TM101-TM103 for the assertions inside the classes), so
    rules written concurrently by others cannot change these results."""
    return api.fix([root], load_settings([root], jobs=1, select=["TM201", "TM202"]), write=True)


def pytest_outcomes(root: Path) -> dict[str, str]:
    """node id -> PASSED/FAILED/... for a pytest run in `root` (its own rootdir and config)."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    found = dict(
        reversed(m.groups()) for m in re.finditer(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)",
                                                 proc.stdout, re.M)
    )
    assert found, proc.stdout + proc.stderr
    return found


def test_pattern_added_then_class_converted(tmp_path: Path) -> None:
    root = project(tmp_path, {"pyproject.toml": PYPROJECT, "tests/test_x.py": CACHE_TEST})
    before = pytest_outcomes(root)
    assert before == {"tests/test_x.py::CacheTest::test_put": "PASSED"}

    run = fix_write(root)

    assert not run.errors and not run.write_errors
    assert (root / "pyproject.toml").read_text() == (
        PYPROJECT + '\n[tool.pytest.ini_options]\npython_classes = ["Test", "*Test"]\n'
    )
    # the class is converted in a later pass, once the pattern is in place
    assert (root / "tests/test_x.py").read_text() == '''\
import pytest


class CacheTest:
    @pytest.fixture(autouse=True)
    def setup_teardown(self):
        self.cache = {}
        yield

    def test_put(self):
        self.cache["k"] = 1
        assert self.cache == {"k": 1}
'''
    assert pytest_outcomes(root) == before
    assert fix_write(root).changes == []  # stable


def test_no_pattern_when_a_plain_class_would_be_collected(tmp_path: Path) -> None:
    helper = '''\
class HelperTest:
    """Not a test: a helper that happens to have a test_ method."""

    def test_connection(self):
        raise AssertionError("must never be collected")
'''
    root = project(tmp_path, {"pyproject.toml": PYPROJECT, "tests/test_x.py": CACHE_TEST,
                              "tests/test_helper.py": helper})
    before = pytest_outcomes(root)

    run = fix_write(root)

    assert (root / "pyproject.toml").read_text() == PYPROJECT
    assert (root / "tests/test_x.py").read_text() == CACHE_TEST
    messages = [f.message for f in run.findings if f.code in ("TM201", "TM202")]
    assert any("no pattern can be added safely" in m and "HelperTest" in m for m in messages), messages
    assert any("pytest would not collect CacheTest" in m for m in messages), messages
    assert pytest_outcomes(root) == before


MIXIN_SUITE = '''\
import unittest


class SharedTests:
    """Run by every subclass, never on its own (cls is None here)."""

    cls = None

    def test_empty(self):
        self.assertEqual(len(self.cls()), 0)


class ListTests(SharedTests, unittest.TestCase):
    cls = list


class DictTests(SharedTests, unittest.TestCase):
    cls = dict

    def test_keys(self):
        self.assertEqual(list(self.cls(a=1)), ["a"])
'''


def test_mixin_of_tests_is_marked_so_the_pattern_can_be_added(tmp_path: Path) -> None:
    """SharedTests matches *Tests and has test methods: it would be collected on
    its own (and fail, cls is None). `__test__ = False` keeps it out; the
    subclasses say `__test__ = True` so that they do not inherit it."""
    root = project(tmp_path, {"pyproject.toml": PYPROJECT, "tests/test_x.py": MIXIN_SUITE})
    before = pytest_outcomes(root)
    assert sorted(before) == ["tests/test_x.py::DictTests::test_empty", "tests/test_x.py::DictTests::test_keys",
                              "tests/test_x.py::ListTests::test_empty"]

    run = fix_write(root)

    assert not run.errors and not run.write_errors
    assert 'python_classes = ["Test", "*Tests"]' in (root / "pyproject.toml").read_text()
    assert (root / "tests/test_x.py").read_text() == '''\
class SharedTests:
    """Run by every subclass, never on its own (cls is None here)."""
    __test__ = False

    cls = None

    def test_empty(self):
        assert len(self.cls()) == 0


class ListTests(SharedTests):
    __test__ = True
    cls = list


class DictTests(SharedTests):
    __test__ = True
    cls = dict

    def test_keys(self):
        assert list(self.cls(a=1)) == ["a"]
'''
    assert pytest_outcomes(root) == before
    assert fix_write(root).changes == []  # stable


def test_mixin_subclassed_by_a_plain_class_is_not_marked(tmp_path: Path) -> None:
    """A plain subclass would inherit __test__ = True and be collected whatever its name."""
    suite = MIXIN_SUITE + "\n\nclass Helper(SharedTests):\n    pass\n"
    root = project(tmp_path, {"pyproject.toml": PYPROJECT, "tests/test_x.py": suite})
    run = fix_write(root)
    assert (root / "pyproject.toml").read_text() == PYPROJECT
    assert "__test__" not in (root / "tests/test_x.py").read_text()
    assert any(f.code == "TM202" and "SharedTests is not a TestCase" in f.message for f in run.findings)


@pytest.mark.parametrize("other, blocks", [
    # pytest reports a matching class it cannot collect (an error under filterwarnings = error)
    ("import dataclasses\n\n\n@dataclasses.dataclass\nclass ResultTest:\n    value: int = 0\n", "ResultTest"),
    ("class RetryTest(Exception):\n    pass\n", "RetryTest"),
    ("class OptionsTest:\n    def __init__(self):\n        self.x = 1\n", "OptionsTest"),
    # imported into a test module: collected from there
    ("from tests.helpers import LoadTest\n", "LoadTest"),
], ids=["dataclass", "exception", "init", "imported"])
def test_no_pattern_for_classes_pytest_would_report(tmp_path: Path, other: str, blocks: str) -> None:
    root = project(tmp_path, {
        "pyproject.toml": PYPROJECT + '\n[tool.pytest.ini_options]\nfilterwarnings = ["error"]\n',
        "tests/__init__.py": "",
        "tests/helpers.py": "class LoadTest:\n    def test_load(self):\n        pass\n",
        "tests/test_x.py": CACHE_TEST, "tests/test_other.py": other,
    })
    run = fix_write(root)
    assert "python_classes" not in (root / "pyproject.toml").read_text()
    assert any(f.code == "TM202" and blocks in f.message for f in run.findings), [f.message for f in run.findings]


def test_prefix_pattern_is_a_prefix(tmp_path: Path) -> None:
    """`test` has no glob characters, so pytest reads it as a prefix: testHelpers would match."""
    root = project(tmp_path, {
        "pyproject.toml": PYPROJECT,
        "tests/test_x.py": CACHE_TEST.replace("CacheTest", "testCache"),
        "tests/test_helper.py": "class testHelpers:\n    def test_x(self):\n        raise AssertionError\n",
    })
    run = fix_write(root)
    assert (root / "pyproject.toml").read_text() == PYPROJECT
    assert any(f.code == "TM202" and "testHelpers" in f.message for f in run.findings)


def test_no_config_file_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, {"tests/test_x.py": CACHE_TEST})
    monkeypatch.chdir(root)  # no pyproject.toml anywhere: the settings root is the current directory
    run = fix_write(root)
    assert sorted(p.name for p in root.iterdir()) == ["tests"]
    assert (root / "tests/test_x.py").read_text() == CACHE_TEST
    assert any(f.code == "TM202" and "does not create" in f.message for f in run.findings)


def test_config_of_another_project_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixing paths outside the current project: its configuration does not apply to them,
    neither for TM202 (no edit) nor for TM201 (its python_classes says nothing about them)."""
    here = '[project]\nname = "here"\n\n[tool.pytest.ini_options]\npython_classes = ["Test", "*Test"]\n'
    cwd = project(tmp_path / "a", {"pyproject.toml": here})
    monkeypatch.chdir(cwd)
    other = project(tmp_path / "b", {"tests/test_x.py": CACHE_TEST})
    before = pytest_outcomes(other)
    run = fix_write(other / "tests")
    assert (cwd / "pyproject.toml").read_text() == here
    assert (other / "tests/test_x.py").read_text() == CACHE_TEST
    assert any("pytest would not collect CacheTest" in f.message for f in run.findings)
    assert pytest_outcomes(other) == before


def test_python_functions_decides_what_a_plain_class_collects(tmp_path: Path) -> None:
    """unittest runs every test* method; a plain class, only what python_functions matches."""
    camel = CACHE_TEST.replace("CacheTest", "TestCache").replace("test_put", "testPut")
    config = '[tool.pytest.ini_options]\npython_functions = ["test_*"]\n'
    root = project(tmp_path, {"pyproject.toml": PYPROJECT + "\n" + config, "tests/test_x.py": camel})
    before = pytest_outcomes(root)
    assert before == {"tests/test_x.py::TestCache::testPut": "PASSED"}
    run = fix_write(root)
    assert (root / "tests/test_x.py").read_text() == camel
    assert any("would not collect testPut" in f.message for f in run.findings)
    assert pytest_outcomes(root) == before


def test_protocol_base_of_a_mixin_in_another_module_is_removed(tmp_path: Path) -> None:
    """cachetools' layout: a Protocol of TestCase methods types a mixin in
    tests/__init__.py; typing gives the test classes an __init__, so they stay
    TestCases until TM205 drops the Protocol from the mixin's bases."""
    init = '''\
from typing import Any, Protocol


class AssertsProtocol(Protocol):
    def assertEqual(self, first: Any, second: Any) -> None: ...


class SizeMixin(AssertsProtocol):
    size = 0

    def test_size(self):
        self.assertEqual(len([0] * self.size), self.size)
'''
    test = '''\
import unittest

from tests import SizeMixin


class TestSmall(unittest.TestCase, SizeMixin):
    size = 1
'''
    root = project(tmp_path, {"pyproject.toml": PYPROJECT, "tests/__init__.py": init, "tests/test_size.py": test})
    before = pytest_outcomes(root)
    assert before == {"tests/test_size.py::TestSmall::test_size": "PASSED"}

    run = api.fix([root], load_settings([root], jobs=1, select=["TM1", "TM201", "TM205"]), write=True)

    assert not run.errors and not run.write_errors
    assert "class SizeMixin:\n" in (root / "tests/__init__.py").read_text()
    assert "assert len([0] * self.size) == self.size" in (root / "tests/__init__.py").read_text()
    assert (root / "tests/test_size.py").read_text() == "from tests import SizeMixin\n\n\nclass TestSmall(SizeMixin):\n    size = 1\n"
    assert pytest_outcomes(root) == before


def test_interactive_offers_the_suite_fix_then_what_it_enables(tmp_path: Path) -> None:
    """`fix --interactive`: TM202's configuration line is offered (with its diff)
    after the per-file fixes, and once approved, TM201's conversion of the class
    it lets pytest collect is offered in the next round."""
    root = project(tmp_path, {"pyproject.toml": PYPROJECT, "tests/test_x.py": CACHE_TEST})
    asked: list[str] = []

    def ask(p: api.Proposal) -> api.Answer:
        asked.append(p.finding.code)
        if p.finding.code == "TM202":
            assert "+python_classes = [\"Test\", \"*Test\"]" in p.diff
        return api.Answer.YES

    settings = load_settings([root], jobs=1, select=["TM201", "TM202"])
    run = api.fix_interactively([root], ask, settings)

    assert asked == ["TM202", "TM201"]
    assert not run.write_errors
    assert "class CacheTest:\n" in (root / "tests/test_x.py").read_text()
    assert 'python_classes = ["Test", "*Test"]' in (root / "pyproject.toml").read_text()


def test_interactive_declined_suite_fix_writes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, {"pyproject.toml": PYPROJECT, "tests/test_x.py": CACHE_TEST})
    asked: list[str] = []

    def ask(p: api.Proposal) -> api.Answer:
        asked.append(p.finding.code)
        return api.Answer.NO

    api.fix_interactively([root], ask, load_settings([root], jobs=1, select=["TM201", "TM202"]))

    assert asked == ["TM202"]
    assert (root / "pyproject.toml").read_text() == PYPROJECT
    assert (root / "tests/test_x.py").read_text() == CACHE_TEST
