"""Patch recognition (testmend/patches.py) and the patch rules TM401-TM405 beyond their fixtures:
what is counted, what each rule reports, and how the fixes of TM404 and TM405 share a test."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from testmend import api
from testmend.codemods import _with_statement as layout
from testmend.config import load_settings
from testmend.patches import Injection, PatchIndex, Style


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def index_of(source: str) -> PatchIndex:
    return PatchIndex(cst.parse_module(textwrap.dedent(source)))


def audit(tmp_path: Path, source: str, select: str, **options: object) -> list:
    (tmp_path / "test_case.py").write_text(textwrap.dedent(source))
    settings = load_settings([tmp_path], select=(select,), jobs=1,
                             rule_options={select: options} if options else None)
    run = api.audit([tmp_path], settings)
    assert run.errors == []
    return run.findings


# ---------------------------------------------------------------- recognising patches
def test_patchers_are_resolved_through_the_imports() -> None:
    index = index_of('''
        import unittest.mock
        import mock as backport
        from unittest import mock
        from unittest.mock import patch as p
        from helpers import patch as not_mock

        swap = unittest.mock.patch

        @p("a.one")
        @mock.patch.object(Thing, "two")
        @unittest.mock.patch.dict("os.environ", {})
        @backport.patch.multiple("a", three=1, four=2)
        @not_mock("a.five")
        @swap("a.six")
        def test_all(one, two):
            pass
    ''')
    [test] = index.tests
    assert [(u.patch.kind, u.patch.targets()) for u in test.uses] == [
        ("multiple", ("a.three", "a.four")),
        ("dict", ("os.environ",)),
        ("object", ("Thing.two",)),
        ("patch", ("a.one",)),
    ]
    assert test.stack.problem is not None  # not_mock and swap sit below the patches


@pytest.mark.parametrize(("decorator", "injects"), [
    ('patch("a.b")', Injection.POSITIONAL),
    ('patch("a.b", new=DEFAULT)', Injection.POSITIONAL),
    ('patch("a.b", new_callable=PropertyMock)', Injection.POSITIONAL),
    ('patch("a.b", autospec=True, return_value=3)', Injection.POSITIONAL),
    ('patch("a.b", None)', Injection.NONE),
    ('patch("a.b", new=sentinel.value)', Injection.NONE),
    ('patch.object(Thing, "attr", 3)', Injection.NONE),
    ('patch.object(Thing, "attr")', Injection.POSITIONAL),
    ('patch.dict("os.environ", {"A": "1"})', Injection.NONE),
    ('patch.multiple("a", x=1, y=lambda: 2)', Injection.NONE),
    ('patch.multiple("a", x=DEFAULT, y=3)', Injection.KEYWORDS),
    ('patch("a.b", **options)', Injection.UNKNOWN),
])
def test_what_a_decorator_injects(decorator: str, injects: Injection) -> None:
    index = index_of(f'''
        from unittest.mock import DEFAULT, PropertyMock, patch, sentinel

        @{decorator}
        def test_it(*args):
            pass
    ''')
    [(_, call)] = index.tests[0].stack.patches
    assert call.injection(index.qualified) is injects


def test_every_style_inside_a_test_and_its_setup_is_counted() -> None:
    index = index_of('''
        from unittest import TestCase, mock

        @mock.patch("a.klass")
        class TestAll(TestCase):
            def setUp(self):
                self.patcher = mock.patch("a.setup")
                self.patcher.start()

            @mock.patch("a.decorated")
            def test_all(self, decorated, klass, monkeypatch=None, mocker=None):
                with mock.patch("a.outer") as outer:
                    if True:
                        with mock.patch("a.deep"):
                            pass
                started = mock.patch("a.started").start()
                mocked = mocker.patch.object(Thing, "attr")
                monkeypatch.setattr("a.monkey", 1)
                monkeypatch.setenv("HOME", "/")  # not a patch of an attribute: not counted by TM401

            def helper(self):
                mock.patch("a.elsewhere").start()
    ''')
    [test] = index.tests
    styles = [(u.style, u.patch.targets()[0], u.bound) for u in test.uses]
    assert styles == [
        (Style.DECORATOR, "a.decorated", "decorated"),
        (Style.DECORATOR, "a.klass", "klass"),
        (Style.WITH, "a.outer", "outer"),
        (Style.WITH, "a.deep", None),
        (Style.START, "a.started", "started"),
        (Style.MOCKER, "Thing.attr", "mocked"),
        (Style.MONKEYPATCH, "a.monkey", None),
        (Style.MONKEYPATCH, 'os.environ["HOME"]', None),
        (Style.START, "a.setup", None),
    ]
    assert test.mock_names == {"decorated": "a.decorated", "klass": "a.klass", "outer": "a.outer",
                               "started": "a.started", "mocked": "Thing.attr"}


# ---------------------------------------------------------------- TM401
OVER = '''
    import os
    from unittest.mock import patch


    @patch("os.getcwd")
    @patch("os.getpid")
    @patch("os.listdir")
    def test_many(listdir, getpid, getcwd, mocker):
        mocker.patch("os.getuid")
        with patch("os.getgid") as gid:
            gid.return_value = 3
        getpid.assert_called_once()
        assert getcwd.called


    def test_few(mocker):
        mocker.patch("os.getcwd")
'''


def test_over_mocking_lists_the_targets_and_the_mocks_never_looked_at(tmp_path: Path) -> None:
    [finding] = audit(tmp_path, OVER, "TM401", max_patches=4)
    assert finding.message == (
        "test_many runs under 5 patches (max-patches is 4): os.listdir, os.getpid, os.getcwd, os.getuid, "
        "os.getgid; never asserted on: listdir (os.listdir)")
    assert finding.fix is None


def test_patches_of_the_fixtures_a_test_gets_count_for_it(tmp_path: Path) -> None:
    [finding] = audit(tmp_path, '''
        import pytest
        from unittest.mock import patch


        @pytest.fixture
        def clock():
            with patch("time.time"), patch("time.monotonic"):
                yield


        @pytest.fixture
        def env(clock, monkeypatch):
            monkeypatch.setattr("os.getcwd", lambda: "/")


        @pytest.fixture(autouse=True)
        def quiet(mocker):
            mocker.patch("logging.info")


        @pytest.fixture
        def returned():
            with patch("os.getpid"):  # stopped before the test runs: not counted
                return 1


        @patch("os.getuid")
        def test_it(getuid, env, returned):
            assert getuid.called
    ''', "TM401", max_patches=4)
    assert finding.message == (
        "test_it runs under 5 patches, 4 of them from fixtures (max-patches is 4): os.getuid, logging.info, "
        "time.time, time.monotonic, os.getcwd; every injected mock is asserted on")


def test_over_mocking_threshold_defaults_to_five(tmp_path: Path) -> None:
    assert audit(tmp_path, OVER, "TM401") == []


# ---------------------------------------------------------------- TM402
def test_mixed_styles_are_reported_once_per_kind_of_target(tmp_path: Path) -> None:
    findings = audit(tmp_path, '''
        import os
        from unittest.mock import patch


        @patch("os.getcwd")
        @patch.dict(os.environ, {"A": "1"})
        def test_a(getcwd):
            pass


        @patch("os.getpid")
        def test_b(getpid):
            pass


        def test_c(monkeypatch, mocker):
            monkeypatch.setattr("os.getuid", lambda: 0)
            monkeypatch.setenv("B", "2")
            mocker.patch("os.getgid")
    ''', "TM402")
    assert [(f.span.line, f.message) for f in findings] == [
        (18, "attributes are patched in 3 styles in this file: @patch decorators (2), mocker.patch (1), "
             "monkeypatch (1); most use @patch decorators"),
        (19, "environment variables are patched in 2 styles in this file: @patch decorators (1), "
             "monkeypatch (1); most use @patch decorators"),
    ]


def test_one_style_per_kind_is_fine(tmp_path: Path) -> None:
    assert audit(tmp_path, '''
        from unittest.mock import patch


        def test_a(mocker, monkeypatch):
            mocker.patch("os.getcwd")
            monkeypatch.setenv("A", "1")
    ''', "TM402") == []


# ---------------------------------------------------------------- TM403/TM404 layout
def test_layout_never_uses_a_backslash() -> None:
    items = [layout.Item(f'patch("package.module.function_{n}", return_value={n}) as mock_{n}') for n in range(4)]
    one_line = layout.header(items[:1], is_async=False, column=4, unit="    ", line_length=88,
                             parentheses=False, newline="\n")
    assert one_line == 'with patch("package.module.function_0", return_value=0) as mock_0:'
    assert layout.header(items, is_async=False, column=4, unit="    ", line_length=88, parentheses=False,
                         newline="\n") is None
    stacked = layout.header(items, is_async=True, column=4, unit="    ", line_length=88, parentheses=True,
                            newline="\n")
    assert stacked is not None and "\\" not in stacked
    assert stacked.splitlines()[0] == "async with (" and stacked.splitlines()[-1] == "):"


def test_stack_to_with_is_opt_in(tmp_path: Path) -> None:
    source = '''
        import os
        from unittest.mock import patch


        @patch("os.getcwd")
        @patch("os.getpid")
        def test_a(getpid, getcwd):
            pass
    '''
    [off] = audit(tmp_path, source, "TM404")
    assert off.fix is None and "to-with = true" in off.message
    [on] = audit(tmp_path, source, "TM404", to_with=True)
    assert on.fix is not None and on.fix.safety.value == "safe"


# ---------------------------------------------------------------- TM404 and TM405 together
SHARED = '''
    import os
    import time
    from unittest.mock import patch


    @patch("os.getpid", return_value=7)
    @patch("os.getcwd", return_value="/x")
    @patch("time.time", return_value=1.0)
    def test_a(clock, getcwd, getpid):
        assert time.time is clock and os.getcwd is getcwd and os.getpid is getpid


    @patch("os.getppid", return_value=2)
    @patch("os.getuid", return_value=3)
    @patch("os.getcwd", return_value="/x")
    @patch("time.time", return_value=1.0)
    def test_b(clock, getcwd, getuid, getppid):
        assert os.getuid is getuid and os.getppid is getppid and time.time is clock
'''


def test_repeated_stack_goes_to_a_fixture_and_the_extras_to_a_with_block(tmp_path: Path) -> None:
    path = tmp_path / "test_shared.py"
    path.write_text(textwrap.dedent(SHARED))
    before = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                            capture_output=True, text=True)
    assert "2 passed" in before.stdout
    settings = load_settings([tmp_path], select=("TM404", "TM405"), unsafe_fixes=True, jobs=1,
                             target_version="py310", rule_options={"TM404": {"to_with": True}})
    # TM405's fix wins the test it shares with TM404 (its finding comes first); TM404 converts the
    # extras once the fixture is in place, in a later pass or run
    for _ in range(3):
        run = api.fix([tmp_path], settings, write=True)
        assert run.errors == []
    text = path.read_text()
    assert text.count("@patch(") == 1  # test_a keeps its one extra patch as a decorator
    assert "def patches():" in text and "yield types.SimpleNamespace(clock=clock, getcwd=getcwd)" in text
    assert "def test_a(getpid, patches):" in text
    assert ('def test_b(patches):\n    with (\n        patch("os.getuid", return_value=3) as getuid,\n'
            '        patch("os.getppid", return_value=2) as getppid,\n    ):\n') in text
    after = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                           capture_output=True, text=True)
    assert "2 passed" in after.stdout, after.stdout
    again = api.fix([tmp_path], settings, write=True)
    assert again.changes == [] and again.earlier == []


def test_testcase_methods_are_only_reported(tmp_path: Path) -> None:
    [finding] = audit(tmp_path, '''
        import unittest
        from unittest.mock import patch


        class TestA(unittest.TestCase):
            @patch("os.getcwd")
            @patch("os.getpid")
            def test_a(self, getpid, getcwd):
                pass

            @patch("os.getcwd")
            @patch("os.getpid")
            def test_b(self, getpid, getcwd):
                pass
    ''', "TM405")
    assert finding.fix is None and "cannot request fixtures" in finding.message


# ---------------------------------------------------------------- the proof on examples/patch_stacks
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "patch_stacks"


def passed_tests(root: Path) -> set[str]:
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"], cwd=root,
                         capture_output=True, text=True)
    return {line.split()[1] for line in run.stdout.splitlines() if line.startswith("PASSED ")}


def test_example_suite_keeps_passing_with_far_fewer_decorators_and_no_nested_with(tmp_path: Path) -> None:
    import ast
    import shutil

    root = tmp_path / "patch_stacks"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__"))
    module = root / "tests" / "test_training_loop.py"

    def counts() -> tuple[int, int]:
        tree = ast.parse(module.read_text())
        decorators = sum(1 for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
                         for d in f.decorator_list if "patch" in ast.unparse(d).split("(")[0])
        nested = sum(1 for w in ast.walk(tree) if isinstance(w, ast.With) and len(w.body) == 1
                     and isinstance(w.body[0], ast.With))
        return decorators, nested

    before = passed_tests(root)
    assert len(before) == 11 and counts() == (113, 7)
    settings = load_settings([root], select=("TM4",), unsafe_fixes=True, jobs=1)
    assert settings.rule_options["TM404"] == {"to_with": True}
    for _ in range(3):
        api.fix([root], settings, write=True)
    assert counts() == (3, 0)
    assert passed_tests(root) == before
