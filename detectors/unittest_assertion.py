"""TM101: unittest assertion methods (`self.assertEqual(...)`) in a pytest suite."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

import libcst as cst

from testmend.codemods.unittest_assertion import Plan, convert_unittest_assertion, new_syntax_warning, plan_assertion
from testmend.model import Safety, Severity
from testmend.unittest_api import ALIASES, RAISES, SIGNATURES, WARNS, UnittestCallRule, canonical

_CATCHING = re.compile(r"(raises|Raises|RaisesRegexp?|suppress)$")
# Fix: `except self.failureException:` (AssertionError unless a class changes it,
# and then TM101 leaves the class alone) was not seen as catching AssertionError.
_CATCH_ASSERTION = {"AssertionError", "Exception", "BaseException", "failureException"}
# Methods unittest itself calls; any other method may be called by a test from
# inside `assertRaises(AssertionError)` (a test of a custom assertion helper).
_CALLED_BY_UNITTEST = {"runTest", "setUp", "tearDown", "asyncSetUp", "asyncTearDown"}

# The other TestCase methods each assertion calls on `self` (CPython's
# unittest/case.py): a project class that overrides one of them changes what
# the assertion does, and a plain assert would bypass it. assertEqual picks
# assertListEqual, assertDictEqual... by the operands' type (through
# _getAssertEqualityFunc), and most methods report a failure via self.fail().
_RAISE_DIRECTLY = {"assertTrue", "assertFalse", "assertNotEqual", "assertAlmostEqual",
                   "assertNotAlmostEqual", "assertRegex", "assertNotRegex", "fail", "_baseAssertEqual"}
_CALLS = {
    "assertEqual": ("_getAssertEqualityFunc", "_baseAssertEqual", "assertDictEqual", "assertListEqual",
                    "assertTupleEqual", "assertSetEqual", "assertMultiLineEqual"),
    "assertListEqual": ("assertSequenceEqual",),
    "assertTupleEqual": ("assertSequenceEqual",),
    "assertDictEqual": ("assertIsInstance",),
    "assertMultiLineEqual": ("assertIsInstance",),
}
# TestCase has these only from Python 3.14: before that, a class after TestCase
# in the MRO (a backport mixin, a Protocol's stub) supplies them.
_ADDED_IN_314 = {"assertStartsWith", "assertNotStartsWith", "assertEndsWith", "assertNotEndsWith",
                 "assertHasAttr", "assertNotHasAttr", "assertIsSubclass", "assertNotIsSubclass"}


def _hooks(name: str) -> list[str]:
    """Every TestCase method `name` may call on self, transitively."""
    out: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        for dep in _CALLS.get(current, ()) + (() if current in _RAISE_DIRECTLY else ("fail",)):
            if dep not in out and dep != name:
                out.add(dep)
                todo.append(dep)
    return sorted(out)


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


def _target_names(node: cst.CSTNode) -> list[str]:
    """Names a binding target (`a`, `a, *b`, `[a, b]`) binds; not `a.b` or `a[0]`."""
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [n for e in node.elements for n in _target_names(e.value)]
    if isinstance(node, cst.StarredElement):
        return _target_names(node.value)
    return []


class _BoundNames(cst.CSTVisitor):
    """Every name the module binds anywhere, except by importing the module of
    that name (`import re`, `import collections.abc`)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def _add(self, node: cst.CSTNode | None) -> None:
        if node is not None:
            self.names.update(_target_names(node))

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._add(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._add(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._add(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._add(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._add(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._add(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._add(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        self._add(node.asname.name if node.asname else None)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._add(node.name.name if node.name else None)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._add(node.name.name if node.name else None)

    def visit_Param(self, node: cst.Param) -> None:
        self._add(node.name)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._add(node.name)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._add(node.name)

    def visit_Global(self, node: cst.Global) -> None:
        self.names.update(n.name.value for n in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.names.update(n.name.value for n in node.names)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        self._add(node.name)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        self._add(node.name)

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        self._add(node.rest)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            bound = alias.evaluated_alias
            if bound is not None and bound != alias.evaluated_name:
                self.names.add(bound)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not isinstance(node.names, cst.ImportStar):
            self.names.update(a.evaluated_alias or a.evaluated_name for a in node.names)


class UnittestAssertion(UnittestCallRule):
    """Flags `self.assert*()` calls of unittest.TestCase that have a plain-assert equivalent.

    ## What it does
    Finds calls such as `self.assertEqual(a, b)`, `self.assertIn(x, y, msg)`,
    deprecated aliases (`assertEquals`, `failUnless`, `assertDictContainsSubset`,
    all removed in Python 3.12) and `self.fail(msg)`, in methods of classes that
    derive from unittest.TestCase, and rewrites each to a plain `assert`
    (`self.fail` to `pytest.fail`, or to `raise AssertionError(msg)` inside
    `try`/`suppress` and in helper methods, where a test may catch the
    AssertionError unittest raises). A call is only touched when the method certainly is
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
    calls used as expressions, rewrites Python would
    warn about (`assertIs(x, 1)` as `x is 1`), rewrites needing `re`,
    `collections` or `pytest` where the file uses that name for something else,
    and calls in classes that override a method the assertion relies on (`fail`,
    `assertListEqual` for assertEqual...), register `addTypeEqualityFunc`, or
    touch `self.failureException`.
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
        self._bound: set[str] | None = None

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
        blocker = self.blocker(cls, method) or self._hidden_blocker(cls, canonical(method))
        if blocker is not None:
            self.report(call, f"self.{method}() left as is: {blocker}")
            return
        plan = plan_assertion(call, method, self.context.module)
        if canonical(method) == "fail" and isinstance(plan, Plan) and (self._catching or not self._in_test_method()):
            # Fix: where AssertionError is caught (except Exception/AssertionError,
            # suppress, assertRaises), or in a helper a test may call there,
            # pytest.fail() raises an exception those do not catch
            plan = replace(plan, raise_error=True, imports=())
        if isinstance(plan, str):
            self.report(call, f"self.{method}() left as is: {plan}")
            return
        taken = [m for m in plan.imports if m in self._bound_names()]
        if taken:
            # Fix: the fix adds `import re` (collections, pytest) at the top, and the
            # rewrite uses that name: a local `re = ...`, a parameter or `from x import
            # y as re` made it mean something else (or the new import shadowed it).
            self.report(call, f"self.{method}() left as is: the rewrite needs the module {taken[0]!r}, "
                              f"but this file binds the name {taken[0]!r} to something else")
            return
        warning = new_syntax_warning(self.context.module, node, method, plan)
        if warning is not None:
            self.report(call, f"self.{method}() left as is: the assert would draw a SyntaxWarning "
                              f"({warning}), an error under -W error")
            return
        fix = convert_unittest_assertion(self.context.module, node, method, plan)
        verb = "a plain assert"
        if canonical(method) == "fail":
            verb = "raise AssertionError" if isinstance(plan, Plan) and plan.raise_error else "pytest.fail()"
        alias = f" (deprecated alias of {canonical(method)})" if method in ALIASES else ""
        self.report(call, f"self.{method}(){alias} can be {verb}", fix)

    def visit_Call(self, node: cst.Call) -> None:
        if node in self._statement_calls:
            return
        found = self._assertion(node)
        if found is not None and self.blocker(found[1], found[0]) is None:
            self.report(node, f"self.{found[0]}() left as is: its result is used as a value, "
                              "and an assert statement has none")

    def _bound_names(self) -> set[str]:
        if self._bound is None:
            collector = _BoundNames()
            self.context.module.visit(collector)
            self._bound = collector.names
        return self._bound

    def _hidden_blocker(self, cls: str, name: str) -> str | None:
        """Why `self.<name>` in `cls` is not exactly TestCase's behaviour although
        no class overrides `name` itself, or None. Fixes: a project class
        overriding a method the assertion calls (`fail`, `assertListEqual` for
        assertEqual...), assertEqual with type-specific equality functions
        registered (`self.addTypeEqualityFunc(Money, ...)` in setUp), and
        `self.failureException = RuntimeError` set on the instance (only the
        class attribute was seen): all were rewritten to a plain assert."""
        key = (cls, f"hidden:{name}")
        if key not in self._owner_cache:
            self._owner_cache[key] = self._find_hidden_blocker(cls, name)
        return self._owner_cache[key]

    def _find_hidden_blocker(self, cls: str, name: str) -> str | None:
        graph = self.graph
        if graph is None:
            return None
        for kind in graph.self_types(f"{self._module_name}.{cls}"):
            if name in _ADDED_IN_314:
                # Fix: a backport of these in a class after TestCase was replaced by the real check
                who, detail = graph.lookup(kind, name, testcase_defines=False)
                if who == "project":
                    return f"{detail.rsplit('.', 1)[-1]} defines {name} (used before Python 3.14)"
            for hook in _hooks(name):
                who, detail = graph.lookup(kind, hook)
                if who == "project":
                    return f"{detail.rsplit('.', 1)[-1]} overrides {hook}(), which unittest's {name}() calls"
            # `self.<attr>` used by a project class in the MRO (reads count too: conservative)
            for owner in graph.mro(kind) or ():
                used = graph.classes[owner].self_attrs if owner in graph.classes else frozenset()
                short = owner.rsplit(".", 1)[-1]
                if "failureException" in used:
                    return f"{short} uses self.failureException, so assertions may raise something else"
                if name == "assertEqual" and used & {"addTypeEqualityFunc", "_type_equality_funcs"}:
                    return (f"{short} registers type-specific equality functions (addTypeEqualityFunc), "
                            "which assertEqual uses instead of ==")
        return None

    def _in_test_method(self) -> bool:
        """The code runs directly in a test method (or setUp/tearDown), not in a
        helper method or a function nested in a method."""
        frame = self._frames[-1] if self._frames else None
        if frame is None or frame[0] != "func" or frame[2] is None:
            return False
        name = frame[1].name.value
        return name.startswith("test") or name in _CALLED_BY_UNITTEST

    def _assertion(self, call: cst.Call) -> tuple[str, str] | None:
        found = self.self_method(call)
        if found is None:
            return None
        method, cls, _ = found
        name = canonical(method)
        if name not in SIGNATURES or name in RAISES or name in WARNS:
            return None
        return method, cls
