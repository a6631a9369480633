"""The static fixture index (testmend/fixture_index.py) and TM301 missing-fixture.

Each case is a multi-file suite written to tmp_path. The assertions name
exactly which (test, fixture) pairs are missing and why; the suites that mix
many resolution rules are also run through pytest itself (`--setup-plan`, in a
subprocess) to check that pytest reports exactly the same tests.
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from testmend.detectors.missing_fixture import MissingFixture

from testmend import api
from testmend.config import load_settings
from testmend.discovery import discover
from testmend.engine import build_suite
from testmend.fixture_index import FixtureIndex, SuiteFixtures
from testmend.model import Finding, Safety

PYTEST_MOCK = importlib.util.find_spec("pytest_mock") is not None


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def make(root: Path, files: dict[str, str], ini: str = "[pytest]\n") -> Path:
    if ini is not None:
        (root / "pytest.ini").write_text(ini)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def settings(root: Path, **kw):
    kw.setdefault("select", ("TM301",))
    kw.setdefault("jobs", 1)
    return load_settings([root], **kw)


HERE = Path(".")  # the tests run in tmp_path: paths in findings come out relative


def index(root: Path) -> SuiteFixtures:
    s = settings(root)
    found = discover([root], s)
    return build_suite(found.files, [MissingFixture], s).data[FixtureIndex.name]


def missing(root: Path) -> set[tuple[str, str]]:
    return {(u.test.nodeid, u.name) for u in index(root).missing()}


def findings(root: Path) -> list[Finding]:
    return api.audit([HERE], settings(root)).findings


def pytest_missing(root: Path) -> dict[str, str]:
    """test node id (without parameters) -> the fixture pytest says is not found."""
    xml = root.parent / f"{root.name}-junit.xml"
    subprocess.run(check=False, args=[sys.executable, "-m", "pytest", "--setup-plan", "-q", "-o", f"cache_dir={root.parent}/.cache",
                    "-o", "junit_family=xunit1", f"--junitxml={xml}", str(root)],
                   cwd=root, capture_output=True, text=True, timeout=300)
    out: dict[str, str] = {}
    for tc in ET.parse(xml).getroot().iter("testcase"):
        for child in tc:
            found = re.search(r"fixture '([^']+)' not found", (child.get("message") or "") + (child.text or ""))
            if child.tag == "error" and found:
                module = tc.get("file", "")
                dotted = module[:-3].replace("/", ".")
                classes = (tc.get("classname") or "")[len(dotted) + 1:]
                name = re.sub(r"\[.*", "", tc.get("name", ""))
                out["::".join(p for p in (module, *classes.split("."), name) if p)] = found.group(1)
    return out


def agrees_with_pytest(root: Path) -> None:
    ours: dict[str, set[str]] = {}
    for nodeid, name in missing(root):
        ours.setdefault(nodeid, set()).add(name)
    theirs = pytest_missing(root)
    assert set(ours) == set(theirs), (ours, theirs)
    assert all(theirs[k] in ours[k] for k in theirs), (ours, theirs)


# ---------------------------------------------------------------- resolution
def test_conftests_apply_to_their_directory_and_below(tmp_path: Path) -> None:
    make(tmp_path, {
        "conftest.py": "import pytest\n@pytest.fixture\ndef top():\n    return 1\n",
        "tests/conftest.py": "import pytest\n@pytest.fixture\ndef middle(top):\n    return top\n",
        "tests/unit/conftest.py": "import pytest\n@pytest.fixture\ndef deep(middle):\n    return middle\n",
        "tests/unit/test_deep.py": "def test_all(top, middle, deep):\n    pass\n",
        "tests/test_shallow.py": "def test_deep_is_not_visible(top, deep):\n    pass\n",
    })
    assert missing(tmp_path) == {("tests/test_shallow.py::test_deep_is_not_visible", "deep")}
    [finding] = findings(tmp_path)
    assert "defined only in tests/unit/conftest.py:3" in finding.message
    assert "move it to tests/conftest.py" in finding.message
    assert finding.fix is None  # a move is explained, not made
    agrees_with_pytest(tmp_path)


def test_sibling_conftest_is_reported_with_the_move(tmp_path: Path) -> None:
    make(tmp_path, {
        "tests/a/conftest.py": "import pytest\n@pytest.fixture\ndef only_a():\n    return 1\n",
        "tests/a/test_a.py": "def test_a(only_a):\n    pass\n",
        "tests/b/test_b.py": "def test_b(only_a):\n    pass\n\ndef test_b2(only_a):\n    pass\n",
    })
    assert missing(tmp_path) == {("tests/b/test_b.py::test_b", "only_a"), ("tests/b/test_b.py::test_b2", "only_a")}
    [finding] = findings(tmp_path)
    assert (finding.path.as_posix(), finding.span.line) == ("tests/b/test_b.py", 1)
    assert "defined only in tests/a/conftest.py:3, which applies to tests/a/ and below" in finding.message
    assert "move it to tests/conftest.py" in finding.message
    assert "2 tests error at setup: tests/b/test_b.py::test_b, tests/b/test_b.py::test_b2" in finding.message


def test_module_and_class_fixtures(tmp_path: Path) -> None:
    make(tmp_path, {
        "test_classes.py": """
            import pytest

            @pytest.fixture
            def module_level():
                return 1

            class TestOuter:
                @pytest.fixture
                def outer(self):
                    return 1

                def test_sees_both(self, module_level, outer):
                    pass

                class TestInner:
                    def test_sees_outer(self, outer):
                        pass

            class Base:
                @pytest.fixture
                def inherited(self):
                    return 1

            class TestChild(Base):
                def test_sees_base_fixture(self, inherited):
                    pass

            def test_class_fixture_is_not_module_level(outer):
                pass
            """,
        "test_other.py": "def test_module_fixture_is_local(module_level):\n    pass\n",
    })
    assert missing(tmp_path) == {
        ("test_classes.py::test_class_fixture_is_not_module_level", "outer"),
        ("test_other.py::test_module_fixture_is_local", "module_level"),
    }
    messages = {f.message.split("'")[1]: f.message for f in findings(tmp_path)}
    assert "defined only in class TestOuter in test_classes.py:9, so only that class's tests see it" in messages["outer"]
    assert "defined only in test_classes.py:4, so only that module's tests see it" in messages["module_level"]
    agrees_with_pytest(tmp_path)


def test_fixture_name_argument(tmp_path: Path) -> None:
    make(tmp_path, {
        "conftest.py": "import pytest\n@pytest.fixture(name='client')\ndef make_client():\n    return 1\n",
        "test_names.py": "def test_by_name(client):\n    pass\n\ndef test_by_function_name(make_client):\n    pass\n",
    })
    assert missing(tmp_path) == {("test_names.py::test_by_function_name", "make_client")}
    agrees_with_pytest(tmp_path)


def test_usefixtures_marks_and_ini(tmp_path: Path) -> None:
    make(tmp_path, {
        "test_marks.py": """
            import pytest

            pytestmark = pytest.mark.usefixtures("from_module")

            @pytest.mark.usefixtures("from_function")
            def test_function():
                pass

            @pytest.mark.usefixtures("from_class")
            class TestMarked:
                pytestmark = [pytest.mark.usefixtures("from_class_attr")]

                def test_method(self):
                    pass
            """,
    }, ini="[pytest]\nusefixtures = from_ini\n")
    got = missing(tmp_path)
    assert got == {
        ("test_marks.py::test_function", n) for n in ("from_module", "from_function", "from_ini")
    } | {("test_marks.py::TestMarked::test_method", n) for n in ("from_module", "from_class", "from_class_attr",
                                                                 "from_ini")}
    agrees_with_pytest(tmp_path)
    how = {(u.name, u.how) for u in index(tmp_path).missing()}
    assert ("from_ini", "ini usefixtures") in how and ("from_class", "usefixtures") in how


def test_parametrize_direct_and_indirect(tmp_path: Path) -> None:
    make(tmp_path, {
        "test_params.py": """
            import pytest

            pytestmark = pytest.mark.parametrize("from_module", [1])
            pair = pytest.mark.parametrize("x, y", [(1, 2)])

            @pair
            def test_direct_alias(x, y, from_module):
                pass

            @pytest.mark.parametrize(("a", "b"), [(1, 2)])
            def test_direct(a, b, from_module):
                pass

            @pytest.mark.parametrize("ind", [1], indirect=True)
            def test_indirect_needs_a_fixture(ind, from_module):
                pass

            @pytest.mark.parametrize("p, q", [(1, 2)], indirect=["p"])
            def test_indirect_list(p, q, from_module):
                pass

            @pytest.mark.parametrize("c", [1])
            class TestParamClass:
                def test_c(self, c, from_module):
                    pass
            """,
    })
    assert missing(tmp_path) == {("test_params.py::test_indirect_needs_a_fixture", "ind"),
                                 ("test_params.py::test_indirect_list", "p")}
    agrees_with_pytest(tmp_path)


def test_mock_patch_arguments_mirror_pytest(tmp_path: Path) -> None:
    make(tmp_path, {
        "test_patches.py": """
            import os
            import unittest
            from unittest import mock
            from unittest.mock import DEFAULT, patch

            @patch("os.getcwd")
            @patch.object(os, "getpid")
            def test_two_mocks(getpid_mock, getcwd_mock):
                pass

            @patch("os.getcwd", new=lambda: "/")
            @mock.patch("os.getpid", 3)
            def test_new_given_injects_nothing(really_missing):
                pass

            @patch("os.getcwd", DEFAULT)
            def test_explicit_default_still_injects(cwd):
                pass

            @patch.multiple("os", getcwd=DEFAULT)
            def test_multiple_injects_keywords(getcwd):
                pass

            @patch("os.getcwd")
            class TestPatchedClass:
                def test_method(self, getcwd_mock):
                    pass

            class TestCaseIgnored(unittest.TestCase):
                @patch("os.getcwd")
                def test_it(self, getcwd_mock):
                    pass
            """,
    })
    # pytest does not strip what patch.multiple injects: it asks for a fixture
    assert missing(tmp_path) == {("test_patches.py::test_new_given_injects_nothing", "really_missing"),
                                 ("test_patches.py::test_multiple_injects_keywords", "getcwd")}
    agrees_with_pytest(tmp_path)


def test_parameters_that_are_not_requests(tmp_path: Path) -> None:
    make(tmp_path, {
        "test_params.py": """
            import functools
            import pytest

            def _check(base, extra, needed_too):
                pass

            test_partial = functools.partial(_check, 1, extra=2)

            def test_defaults(x=1, *args, y=2, **kwargs):
                pass

            def test_positional_only(a, /, b=1):
                pass

            def test_keyword_only_without_default(*, needed):
                pass

            class TestStatic:
                @staticmethod
                def test_static(static_needs):
                    pass

                @classmethod
                def test_cls(cls):
                    pass
            """,
    })
    assert missing(tmp_path) == {("test_params.py::test_keyword_only_without_default", "needed"),
                                 ("test_params.py::TestStatic::test_static", "static_needs"),
                                 ("test_params.py::test_partial", "needed_too")}
    agrees_with_pytest(tmp_path)


def test_builtins_and_installed_plugins(tmp_path: Path) -> None:
    make(tmp_path, {
        "test_builtins.py": """
            def test_builtins(request, tmp_path, tmp_path_factory, monkeypatch, capsys, capfd, caplog,
                              recwarn, pytestconfig, subtests, record_property, doctest_namespace, tmpdir,
                              cache, platformdirs_isolated):
                pass

            def test_testdir_without_pytester(testdir):
                pass

            def test_mocker(mocker):
                pass
            """,
    })
    expected = {("test_builtins.py::test_testdir_without_pytester", "testdir")}
    if importlib.util.find_spec("platformdirs.pytest_plugin") is None:
        expected.add(("test_builtins.py::test_builtins", "platformdirs_isolated"))
    if not PYTEST_MOCK:
        expected.add(("test_builtins.py::test_mocker", "mocker"))
    assert missing(tmp_path) == expected
    messages = {f.message.split("'")[1]: f.message for f in findings(tmp_path)}
    assert "request `pytester` instead" in messages["testdir"]
    if not PYTEST_MOCK:
        assert "comes from pytest-mock, which is not installed" in messages["mocker"]
        assert not next(f for f in findings(tmp_path) if "mocker" in f.message).fixable
    agrees_with_pytest(tmp_path)


def test_pytester_plugin_enables_pytester_and_testdir(tmp_path: Path) -> None:
    make(tmp_path, {
        "conftest.py": 'pytest_plugins = ["pytester"]\n',
        "test_p.py": "def test_p(pytester, testdir):\n    pass\n",
    })
    assert missing(tmp_path) == set()


def test_disabled_plugin_is_named(tmp_path: Path) -> None:
    make(tmp_path, {"test_c.py": "def test_cache(cache):\n    pass\n"},
         ini="[pytest]\naddopts = -p no:cacheprovider\n")
    [finding] = findings(tmp_path)
    assert "disabled by `-p no:cacheprovider` in pytest.ini" in finding.message


def test_pytest_plugins_resolved_in_the_project(tmp_path: Path) -> None:
    make(tmp_path, {
        "conftest.py": 'pytest_plugins = ["helpers.fixtures"]\nfrom helpers.imported import imported_one\n',
        "helpers/__init__.py": "",
        "helpers/fixtures.py": "import pytest\n@pytest.fixture\ndef from_plugin():\n    return 1\n",
        "helpers/imported.py": "import pytest\n@pytest.fixture\ndef imported_one():\n    return 1\n"
                               "@pytest.fixture\ndef not_imported():\n    return 1\n",
        "tests/test_plugins.py": "def test_ok(from_plugin, imported_one):\n    pass\n\n"
                                 "def test_not_imported(not_imported):\n    pass\n",
    })
    assert missing(tmp_path) == {("tests/test_plugins.py::test_not_imported", "not_imported")}
    agrees_with_pytest(tmp_path)


def test_unresolvable_plugin_makes_names_unknown_not_missing(tmp_path: Path) -> None:
    make(tmp_path, {
        "conftest.py": 'pytest_plugins = ["company_internal_fixtures_xyz"]\n',
        "test_u.py": "def test_u(maybe_from_plugin):\n    pass\n",
    })
    idx = index(tmp_path)
    assert idx.missing() == []
    [unknown] = idx.unknown()
    assert unknown.name == "maybe_from_plugin"
    assert "company_internal_fixtures_xyz" in unknown.unknown
    assert any("company_internal_fixtures_xyz" in n for n in idx.notes)
    assert findings(tmp_path) == []


def test_star_import_from_unknown_module_is_unknown(tmp_path: Path) -> None:
    make(tmp_path, {
        "conftest.py": "from somewhere_unknown_xyz.fixtures import *\n",
        "test_s.py": "def test_s(anything):\n    pass\n",
    })
    assert index(tmp_path).missing() == []


def test_star_import_from_the_project(tmp_path: Path) -> None:
    make(tmp_path, {
        "fixtures_lib.py": "import pytest\n__all__ = ['public']\n@pytest.fixture\ndef public():\n    return 1\n"
                           "@pytest.fixture\ndef hidden():\n    return 1\n",
        "conftest.py": "from fixtures_lib import *\n",
        "test_s.py": "def test_s(public, hidden):\n    pass\n",
    })
    assert missing(tmp_path) == {("test_s.py::test_s", "hidden")}
    agrees_with_pytest(tmp_path)


def test_unittest_testcase_methods_get_no_fixtures_but_autouse_ones_run(tmp_path: Path) -> None:
    make(tmp_path, {
        "test_tc.py": """
            import unittest
            import pytest

            class TestPlain(unittest.TestCase):
                def test_argument_is_not_a_fixture_request(self, whatever=None):
                    pass

            class TestInjected(unittest.TestCase):
                @pytest.fixture(autouse=True)
                def _inject(self, monkeypatch, injected_missing):
                    pass

                def test_one(self):
                    pass
            """,
    })
    assert missing(tmp_path) == {("test_tc.py::TestInjected::test_one", "injected_missing")}
    agrees_with_pytest(tmp_path)


def test_fixture_requests_are_followed_per_test(tmp_path: Path) -> None:
    make(tmp_path, {
        "conftest.py": """
            import pytest

            @pytest.fixture
            def uses_module_fixture(only_in_a):
                return only_in_a

            @pytest.fixture
            def base(base_dep):
                return 1
            """,
        "test_a.py": "import pytest\n@pytest.fixture\ndef only_in_a():\n    return 1\n"
                     "def test_a(uses_module_fixture):\n    pass\n",
        "test_b.py": "def test_b(uses_module_fixture):\n    pass\n",
        "test_c.py": "import pytest\n@pytest.fixture\ndef base(base):\n    return base\n"
                     "def test_override_chain(base):\n    pass\n",
    })
    # a conftest fixture's argument resolves from each requesting test
    assert missing(tmp_path) == {("test_b.py::test_b", "only_in_a"), ("test_c.py::test_override_chain", "base_dep")}
    via = {u.name: u.via.name for u in index(tmp_path).missing()}
    assert via == {"only_in_a": "uses_module_fixture", "base_dep": "base"}
    agrees_with_pytest(tmp_path)


def test_autouse_fixture_with_a_missing_argument_breaks_every_test_below(tmp_path: Path) -> None:
    make(tmp_path, {
        "tests/conftest.py": "import pytest\n@pytest.fixture(autouse=True)\ndef setup_env(env_config):\n    pass\n",
        "tests/test_one.py": "def test_one():\n    pass\n\ndef test_two():\n    pass\n",
        "other/test_free.py": "def test_free():\n    pass\n",
    })
    assert missing(tmp_path) == {("tests/test_one.py::test_one", "env_config"),
                                 ("tests/test_one.py::test_two", "env_config")}
    [finding] = findings(tmp_path)
    assert "(via fixture 'setup_env', tests/conftest.py:3)" in finding.message
    agrees_with_pytest(tmp_path)


def test_generate_tests_hooks(tmp_path: Path) -> None:
    make(tmp_path, {
        "test_literal.py": """
            def pytest_generate_tests(metafunc):
                if "gen" in metafunc.fixturenames:
                    metafunc.parametrize("gen", [1, 2])

            def test_generated(gen):
                pass

            def test_not_generated(nope):
                pass
            """,
        "sub/test_dynamic.py": """
            NAMES = ["dyn"]

            def pytest_generate_tests(metafunc):
                for name in NAMES:
                    metafunc.parametrize(name, [1])

            def test_dynamic(dyn):
                pass
            """,
    })
    idx = index(tmp_path)
    assert {(u.test.nodeid, u.name) for u in idx.missing()} == {("test_literal.py::test_not_generated", "nope")}
    assert [u.name for u in idx.unknown()] == ["dyn"]


def test_classes_pytest_does_not_collect(tmp_path: Path) -> None:
    make(tmp_path, {
        "test_skip.py": """
            class TestWithInit:
                def __init__(self):
                    pass

                def test_never_collected(self, nothing):
                    pass

            class TestDisabled:
                __test__ = False

                def test_never(self, nothing):
                    pass

            class Helper:
                def test_not_a_test_class(self, nothing):
                    pass

            def helper_function(nothing):
                pass
            """,
    })
    assert missing(tmp_path) == set()


def test_decorators(tmp_path: Path) -> None:
    make(tmp_path, {
        "helpers.py": """
            import functools
            import pytest

            slow = pytest.mark.slow

            def logged(func):
                @functools.wraps(func)
                def wrapper(*args, **kwargs):
                    return func(*args, **kwargs)
                return wrapper
            """,
        "test_deco.py": """
            import functools
            from helpers import logged, slow
            from opaque_lib_xyz import injects

            def retry(times):
                def decorator(func):
                    @functools.wraps(func)
                    def wrapper(*args, **kwargs):
                        return func(*args, **kwargs)
                    return wrapper
                return decorator

            def replaces(func):
                def wrapper():
                    return func(1)
                return wrapper

            @logged
            @slow
            def test_imported_harmless(missing_a):
                pass

            @retry(3)
            def test_local_wraps(missing_b):
                pass

            @replaces
            def test_replaced_signature(not_requested):
                pass

            @injects
            def test_unknown_decorator(maybe):
                pass
            """,
    })
    idx = index(tmp_path)
    assert {(u.test.nodeid, u.name) for u in idx.missing()} == {
        ("test_deco.py::test_imported_harmless", "missing_a"), ("test_deco.py::test_local_wraps", "missing_b")}
    skipped = dict(idx.skipped)
    assert "opaque_lib_xyz.injects" in skipped["test_deco.py::test_unknown_decorator"]
    assert "test_deco.py::test_replaced_signature" in skipped


def test_files_pytest_would_not_collect(tmp_path: Path) -> None:
    make(tmp_path, {
        "conftest.py": 'collect_ignore = ["legacy"]\n',
        "legacy/test_old.py": "def test_old(gone):\n    pass\n",
        "build/test_built.py": "def test_built(gone):\n    pass\n",
        "tests/test_kept.py": "def test_kept(gone):\n    pass\n",
    })
    assert missing(tmp_path) == {("tests/test_kept.py::test_kept", "gone")}


def test_python_functions_and_classes_from_the_config(tmp_path: Path) -> None:
    make(tmp_path, {
        "check_things.py": """
            class CheckThing:
                def check_one(self, needed):
                    pass

                def test_not_matched(self, ignored):
                    pass
            """,
    }, ini="[pytest]\npython_files = check_*.py\npython_classes = Check\npython_functions = check_\n")
    s = settings(tmp_path, include=["*.py"])
    found = discover([tmp_path], s)
    idx = build_suite(found.files, [MissingFixture], s).data[FixtureIndex.name]
    assert {(u.test.nodeid, u.name) for u in idx.missing()} == {("check_things.py::CheckThing::check_one", "needed")}


# ---------------------------------------------------------------- diagnosis
def test_typo_of_a_visible_fixture_and_its_unsafe_rename(tmp_path: Path) -> None:
    make(tmp_path, {
        "conftest.py": "import pytest\n@pytest.fixture\ndef database():\n    return {'k': 1}\n",
        "test_typo.py": """
            def test_lookup(databse):
                def inner():
                    return databse["k"]
                assert inner() == 1

            def test_shadowing(databse, database=None):
                pass
            """,
    })
    [finding] = findings(tmp_path)
    assert "did you mean 'database' (conftest.py:3)?" in finding.message
    # test_shadowing already binds `database`: no rename is safe in that file, and none is offered
    assert finding.fix is None
    assert "no automatic rename: test_typo.py: test_shadowing already uses the name database" in finding.message

    (tmp_path / "test_typo.py").write_text("def test_lookup(databse):\n    assert databse['k'] == 1\n")
    run = api.fix([HERE], settings(tmp_path), write=True)
    assert run.changes == []  # unsafe: not without --unsafe-fixes
    [finding] = findings(tmp_path)
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    api.fix([HERE], settings(tmp_path, unsafe_fixes=True), write=True)
    assert (tmp_path / "test_typo.py").read_text() == "def test_lookup(database):\n    assert database['k'] == 1\n"
    assert findings(tmp_path) == []


def test_typo_in_a_fixture_parameter_is_renamed_in_the_fixture(tmp_path: Path) -> None:
    make(tmp_path, {
        "conftest.py": "import pytest\n@pytest.fixture\ndef settings():\n    return 1\n"
                       "@pytest.fixture\ndef client(setings):\n    return setings\n",
        "test_c.py": "def test_c(client):\n    pass\n",
    })
    api.fix([HERE], settings(tmp_path, unsafe_fixes=True), write=True)
    assert "def client(settings):\n    return settings\n" in (tmp_path / "conftest.py").read_text()
    assert findings(tmp_path) == []


def test_one_finding_per_name_and_conftest_scope(tmp_path: Path) -> None:
    make(tmp_path, {
        "tests/conftest.py": "",
        "tests/test_a.py": "def test_a1(api_token):\n    pass\n\ndef test_a2(api_token):\n    pass\n",
        "tests/sub/test_b.py": "def test_b(api_token):\n    pass\n",
        "tests/scoped/conftest.py": "",
        "tests/scoped/test_c.py": "def test_c(api_token):\n    pass\n",
    })
    found = sorted(findings(tmp_path), key=lambda f: str(f.path))
    # tests/sub has no conftest.py of its own: its test shares the scope of tests/conftest.py
    assert [(f.path.as_posix(), f.span.line) for f in found] == [("tests/scoped/test_c.py", 1),
                                                                  ("tests/sub/test_b.py", 1)]
    assert "3 tests error at setup: tests/sub/test_b.py::test_b, tests/test_a.py::test_a1, " \
           "tests/test_a.py::test_a2" in found[1].message
    assert "1 test errors at setup: tests/scoped/test_c.py::test_c" in found[0].message


# ---------------------------------------------------------------- stubs
def test_stub_kinds_and_where_they_go(tmp_path: Path) -> None:
    make(tmp_path, {
        "tests/conftest.py": '"""Shared fixtures."""\n\n\ndef api_client():\n    return "not a fixture"\n',
        "tests/test_a.py": "def test_a(mock_mailer, output_dir, api_client):\n    pass\n",
        "tests/sub/test_b.py": "def test_b(mock_mailer):\n    pass\n",
        "tests/new/test_c.py": "def test_c(report_path):\n    assert report_path.is_dir()\n",
    })
    msgs = {f.message.split("'")[1]: f for f in findings(tmp_path) if "report_path" not in f.message}
    assert "returns a bare MagicMock, so these tests run again" in msgs["mock_mailer"].message
    assert "gives a fresh empty directory" in msgs["output_dir"].message
    assert "fails with a message naming it" in msgs["api_client"].message
    assert all(f.fix is not None and f.fix.safety is Safety.SAFE for f in msgs.values())

    run = api.fix([HERE], settings(tmp_path), write=True)
    assert run.errors == []
    conftest = (tmp_path / "tests/conftest.py").read_text()
    assert conftest.startswith('"""Shared fixtures."""\nimport pytest\nimport unittest.mock\n\n\ndef api_client():')
    assert '@pytest.fixture(name="api_client")\ndef _api_client_stub():\n' \
           "    pytest.fail(\"fixture 'api_client' is a stub generated by testmend: implement it in " \
           'tests/conftest.py")\n' in conftest
    assert '    return unittest.mock.MagicMock(name="mock_mailer")\n' in conftest
    assert '    path = tmp_path / "output_dir"\n    path.mkdir()\n    return path\n' in conftest
    new = (tmp_path / "tests/new/conftest.py").read_text()  # created: no conftest above it shared the test
    assert new.startswith("import pytest\n\n\n@pytest.fixture\ndef report_path(tmp_path):\n")
    assert findings(tmp_path) == []
    outcome = subprocess.run(check=False, args=[sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                             capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert "not found" not in outcome.stdout
    assert "2 passed, 1 error" in outcome.stdout  # the api_client stub fails by design, naming what to implement
    assert "fixture 'api_client' is a stub generated by testmend" in outcome.stdout


def test_seeded_missing_fixture_end_to_end(tmp_path: Path) -> None:
    """The seed's `mock_wandb_active`: pytest errors before, runs after the fix."""
    make(tmp_path, {
        "keisei/__init__.py": "",
        "keisei/session.py": """
            class SessionManager:
                def __init__(self, config, wandb=None):
                    self.config = config
                    self.wandb = wandb
                    self.finalized = False

                def finalize(self):
                    if self.wandb is not None and self.wandb.active:
                        self.wandb.finish()
                    self.finalized = True

                def setup_directories(self, root):
                    if root is None:
                        raise ValueError("no root")
                    return root
            """,
        "tests/__init__.py": "",
        "tests/test_trainer_session_integration.py": """
            from unittest.mock import patch

            import pytest

            from keisei.session import SessionManager


            class MockArgs:
                def __init__(self, **kwargs):
                    self.run_name = kwargs.get("run_name")
                    self.resume = kwargs.get("resume")


            @pytest.fixture
            def config():
                return {"env": {"device": "cpu"}, "training": {"steps": 10}}


            class TestTrainerSessionIntegration:
                @patch("keisei.session.SessionManager.setup_directories", return_value="/tmp/run")
                def test_trainer_initialization_and_properties(self, setup_mock, config):
                    manager = SessionManager(config)
                    assert manager.setup_directories(None) == "/tmp/run"

                def test_session_manager_finalization(self, config, mock_wandb_active):
                    manager = SessionManager(config, wandb=mock_wandb_active)
                    manager.finalize()
                    assert manager.finalized

                def test_session_manager_error_handling(self, config):
                    with pytest.raises(ValueError):
                        SessionManager(config).setup_directories(None)
            """,
    })

    def outcomes() -> tuple[str, dict[str, str]]:
        xml = tmp_path.parent / f"{tmp_path.name}.xml"
        result = subprocess.run(check=False, args=[sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}",
                                 "-o", "junit_family=xunit1"], capture_output=True, text=True, cwd=tmp_path,
                                timeout=300)
        status = {}
        for tc in ET.parse(xml).getroot().iter("testcase"):
            tags = {c.tag for c in tc}
            status[tc.get("name", "")] = "error" if "error" in tags else "failed" if "failure" in tags else "passed"
        return result.stdout, status

    before_out, before = outcomes()
    assert "fixture 'mock_wandb_active' not found" in before_out
    assert before["test_session_manager_finalization"] == "error"
    [finding] = findings(tmp_path)
    assert finding.severity.value == "major"
    source = (tmp_path / "tests/test_trainer_session_integration.py").read_text().splitlines()
    assert source[finding.span.line - 1].strip().startswith("def test_session_manager_finalization(")
    assert "TestTrainerSessionIntegration::test_session_manager_finalization" in finding.message

    run = api.fix([HERE], settings(tmp_path), write=True)
    assert run.errors == []
    assert [p.as_posix() for p in run.written] == ["tests/conftest.py"]
    stub = (tmp_path / "tests/conftest.py").read_text()
    assert 'def mock_wandb_active():' in stub and 'MagicMock(name="mock_wandb_active")' in stub

    after_out, after = outcomes()
    assert "not found" not in after_out
    assert all(after[name] == "passed" for name, state in before.items() if state == "passed")
    assert after["test_session_manager_finalization"] == "passed"  # runs again, against a bare mock
    assert api.fix([HERE], settings(tmp_path), write=True).changes == []


def test_new_conftest_is_created_only_if_still_absent(tmp_path: Path) -> None:
    make(tmp_path, {"tests/test_a.py": "def test_a(mock_x):\n    pass\n"})
    run = api.fix([HERE], settings(tmp_path))
    [change] = run.changes
    assert change.old == b"" and change.path.as_posix() == "tests/conftest.py"
    (tmp_path / "tests/conftest.py").write_text("# written meanwhile\n")
    api.write_changes(run)
    assert (tmp_path / "tests/conftest.py").read_text() == "# written meanwhile\n"
    assert "changed since it was read" in run.write_errors[0].message
