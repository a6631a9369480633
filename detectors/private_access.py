"""TM605: tests that reach into private members of the code under test (`obj._x`)."""
from __future__ import annotations

import re
import sys

import libcst as cst

from testmend.model import Severity
from testmend.tests_visitor import Scope, TestFunctionRule, dotted_cst

# Underscore names that are public API: namedtuple's methods and fields.
_PUBLIC_UNDERSCORE = {"_replace", "_asdict", "_fields", "_make", "_field_defaults", "_field_types"}
# pytest's own fixtures: their internals are not the code under test.
_PYTEST_FIXTURES = {
    "request", "capsys", "capsysbinary", "capfd", "capfdbinary", "caplog", "monkeypatch", "pytester",
    "testdir", "tmp_path", "tmpdir", "tmp_path_factory", "tmpdir_factory", "recwarn", "pytestconfig",
    "record_property", "record_testsuite_property", "mocker", "subtests", "doctest_namespace",
}
_OUTSIDE = set(sys.stdlib_module_names) | {"pytest", "_pytest", "mock", "pluggy", "hypothesis"}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name != "_" and name not in _PUBLIC_UNDERSCORE


class PrivateAccess(TestFunctionRule):
    """Flags tests that read or write private members of the code under test.

    ## What it does
    Finds attribute accesses `obj._name` (one leading underscore, not a dunder)
    in test functions, one finding per test and name. Left alone, because they
    are not the code under test or are public despite the underscore:
    `self._x`/`cls._x` of the test class itself, `super()._x`, standard
    library and pytest internals (`sys._getframe()`, `os._exit()`,
    `request._pyfuncitem`), mocks' `_mock_*` attributes and anything on a name
    that contains "mock", namedtuple's `_replace`/`_asdict`/`_fields`/`_make`,
    classes and functions defined in the test module or in the test itself
    (and the objects the test makes from them), private names that the test
    module itself defines (a member of one of its classes, `self._x = ...`
    in one of its methods), and imports
    (`from pkg import _speedups` tests an accelerator module on purpose).
    In a chain such as `it._executor._shutdown` only the first private
    member is reported.

    ## Why is this bad?
    A test tied to private names breaks on every refactoring that keeps the
    behaviour, and can pass while the public behaviour is wrong. It is a
    design smell too: if the test needs it, users may need it.

    ## Example
    ```python
    def test_lru_eviction():
        cache = LRUCache(2)
        cache["a"] = 1; cache["b"] = 2; cache["c"] = 3
        assert list(cache._data) == ["b", "c"]
    ```
    Test through the public API (`assert "a" not in cache`), or make the
    member public if the tests really need it.

    ## Fix safety
    No fix: the public way to observe the behaviour is a design decision.
    """

    code = "TM605"
    name = "private-access"
    severity = Severity.MINOR
    prefilter = re.compile(rb"\._[A-Za-z0-9]")

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._module_local: set[str] = set()  # classes and functions of the test module
        self._local: set[str] = set()  # those, plus the test's own classes and the objects made from them
        self._found: dict[str, tuple[cst.Attribute, int]] = {}  # in the current test
        self._pending: list[tuple[str, str, cst.Attribute, int]] = []  # (test, name, first, count)
        self._defined: set[str] = set()  # private names the test module defines itself
        self._skip = 0  # inside an import, or a class the test defines

    def visit_Module(self, node: cst.Module) -> None:
        for stmt in node.body:
            if isinstance(stmt, (cst.ClassDef, cst.FunctionDef)):
                self._module_local.add(stmt.name.value)

    def visit_Import(self, node: cst.Import) -> None:
        self._skip += 1

    def leave_Import(self, original_node: cst.Import) -> None:
        self._skip -= 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._skip += 1

    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self._skip -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        if isinstance(node.body, cst.IndentedBlock):
            for stmt in node.body.body:
                small = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
                for item in small:
                    self._define(item)
        if self.test is not None:
            self._local.add(node.name.value)
            self._skip += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        super().leave_ClassDef(original_node)
        if self.test is not None:
            self._skip -= 1

    def _define(self, item: cst.CSTNode) -> None:
        names: list[str] = []
        if isinstance(item, (cst.FunctionDef, cst.ClassDef)):
            names.append(item.name.value)
        elif isinstance(item, cst.Assign):
            names.extend(t.target.value for t in item.targets if isinstance(t.target, cst.Name))
        elif isinstance(item, cst.AnnAssign) and isinstance(item.target, cst.Name):
            names.append(item.target.value)
        self._defined.update(n for n in names if _private(n))

    def enter_function(self, scope: Scope) -> None:
        if scope is self.test:
            self._local = set(self._module_local)

    def _self_target(self, target: cst.BaseExpression) -> None:
        """`self._x = ...` in a method of the test module: `_x` is its own."""
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and _private(target.attr.value):
            scope = self._functions[-1] if self._functions else None
            if scope is not None and scope.self_name == target.value.value:
                self._defined.add(target.attr.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._self_target(node.target)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._self_target(target.target)
        value = node.value
        if self.test is not None and isinstance(value, cst.Call) and dotted_cst(value.func) in self._local:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self._local.add(target.target.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        scope = self.test
        name = node.attr.value
        if scope is None or self._skip or not _private(name) or name.startswith("_mock_"):
            return
        receiver = node.value
        if isinstance(receiver, cst.Call) and dotted_cst(receiver.func) == "super":
            return
        dotted = dotted_cst(receiver)
        if dotted is None:
            dotted = "?"
        parts = dotted.split(".")
        head = parts[0]
        if len(parts) == 1 and head in (scope.self_name, "self", "cls"):
            return
        if any(_private(part) for part in parts[1:]):
            return  # `it._executor._shutdown`: `_executor` is the one reported
        if "mock" in dotted.lower() or head in self._local or head in _PYTEST_FIXTURES:
            return
        target = self.imports.get(head)
        if target is not None and target.partition(".")[0] in _OUTSIDE:
            return
        key = name
        first, count = self._found.get(key, (node, 0))
        self._found[key] = (first, count + 1)

    def leave_function(self, scope: Scope) -> None:
        if scope is self.test:
            self._pending.extend((scope.node.name.value, name, node, count)
                                 for name, (node, count) in self._found.items())
            self._found = {}

    def leave_Module(self, original_node: cst.Module) -> None:
        # reported at the end: a helper class defined below the tests may own the name
        for test, name, node, count in self._pending:
            if name in self._defined:
                continue
            owner = dotted_cst(node.value) or "an object"
            times = f" ({count} times)" if count > 1 else ""
            self.report(node, f"{test} reaches into private member {name} of {owner}{times}; "
                              "test through the public API, or make the member public if tests need it")
