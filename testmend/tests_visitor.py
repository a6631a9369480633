"""The per-file half of the test quality rules: `TestFunctionRule`, the base
class that knows, at every node of the one batched libcst traversal, whether
the visitor is inside a test, a fixture or neither, and the libcst helpers the
rules share (imports of the module, string literals, placeholder bodies).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Iterable

import libcst as cst
from libcst.helpers import get_full_name_for_node

from .check_facts import XUNIT_HOOKS, FunctionFacts, is_fixture_decorator, resolve_dotted
from .classgraph import module_name
from .rule import Rule
from .tests_inventory import Inventory, TestInventory


# ---------------------------------------------------------------- libcst helpers
def dotted_cst(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None (`a[0].b` is not one)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = dotted_cst(node.value)
        return f"{inner}.{node.attr.value}" if inner else None
    return None


def module_imports(module: cst.Module) -> dict[str, str]:
    """Local name -> dotted target for the module's top-level imports (and those in
    top-level `if`/`try` blocks), without walking the rest of the tree."""
    out: dict[str, str] = {}

    def statements(body: Iterable[cst.CSTNode]) -> Iterable[cst.BaseSmallStatement]:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                yield from stmt.body
            elif isinstance(stmt, (cst.If, cst.Try)):
                yield from statements(stmt.body.body)
                extra = [*(stmt.handlers if isinstance(stmt, cst.Try) else ()),
                         *((stmt.orelse,) if stmt.orelse is not None else ())]
                for block in extra:
                    yield from statements(block.body.body if hasattr(block.body, "body") else ())

    for small in statements(module.body):
        if isinstance(small, cst.Import):
            for a in small.names:
                name = get_full_name_for_node(a.name) or ""
                if a.asname is not None:
                    out[get_full_name_for_node(a.asname.name) or name] = name
                else:
                    out[name.split(".")[0]] = name.split(".")[0]
        elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar) \
                and not small.relative:
            base = get_full_name_for_node(small.module) if small.module else ""
            for a in small.names:
                name = get_full_name_for_node(a.name) or ""
                local = get_full_name_for_node(a.asname.name) if a.asname is not None else name
                out[local or name] = f"{base}.{name}" if base else name
    return out


@dataclass
class Scope:
    """A function the visitor is in: a test, a fixture or anything else."""

    node: cst.FunctionDef
    kind: str  # "test", "fixture", "function"
    cls: str | None  # qualified class name within the module, for methods
    self_name: str | None
    key: tuple[str, int] | None = None  # in ModuleIndex.by_key; None for functions inside functions


class TestFunctionRule(Rule):
    """Base of the test quality rules: knows, at every node of the batched
    traversal, the enclosing class and function and whether that is a test.

    Subclasses read `self.test` (the outermost test function being visited),
    `self.fixture` (the fixture or xunit setup/teardown being visited) and
    override `enter_function`/`leave_function`; when they define
    visit_/leave_ ClassDef or FunctionDef themselves they call super().
    """

    needs: ClassVar[tuple[type, ...]] = (TestInventory,)

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self.inventory: Inventory | None = context.suite.data.get(TestInventory.name)
        self.imports = module_imports(context.module)
        self.test_module = self.inventory is not None and self.inventory.is_test_module(context.path)
        self.module_name = module_name(context.path)[0]
        self._classes: list[str] = []  # qualified names, "?" inside functions
        self._functions: list[Scope] = []
        self._occurrences: dict[str, int] = {}  # qual -> definitions seen so far
        self.index = self.inventory.module(context.path) if self.inventory is not None else None
        self.test: Scope | None = None
        self.fixture: Scope | None = None

    # ------------------------------------------------------------ tracking
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self._functions:
            self._classes.append("?")
        else:
            outer = self._classes[-1] if self._classes else None
            self._classes.append(f"{outer}.{node.name.value}" if outer else node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        scope = self._scope(node)
        self._functions.append(scope)
        if scope.kind == "test" and self.test is None:
            self.test = scope
        elif scope.kind == "fixture" and self.fixture is None and self.test is None:
            self.fixture = scope
        self.enter_function(scope)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        scope = self._functions.pop()
        self.leave_function(scope)
        if scope is self.test:
            self.test = None
        if scope is self.fixture:
            self.fixture = None

    def _scope(self, node: cst.FunctionDef) -> Scope:
        cls = self._classes[-1] if self._classes and not self._functions else None
        if self._functions or (cls is not None and "?" in cls):
            return Scope(node, "function", None, None)
        qual = f"{cls}.{node.name.value}" if cls else node.name.value
        key = (qual, self._occurrences.get(qual, 0))
        self._occurrences[qual] = key[1] + 1
        decorators = [dotted_cst(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
                      for d in node.decorators]
        fixture = any(is_fixture_decorator(d, self.imports) for d in decorators)
        self_name = None
        if cls is not None and "staticmethod" not in decorators:
            params = node.params.posonly_params or node.params.params
            self_name = params[0].name.value if params else None
        name = node.name.value
        if self.inventory is not None and self.inventory.is_test(self.context.path, cls, name, fixture):
            return Scope(node, "test", cls, self_name, key)
        if fixture or name in XUNIT_HOOKS:
            return Scope(node, "fixture", cls, self_name, key)
        return Scope(node, "function", cls, self_name, key)

    # ------------------------------------------------------------ hooks
    def enter_function(self, scope: Scope) -> None:
        """Called for every function, after `self.test`/`self.fixture` are set."""

    def leave_function(self, scope: Scope) -> None:
        """Called for every function, before `self.test`/`self.fixture` are cleared."""

    # ------------------------------------------------------------ helpers
    def facts(self, scope: Scope) -> FunctionFacts | None:
        """What the suite phase found about this function (its checks, calls, size)."""
        if self.index is None or scope.key is None:
            return None
        facts = self.index.by_key.get(scope.key)
        return facts if facts is not None and facts.qual.rpartition(".")[2] == scope.node.name.value else None

    def class_qual(self, cls: str) -> str:
        """The class graph's name for a class of this module ("pkg.test_x.TestY")."""
        return f"{self.module_name}.{cls}"

    def qualified(self, expr: cst.BaseExpression) -> str | None:
        dotted = dotted_cst(expr)
        return resolve_dotted(dotted, self.imports) if dotted else None


# ---------------------------------------------------------------- placeholders
TODO = re.compile(r"\b(todo|fixme|tbd|xxx|not (yet )?implemented|unimplemented|implement (me|this|later)"
                  r"|write (this|the|a) test)\b", re.IGNORECASE)
SKIPS = frozenset({"pytest.skip", "unittest.skip", "pytest.mark.skip", "unittest.case.skip"})


def string_value(expr: cst.BaseExpression) -> str | None:
    """The text of a string literal (an f-string's literal parts), else None."""
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.FormattedString):
        return "".join(p.value for p in expr.parts if isinstance(p, cst.FormattedStringText))
    return None


def call_reason(call: cst.Call) -> str | None:
    """The reason given to a skip: its first positional argument or `reason=`/`msg=`."""
    for arg in call.args:
        if arg.keyword is None and not arg.star or arg.keyword is not None and arg.keyword.value in ("reason", "msg"):
            return string_value(arg.value)
    return None


def body_statements(node: cst.FunctionDef) -> list[cst.CSTNode]:
    """The statements of a function body, small statements unpacked, docstring dropped."""
    body = node.body
    out: list[cst.CSTNode] = []
    if isinstance(body, cst.SimpleStatementSuite):
        out.extend(body.body)
    else:
        for stmt in body.body:
            out.extend(stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt])
    if out and isinstance(out[0], cst.Expr) and isinstance(out[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        out = out[1:]
    return out


def placeholder(node: cst.FunctionDef, imports: dict[str, str]) -> str | None:
    """Why this test is a placeholder (what its body or skip says), or None."""
    for decorator in node.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            target = resolve_dotted(dotted_cst(expr.func) or "", imports)
            reason = call_reason(expr)
            if target in SKIPS and reason and TODO.search(reason):
                return f"it is skipped with the reason {reason!r}"
    body = body_statements(node)
    if not body:
        return "its body is only a docstring"
    first = body[0]
    if len(body) == 1 and isinstance(first, cst.Pass):
        return "its body is `pass`"
    if len(body) == 1 and isinstance(first, cst.Expr) and isinstance(first.value, cst.Ellipsis):
        return "its body is `...`"
    if len(body) == 1 and isinstance(first, cst.Raise) and first.exc is not None:
        exc = first.exc.func if isinstance(first.exc, cst.Call) else first.exc
        if dotted_cst(exc) == "NotImplementedError":
            return "it only raises NotImplementedError"
    if isinstance(first, cst.Expr) and isinstance(first.value, cst.Call):
        target = resolve_dotted(dotted_cst(first.value.func) or "", imports)
        reason = call_reason(first.value)
        if (target == "pytest.skip" or target.endswith(".skipTest")) and reason and TODO.search(reason):
            return f"it is skipped with the reason {reason!r}"
    return None
