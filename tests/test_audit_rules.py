"""The test quality rules (TM5xx assertions, TM6xx structure): what each flags, and
the clean tests it must leave alone (false positives are what users hate most).

Each case is a small suite written to tmp_path and audited with only that rule.
A case's files map names to sources; `test_x.py` is the default file name.
"""
from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from testmend import api
from testmend.config import load_settings
from testmend.registry import rule_by_code


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def audit(tmp_path: Path, code: str, files: str | dict[str, str], include: tuple[str, ...] | None = None,
          **options: object) -> list[tuple[int, str]]:
    """(line, message) of every finding of rule `code` on the suite `files`."""
    if isinstance(files, str):
        files = {"test_x.py": files}
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    settings = load_settings([tmp_path], select=[code], jobs=1, include=include)
    if options:
        settings = replace(settings, rule_options={code: options})
    run = api.audit([tmp_path], settings)
    assert run.errors == []
    return [(f.span.line, f.message) for f in run.findings if f.code == code]


def lines(findings: list[tuple[int, str]]) -> list[int]:
    return [line for line, _ in findings]


# ---------------------------------------------------------------- TM501 no-assertion
NO_ASSERTION_FLAGGED = {
    "doesnt_crash": ("""
        def test_parse():
            parse("a = 1")
        """, [2], "parse() does not raise, a \"doesn't crash\" test"),
    "assignment_and_calls": ("""
        def test_parse():
            tree = parse("a = 1")
            tree.walk()
        """, [2], "parse(), tree.walk() do not raise"),
    "logic_without_check": ("""
        def test_loop():
            for x in range(3):
                if x:
                    y = x
        """, [2], "passes whatever the code under test does"),
    "helper_followed_asserts_nothing": ("""
        def run(x):
            return x * 2

        def test_run():
            run(1)
        """, [5], "followed run(): no assertion there either"),
    "resolved_check_helper_that_returns_a_bool": ("""
        def check(x):
            return x == 1

        def test_check():
            check(1)
        """, [5], "followed check()"),
    "testcase_method_and_self_helper": ("""
        import unittest

        class TestX(unittest.TestCase):
            def go(self, x):
                return x

            def test_go(self):
                self.go(1)
        """, [8], "followed self.go()"),
    "plain_test_class": ("""
        class TestX:
            def test_a(self):
                compute()
        """, [3], "compute() does not raise"),
    "nested_test_classes": ("""
        class TestOuter:
            class TestMiddle:
                class TestInner:
                    def test_a(self):
                        compute()

                    def test_b(self):
                        assert compute()
        """, [5], "compute() does not raise"),
    "second_definition_is_the_one_checked": ("""
        import sys

        if sys.version_info >= (3, 12):
            def test_a():
                assert new()
        else:
            def test_a():
                old()
        """, [8], "old() does not raise"),
    "mixin_of_a_testcase": ("""
        import unittest

        class CommonTests:
            def test_common(self):
                self.make()

        class TestA(CommonTests, unittest.TestCase):
            def make(self):
                return 1
        """, [5], "followed self.make()"),
    "async_test": ("""
        async def test_fetch():
            await fetch("x")
        """, [2], "fetch() does not raise"),
    "import_only": ("""
        def test_import():
            import json
        """, [2], "importing json works"),
    "raise_in_skip_only_is_not_a_check": ("""
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                if not HAVE_C:
                    raise unittest.SkipTest("no C")
                run_c()
        """, [5], "passes whatever"),
}

NO_ASSERTION_CLEAN = {
    "assert_statement": "def test_a():\n    assert f() == 1\n",
    "testcase_assertion": """
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                self.assertEqual(f(), 1)
        """,
    "pytest_raises_block": """
        import pytest

        def test_a():
            with pytest.raises(ValueError):
                f()
        """,
    "pytest_raises_call_form": """
        import pytest

        def test_a():
            pytest.raises(ValueError, f, 1)
        """,
    "raises_imported_from_pytest": """
        from pytest import raises, warns

        def test_a():
            with raises(ValueError):
                f()

        def test_b():
            with warns(UserWarning):
                g()
        """,
    "pytest_fail_in_a_branch": """
        import pytest

        def test_a():
            if f() != 1:
                pytest.fail("bad")
        """,
    "self_fail": """
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                if f() != 1:
                    self.fail("bad")
        """,
    "raise_assertion_error": """
        def test_a():
            if f() != 1:
                raise AssertionError("bad")
        """,
    "raise_any_error_to_fail": """
        def test_a():
            if f() != 1:
                raise ValueError("mismatch")
        """,
    "mock_assertion_counts": """
        from unittest import mock

        def test_a():
            m = mock.Mock()
            f(m)
            m.assert_called_once_with(1)
        """,
    "helper_below_the_test_asserts_transitively": """
        def test_a():
            outer(1)

        def outer(x):
            inner(x)

        def inner(x):
            assert x
        """,
    "recursive_helpers": """
        def test_a():
            ping(3)

        def ping(n):
            pong(n)

        def pong(n):
            ping(n - 1)
            assert n >= 0
        """,
    "self_helper_that_asserts": """
        import unittest

        class TestX(unittest.TestCase):
            def _compare(self, a, b):
                self.assertEqual(a, b)

            def test_a(self):
                self._compare(f(), 1)
        """,
    "helper_in_base_class_in_another_file": {
        "base.py": """
            import unittest

            class Base(unittest.TestCase):
                def compare(self, a, b):
                    assert a == b
            """,
        "test_x.py": """
            from base import Base

            class TestX(Base):
                def test_a(self):
                    self.compare(f(), 1)
            """,
    },
    "helper_imported_from_a_suite_module": {
        "helpers.py": """
            def roundtrip(value):
                assert load(dump(value)) == value
            """,
        "test_x.py": """
            from helpers import roundtrip

            def test_a():
                roundtrip([1, 2])
            """,
    },
    "helper_imported_from_conftest": {
        "conftest.py": """
            def compare(a, b):
                assert a == b
            """,
        "test_x.py": """
            import conftest

            def test_a():
                conftest.compare(f(), 1)
            """,
    },
    "method_of_an_unread_base_class": """
        from somelib.testing import LibTestCase

        class TestX(LibTestCase):
            def test_a(self):
                self.render("x")
        """,
    "method_defined_by_the_subclasses": """
        import unittest

        class Common:
            def test_a(self):
                self.run_case("x")

        class TestA(Common, unittest.TestCase):
            def run_case(self, x):
                self.assertTrue(x)
        """,
    "callable_fixture": """
        def test_a(run_cli):
            run_cli("--help")
        """,
    "unresolvable_check_names": """
        def test_a():
            obj.verify()

        def test_b():
            Schema(x).validate(y)

        def test_c():
            helpers.check_output(x)

        def test_d():
            expectThat(x)

        def test_e():
            _assert_same(x, y)

        def test_f():
            check.equal(f(), 1)
        """,
    "property_test": """
        from hypothesis import given, strategies as st

        @given(st.text())
        def test_never_raises(s):
            slugify(s)
        """,
    "test_handed_to_a_checker": """
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                tree.visit(Checker(self))

            def test_b(self):
                run(compare=self.assertEqual)
        """,
    "code_run_from_a_string": """
        def test_a():
            exec(compile(README, "README.md", "exec"), {})

        def test_b():
            run_string(interp, "import json\\nassert json.dumps(1) == '1'\\n")

        def test_c():
            run_string(interp, "x = %d\\nassert x\\n" % 3)
        """,
    "raise_in_a_fake_the_code_calls": """
        def test_a():
            class Checking:
                def send(self, value):
                    if not lock.locked():
                        raise RuntimeError("lock not held")
            it = serialize(Checking())
            it.send(1)
        """,
    "assert_in_a_nested_callback": """
        def test_a():
            def on_done(result):
                assert result == 3
            run(on_done)
        """,
    "expected_failure_marks": """
        import unittest
        import pytest

        @pytest.mark.xfail(raises=ValueError)
        def test_a():
            f()

        class TestX(unittest.TestCase):
            @unittest.expectedFailure
            def test_b(self):
                f()
        """,
    "warnings_as_errors": """
        import warnings
        import pytest

        @pytest.mark.filterwarnings("error")
        def test_a():
            f()

        def test_b():
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                f()
        """,
    "benchmark": "def test_speed(benchmark):\n    benchmark(f)\n",
    "subprocess_check": """
        import subprocess

        def test_a():
            subprocess.run(["prog"], check=True)

        def test_b():
            subprocess.check_call(["prog"])
        """,
    "dynamic_dispatch": """
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                getattr(self, "check_" + KIND)()

            def test_b(self):
                super().test_b()
        """,
    "placeholder_is_tm504s": "def test_a():\n    pass\n",
    "fixture_named_like_a_test": """
        import pytest

        @pytest.fixture
        def test_data():
            return load()
        """,
    "not_a_test_module": {"conftest.py": "def test_helper():\n    f()\n"},
    "class_with_init_is_not_collected": """
        class TestThing:
            def __init__(self, x):
                self.x = x

            def test_a(self):
                f()
        """,
    "dunder_test_false": """
        class TestThing:
            __test__ = False

            def test_a(self):
                f()
        """,
    "class_pytest_does_not_collect": """
        class Helper:
            def test_a(self):
                f()
        """,
    "conditional_definitions_with_helpers": """
        import sys

        if sys.platform == "win32":
            def test_a():
                check_windows()
        else:
            def test_a():
                compare(f(), 1)

        def compare(a, b):
            assert a == b
        """,
    "nested_function_is_not_a_test": """
        def test_a():
            def test_inner():
                f()
            assert run(test_inner)
        """,
}


@pytest.mark.parametrize("case", NO_ASSERTION_FLAGGED)
def test_no_assertion_flags(tmp_path: Path, case: str) -> None:
    source, expected, fragment = NO_ASSERTION_FLAGGED[case]
    found = audit(tmp_path, "TM501", source)
    assert lines(found) == expected
    assert fragment in found[0][1]


@pytest.mark.parametrize("case", NO_ASSERTION_CLEAN)
def test_no_assertion_leaves_alone(tmp_path: Path, case: str) -> None:
    assert audit(tmp_path, "TM501", NO_ASSERTION_CLEAN[case]) == []


def test_no_assertion_depth_limit_counts_as_unsure(tmp_path: Path) -> None:
    source = """
        def test_a():
            a()

        def a():
            b()

        def b():
            c()

        def c():
            return 1
        """
    assert lines(audit(tmp_path, "TM501", source)) == [2]
    assert audit(tmp_path, "TM501", source, max_depth=1) == []


def test_no_assertion_helper_prefixes_option(tmp_path: Path) -> None:
    source = "def test_a():\n    ensure_valid(x)\n"
    assert lines(audit(tmp_path, "TM501", source)) == [1]
    assert audit(tmp_path, "TM501", source, helper_prefixes=["ensure"]) == []


def test_no_assertion_reads_python_functions_and_files(tmp_path: Path) -> None:
    files = {
        "pytest.ini": "[pytest]\npython_functions = check_*\npython_files = spec_*.py test_*.py\n",
        "spec_x.py": "def check_a():\n    f()\n\ndef test_b():\n    f()\n",
    }
    assert lines(audit(tmp_path, "TM501", files, include=("spec_*.py",))) == [1]


# ---------------------------------------------------------------- TM502 trivial-assertion
TRIVIAL_FLAGGED = {
    "assert_true": ("def test_a():\n    assert True\n", "it is `True`"),
    "assert_string": ("def test_a():\n    assert 'done'\n", "non-empty string"),
    "assert_tuple": ("def test_a():\n    assert (x == 1, 'bad')\n", "did you mean `assert x, msg`?"),
    "assert_list": ("def test_a():\n    assert [x]\n", "non-empty literal"),
    "assert_true_literal_message_first": ("""
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                self.assertTrue("parsed", result)
        """, "are the arguments swapped?"),
    "assert_true_two_values": ("""
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                self.assertTrue([1, True], [1.0, complex(1, 0)])
        """, "did you mean assertEqual?"),
    "assert_false_constant": ("""
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                self.assertFalse(False)
        """, "constant"),
    "misspelled_mock_assert": ("def test_a():\n    assert m.called_once_with(1)\n",
                               "use m.assert_called_once_with(...)"),
    "misspelled_mock_statement": ("def test_a():\n    m.called_with(1)\n", "so this checks nothing"),
    "misspelled_mock_attribute": ("def test_a():\n    assert m.called_once\n", "use m.assert_called_once(...)"),
    "same_operands": ("def test_a():\n    assert result.value == result.value\n", "with itself"),
    "assert_equal_same": ("""
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                self.assertEqual(x, x)
        """, "with itself"),
    "length_never_negative": ("def test_a():\n    assert len(items) >= 0\n", "never negative"),
}

TRIVIAL_CLEAN = {
    "real_asserts": """
        def test_a():
            assert x
            assert x, "message"
            assert (x == 1)
            assert f() == f()
            assert len(items) >= 1
        """,
    "intentional_failures": "def test_a():\n    assert False, 'unreachable'\n    assert ()\n    assert ''\n",
    "assert_true_with_message": """
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                self.assertTrue(result, "parsed")
                self.assertIsNone(value)
        """,
    "real_mock_assertions": """
        def test_a():
            m.assert_called_once_with(1)
            assert m.called
            assert fake.called_with == [1]
        """,
    "different_subscripts": """
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                self.assertIs(tokens[3].filename, tokens[4].filename)
                assert rows[0].id == rows[1].id
        """,
    "equality_under_test": """
        def test_eq_is_reflexive():
            assert key == key

        def test_hash_stable():
            assert hash(key) == hash(key)
            assert key is key
        """,
}


@pytest.mark.parametrize("case", TRIVIAL_FLAGGED)
def test_trivial_assertion_flags(tmp_path: Path, case: str) -> None:
    source, fragment = TRIVIAL_FLAGGED[case]
    found = audit(tmp_path, "TM502", source)
    assert len(found) == 1, found
    assert fragment in found[0][1]


@pytest.mark.parametrize("case", TRIVIAL_CLEAN)
def test_trivial_assertion_leaves_alone(tmp_path: Path, case: str) -> None:
    assert audit(tmp_path, "TM502", TRIVIAL_CLEAN[case]) == []


# ---------------------------------------------------------------- TM503 mock-only-assertions
MOCK_ONLY_FLAGGED = {
    "assert_called": """
        def test_save(mocker):
            store = mocker.Mock()
            save(store, {"a": 1})
            store.write.assert_called_once_with("a", 1)
        """,
    "call_record_asserts": """
        from unittest import mock

        def test_save():
            store = mock.Mock()
            save(store)
            assert store.write.called
            assert store.write.call_count == 2
            assert store.write.call_args == mock.call("a", 1)
        """,
    "through_a_helper": """
        def expect_written(store):
            store.write.assert_called_once()

        def test_save(store):
            save(store)
            expect_written(store)
        """,
}

MOCK_ONLY_CLEAN = {
    "mock_and_result": """
        def test_save(mocker):
            store = mocker.Mock()
            assert save(store) is True
            store.write.assert_called_once_with("a", 1)
        """,
    "mock_and_raises": """
        import pytest

        def test_save(mocker):
            store = mocker.Mock(side_effect=OSError)
            with pytest.raises(SaveError):
                save(store)
            store.write.assert_called_once()
        """,
    "mixed_comparison": """
        def test_save(store):
            save(store)
            assert store.write.call_count == len(ITEMS)
        """,
    "probe_of_the_tests_own_hook": """
        from unittest.mock import Mock

        def test_resolve_twice():
            mock = Mock()

            class Provider(Base):
                def visit_Pass(self, node):
                    mock.visited()

            wrapper.resolve(Provider)
            wrapper.resolve(Provider)
            mock.visited.assert_called_once()
        """,
    "no_checks_at_all_is_tm501s": "def test_a(m):\n    f(m)\n",
}


@pytest.mark.parametrize("case", MOCK_ONLY_FLAGGED)
def test_mock_only_flags(tmp_path: Path, case: str) -> None:
    found = audit(tmp_path, "TM503", MOCK_ONLY_FLAGGED[case])
    assert len(found) == 1 and "only how mocks were called" in found[0][1]


@pytest.mark.parametrize("case", MOCK_ONLY_CLEAN)
def test_mock_only_leaves_alone(tmp_path: Path, case: str) -> None:
    assert audit(tmp_path, "TM503", MOCK_ONLY_CLEAN[case]) == []


# ---------------------------------------------------------------- TM504 placeholder-test
PLACEHOLDER_FLAGGED = {
    "pass": ("def test_a():\n    pass\n", "its body is `pass`"),
    "one_line_pass": ("def test_a(): pass\n", "its body is `pass`"),
    "ellipsis": ("def test_a():\n    ...\n", "`...`"),
    "docstring_only": ('def test_a():\n    """Refunds are partial."""\n', "only a docstring"),
    "not_implemented": ("def test_a():\n    raise NotImplementedError('later')\n", "NotImplementedError"),
    "skip_mark_todo": ("""
        import pytest

        @pytest.mark.skip(reason="TODO: write this")
        def test_a():
            f()
        """, "skipped with the reason 'TODO: write this'"),
    "unittest_skip_not_implemented": ("""
        import unittest

        class TestX(unittest.TestCase):
            @unittest.skip("not implemented yet")
            def test_a(self):
                self.assertTrue(f())
        """, "not implemented yet"),
    "skip_call_fixme": ("""
        import pytest

        def test_a():
            pytest.skip("FIXME")
            assert f()
        """, "FIXME"),
    "skip_test_todo": ("""
        import unittest

        class TestX(unittest.TestCase):
            def test_a(self):
                self.skipTest("todo")
        """, "'todo'"),
}

PLACEHOLDER_CLEAN = {
    "override_switches_off_an_inherited_test": """
        import unittest

        class Base(unittest.TestCase):
            def test_unicode(self):
                self.assertTrue(f("é"))

        class TestBytes(Base):
            def test_unicode(self):
                pass  # not applicable to bytes
        """,
    "skip_with_a_real_reason": """
        import pytest

        @pytest.mark.skip(reason="needs network")
        def test_a():
            assert fetch()

        def test_b():
            if not HAVE_NET:
                pytest.skip("needs network, todo-list service is remote")
            assert fetch()
        """,
    "non_test_stubs": """
        class TestX:
            def helper(self):
                raise NotImplementedError

            def test_a(self):
                assert self.helper
        """,
}


@pytest.mark.parametrize("case", PLACEHOLDER_FLAGGED)
def test_placeholder_flags(tmp_path: Path, case: str) -> None:
    source, fragment = PLACEHOLDER_FLAGGED[case]
    found = audit(tmp_path, "TM504", source)
    assert len(found) == 1, found
    assert fragment in found[0][1]


@pytest.mark.parametrize("case", PLACEHOLDER_CLEAN)
def test_placeholder_leaves_alone(tmp_path: Path, case: str) -> None:
    assert audit(tmp_path, "TM504", PLACEHOLDER_CLEAN[case]) == []


# ---------------------------------------------------------------- TM601 long-test
def _test_with(body: list[str]) -> str:
    return "def test_long():\n" + "".join(f"    {line}\n" for line in body)


def test_long_test_flags_lines_and_statements(tmp_path: Path) -> None:
    many = [f"x{i} = ("f"\n        {i}\n    )" for i in range(17)] + ["assert x1"]  # 3 lines each, 18 statements
    found = audit(tmp_path, "TM601", _test_with(many))
    assert lines(found) == [1]
    assert "53 lines of code (max-lines 50)" in found[0][1] and "statements" not in found[0][1]

    found = audit(tmp_path, "TM601", _test_with([f"x{i} = {i}" for i in range(30)] + ["assert x1"]))
    assert "31 statements (max-statements 30)" in found[0][1] and "lines" not in found[0][1]


def test_long_test_options(tmp_path: Path) -> None:
    source = _test_with(["a = 1", "b = 2", "assert a < b"])
    assert audit(tmp_path, "TM601", source) == []
    assert "4 lines of code (max-lines 3)" in audit(tmp_path, "TM601", source, max_lines=3)[0][1]
    assert "3 statements (max-statements 2)" in audit(tmp_path, "TM601", source, max_statements=2)[0][1]


def test_long_test_does_not_count_data(tmp_path: Path) -> None:
    text = ["expected = '''"] + [f"line {i}" for i in range(80)] + ["'''"]
    table = ["cases = ["] + [f"    ({i}, 'v{i}')," for i in range(80)] + ["]"]
    comments = ["# note"] * 60 + [""] * 10
    body = text + table + comments + ["for n, v in cases:", "    assert render(n) == v", "assert expected"]
    source = 'def test_render():\n    """Doc."""\n' + "".join(f"    {line}\n" for line in body)
    assert audit(tmp_path, "TM601", source) == []


# ---------------------------------------------------------------- TM602 monolithic-file
def test_monolithic_file_flags_tests_and_lines(tmp_path: Path) -> None:
    source = "".join(f"def test_{i}():\n    assert f({i})\n\n" for i in range(61))
    found = audit(tmp_path, "TM602", source)
    assert lines(found) == [1] and "61 tests (max-tests 60)" in found[0][1]
    assert "183 lines (max-lines 10)" in audit(tmp_path, "TM602", source, max_lines=10)[0][1]


def test_monolithic_file_leaves_alone(tmp_path: Path) -> None:
    sixty = "".join(f"def test_{i}():\n    assert f({i})\n" for i in range(60))
    assert audit(tmp_path, "TM602", sixty) == []
    big_conftest = {"conftest.py": "".join(f"def test_{i}():\n    assert f({i})\n" for i in range(600)),
                    "test_x.py": "def test_a():\n    assert 1\n"}
    assert audit(tmp_path, "TM602", big_conftest) == []


# ---------------------------------------------------------------- TM603 duplicate-test-name
def test_duplicate_test_name_flags_the_hidden_definitions(tmp_path: Path) -> None:
    source = """
        import unittest

        def test_parse():
            assert parse("") == []

        def test_parse():
            assert parse(" ") == []

        class TestX(unittest.TestCase):
            def test_a(self):
                self.assertTrue(1)

            def test_a(self):
                self.assertTrue(2)

            def test_a(self):
                self.assertTrue(3)
        """
    found = audit(tmp_path, "TM603", source)
    assert lines(found) == [4, 11, 14]
    assert "defined again at line 7 in this module" in found[0][1]
    assert "defined again at line 14 in class TestX" in found[1][1]
    assert "defined again at line 17 in class TestX" in found[2][1]


def test_duplicate_test_name_leaves_alone(tmp_path: Path) -> None:
    source = """
        import sys

        if sys.version_info >= (3, 12):
            def test_a():
                assert new()
        else:
            def test_a():
                assert old()

        def helper():
            return 1

        def helper():
            return 2

        class TestX:
            def test_b(self):
                assert 1

        class TestY:
            def test_b(self):
                assert 2

            @property
            def value(self):
                return 1

            @value.setter
            def value(self, v):
                pass
        """
    assert audit(tmp_path, "TM603", source) == []


# ---------------------------------------------------------------- TM604 sleep-in-test
SLEEP_FLAGGED = {
    "time_sleep": "import time\n\ndef test_a():\n    time.sleep(0.5)\n    assert done()\n",
    "from_import": "from time import sleep\n\ndef test_a():\n    sleep(1)\n    assert done()\n",
    "module_alias": "import time as t\n\ndef test_a():\n    t.sleep(1)\n    assert done()\n",
    "fixture": """
        import time
        import pytest

        @pytest.fixture
        def server():
            start()
            time.sleep(2)
            yield
        """,
    "setup": """
        import time
        import unittest

        class TestX(unittest.TestCase):
            def setUp(self):
                time.sleep(1)

            def test_a(self):
                self.assertTrue(1)
        """,
    "conftest_fixture": {"conftest.py": """
        import time
        import pytest

        @pytest.fixture(autouse=True)
        def settle():
            yield
            time.sleep(0.1)
        """},
    "nested_function": """
        from time import sleep

        def test_a():
            def slow():
                sleep(0.2)
                return 1
            assert limited(slow)
        """,
}
SLEEP_CLEAN = {
    "zero": "import time\n\ndef test_a():\n    time.sleep(0)\n    assert done()\n",
    "helper": "import time\n\ndef wait():\n    time.sleep(1)\n\ndef test_a():\n    assert wait() is None\n",
    "other_sleeps": """
        import asyncio
        from gevent import sleep

        async def test_a():
            await asyncio.sleep(0.1)
            sleep(1)
        """,
    "patched": """
        from unittest import mock

        def test_a():
            with mock.patch("time.sleep"):
                assert retry()
        """,
}


@pytest.mark.parametrize("case", SLEEP_FLAGGED)
def test_sleep_in_test_flags(tmp_path: Path, case: str) -> None:
    found = audit(tmp_path, "TM604", SLEEP_FLAGGED[case])
    assert len(found) == 1 and "time.sleep()" in found[0][1]


@pytest.mark.parametrize("case", SLEEP_CLEAN)
def test_sleep_in_test_leaves_alone(tmp_path: Path, case: str) -> None:
    assert audit(tmp_path, "TM604", SLEEP_CLEAN[case]) == []


# ---------------------------------------------------------------- TM605 private-access
def test_private_access_flags_once_per_test_and_name(tmp_path: Path) -> None:
    source = """
        import unittest
        import cachelib

        def test_eviction():
            cache = cachelib.LRU(2)
            assert list(cache._data) == ["b"]
            assert cache._data
            cache._evict()

        def test_module_private():
            assert cachelib._DEFAULT == 3

        class TestX(unittest.TestCase):
            def setUp(self):
                self.cache = cachelib.LRU(2)

            def test_a(self):
                self.assertFalse(self.cache._stale)
        """
    found = audit(tmp_path, "TM605", source)
    assert [(line, msg.split(";")[0]) for line, msg in found] == [
        (7, "test_eviction reaches into private member _data of cache (2 times)"),
        (9, "test_eviction reaches into private member _evict of cache"),
        (12, "test_module_private reaches into private member _DEFAULT of cachelib"),
        (19, "test_a reaches into private member _stale of self.cache"),
    ]


def test_private_access_reports_the_first_private_member_of_a_chain(tmp_path: Path) -> None:
    source = "def test_a():\n    it = run()\n    assert it._executor._shutdown\n"
    assert [m.split(";")[0] for _, m in audit(tmp_path, "TM605", source)] == [
        "test_a reaches into private member _executor of it"]


def test_private_access_leaves_alone(tmp_path: Path) -> None:
    source = """
        import os
        import sys
        import unittest
        import simplejson._speedups
        from collections import namedtuple
        from simplejson import _speedups
        from unittest import mock

        class Fake:
            _calls = 0

            def __init__(self):
                self._log = []

        class TestX(unittest.TestCase):
            def _helper(self):
                return self._cache

            def test_a(self):
                self._helper()
                frame = sys._getframe()
                assert super()._outcome is None
                assert os._exit
                p = namedtuple("P", "x")(1)
                assert p._replace(x=2)._asdict() == {"x": 2}
                assert mock_obj._anything and m._mock_children
                assert obj.__dict__ and obj._
                fake = Fake()
                assert fake._log == [] and Fake._calls == 0
                assert other._log

            @classmethod
            def test_b(cls):
                assert cls._shared

        def test_c(request):
            assert request._pyfuncitem

        def test_d():
            class RecursiveEquals:
                def __eq__(self, other):
                    return self._use_cache == other._use_cache
            assert cached(RecursiveEquals())

        def test_e():
            assert new._bar == 12
            assert helper_made._late

        def test_f():
            class OhNo(Base):
                _field = field(default=37)
            new = OhNo(field=12).evolve()
            assert new._field == 12

        class Helper:
            def make(self):
                self._late = 1
                self._bar = 2
        """
    assert audit(tmp_path, "TM605", source) == []


# ---------------------------------------------------------------- TM606 mixed-style
def test_mixed_style_flags(tmp_path: Path) -> None:
    source = """
        import unittest
        from unittest import TestCase

        tc = unittest.TestCase()

        class AssertMixin:
            def assertEqual(self, a, b):
                assert a == b

        class TestWithMixin(AssertMixin):
            def test_a(self):
                self.assertEqual(f(), 1)
                self.assertEqual(g(), 2)

        class TestBroken:
            def test_b(self):
                self.assertIn(1, f())

        def test_c():
            tc.assertCountEqual(items(), [1, 2])

        def test_d():
            TestCase().assertEqual(f(), 1)
        """
    found = audit(tmp_path, "TM606", source)
    assert lines(found) == [13, 18, 21, 24]
    assert "(assertEqual) on self: AssertMixin (not a TestCase) provides it" in found[0][1]
    assert "AttributeError" in found[1][1]
    assert "(assertCountEqual) on a hand-made TestCase instance" in found[2][1]
    assert "hand-made" in found[3][1]


def test_mixed_style_leaves_alone(tmp_path: Path) -> None:
    source = """
        import unittest
        from django.test import SimpleTestCase

        class Checks:
            def test_shared(self):
                self.assertEqual(f(), 1)

        class TestA(Checks, unittest.TestCase):
            def test_a(self):
                self.assertTrue(1)

        class TestDjango(SimpleTestCase):
            def test_b(self):
                self.assertContains(response, "x")
                self.assertEqual(f(), 1)

        class TestC(unittest.TestCase):
            def test_c(self):
                unittest.TestCase().assertEqual(1, 1)

        class TestD(unittest.TestCase):
            def test_d(self):
                self.assertTrue(1)

        class TestD:  # a second class of the same name: the class graph knows only this one
            def test_d(self):
                assert 1
        """
    assert audit(tmp_path, "TM606", source) == []


# ---------------------------------------------------------------- TM607 mixed-module
def test_mixed_module_flags_once(tmp_path: Path) -> None:
    source = """
        import unittest

        class TestA(unittest.TestCase):
            def test_a(self):
                self.assertTrue(1)

        def test_b():
            assert 1

        def test_c():
            assert 1
        """
    found = audit(tmp_path, "TM607", source)
    assert found == [(1, "this module mixes unittest.TestCase classes and their mixins (TestA) with pytest-style tests "
                         "(test_b, test_c); convert the TestCase classes (TM201) so the module has one style")]
    assert rule_by_code("TM607").severity.value == "info"


def test_mixed_module_leaves_alone(tmp_path: Path) -> None:
    files = {
        "test_a.py": """
            import unittest

            class TestA(unittest.TestCase):
                def test_a(self):
                    self.assertTrue(1)
            """,
        "test_b.py": """
            import unittest

            class Base(unittest.TestCase):
                def helper(self):
                    return 1

            def test_b():
                assert 1
            """,
    }
    assert audit(tmp_path, "TM607", files) == []


# ---------------------------------------------------------------- shared
def test_inventory_survives_pickling_for_worker_processes(tmp_path: Path) -> None:
    import pickle

    from testmend.engine import build_suite
    from testmend.tests_inventory import TestInventory

    (tmp_path / "test_x.py").write_text("import unittest\n\nclass TestX(unittest.TestCase):\n"
                                        "    def test_a(self):\n        self.check()\n")
    settings = load_settings([tmp_path], select=["TM501"], jobs=1)
    suite = build_suite([tmp_path / "test_x.py"], [rule_by_code("TM501")], settings)
    inventory = pickle.loads(pickle.dumps(suite.data[TestInventory.name]))
    assert inventory.is_test(tmp_path / "test_x.py", "TestX", "test_a", fixture=False)


def test_rule_options_are_known_config_keys(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.testmend.TM601]\nmax-lines = 60\nmax-statements = 40\n"
        "[tool.testmend.TM501]\nmax-depth = 2\nhelper-prefixes = ['check']\n"
        "[tool.testmend.TM602]\nmax-tests = 10\nmax-lines = 100\n")
    settings = load_settings([tmp_path])
    assert settings.warnings == ()
    assert settings.options_for("TM601", rule_by_code("TM601").defaults) == {"max_lines": 60, "max_statements": 40}
