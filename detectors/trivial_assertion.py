"""TM502: assertions that cannot fail (`assert True`, `assert (x, "msg")`, `assert m.called_once_with()`)."""
from __future__ import annotations

import re

import libcst as cst

from testmend.model import Severity
from testmend.tests_visitor import TestFunctionRule, dotted_cst, string_value

# Names a Mock invents on access (they return a new, truthy Mock) that read like its assertions.
MISSPELLED_MOCK = {
    "called_once_with": "assert_called_once_with", "called_with": "assert_called_with",
    "called_once": "assert_called_once", "has_calls": "assert_has_calls", "any_call": "assert_any_call",
    "not_called": "assert_not_called", "awaited_once_with": "assert_awaited_once_with",
    "awaited_with": "assert_awaited_with", "awaited_once": "assert_awaited_once",
    "has_awaits": "assert_has_awaits", "any_await": "assert_any_await", "not_awaited": "assert_not_awaited",
}
_TRUE_METHODS = {"assertTrue", "assert_", "failUnless", "assertIsNotNone"}
_FALSE_METHODS = {"assertFalse", "failIf", "assertIsNone"}
_SAME_METHODS = {"assertEqual", "assertEquals", "failUnlessEqual", "assertIs", "assertGreaterEqual",
                 "assertLessEqual", "assertCountEqual", "assertListEqual", "assertDictEqual"}
_SAME_OPS = (cst.Equal, cst.Is, cst.GreaterThanEqual, cst.LessThanEqual)
# Tests of __eq__/ordering compare an object with itself on purpose.
_EQUALITY_TEST = re.compile(r"eq|compar|reflex|ident|hash|cmp|order|nan|same|self", re.IGNORECASE)


def _always_true(expr: cst.BaseExpression) -> str | None:
    """Why `expr` is true whatever happens, or None."""
    text = string_value(expr)
    if text is not None:
        return "a non-empty string is always true" if text else None
    if isinstance(expr, (cst.Integer, cst.Float, cst.Imaginary)):
        return "a non-zero number is always true" if expr.evaluated_value else None
    if isinstance(expr, cst.Name) and expr.value == "True":
        return "it is `True`"
    if isinstance(expr, cst.Tuple) and expr.elements:
        return "a non-empty tuple is always true (the parentheses make `(x, msg)` one tuple)"
    if isinstance(expr, (cst.List, cst.Set, cst.Dict)) and expr.elements:
        return "a non-empty literal is always true"
    if isinstance(expr, cst.Lambda):
        return "a function is always true"
    return None


def _always_false(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value in ("False", "None") or \
        isinstance(expr, cst.Integer) and not expr.evaluated_value


def _pure(expr: cst.BaseExpression) -> bool:
    """A name or attribute chain: evaluating it twice gives the same object."""
    return dotted_cst(expr) is not None


def _same(a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
    return _pure(a) and dotted_cst(a) == dotted_cst(b)


class TrivialAssertion(TestFunctionRule):
    """Flags assertions that cannot fail.

    ## What it does
    Finds `assert True`, asserts on a non-empty literal (`assert "ok"`),
    `assert (x, "message")` (a two-element tuple, always true),
    `self.assertTrue("literal", msg)`, `assert x == x` and
    `self.assertEqual(x, x)` (outside tests named after equality, hashing or
    ordering, which compare an object with itself on purpose),
    `assert len(x) >= 0`, and calls of mock "assertions" that do not exist,
    such as `mock.called_once_with(...)`: a Mock invents the attribute and
    returns a new, truthy Mock, so the check passes whatever the calls were.

    ## Why is this bad?
    The assertion looks like a check and guards nothing: the test passes
    whether the code works or not, and readers trust it.

    ## Example
    ```python
    assert (result == 3, "bad sum")      # always true
    assert mock_send.called_once_with("x")  # always true
    self.assertTrue("parsed", result)    # checks the literal, not result
    ```
    should be
    ```python
    assert result == 3, "bad sum"
    mock_send.assert_called_once_with("x")
    self.assertTrue(result, "parsed")
    ```

    ## Fix safety
    No fix: the intended check is a guess (`assert (x, msg)` may have meant
    `assert x, msg` or `assert x == msg`), and making it real can make the test
    fail, which is the point but needs a person.
    """

    code = "TM502"
    name = "trivial-assertion"
    severity = Severity.MAJOR
    prefilter = re.compile(rb"assert|fail|called|has_calls|any_call|awaited|any_await")

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._seen: set[cst.CSTNode] = set()

    def _function_name(self) -> str:
        return self._functions[0].node.name.value if self._functions else ""

    def visit_Assert(self, node: cst.Assert) -> None:
        test = node.test
        why = _always_true(test)
        if why is not None:
            tip = " (did you mean `assert x, msg`?)" if isinstance(test, cst.Tuple) and len(test.elements) == 2 else ""
            self.report(node, f"this assert cannot fail: {why}{tip}")
            return
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            target = test.comparisons[0]
            if isinstance(target.operator, _SAME_OPS) and _same(test.left, target.comparator) \
                    and not _EQUALITY_TEST.search(self._function_name()):
                self.report(node, f"this assert compares {dotted_cst(test.left)} with itself, which is "
                                  "always true (unless its __eq__ is what is under test)")
                return
            if isinstance(target.operator, cst.GreaterThanEqual) and isinstance(test.left, cst.Call) \
                    and dotted_cst(test.left.func) == "len" and isinstance(target.comparator, cst.Integer) \
                    and target.comparator.evaluated_value == 0:
                self.report(node, "this assert cannot fail: a length is never negative")
                return
        misspelled = self._misspelled(test)
        if misspelled is not None:
            self._seen.add(misspelled)
            self._report_mock(misspelled, asserted=True)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in MISSPELLED_MOCK and func not in self._seen:
            self._seen.add(func)
            self._report_mock(func, asserted=False)
            return
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        if method is None or any(a.star for a in node.args):
            return
        args = [a for a in node.args if a.keyword is None]
        if not args:
            return
        if method in _TRUE_METHODS:
            why = _always_true(args[0].value)
            if why is not None:
                hint = ""
                if len(args) == 2 and string_value(args[0].value) is not None:
                    hint = " (the message comes second: are the arguments swapped?)"
                elif len(args) == 2 and string_value(args[1].value) is None:
                    hint = " (its second argument is only the failure message: did you mean assertEqual?)"
                self.report(node, f"{method}() cannot fail here: {why}{hint}")
        elif method in _FALSE_METHODS and _always_false(args[0].value):
            self.report(node, f"{method}() cannot fail here: its argument is a constant")
        elif method in _SAME_METHODS and len(args) >= 2 and _same(args[0].value, args[1].value) \
                and not _EQUALITY_TEST.search(self._function_name()):
            self.report(node, f"{method}() compares {dotted_cst(args[0].value)} with itself, which always "
                              "passes (unless its __eq__ is what is under test)")

    @staticmethod
    def _misspelled(test: cst.BaseExpression) -> cst.Attribute | None:
        if isinstance(test, cst.UnaryOperation):
            return None
        expr = test.func if isinstance(test, cst.Call) else test
        if isinstance(expr, cst.Attribute) and expr.attr.value in MISSPELLED_MOCK:
            return expr
        return None

    def _report_mock(self, attr: cst.Attribute, asserted: bool) -> None:
        name = attr.attr.value
        real = MISSPELLED_MOCK[name]
        what = "so this assert cannot fail" if asserted else "so this checks nothing"
        self.report(attr, f"a Mock has no {name}: it invents one that returns a new, truthy Mock, {what}; "
                          f"use {dotted_cst(attr.value) or 'the mock'}.{real}(...)")
