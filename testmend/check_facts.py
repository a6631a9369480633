"""What each function of the suite checks, as the suite phase sees it on `ast`.

For every module-level function and every method (nested classes and
definitions under `if`/`try` included) one `FunctionFacts`: the checks its
body makes directly (`assert`, `self.assert*()`, `pytest.raises`, a `raise`,
mocks' `assert_called*()`), the calls still to resolve into helpers, and its
size. `tests_inventory` resolves the calls; the rules read the result.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .classgraph import ModuleFacts, index_module

# ---------------------------------------------------------------- vocabulary
CHECK = "check"  # a check that can fail: assert, self.assert*, pytest.raises, raise, a helper that asserts
MOCK = "mock"  # a check on a mock's calls only: m.assert_called_once_with(), assert m.called
UNSURE = "unsure"  # something that may check: an unresolvable helper, a call to a parameter

MOCK_ASSERTIONS = frozenset({
    "assert_called", "assert_called_once", "assert_called_with", "assert_called_once_with",
    "assert_any_call", "assert_has_calls", "assert_not_called", "assert_awaited", "assert_awaited_once",
    "assert_awaited_with", "assert_awaited_once_with", "assert_any_await", "assert_has_awaits",
    "assert_not_awaited",
})
# The state a mock records about its calls; `assert m.called` checks only the mock.
MOCK_STATE = frozenset({
    "called", "call_count", "call_args", "call_args_list", "mock_calls", "method_calls",
    "await_count", "await_args", "await_args_list",
})
# pytest (or stdlib) calls that fail the test by themselves.
FAILING_CALLS = frozenset({
    "pytest.raises", "pytest.warns", "pytest.deprecated_call", "pytest.fail",
    "_pytest.python_api.raises", "_pytest.recwarn.warns",
})
# Raising these skips the test or marks it unwritten (TM504); it is not a check.
NOT_FAILURES = frozenset({"NotImplementedError", "SkipTest", "pytest.skip.Exception"})
FIXTURE_DECORATORS = frozenset({"pytest.fixture", "pytest_asyncio.fixture", "fixture", "yield_fixture",
                                "pytest.yield_fixture"})
XUNIT_HOOKS = frozenset({"setUp", "tearDown", "setUpClass", "tearDownClass", "setUpModule", "tearDownModule",
                         "asyncSetUp", "asyncTearDown", "setup_method", "teardown_method", "setup_class",
                         "teardown_class", "setup_function", "teardown_function", "setup_module",
                         "teardown_module", "setup", "teardown"})
DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")
_CODE_CHECK = re.compile(r"(^|[\s;:])(assert|raise)\s")  # code in a string that checks when run
DEFAULT_HELPER_PREFIXES = ["assert", "check", "verify", "expect", "validate"]


def helper_prefix_pattern(prefixes: Iterable[str]) -> re.Pattern[str]:
    """Names that read as a check: `check_x`, `_assert_y`, `verifyZ`, `expect` (not `checkpoint`)."""
    alternatives = "|".join(re.escape(p) for p in prefixes)
    return re.compile(rf"_*({alternatives})(_|[A-Z0-9]|$)")


def dotted_ast(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted_ast(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def resolve_dotted(dotted: str, imports: dict[str, str]) -> str:
    """`raises` -> `pytest.raises` when `from pytest import raises`."""
    head, _, rest = dotted.partition(".")
    target = imports.get(head)
    if target is None:
        return dotted
    return f"{target}.{rest}" if rest else target


def is_fixture_decorator(dotted: str | None, imports: dict[str, str]) -> bool:
    if not dotted:
        return False
    return dotted in FIXTURE_DECORATORS or resolve_dotted(dotted, imports) in FIXTURE_DECORATORS


# ---------------------------------------------------------------- ast facts
@dataclass(frozen=True)
class FunctionFacts:
    """One function or method, as the suite phase saw it."""

    qual: str  # within the module: "helper", "TestX.test_y", "Outer.Inner.m"
    line: int  # the `def` line
    cls: str | None  # qualified class name within the module, for methods
    self_name: str | None
    params: frozenset[str]  # its own and those of functions nested in it
    kinds: frozenset[str]  # CHECK / MOCK / UNSURE found directly in the body
    calls: tuple[str, ...]  # dotted callees still to resolve ("helper", "self.run_case", "h.check")
    statements: int  # statements in the body, nested ones included, docstring excluded
    code_lines: int  # lines from `def` to the end, minus blank, comment-only and string-literal lines
    defines: bool  # defines a function, lambda or class of its own (a callback, a fake, a probe)


@dataclass(frozen=True)
class ClassExtra:
    test_flag: bool | None  # the class's own `__test__ = True/False`, if it sets one


@dataclass(frozen=True)
class ModuleIndex:
    path: Path
    module: str
    facts: ModuleFacts
    functions: dict[str, FunctionFacts]  # qual -> facts (the last definition wins, as in Python)
    by_key: dict[tuple[str, int], FunctionFacts]  # (qual, n): the n-th definition of qual, in file order
    scopes: dict[str, list[tuple[str, int]]]  # "" or a class -> (name, line) of the defs directly in its body
    classes: dict[str, ClassExtra]
    test_flag: bool | None  # module-level `__test__`
    lines: int


def _test_flag(body: list[ast.stmt]) -> bool | None:
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__test__" for t in stmt.targets):
            if isinstance(stmt.value, ast.Constant):
                return bool(stmt.value.value)
    return None


def index_functions(path: Path, tree: ast.Module, source: str) -> ModuleIndex:
    facts = index_module(path, tree)
    lines = source.splitlines()
    imports = dict(facts.imports)
    functions: dict[str, FunctionFacts] = {}
    by_key: dict[tuple[str, int], FunctionFacts] = {}
    scopes: dict[str, list[tuple[str, int]]] = {"": []}
    classes: dict[str, ClassExtra] = {}
    seen: dict[str, int] = {}

    def visit(body: list[ast.stmt], prefix: str, cls: str | None, direct: bool) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                f = _function_facts(stmt, prefix + stmt.name, cls, imports, lines)
                functions[f.qual] = f
                by_key[(f.qual, seen.get(f.qual, 0))] = f
                seen[f.qual] = seen.get(f.qual, 0) + 1
                if direct:
                    scopes[cls or ""].append((stmt.name, stmt.lineno))
            elif isinstance(stmt, ast.ClassDef):
                qual = prefix + stmt.name
                classes[qual] = ClassExtra(_test_flag(stmt.body))
                scopes.setdefault(qual, [])
                visit(stmt.body, qual + ".", qual, True)
            else:  # definitions under `if`/`try`/`with` at this level (not inside functions)
                for block in _blocks(stmt):
                    visit(block, prefix, cls, False)

    visit(tree.body, "", None, True)
    return ModuleIndex(path, facts.module, facts, functions, by_key, scopes, classes, _test_flag(tree.body),
                       len(lines))


def _blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    if isinstance(stmt, ast.If):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        return [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody]  # type: ignore[attr-defined]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [stmt.body]
    return []


def _function_facts(fn: ast.FunctionDef | ast.AsyncFunctionDef, qual: str, cls: str | None,
                    imports: dict[str, str], lines: list[str]) -> FunctionFacts:
    a = fn.args
    own = [x.arg for x in (*a.posonlyargs, *a.args)]
    decorators = {dotted_ast(d) for d in fn.decorator_list}
    self_name = own[0] if cls and own and "staticmethod" not in decorators else None
    params: set[str] = set()
    kinds: set[str] = set()
    calls: list[str] = []
    statements = 0
    data_lines: set[int] = set()  # lines inside multi-line string literals

    def add_params(args: ast.arguments) -> None:
        params.update(x.arg for x in (*args.posonlyargs, *args.args, *args.kwonlyargs))
        params.update(x.arg for x in (args.vararg, args.kwarg) if x is not None)

    defines = False

    def walk(node: ast.AST, nested: bool) -> None:
        nonlocal statements, defines
        if isinstance(node, ast.stmt):
            statements += 1
        elif (isinstance(node, (ast.Constant, ast.JoinedStr)) or _literal(node)) \
                and (node.end_lineno or 0) > node.lineno:
            data_lines.update(range(node.lineno + 1, node.end_lineno or 0))
            tail = lines[node.end_lineno - 1][node.end_col_offset:] if node.end_lineno <= len(lines) else ""
            if not tail.strip(" \t),]}"):
                data_lines.add(node.end_lineno or 0)
        if isinstance(node, ast.Assert):
            kinds.add(MOCK if mock_only_ast(node.test) else CHECK)
        elif isinstance(node, ast.Raise):
            kind = _raise_kind(node, nested, imports)
            if kind is not None:
                kinds.add(kind)
        elif isinstance(node, ast.Call):
            kind = classify_call_ast(node, self_name, imports)
            if kind is not None:
                kinds.add(kind)
            elif (dotted := dotted_ast(node.func)) is not None:
                calls.append(dotted)
            elif isinstance(node.func, ast.Attribute):
                calls.append(f"?.{node.func.attr}")  # Parser(x).check(): only its name can tell
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            add_params(node.args)
            nested = defines = True
        elif isinstance(node, ast.ClassDef):
            nested = defines = True
        for child in ast.iter_child_nodes(node):
            walk(child, nested)

    def walk_strings(node: ast.AST) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and (sub.end_lineno or 0) > sub.lineno:
                data_lines.update(range(sub.lineno + 1, (sub.end_lineno or 0) + 1))

    add_params(a)
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    for stmt in fn.body:
        if stmt not in body:  # the docstring: only its lines matter
            walk_strings(stmt)
    for stmt in body:
        walk(stmt, False)
    code = sum(1 for n in range(fn.lineno, (fn.end_lineno or fn.lineno) + 1)
               if n not in data_lines and n <= len(lines) and lines[n - 1].strip()
               and not lines[n - 1].lstrip().startswith("#"))
    return FunctionFacts(qual, fn.lineno, cls, self_name, frozenset(params), frozenset(kinds),
                         tuple(dict.fromkeys(calls)), statements, code, defines)


def classify_call_ast(call: ast.Call, self_name: str | None, imports: dict[str, str]) -> str | None:
    """CHECK/MOCK/UNSURE for a call that checks by itself; None for one to resolve or ignore."""
    func = call.func
    dotted = dotted_ast(func)
    if dotted is None:
        # super().test_x(), getattr(self, "check_" + name)(): may well check
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) \
                and dotted_ast(func.value.func) == "super":
            return UNSURE
        if isinstance(func, ast.Call) and dotted_ast(func.func) == "getattr":
            return UNSURE
        return None
    last = dotted.rpartition(".")[2]
    if last in MOCK_ASSERTIONS:
        return MOCK
    if dotted in ("exec", "eval") or any(isinstance(n, ast.Constant) and isinstance(n.value, str)
                                         and _CODE_CHECK.search(n.value) for a in call.args for n in ast.walk(a)):
        return UNSURE  # runs code testmend cannot see (a README example, a subinterpreter script)
    if last.startswith("assert"):
        return CHECK
    head = dotted.partition(".")[0]
    if head == self_name and last.startswith("fail"):
        return CHECK
    if self_name is not None and any(_hands_over_test(v, self_name) for v in
                                     (*call.args, *(k.value for k in call.keywords))):
        return UNSURE  # Checker(test=self).run(): the callee can assert through the test
    resolved = resolve_dotted(dotted, imports)
    if resolved in FAILING_CALLS:
        return CHECK
    if resolved in ("warnings.simplefilter", "warnings.filterwarnings") and call.args \
            and isinstance(call.args[0], ast.Constant) and call.args[0].value == "error":
        return CHECK  # the test fails on any warning
    if any(k.arg == "check" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords):
        return CHECK  # subprocess.run(..., check=True)
    return None


def _hands_over_test(value: ast.expr, self_name: str) -> bool:
    """`self`, or one of its assertion methods, passed to a call."""
    if isinstance(value, ast.Starred):
        value = value.value
    if isinstance(value, ast.Name):
        return value.id == self_name
    return isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) \
        and value.value.id == self_name and (value.attr.startswith(("assert", "fail")))


def _literal(node: ast.AST) -> bool:
    """A container display of constants only (test data spread over lines)."""
    if isinstance(node, ast.Constant) or dotted_ast(node) is not None:  # type: ignore[arg-type]
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _literal(node.operand)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _literal(k) for k in node.keys) and all(_literal(v) for v in node.values)
    return False


def _raise_kind(node: ast.Raise, nested: bool, imports: dict[str, str]) -> str | None:
    """CHECK when this `raise` fails the test on purpose, None for a re-raise,
    a skip or a placeholder, UNSURE inside a function or class the test defines."""
    exc = node.exc
    if exc is None:
        return None
    target = exc.func if isinstance(exc, ast.Call) else exc
    name = dotted_ast(target)
    if name is None:
        return UNSURE if nested else CHECK
    resolved = resolve_dotted(name, imports)
    last = resolved.rpartition(".")[2]
    if last in ("AssertionError", "failureException"):
        return CHECK
    if last in NOT_FAILURES or resolved in NOT_FAILURES or resolved.endswith("skip.Exception"):
        return None
    # in a function or class defined in the test: a fake's behaviour, or a check
    # the code under test triggers (a callback that raises when misused)
    return UNSURE if nested else CHECK


def mock_only_ast(test: ast.expr) -> bool:
    """`assert m.called`, `assert m.call_args == call(1)`: the assert looks only at mocks."""
    operands: list[ast.expr] = []

    def split(expr: ast.expr) -> None:
        if isinstance(expr, ast.BoolOp):
            for v in expr.values:
                split(v)
        elif isinstance(expr, ast.UnaryOp):
            split(expr.operand)
        elif isinstance(expr, ast.Compare):
            for v in (expr.left, *expr.comparators):
                split(v)
        else:
            operands.append(expr)

    split(test)
    on_mock = [o for o in operands if any(isinstance(n, ast.Attribute) and n.attr in MOCK_STATE for n in ast.walk(o))]
    if not on_mock:
        return False
    for o in operands:
        if o in on_mock or isinstance(o, (ast.Constant, ast.Name)):
            continue
        if isinstance(o, (ast.List, ast.Tuple)) or (isinstance(o, ast.Call) and
                                                    (dotted_ast(o.func) or "").rpartition(".")[2] == "call"):
            continue
        return False
    return True


