"""TM101: unittest assertion methods (`self.assertEqual(...)`) in a pytest suite."""
from __future__ import annotations

import re
from typing import Sequence

import libcst as cst

from testmend.codemods.unittest_assertion import convert_unittest_assertion, plan_assertion
from testmend.model import Safety, Severity
from testmend.unittest_api import ALIASES, RAISES, SIGNATURES, WARNS, UnittestCallRule, canonical

_CATCHING = re.compile(r"(raises|Raises|RaisesRegexp?|suppress)$")
_CATCH_ASSERTION = {"AssertionError", "Exception", "BaseException"}


def _handlers_catch_assertion(handlers: Sequence[cst.BaseExceptHandler]) -> int:
    """1 if one of these handlers could catch an AssertionError."""
    for handler in handlers:
        kind = handler.type
        if kind is None:
            return 1
        names = kind.elements if isinstance(kind, cst.Tuple) else [kind]
        for element in names:
            value = element.value if isinstance(element, cst.Element) else element
            if isinstance(value, cst.Attribute):
                value = value.attr
            if not isinstance(value, cst.Name) or value.value in _CATCH_ASSERTION:
                return 1
    return 0


class UnittestAssertion(UnittestCallRule):
    """Flags `self.assert*()` calls of unittest.TestCase that have a plain-assert equivalent.

    ## What it does
    Finds calls such as `self.assertEqual(a, b)`, `self.assertIn(x, y, msg)`,
    deprecated aliases (`assertEquals`, `failUnless`, `assertDictContainsSubset`,
    all removed in Python 3.12) and `self.fail(msg)`, in methods of classes that
    derive from unittest.TestCase, and rewrites each to a plain `assert`
    (or `pytest.fail`). A call is only touched when the method certainly is
    TestCase's own for every class whose instance can be `self` (project base
    classes and mixins are followed across files, along the real MRO).

    ## Why is this bad?
    pytest reports a failing `assert` with the values involved, so the assertion
    methods only add noise; the deprecated aliases fail outright on Python 3.12+,
    and the methods tie the test to TestCase, blocking a move to fixtures.

    ## Example
    ```python
    self.assertEqual(result, 3, "bad sum")
    self.assertIsNone(cache.get("k"))
    self.assertAlmostEqual(x, 0.5, places=3)
    ```
    becomes
    ```python
    assert result == 3, "bad sum"
    assert cache.get("k") is None
    assert x == 0.5 or round(abs(x - 0.5), 3) == 0
    ```

    ## Fix safety
    Safe: each rewrite keeps unittest's exact pass/fail rule (`assertAlmostEqual`
    keeps "equal, or difference rounded to `places` is zero"; `assertIs(x, False)`
    stays an identity check; `assertDictContainsSubset` becomes an items-view
    comparison that works with unhashable values). Unsafe: `assertListEqual`,
    `assertDictEqual` and the other typed equality methods when the operands'
    types cannot be proven, since `==` drops unittest's type check. Left alone,
    with the reason: `assertCountEqual` on items that may be unhashable,
    `assertAlmostEqual` on operands with side effects, calls with `*args`,
    calls used as expressions, and `self.fail` inside `try` or `suppress`.
    """

    code = "TM101"
    name = "unittest-assertion"
    severity = Severity.MINOR
    fix_safety = Safety.SAFE
    prefilter = re.compile(rb"\.(assert|fail)")

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._statement_calls: set[cst.Call] = set()
        self._catching = 0

    # self.fail() raises AssertionError; pytest.fail() raises an exception that
    # derives from BaseException. The two differ only where something catches
    # AssertionError but not BaseException: `except Exception`/`AssertionError`,
    # suppress(...), assertRaises(...). Track whether the statement is guarded so.
    def visit_Try_body(self, node: cst.Try) -> None:
        self._catching += _handlers_catch_assertion(node.handlers)

    def leave_Try_body(self, node: cst.Try) -> None:
        self._catching -= _handlers_catch_assertion(node.handlers)

    def visit_TryStar_body(self, node: cst.TryStar) -> None:
        self._catching += _handlers_catch_assertion(node.handlers)

    def leave_TryStar_body(self, node: cst.TryStar) -> None:
        self._catching -= _handlers_catch_assertion(node.handlers)

    def visit_With_body(self, node: cst.With) -> None:
        self._catching += self._catches(node)

    def leave_With_body(self, node: cst.With) -> None:
        self._catching -= self._catches(node)

    @staticmethod
    def _catches(node: cst.With) -> int:
        for item in node.items:
            func = item.item.func if isinstance(item.item, cst.Call) else None
            name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            if _CATCHING.search(name):
                return 1
        return 0

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not isinstance(call, cst.Call):
            return
        found = self._assertion(call)
        if found is None:
            return
        method, cls = found
        self._statement_calls.add(call)
        blocker = self.blocker(cls, method)
        if blocker is not None:
            self.report(call, f"self.{method}() left as is: {blocker}")
            return
        if canonical(method) == "fail" and self._catching:
            self.report(call, "self.fail() left as is: it runs where AssertionError is caught "
                              "(except Exception/AssertionError, suppress, assertRaises), and "
                              "pytest.fail() raises an exception those do not catch")
            return
        plan = plan_assertion(call, method)
        if isinstance(plan, str):
            self.report(call, f"self.{method}() left as is: {plan}")
            return
        fix = convert_unittest_assertion(self.context.module, node, method, plan)
        verb = "pytest.fail()" if canonical(method) == "fail" else "a plain assert"
        alias = f" (deprecated alias of {canonical(method)})" if method in ALIASES else ""
        self.report(call, f"self.{method}(){alias} can be {verb}", fix)

    def visit_Call(self, node: cst.Call) -> None:
        if node in self._statement_calls:
            return
        found = self._assertion(node)
        if found is not None and self.blocker(found[1], found[0]) is None:
            self.report(node, f"self.{found[0]}() left as is: its result is used as a value, "
                              "and an assert statement has none")

    def _assertion(self, call: cst.Call) -> tuple[str, str] | None:
        found = self.self_method(call)
        if found is None:
            return None
        method, cls, _ = found
        name = canonical(method)
        if name not in SIGNATURES or name in RAISES or name in WARNS:
            return None
        return method, cls
