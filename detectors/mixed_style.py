"""TM606: unittest assertion methods used in pytest-style tests."""
from __future__ import annotations

import re

import libcst as cst

from testmend.classgraph import TESTCASE
from testmend.model import Severity
from testmend.tests_visitor import Scope, TestFunctionRule, dotted_cst
from testmend.unittest_api import ALL_NAMES

_TESTCASE_NAMES = {"unittest.TestCase", "unittest.case.TestCase"}


class MixedStyle(TestFunctionRule):
    """Flags unittest assertion methods called in pytest-style tests.

    ## What it does
    Finds `self.assertEqual(...)` and the other unittest.TestCase assertion
    methods in methods of a class that is not a TestCase (nor mixed into one),
    such as a plain `TestX` class that gets `assertEqual` from a project mixin,
    and assertion methods called on a TestCase instance made by hand
    (`unittest.TestCase().assertCountEqual(...)`, `tc = TestCase(); tc.assertIn(...)`)
    in pytest-style tests. One finding per function. When nothing provides the
    method, the finding says the call fails with AttributeError. Classes with
    a base testmend did not analyse (a third-party TestCase) are left alone.

    ## Why is this bad?
    The suite mixes two assertion styles: pytest's assertion rewriting does not
    explain these failures, readers have to know both APIs, and a hand-made
    TestCase instance is a trick that breaks when unittest changes its
    constructor's defaults.

    ## Example
    ```python
    tc = unittest.TestCase()

    def test_items():
        tc.assertCountEqual(items(), [1, 2, 3])
    ```
    should be
    ```python
    def test_items():
        assert sorted(items()) == [1, 2, 3]
    ```

    ## Fix safety
    No fix yet: TM101 converts the calls inside TestCase classes; here the
    receiver is not `self` of a TestCase and each call needs the same analysis.
    """

    code = "TM606"
    name = "mixed-style"
    severity = Severity.MINOR
    prefilter = re.compile(rb"\.(assert|fail)")

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._instances: set[str] = set()  # names bound to a hand-made TestCase
        self._bases: dict[str, tuple[str, ...]] = {}  # class -> the last names of its bases, as written
        self._found: dict[cst.FunctionDef, list[tuple[cst.Call, str]]] = {}

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        names = tuple((dotted_cst(b.value) or "?").rpartition(".")[2] for b in node.bases if b.keyword is None)
        self._bases[self._classes[-1]] = names

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call) and self.qualified(node.value.func) in _TESTCASE_NAMES:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self._instances.add(target.target.value)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in ALL_NAMES or not self._functions:
            return
        scope = self._functions[0]
        receiver = func.value
        if isinstance(receiver, cst.Call) and self.qualified(receiver.func) in _TESTCASE_NAMES \
                or isinstance(receiver, cst.Name) and receiver.value in self._instances:
            if self._in_testcase(scope):
                return
            self._found.setdefault(scope.node, []).append((node, "a hand-made TestCase instance"))
        elif isinstance(receiver, cst.Name) and scope.cls is not None and receiver.value == scope.self_name \
                and self.test is not None and scope is self.test:
            why = self._plain_class(scope.cls, func.attr.value)
            if why is not None:
                self._found.setdefault(scope.node, []).append((node, why))

    def _in_testcase(self, scope: Scope) -> bool:
        if scope.cls is None or self.inventory is None:
            return False
        return self.inventory.is_testcase_method_owner(self.class_qual(scope.cls))

    def _plain_class(self, cls: str, method: str) -> str | None:
        """Why `self.<method>` in a test of this non-TestCase class is mixed style, or None."""
        if self.inventory is None:
            return None
        qual = self.class_qual(cls)
        graph = self.inventory.graph
        if self.inventory.is_testcase_method_owner(qual) or qual not in graph.classes:
            return None
        written = tuple(b.rpartition(".")[2].lstrip("?") for b in graph.classes[qual].bases)
        if written != self._bases.get(cls):
            return None  # two classes with this name in the module: the graph knows the other one
        mro = graph.mro(qual)
        if mro is None:
            return None
        for owner in mro:
            if owner == TESTCASE:
                return None
            facts = graph.classes.get(owner)
            if facts is None and not graph.is_neutral(owner):
                return None  # a base testmend did not read may be a TestCase
            if facts is not None and method in facts.members:
                return f"{owner.rpartition('.')[2]} (not a TestCase) provides it"
        return "nothing provides it: the call fails with AttributeError"

    def leave_function(self, scope: Scope) -> None:
        calls = self._found.pop(scope.node, None)
        if not calls:
            return
        first, why = calls[0]
        names = sorted({c.func.attr.value for c, _ in calls if isinstance(c.func, cst.Attribute)})
        listed = ", ".join(names[:3]) + ("..." if len(names) > 3 else "")
        self.report(first, f"{scope.node.name.value} is a pytest-style test but calls unittest assertion "
                           f"methods ({listed}) on {why if why.startswith('a hand') else 'self'}"
                           f"{'' if why.startswith('a hand') else ': ' + why}; use plain assert statements")
