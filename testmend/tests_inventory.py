"""What a suite's tests are and what they check: the shared ground of the test
quality rules (TM5xx assertions, TM6xx structure).

Two halves, one definition of each notion:
  * the suite analysis `TestInventory` indexes every file on the cheap `ast`
    parse: the class graph (which classes pytest or unittest collect), and for
    every function and method the checks its body makes directly (`assert`,
    `self.assert*`, `pytest.raises`, mocks' `assert_called*`...) and the calls
    still to resolve. `Inventory.checks()` follows those calls into helpers
    (module functions, methods along the MRO, functions imported from the
    suite's own modules) to a depth limit, and says "unsure" rather than guess;
  * `TestFunctionRule`, the base of the per-file rules, tracks during the one
    batched libcst traversal whether the visitor is inside a test, a fixture,
    or neither, and answers with the same inventory.
"""
from __future__ import annotations

import ast
import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Iterable

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import PositionProvider

from .classgraph import TESTCASE, ClassGraph, ModuleFacts, index_module, module_name
from .pytest_config import PytestConfig, _matches, _section, read_pytest_config
from .rule import Rule

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
    "pytest.raises", "pytest.warns", "pytest.deprecated_call", "pytest.fail", "pytest.approx",
    "_pytest.python_api.raises", "_pytest.recwarn.warns",
})
NOT_FAILURES = frozenset({"NotImplementedError", "SkipTest", "Exception", "pytest.skip.Exception"})
FIXTURE_DECORATORS = frozenset({"pytest.fixture", "pytest_asyncio.fixture", "fixture", "yield_fixture",
                                "pytest.yield_fixture"})
XUNIT_HOOKS = frozenset({"setUp", "tearDown", "setUpClass", "tearDownClass", "setUpModule", "tearDownModule",
                         "asyncSetUp", "asyncTearDown", "setup_method", "teardown_method", "setup_class",
                         "teardown_class", "setup_function", "teardown_function", "setup_module",
                         "teardown_module", "setup", "teardown"})
DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")
DEFAULT_HELPER_PREFIXES = ("assert", "check", "verify", "expect")


def helper_prefix_pattern(prefixes: Iterable[str]) -> re.Pattern[str]:
    """Names that read as a check: `check_x`, `_assert_y`, `verifyZ`, `expect` (not `checkpoint`)."""
    alternatives = "|".join(re.escape(p) for p in prefixes)
    return re.compile(rf"_*({alternatives})(_|[A-Z0-9]|$)")


def dotted_cst(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    if isinstance(node, (cst.Name, cst.Attribute)):
        return get_full_name_for_node(node)
    return None


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


@dataclass(frozen=True)
class ClassExtra:
    test_flag: bool | None  # the class's own `__test__ = True/False`, if it sets one


@dataclass(frozen=True)
class ModuleIndex:
    path: Path
    module: str
    facts: ModuleFacts
    functions: dict[str, FunctionFacts]  # qual -> facts (the last definition wins, as in Python)
    by_line: dict[int, FunctionFacts]
    classes: dict[str, ClassExtra]
    test_flag: bool | None  # module-level `__test__`


def _test_flag(body: list[ast.stmt]) -> bool | None:
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__test__" for t in stmt.targets):
            if isinstance(stmt.value, ast.Constant):
                return bool(stmt.value.value)
    return None


def index_functions(path: Path, tree: ast.Module) -> ModuleIndex:
    facts = index_module(path, tree)
    imports = dict(facts.imports)
    functions: dict[str, FunctionFacts] = {}
    by_line: dict[int, FunctionFacts] = {}
    classes: dict[str, ClassExtra] = {}

    def visit(body: list[ast.stmt], prefix: str, cls: str | None) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                f = _function_facts(stmt, prefix + stmt.name, cls, imports)
                functions[f.qual] = f
                by_line[f.line] = f
            elif isinstance(stmt, ast.ClassDef):
                qual = prefix + stmt.name
                classes[qual] = ClassExtra(_test_flag(stmt.body))
                visit(stmt.body, qual + ".", qual)

    visit(tree.body, "", None)
    return ModuleIndex(path, facts.module, facts, functions, by_line, classes, _test_flag(tree.body))


def _function_facts(fn: ast.FunctionDef | ast.AsyncFunctionDef, qual: str, cls: str | None,
                    imports: dict[str, str]) -> FunctionFacts:
    a = fn.args
    own = [x.arg for x in (*a.posonlyargs, *a.args)]
    decorators = {dotted_ast(d) for d in fn.decorator_list}
    self_name = own[0] if cls and own and "staticmethod" not in decorators else None
    params: set[str] = set()
    kinds: set[str] = set()
    calls: list[str] = []
    statements = 0

    def add_params(args: ast.arguments) -> None:
        params.update(x.arg for x in (*args.posonlyargs, *args.args, *args.kwonlyargs))
        params.update(x.arg for x in (args.vararg, args.kwarg) if x is not None)

    def walk(node: ast.AST, nested: bool) -> None:
        nonlocal statements
        if isinstance(node, ast.stmt):
            statements += 1
        if isinstance(node, ast.Assert):
            kinds.add(MOCK if mock_only_ast(node.test) else CHECK)
        elif isinstance(node, ast.Raise):
            if _raise_fails(node, nested, imports):
                kinds.add(CHECK)
        elif isinstance(node, ast.Call):
            kind = classify_call_ast(node, self_name, imports)
            if kind is not None:
                kinds.add(kind)
            elif (dotted := dotted_ast(node.func)) is not None:
                calls.append(dotted)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            add_params(node.args)
            nested = True
        elif isinstance(node, ast.ClassDef):
            nested = True
        for child in ast.iter_child_nodes(node):
            walk(child, nested)

    add_params(a)
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    for stmt in body:
        walk(stmt, False)
    return FunctionFacts(qual, fn.lineno, cls, self_name, frozenset(params), frozenset(kinds),
                         tuple(dict.fromkeys(calls)), statements)


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
    if last.startswith("assert"):
        return CHECK
    head = dotted.partition(".")[0]
    if head == self_name and last.startswith("fail"):
        return CHECK
    resolved = resolve_dotted(dotted, imports)
    if resolved in FAILING_CALLS:
        return CHECK
    if resolved in ("warnings.simplefilter", "warnings.filterwarnings") and call.args \
            and isinstance(call.args[0], ast.Constant) and call.args[0].value == "error":
        return CHECK  # the test fails on any warning
    if any(k.arg == "check" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords):
        return CHECK  # subprocess.run(..., check=True)
    return None


def _raise_fails(node: ast.Raise, nested: bool, imports: dict[str, str]) -> bool:
    """Whether this `raise` is the test failing on purpose (not a re-raise, a skip,
    a placeholder, or a fake object's behaviour defined inside the test)."""
    exc = node.exc
    if exc is None:
        return False
    target = exc.func if isinstance(exc, ast.Call) else exc
    name = dotted_ast(target)
    if name is None:
        return not nested
    resolved = resolve_dotted(name, imports)
    last = resolved.rpartition(".")[2]
    if last in ("AssertionError", "failureException"):
        return True
    if last in NOT_FAILURES or resolved in NOT_FAILURES or resolved.endswith("skip.Exception"):
        return False
    return not nested


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


# ---------------------------------------------------------------- the suite
@dataclass
class Inventory:
    """The suite: modules by path and by name, the class graph, and pytest's collection settings."""

    graph: ClassGraph
    pytest: PytestConfig
    python_files: tuple[str, ...]
    by_path: dict[Path, ModuleIndex] = field(default_factory=dict)
    by_module: dict[str, ModuleIndex] = field(default_factory=dict)
    _runs: dict[str, bool] = field(default_factory=dict)

    # ------------------------------------------------------------ collection
    def module(self, path: Path) -> ModuleIndex | None:
        return self.by_path.get(path.resolve())

    def is_test_module(self, path: Path) -> bool:
        index = self.module(path)
        if index is not None and index.test_flag is False:
            return False
        return any(fnmatch.fnmatch(path.name, p) for p in self.python_files)

    def matches_function(self, name: str) -> bool:
        return any(_matches(p, name) for p in self.pytest.python_functions)

    def _own_test_flag(self, qual: str) -> bool | None:
        module, _, cls = qual.rpartition(".")
        while module:
            index = self.by_module.get(module)
            if index is not None and cls in index.classes:
                return index.classes[cls].test_flag
            module, _, head = module.rpartition(".")
            cls = f"{head}.{cls}"
        return None

    def _collected(self, qual: str) -> bool:
        """Whether pytest collects tests from this class itself."""
        mro = self.graph.mro(qual) or (qual,)
        for cls in mro:  # `__test__` is inherited
            flag = self._own_test_flag(cls)
            if flag is not None:
                if not flag:
                    return False
                break
        if self.graph.is_testcase(qual):
            return True
        facts = self.graph.classes.get(qual)
        path = self.graph.owner_path.get(qual)
        if facts is None or path is None or not self.is_test_module(path):
            return False
        if not all(self.pytest.collects_class(part) for part in facts.name.split(".")):
            return False
        return not any("__init__" in self.graph.classes[c].members for c in mro if c in self.graph.classes)

    def class_runs_tests(self, qual: str) -> bool:
        """Whether the test methods of this class run: it is collected, or a class
        that derives from it is (a mixin or base class of tests)."""
        if qual not in self._runs:
            self._runs[qual] = "?" not in qual.split(".") and qual in self.graph.classes and (
                self._collected(qual) or any(self._collected(d) for d in self.graph.descendants(qual)))
        return self._runs[qual]

    def overridden(self, path: Path, cls: str, name: str) -> str | None:
        """The project base class whose `name` this method of `cls` overrides, if any."""
        qual = f"{module_name(path)[0]}.{cls}"
        for owner in (self.graph.mro(qual) or ())[1:]:
            facts = self.graph.classes.get(owner)
            if facts is not None and name in facts.members:
                return owner.rpartition(".")[2]
        return None

    def is_testcase_method_owner(self, qual: str) -> bool:
        """The class or a subclass of it is a unittest.TestCase (test names use unittest's `test` prefix)."""
        return self.graph.is_testcase(qual) or any(self.graph.is_testcase(d) for d in self.graph.descendants(qual))

    def is_test(self, path: Path, cls: str | None, name: str, fixture: bool) -> bool:
        """Whether a function named `name` (in class `cls` of the module, or at
        module level) is a test that pytest or unittest runs."""
        if fixture:
            return False
        if cls is None:
            return self.is_test_module(path) and self.matches_function(name)
        qual = f"{module_name(path)[0]}.{cls}"
        if not self.class_runs_tests(qual):
            return False
        if self.is_testcase_method_owner(qual):
            return name.startswith("test")
        return self.matches_function(name)

    # ------------------------------------------------------------ helpers
    def checks(self, path: Path, line: int, prefixes: re.Pattern[str], depth: int) -> tuple[frozenset[str], tuple[str, ...]]:
        """What the function defined at `line` of `path` checks, its helpers
        followed; and the helpers followed (for messages)."""
        index = self.module(path)
        if index is None or line not in index.by_line:
            return frozenset({UNSURE}), ()
        followed: list[str] = []
        kinds = self._kinds(index, index.by_line[line], prefixes, depth, followed, set())
        return kinds, tuple(dict.fromkeys(followed))

    def _kinds(self, index: ModuleIndex, fn: FunctionFacts, prefixes: re.Pattern[str], depth: int,
               followed: list[str], seen: set[tuple[str, str]]) -> frozenset[str]:
        kinds = set(fn.kinds)
        for call in fn.calls:
            if CHECK in kinds or UNSURE in kinds:
                break
            target = self._resolve(index, fn, call)
            if target is None:
                if prefixes.match(call.rpartition(".")[2]):
                    kinds.add(CHECK)  # an unresolvable check_x()/verify_y(): count it
                continue
            if target == UNSURE:
                kinds.add(UNSURE)
                continue
            where, helper = target
            key = (where.module, helper.qual)
            if key in seen:
                continue
            followed.append(call)
            if depth <= 0:
                kinds.add(UNSURE)
                continue
            seen.add(key)
            kinds |= self._kinds(where, helper, prefixes, depth - 1, followed, seen)
        return frozenset(kinds)

    def _resolve(self, index: ModuleIndex, fn: FunctionFacts, call: str) -> tuple[ModuleIndex, FunctionFacts] | str | None:
        """The helper a call reaches: (module, facts), UNSURE, or None (not a suite helper)."""
        head, _, rest = call.partition(".")
        if head in fn.params and head != fn.self_name:
            return UNSURE if not rest else None  # calling a fixture or a parametrized callable
        if head == fn.self_name and fn.cls is not None and rest and "." not in rest:
            return self._method(f"{index.module}.{fn.cls}", rest)
        if not rest and head in index.functions and index.functions[head].cls is None:
            return index, index.functions[head]
        imports = dict(index.facts.imports)
        if head not in imports:
            return None
        target = resolve_dotted(call, imports)
        module, _, name = target.rpartition(".")
        where = self.by_module.get(module)
        if where is not None and name in where.functions and where.functions[name].cls is None:
            return where, where.functions[name]
        return None

    def _method(self, cls: str, name: str) -> tuple[ModuleIndex, FunctionFacts] | str | None:
        graph = self.graph
        mro = graph.mro(cls)
        if mro is None:
            return UNSURE
        for owner in mro:
            if owner == TESTCASE or graph.is_neutral(owner):
                return None  # TestCase's own API (assert* and fail were counted already)
            facts = graph.classes.get(owner)
            if facts is None:
                return UNSURE  # a base class testmend did not read may define it
            if name in facts.members:
                path = graph.owner_path.get(owner)
                where = self.by_path.get(path.resolve()) if path else None
                local = owner[len(where.module) + 1:] if where and owner.startswith(where.module + ".") else None
                fn = where.functions.get(f"{local}.{name}") if where and local else None
                return (where, fn) if where and fn else UNSURE
        # defined by the subclasses that mix this class in
        for sub in sorted(graph.descendants(cls)):
            facts = graph.classes.get(sub)
            if facts is not None and name in facts.members:
                return UNSURE
        return None


class TestInventory:
    """Suite analysis: every module's functions and classes, for the test quality rules."""

    name = "tests-inventory"

    @staticmethod
    def index_file(path: Path, tree: object, source: str) -> ModuleIndex:
        return index_functions(path, tree)  # type: ignore[arg-type]

    @staticmethod
    def build(facts: dict[Path, ModuleIndex], root: Path) -> Inventory:
        graph = ClassGraph.build([m.facts for m in facts.values()])
        config = read_pytest_config(root)
        graph.pytest = config
        inventory = Inventory(graph, config, _python_files(config))
        for index in facts.values():
            _add(inventory, index)
        suite_dirs = {p.resolve().parent for p in facts}
        roots = {module_name(p)[1] for p in facts}
        # modules the tests build on: base classes' modules, and helpers imported from the suite
        for path in sorted(graph.loaded):
            _load(inventory, path)
        pending = [t for index in list(inventory.by_path.values()) for _, t in index.facts.imports]
        while pending:
            target = pending.pop()
            path = _find_module(target, roots, inventory)
            if path is None or not any(d == path.parent or d in path.parents for d in suite_dirs):
                continue
            loaded = _load(inventory, path)
            if loaded is not None:
                pending.extend(t for _, t in loaded.facts.imports)
        return inventory


def _add(inventory: Inventory, index: ModuleIndex) -> None:
    inventory.by_path[index.path.resolve()] = index
    inventory.by_module.setdefault(index.module, index)


def _load(inventory: Inventory, path: Path) -> ModuleIndex | None:
    if path.resolve() in inventory.by_path:
        return None
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError, RecursionError):
        return None
    index = index_functions(path, tree)
    _add(inventory, index)
    return index


def _find_module(target: str, roots: set[Path], inventory: Inventory) -> Path | None:
    """The file of the longest module prefix of `target` not indexed yet."""
    parts = target.split(".")
    for i in range(len(parts), 0, -1):
        module = ".".join(parts[:i])
        if module in inventory.by_module:
            return None
        rel = Path(*parts[:i])
        for root in sorted(roots):
            for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
                if candidate.is_file():
                    return candidate
    return None


def _python_files(config: PytestConfig) -> tuple[str, ...]:
    if config.path is None:
        return DEFAULT_PYTHON_FILES
    section = _section(config.path) or {}
    value = section.get("python_files")
    if isinstance(value, str):
        return tuple(value.split()) or DEFAULT_PYTHON_FILES
    if isinstance(value, list):
        return tuple(str(v) for v in value) or DEFAULT_PYTHON_FILES
    return DEFAULT_PYTHON_FILES


# ---------------------------------------------------------------- per-file rules
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


class TestFunctionRule(Rule):
    """Base of the test quality rules: knows, at every node of the batched
    traversal, the enclosing class and function and whether that is a test.

    Subclasses read `self.test` (the outermost test function being visited),
    `self.fixture` (the fixture or xunit setup/teardown being visited) and
    override `enter_function`/`leave_function`; when they define
    visit_/leave_ ClassDef or FunctionDef themselves they call super().
    """

    needs: ClassVar[tuple[type, ...]] = (TestInventory,)
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self.inventory: Inventory | None = context.suite.data.get(TestInventory.name)
        self.imports = module_imports(context.module)
        self.test_module = self.inventory is not None and self.inventory.is_test_module(context.path)
        self._classes: list[str] = []  # qualified names, "?" inside functions
        self._functions: list[Scope] = []
        self.test: Scope | None = None
        self.fixture: Scope | None = None

    # ------------------------------------------------------------ tracking
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self._functions:
            self._classes.append("?")
        else:
            self._classes.append(".".join([*self._classes, node.name.value]))

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
        decorators = [dotted_cst(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
                      for d in node.decorators]
        fixture = any(is_fixture_decorator(d, self.imports) for d in decorators)
        self_name = None
        if cls is not None and "staticmethod" not in decorators:
            params = node.params.posonly_params or node.params.params
            self_name = params[0].name.value if params else None
        name = node.name.value
        if self.inventory is not None and self.inventory.is_test(self.context.path, cls, name, fixture):
            return Scope(node, "test", cls, self_name)
        if fixture or name in XUNIT_HOOKS:
            return Scope(node, "fixture", cls, self_name)
        return Scope(node, "function", cls, self_name)

    # ------------------------------------------------------------ hooks
    def enter_function(self, scope: Scope) -> None:
        """Called for every function, after `self.test`/`self.fixture` are set."""

    def leave_function(self, scope: Scope) -> None:
        """Called for every function, before `self.test`/`self.fixture` are cleared."""

    # ------------------------------------------------------------ helpers
    def line_of(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def lines(self, node: cst.CSTNode) -> int:
        pos = self.get_metadata(PositionProvider, node)
        return pos.end.line - pos.start.line + 1

    def facts(self, node: cst.FunctionDef) -> FunctionFacts | None:
        index = self.inventory.module(self.context.path) if self.inventory else None
        return index.by_line.get(self.line_of(node)) if index else None

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
