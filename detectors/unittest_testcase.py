"""TM201: unittest.TestCase classes that can become plain pytest classes."""
from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass, field
from functools import lru_cache

import libcst as cst
import libcst.matchers as cstm
from libcst.metadata import FunctionScope, ScopeProvider

from testmend.codemods.unittest_testcase import (
    CLEANUP_METHODS, CLEANUPS, FIXTURE_NAME, add_parameter, assert_logs_with, cleanup_call, cleanup_fixture,
    is_super_call, remove_bases, rename_class_hook, setup_fixture, skip_call, skip_mark, subtests_call, test_id,
    test_method_name,
)
from testmend.model import Safety, Severity
from testmend.pytest_config import PytestConfig, _matches, read_pytest_config
from testmend.rule import Fix
from testmend.classgraph import ASYNC_TESTCASE, TESTCASE
from testmend.unittest_api import Bound, UnittestCallRule, bind
from testmend.unittest_classes import (
    ASSERTIONS, MESSAGE_TUNING, PATCHERS, RUNNER_HOOKS, SKIP_DECORATORS, SKIP_PARAMS, TESTCASE_API,
)

HOOKS = {"setUp": FIXTURE_NAME, "tearDown": FIXTURE_NAME, "setUpClass": "setup_class",
         "tearDownClass": "teardown_class"}
_CATCH_SKIP = {"Exception", "BaseException", "SkipTest"}
_LOGS = {"assertLogs", "assertNoLogs"}
_CLASS_CLEANUPS = {"addClassCleanup", "enterClassContext", "doClassCleanups"}
# TestCase methods a helper outside the class could call on an instance passed to it
_ESCAPING_API = {*CLEANUP_METHODS, *_LOGS, *_CLASS_CLEANUPS}
# calls that receive `self` without keeping or calling TestCase methods on it
_HARMLESS_SELF_USES = {"super", "type", "isinstance", "getattr", "setattr", "hasattr", "delattr", "id", "repr",
                       "str", "vars", "print", "len", "hash", "format", "dir", "callable", "issubclass"}
# Bases known not to give a class an __init__ (typing.Protocol does, to its subclasses).
_NO_INIT = {"builtins.object", "object", "abc.ABC", "typing.Generic", "typing_extensions.Generic"}


@lru_cache(maxsize=None)
def has_subtests_fixture() -> bool:
    """pytest >= 9 ships the `subtests` fixture; before that pytest-subtests does."""
    try:
        if int(importlib.metadata.version("pytest").split(".")[0]) >= 9:
            return True
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    try:
        importlib.metadata.version("pytest-subtests")
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


@dataclass
class _Class:
    node: cst.ClassDef
    qual: str
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)
    blockers: list[str] = field(default_factory=list)
    asserts: list[cst.Call] = field(default_factory=list)
    subtests: list[tuple[cst.Call, cst.FunctionDef]] = field(default_factory=list)
    skips: list[cst.Call] = field(default_factory=list)
    drops: list[cst.SimpleStatementLine] = field(default_factory=list)
    keep_pass: set[cst.SimpleStatementLine] = field(default_factory=set)
    marks: list[tuple[cst.Decorator, str]] = field(default_factory=list)
    chained: set[str] = field(default_factory=set)  # class hooks whose super() call goes to a project base
    expected_failures: set[str] = field(default_factory=set)  # methods decorated with expectedFailure
    cleanups: list[cst.Call] = field(default_factory=list)  # self.addCleanup/enterContext/doCleanups
    unsafe_cleanups: set[str] = field(default_factory=set)  # enterContext/doCleanups used (see Fix safety)
    ids: list[cst.CSTNode] = field(default_factory=list)  # self.id() calls, self._testMethodName reads
    # with self.assertLogs(): (with, kind, level code or None, `as` name or None, test method)
    logs: list[tuple[cst.With, str, str | None, str | None, str]] = field(default_factory=list)
    log_uses: dict[cst.Attribute, str] = field(default_factory=dict)  # cm.output/cm.records -> snapshot name
    needs: dict[str, set[str]] = field(default_factory=dict)  # method -> fixtures it must request
    escapes: list[str] = field(default_factory=list)  # callees that receive self
    self_calls: set[str] = field(default_factory=set)  # self.<name>() called in the class


def _names_in(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(Names())
    return found


def _constructs(family: list[_Class]) -> str:
    """` (12 assertions, setUp/tearDown, 2 skips)`: the unittest constructs a conversion rewrites."""
    hooks = sorted({m for c in family for m in c.methods if m in ("setUp", "tearDown", "setUpClass",
                                                                  "tearDownClass")},
                   key=["setUp", "tearDown", "setUpClass", "tearDownClass"].index)
    counts = [(sum(len(c.asserts) for c in family), "assertion"),
              (sum(len(c.skips) + len(c.marks) for c in family), "skip/xfail"),
              (sum(len(c.subtests) for c in family), "subTest"),
              (sum(len(c.cleanups) for c in family), "cleanup"),
              (sum(len(c.logs) for c in family), "assertLogs"),
              (sum(len(c.ids) for c in family), "id()")]
    plural = {"assertion", "subTest", "cleanup"}
    parts = [f"{n} {what}{'s' if n != 1 and what in plural else ''}" for n, what in counts if n]
    if hooks:
        parts.insert(1 if counts[0][0] else 0, "/".join(hooks))
    return f" ({', '.join(parts)})" if parts else ""


class UnittestTestCase(UnittestCallRule):
    """Flags unittest.TestCase classes and converts each to a plain pytest class.

    ## What it does
    One finding per TestCase class (a family of classes that inherit from one
    another in the file counts as one). When every TestCase-only API the class
    and its bases use has a pytest equivalent, the class loses its TestCase base:
    assertions become `assert`/`pytest.raises` (TM101-TM103), `setUp`/`tearDown`
    become one autouse fixture that yields between them, `setUpClass`/
    `tearDownClass` become pytest's `setup_class`/`teardown_class` classmethods,
    `unittest.skip*` decorators become `pytest.mark.skip`/`skipif`,
    `expectedFailure` becomes `xfail(strict=True)`, `self.skipTest` becomes
    `pytest.skip`, `self.subTest` becomes pytest's `subtests` fixture, and
    `maxDiff`/`longMessage` (message tuning only) are dropped. Otherwise the
    class stays a TestCase and the finding says what blocks it.

    Cleanups: the autouse fixture (one with only `yield` when the class has
    neither setUp nor tearDown) runs setUp's body, `yield` and tearDown's body
    inside `with contextlib.ExitStack() as self.cleanups:`, and
    `self.addCleanup(f, *args, **kwargs)` becomes
    `self.cleanups.callback(f, *args, **kwargs)` (the same signature), so, as in
    unittest, cleanups run last registered first, after tearDown, even when the
    test, setUp (after registering them) or tearDown failed, and one that raises
    fails the test. `self.enterContext(cm)` becomes
    `self.cleanups.enter_context(cm)` and `self.doCleanups()` (as a statement)
    `self.cleanups.close()`. `self._testMethodName` becomes
    `request.node.originalname` (the method's name, parameter ids excluded) and
    `self.id()` the same "module.Class.method" string,
    `f"{type(self).__module__}.{type(self).__qualname__}.{request.node.originalname}"`;
    the test method or the setUp fixture requests `request`.
    `with self.assertLogs(level=L) as cm:` on the root logger becomes
    `caplog.clear()`, `with caplog.at_level(L):` (INFO when L is omitted, as in
    unittest), then the check assertLogs makes on exit (`assert caplog.records`;
    `assert not caplog.records` for assertNoLogs), and `cm.records`/`cm.output`
    read after the block become snapshots taken there (`cm_records`,
    `cm_output`, formatted with assertLogs' own "%(levelname)s:%(name)s:%(message)s").

    ## Why is this bad?
    TestCase classes cannot use fixtures or parametrize, mix two styles in one
    suite, and hide setup in hooks pytest runs differently.

    ## Example
    ```python
    class TestCart(unittest.TestCase):
        def setUp(self):
            self.cart = Cart()
        def tearDown(self):
            self.cart.close()
        @unittest.skipIf(sys.platform == "win32", "posix only")
        def test_add(self):
            self.assertEqual(self.cart.add(2), 2)
    ```
    becomes
    ```python
    class TestCart:
        @pytest.fixture(autouse=True)
        def setup_teardown(self):
            self.cart = Cart()
            yield
            self.cart.close()
        @pytest.mark.skipif(sys.platform == "win32", reason="posix only")
        def test_add(self):
            assert self.cart.add(2) == 2
    ```

    ## Fix safety
    Safe: tests keep their node ids and their outcomes (tearDown still runs only
    after a successful setUp; expectedFailure's unexpected success still fails).
    The class is converted whole or not at all. Unsafe when the class uses
    `enterContext` (ExitStack passes an exception raised by setUp, tearDown or a
    later cleanup to the manager's `__exit__`, which unittest calls with None, so
    a manager that suppresses or reacts to exceptions differs on those failing
    paths), `doCleanups` (a cleanup that raises stops the caller there; unittest
    records the error and goes on; the test fails either way) or `assertLogs`
    (`caplog.at_level` lifts a `logging.disable()` for the block, and the root
    logger's other handlers still see the records, which assertLogs detaches).
    Left alone, with the reason: classes whose name pytest would not collect once
    they are no longer TestCases (see `python_classes`; `python_functions` must
    match exactly the test* methods), `__init__`/`run` overrides,
    `failureException`, `addClassCleanup`/`enterClassContext` (class cleanups also
    run when setUpClass fails, which setup_class cannot express), a class that
    already uses `self.cleanups`, `self` passed to a function in a module that
    calls addCleanup or assertLogs on something other than `self` (a helper that
    would lose them), the result of `doCleanups()` used, `self.id()`/
    `_testMethodName` outside a test, setUp or tearDown (no `request` reaches it)
    or where the method already uses the name `request`, `assertLogs` on a named
    logger (caplog captures at the root, so it sees the logger's records only if
    it and its ancestors propagate, which cannot be proven statically; assertLogs
    attaches to the logger itself), outside a test, sharing its `with`, nested in
    another, ended by return/break/continue, with a non-literal level, or whose
    `cm` is read inside the block or other than as `cm.output`/`cm.records`,
    async tests and IsolatedAsyncioTestCase, hooks
    defined in several classes or chained to a project base, a setUp local that
    tearDown reads as a global (they become one function), bases or subclasses
    in other files, mixins in other files that use TestCase methods (a mixin in
    the same file is converted with the class), skip decorators on helper
    methods, expectedFailure tests that use subTest, class decorators
    testmend does not know, and classes that the module's `load_tests` names
    (unittest builds that suite from them).
    """

    code = "TM201"
    name = "unittest-testcase"
    severity = Severity.MINOR
    fix_safety = Safety.SAFE
    prefilter = re.compile(rb"TestCase")
    requires = ("TM101", "TM102", "TM103")

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._infos: dict[str, _Class] = {}
        self._current: _Class | None = None
        self._imports: dict[str, str] = {}
        self._funcs: set[cst.Attribute] = set()
        self._catching = 0
        self._edit_cache: dict[str, dict[cst.CSTNode, object]] = {}
        self._statements: set[cst.Call] = set()  # calls that are a whole expression statement
        self._stores: set[cst.CSTNode] = set()  # assignment and del targets
        self._log_calls: set[cst.Call] = set()  # self.assertLogs calls seen as a with item
        self._log_depth = 0  # nesting of `with self.assertLogs()` blocks
        self._foreign: set[str] = set()  # _ESCAPING_API names called on something other than self
        self._log_withs: set[cst.With] = set()

    # ------------------------------------------------------------ collection
    def visit_Module(self, node: cst.Module) -> None:
        # unittest's load_tests protocol: the module builds its own suite, and a
        # load_tests naming a class (loader.loadTestsFromTestCase(TestA)) would
        # break for unittest once the class is plain; one that only adds
        # doctests does not care
        self._load_tests_names: set[str] = set()
        for stmt in node.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "load_tests":
                self._load_tests_names |= _names_in(stmt)
            elif isinstance(stmt, cst.SimpleStatementLine) and "load_tests" in _names_in(stmt):
                self._load_tests_names.add("*")  # bound some other way: anything may be used
        for stmt in node.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if isinstance(small, cst.Import):
                    for a in small.names:
                        self._imports[a.evaluated_alias or a.evaluated_name.split(".")[0]] = (
                            a.evaluated_name if a.evaluated_alias else a.evaluated_name.split(".")[0])
                elif isinstance(small, cst.ImportFrom) and isinstance(small.names, (list, tuple)):
                    mod = cst.helpers.get_full_name_for_node(small.module) if small.module else ""
                    for a in small.names:
                        self._imports[a.evaluated_alias or a.evaluated_name] = f"{mod}.{a.evaluated_name}"

    def _qualified(self, expr: cst.BaseExpression) -> str:
        name = cst.helpers.get_full_name_for_node(expr.func if isinstance(expr, cst.Call) else expr) or ""
        head, _, rest = name.partition(".")
        target = self._imports.get(head, head)
        return f"{target}.{rest}" if rest else target

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        top = not self._frames
        super().visit_ClassDef(node)
        if top:
            self._current = self._infos[node.name.value] = _Class(node, node.name.value)
            for decorator in node.decorators:
                self._decorator(decorator, on_class=True)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        super().leave_ClassDef(original_node)
        if not self._frames:
            self._current = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        info = self._current
        if info is None or len(self._frames) != 2:
            return
        name = node.name.value
        info.methods[name] = node
        if name in RUNNER_HOOKS:
            info.blockers.append(f"it overrides {name}, which changes how unittest runs it")
        if name.startswith("test") and node.asynchronous is not None:
            info.blockers.append(f"{name} is async; pytest needs a plugin to await it")
        for decorator in node.decorators:
            self._decorator(decorator, on_class=False, method=name)

    def _decorator(self, decorator: cst.Decorator, on_class: bool, method: str = "") -> None:
        info = self._current
        assert info is not None
        target = self._qualified(decorator.decorator)
        kind = target.rpartition(".")[2]
        if target.startswith("unittest.") and kind in SKIP_DECORATORS:
            expr = decorator.decorator
            if kind == "expectedFailure" and on_class:
                info.blockers.append("expectedFailure on a class has no pytest equivalent")
            elif not on_class and not method.startswith("test") and kind != "expectedFailure":
                # unittest's skip wraps the method to raise SkipTest when called; a mark would not
                info.blockers.append(f"@{kind} on {method}, which is not a test (calling it skips the test)")
            elif kind in SKIP_PARAMS and isinstance(expr, cst.Call) and _skip_args_problem(expr, kind):
                info.blockers.append(f"@{kind} with unusual arguments ({_skip_args_problem(expr, kind)})")
            elif kind in ("skipIf", "skipUnless") and not isinstance(expr, cst.Call):
                info.blockers.append(f"@{kind} with unusual arguments")
            else:
                info.marks.append((decorator, kind))
                if kind == "expectedFailure":
                    info.expected_failures.add(method)
        elif on_class and not (target.startswith(("pytest.mark.", "unittest.mock.", "mock."))
                               or target.rsplit(".", 1)[-1] in {"patch"} or
                               any(target.endswith(p) for p in PATCHERS)):
            info.blockers.append(f"class decorator @{target or '?'} may rely on TestCase")

    def visit_Try_body(self, node: cst.Try) -> None:
        self._catching += _catches_skip(node.handlers)

    def leave_Try_body(self, node: cst.Try) -> None:
        self._catching -= _catches_skip(node.handlers)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        info = self._current
        if info is None or len(node.body) != 1 or not isinstance(node.body[0], cst.Assign):
            return
        targets = node.body[0].targets
        if len(targets) != 1:
            return
        target = targets[0].target
        if len(self._frames) == 1 and isinstance(target, cst.Name) and target.value in MESSAGE_TUNING:
            info.drops.append(node)
        elif isinstance(target, cst.Attribute) and target.attr.value in MESSAGE_TUNING:
            found = self.current_method()
            if found and isinstance(target.value, cst.Name) and target.value.value == found[1]:
                self._funcs.add(target)
                info.drops.append(node)
                if len(found[0].body.body) == 1:
                    info.keep_pass.add(node)

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call):
            self._statements.add(node.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._stores.add(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._stores.add(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._stores.add(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._stores.add(node.target)

    def _cls_name(self) -> str | None:
        """The first parameter of the classmethod (of a top-level class) the visitor is directly in."""
        if len(self._frames) != 2 or self._frames[0][0] != "class" or not isinstance(self._frames[1][1], cst.FunctionDef):
            return None
        func = self._frames[1][1]
        if not any(cstm.matches(d.decorator, cstm.Name("classmethod")) for d in func.decorators):
            return None
        return func.params.params[0].name.value if func.params.params else None

    def visit_Call(self, node: cst.Call) -> None:
        found = self.self_method(node)
        func = node.func
        info = self._current
        if found is None and isinstance(func, cst.Attribute) and func.attr.value in _ESCAPING_API:
            receiver = func.value.value if isinstance(func.value, cst.Name) else None
            if info is not None and receiver is not None and receiver == self._cls_name():
                if func.attr.value in _CLASS_CLEANUPS:
                    info.blockers.append(f"{receiver}.{func.attr.value}(): class cleanups also run when setUpClass "
                                         "fails, which pytest's setup_class/teardown_class cannot express")
            else:
                self._foreign.add(func.attr.value)
        if info is None:
            return
        here = self.current_method()
        if here is not None and here[2] == info.qual:
            for arg in node.args:
                if cstm.matches(arg.value, cstm.Name(here[1])):
                    callee = cst.helpers.get_full_name_for_node(func) or "a call"
                    if callee not in _HARMLESS_SELF_USES:
                        info.escapes.append(callee)
        if found is None:
            return
        name, cls, method = found
        if cls != info.qual:
            return
        assert isinstance(node.func, cst.Attribute)
        self._funcs.add(node.func)
        info.self_calls.add(name)
        if name in ASSERTIONS:
            info.asserts.append(node)
        elif name == "subTest":
            if not method.name.value.startswith("test"):
                info.blockers.append(f"self.subTest() in {method.name.value}, which is not a test")
            else:
                info.subtests.append((node, method))
        elif name == "skipTest":
            if self._catching:
                info.blockers.append("self.skipTest() inside try/except Exception (pytest.skip is not caught there)")
            else:
                info.skips.append(node)
        elif name in CLEANUP_METHODS and name not in info.methods:
            problem = self.blocker(info.qual, name)
            if problem is None and name == "doCleanups" and node not in self._statements:
                problem = "the result of self.doCleanups() is used (ExitStack.close() returns None)"
            if problem is None and any(a.keyword is not None and a.keyword.value == "function" for a in node.args):
                problem = "self.addCleanup(function=...) (ExitStack.callback takes it positionally)"
            if problem:
                info.blockers.append(problem)
            else:
                info.cleanups.append(node)
                if name != "addCleanup":
                    info.unsafe_cleanups.add(name)
        elif name == "id" and name not in info.methods and not node.args:
            problem = self.blocker(info.qual, name) or self._request(info, method, "request", "self.id()")
            if problem:
                info.blockers.append(problem)
            else:
                info.ids.append(node)
        elif name in _LOGS and node in self._log_calls:
            pass  # decided in visit_With
        elif name in _LOGS:
            info.blockers.append(f"self.{name}() is used other than as the only item of a with statement")
        elif name in HOOKS or name in TESTCASE_API:
            info.blockers.append(f"self.{name}() has no pytest rewrite here")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        info = self._current
        if info is None or node in self._funcs or not isinstance(node.value, cst.Name):
            return
        found = self.current_method()
        if found is None or found[2] != info.qual or node.value.value != found[1]:
            return
        attr = node.attr.value
        if attr == "_testMethodName" and attr not in info.methods:
            problem = self.blocker(info.qual, attr)
            if problem is None and node in self._stores:
                problem = "self._testMethodName is assigned"
            problem = problem or self._request(info, found[0], "request", "self._testMethodName")
            if problem:
                info.blockers.append(problem)
            else:
                info.ids.append(node)
        elif attr in HOOKS or (attr in TESTCASE_API and attr not in info.methods):
            info.blockers.append(f"self.{attr} is used")

    def _request(self, info: _Class, method: cst.FunctionDef, fixture: str, what: str) -> str | None:
        """Note that `method` must request `fixture` (a test, or the setUp/tearDown fixture), or say why it cannot."""
        name = method.name.value
        if name in ("setUp", "tearDown"):
            key = FIXTURE_NAME
        elif name.startswith("test"):
            key = name
        else:
            return f"{what} in {name}, which is not a test, setUp or tearDown (no {fixture} fixture reaches it)"
        info.needs.setdefault(key, set()).add(fixture)
        return None

    def visit_With(self, node: cst.With) -> None:
        logs = False
        for item in node.items:
            found = self.self_method(item.item) if isinstance(item.item, cst.Call) else None
            if item.asname is not None and found and found[0] == "subTest" and self._current:
                self._current.blockers.append("`with self.subTest(...) as name`")
            if found and found[0] in _LOGS and self._current and found[1] == self._current.qual \
                    and found[0] not in self._current.methods:
                assert isinstance(item.item, cst.Call)
                self._log_calls.add(item.item)
                logs = True
                problem = self._logs_problem(node, item, found[0], found[2])
                if problem:
                    self._current.blockers.append(problem)
        self._log_depth += logs
        if logs:
            self._log_withs.add(node)

    def leave_With(self, original_node: cst.With) -> None:
        self._log_depth -= original_node in self._log_withs

    def _logs_problem(self, node: cst.With, item: cst.WithItem, kind: str, method: cst.FunctionDef) -> str | None:
        """Why `with self.assertLogs(...)` cannot become caplog exactly, or None (and it is recorded)."""
        info = self._current
        assert info is not None and isinstance(item.item, cst.Call)
        problem = self.blocker(info.qual, kind)
        if problem:
            return problem
        if len(node.items) != 1 or node.asynchronous is not None:
            return f"self.{kind}() shares its with statement with other context managers"
        if self._log_depth:
            return f"self.{kind}() nested in another assertLogs block"
        bound = bind(item.item, ("logger", "level"))
        if not isinstance(bound, Bound):
            return f"self.{kind}(): {bound}"
        logger = bound.args.get("logger")
        if logger is not None and not cstm.matches(logger.value, cstm.Name("None")):
            return (f"self.{kind}() on a named logger: caplog captures at the root logger, so it sees that "
                    "logger's records only if it and its ancestors propagate, and assertLogs attaches to the "
                    "logger itself (testmend cannot prove propagation statically)")
        level_arg = bound.args.get("level")
        level = None
        if level_arg is not None and not cstm.matches(level_arg.value, cstm.Name("None")):
            value = level_arg.value
            literal = (isinstance(value, cst.SimpleString) and len(value.evaluated_value or "") > 0) or (
                isinstance(value, cst.Integer) and value.evaluated_value != 0)
            if not literal and not self._qualified(value).startswith("logging."):
                return f"self.{kind}(level=...) is not a literal level (a false one means INFO to unittest)"
            level = cst.Module([]).code_for_node(value)
        escape = _Escapes()
        node.body.visit(escape)
        if escape.found:
            return f"the self.{kind}() block ends with {escape.found}, which skips the check caplog needs after it"
        name = method.name.value
        if not name.startswith("test"):
            return f"self.{kind}() in {name}, which is not a test (the caplog fixture cannot reach it)"
        asname = None
        if item.asname is not None:
            if not isinstance(item.asname.name, cst.Name):
                return f"`with self.{kind}() as` a target other than a plain name"
            asname = item.asname.name.value
        info.needs.setdefault(name, set()).add("caplog")
        info.logs.append((node, kind, level, asname, name))
        return None

    # ------------------------------------------------------------ decision
    def leave_Module(self, original_node: cst.Module) -> None:
        graph = self.graph
        if graph is None:
            return
        module = self._module_name
        testcases = {q: i for q, i in self._infos.items() if graph.is_testcase(f"{module}.{q}")}
        families: dict[str, list[str]] = {}
        for qual in testcases:
            root = qual
            for base in graph.mro(f"{module}.{qual}") or ():
                short = base[len(module) + 1:] if base.startswith(module + ".") else None
                if short in testcases:
                    root = short
            families.setdefault(root, []).append(qual)
        for root, members in families.items():
            self._decide([testcases[m] for m in members])

    def _decide(self, family: list[_Class]) -> None:
        graph = self.graph
        assert graph is not None
        module = self._module_name
        blockers: list[str] = []
        quals = {f"{module}.{c.qual}" for c in family}
        mro_classes: set[str] = set()
        # Mixins in this file (no TestCase base): their self.assert* calls would
        # break once the class is no longer a TestCase, so they convert with it.
        mixins: list[_Class] = []
        for c in family:
            blockers += c.blockers
            mro = graph.mro(f"{module}.{c.qual}") or ()
            for other in mro:
                if other in quals or other not in graph.classes:
                    if other == ASYNC_TESTCASE:
                        # only unittest.TestCase bases are removed: this one would stay, half converted
                        blockers.insert(0, "it is an IsolatedAsyncioTestCase; its async tests and hooks need "
                                           "pytest-asyncio to run in a plain class")
                    elif other not in quals and not (graph.is_neutral(other) or other.startswith("unittest.")):
                        blockers.append(f"base class {other.lstrip('?')} could not be analysed")
                    continue
                mro_classes.add(other)
                if graph.is_testcase(other):
                    blockers.append(f"it derives from {other} in another module (convert them together)")
                else:
                    used = {a for a in graph.classes[other].self_attrs if a in TESTCASE_API}
                    local = other.startswith(module + ".") and other[len(module) + 1:] in self._infos
                    if local:
                        mixin = self._infos[other[len(module) + 1:]]
                        blockers += mixin.blockers
                        if mixin.subtests or mixin.skips:
                            blockers.append(f"mixin {mixin.qual} uses subTest/skipTest")
                        if mixin not in mixins:
                            mixins.append(mixin)
                    elif used:
                        blockers.append(f"mixin {other} uses self.{sorted(used)[0]}; run testmend again "
                                        "once its assertions are converted")
            for child in graph.descendants(f"{module}.{c.qual}"):
                if child not in quals:
                    blockers.append(f"it is subclassed by {child} in another module")
            has_tests = any(n.startswith("test") for cls in (f"{module}.{c.qual}", *mro)
                            if cls in graph.classes for n in graph.classes[cls].members)
            # a literal __test__ reads the same on a plain class: False is never
            # collected, True is collected whatever the class's name
            if graph.test_flag(f"{module}.{c.qual}") == "?":
                blockers.append("it sets __test__ to a value testmend cannot read")
            if has_tests:
                # pytest does not collect a plain class that has an __init__ (from any base)
                for other in mro[1:]:
                    if other in (TESTCASE, "unittest.IsolatedAsyncioTestCase") or other in _NO_INIT:
                        continue
                    if other not in graph.classes:
                        blockers.append(f"its base {other.lstrip('?')} may give it an __init__, and pytest "
                                        "does not collect a plain class with one" + (
                                            " (see TM205 for a Protocol of TestCase methods)"
                                            if other.endswith(".Protocol") else ""))
                        break
                    if {"__init__", "__new__"} & graph.classes[other].members:
                        blockers.append(f"its base {other.rsplit('.', 1)[-1]} defines __init__, and pytest "
                                        "does not collect a plain class with one")
                        break
            if has_tests:
                # unittest runs the methods named test*; a plain class, those python_functions matches
                names = {n for cls in (f"{module}.{c.qual}", *mro) if cls in graph.classes
                         for n in graph.classes[cls].members}
                functions = self._pytest_config().python_functions
                differ = sorted(n for n in names if n.startswith("test") != any(_matches(p, n) for p in functions))
                if differ:
                    blockers.append(f"python_functions = {' '.join(functions)} would "
                                    f"{'not ' if differ[0].startswith('test') else ''}collect {differ[0]}, "
                                    "which unittest does" + ("" if differ[0].startswith("test") else " not"))
            if has_tests and not self._pytest_config().collects_class(c.node.name.value) \
                    and graph.test_flag(f"{module}.{c.qual}") is not True:  # __test__ = True: collected anyway
                patterns = " ".join(self._pytest_config().python_classes)
                blockers.append(f"pytest would not collect {c.node.name.value} as a plain class "
                                f"(python_classes = {patterns}); renaming would change its node ids")
        for c in family:
            for name in sorted({m.name.value for _, m in c.subtests} & c.expected_failures):
                blockers.append(f"{name} is an expectedFailure that uses subTest: pytest's xfail would apply "
                                "to each subtest, so a passing one would fail the test")
        if any(c.subtests for c in family) and not has_subtests_fixture():
            blockers.append("self.subTest needs pytest >= 9 (or pytest-subtests) for the subtests fixture")
        blockers += self._hook_blockers(family, mro_classes)
        named = getattr(self, "_load_tests_names", set())
        if "*" in named or any(c.qual.split(".")[0] in named for c in family):
            blockers.append("the module's load_tests builds unittest's suite from this class; "
                            "convert it by hand once load_tests no longer needs it")
        blockers += self._fixture_api_blockers(family, mixins, mro_classes)
        edits: dict[cst.CSTNode, object] = {}
        safety = Safety.SAFE
        imports: set[str] = set()
        for c in family + mixins:
            for call in c.asserts:
                outcome = self.context.outcomes.get(call)
                if isinstance(outcome, Fix):
                    edits.update(outcome.edits)
                    imports.update(outcome.imports)
                    if outcome.safety is Safety.UNSAFE:
                        safety = Safety.UNSAFE
                else:
                    name = call.func.attr.value  # type: ignore[attr-defined]
                    why = outcome or "not analysed"
                    blockers.append(why if why.startswith(f"self.{name}()") else f"self.{name}() stays: {why}")
        first = family[0]
        if blockers:
            more = f" (and {len(blockers) - 1} more)" if len(blockers) > 1 else ""
            self.report(first.node.name, f"TestCase class {first.qual}{_constructs(family)} left as is: "
                                         f"{blockers[0]}{more}")
            return
        for mixin in mixins:
            edits.update(self._shared_edits(mixin))
        stack = any(c.cleanups for c in family)
        if any(c.unsafe_cleanups or c.logs for c in family):
            safety = Safety.UNSAFE  # see Fix safety in the docstring
        for c in family:
            edits.update(self._shared_edits(c))
            needs_subtests = {id(m) for _, m in c.subtests}
            for call, method in c.subtests:
                edits[call] = subtests_call
            for method in c.methods.values():
                wanted = [] if "subtests" in {p.name.value for p in method.params.params} \
                    or id(method) not in needs_subtests else ["subtests"]
                wanted += sorted(c.needs.get(method.name.value, ()))
                if wanted and method.name.value not in ("setUp", "tearDown"):
                    edits[method] = lambda f, wanted=wanted: _add_parameters(f, wanted)
            for call in c.skips:
                edits[call] = skip_call
            for call in c.cleanups:
                edits[call] = cleanup_call
            for node in c.ids:
                edits[node] = test_id if isinstance(node, cst.Call) else test_method_name
            for with_node, kind, level, asname, _ in c.logs:
                names = {attr: new for use, new in c.log_uses.items() if asname and use.value.value == asname
                         for attr in [use.attr.value]}  # type: ignore[attr-defined]
                edits[with_node] = lambda w, kind=kind, level=level, names=names: assert_logs_with(w, kind, level,
                                                                                                  names)
                if level is None or "output" in names:
                    imports.add("logging")
            for use, new in c.log_uses.items():
                edits[use] = lambda a, new=new: cst.Name(new, lpar=a.lpar, rpar=a.rpar)
            root = not any(other in {f"{self._module_name}.{x.qual}" for x in family}
                           for other in (graph.mro(f"{self._module_name}.{c.qual}") or ())[1:])
            edits[c.node] = self._class_edit(c, stack, add_fixture=stack and root)
        if stack:
            imports.add("contextlib")
        if stack or any(c.skips or c.marks or "setUp" in c.methods or "tearDown" in c.methods
                        for c in family + mixins):
            imports.add("pytest")
        names = ", ".join(c.qual for c in family)
        fix = Fix(description=f"convert {names} to plain pytest class{'es' if len(family) > 1 else ''}",
                  safety=safety, edits=edits, imports=tuple(sorted(imports)), reformat=False,
                  unused_imports=("unittest",))  # type: ignore[arg-type]
        self.report(first.node.name, f"TestCase class {names}{_constructs(family)} can be a plain pytest class", fix)

    def _pytest_config(self) -> PytestConfig:
        """The suite's pytest configuration, unless this file lies outside the
        directory it configures (paths given outside the project): then the one
        found from the file's own directory, as pytest would."""
        config: PytestConfig = self.graph.pytest  # type: ignore[union-attr]
        path = self.context.path.resolve()
        anchor = config.path.parent if config.path else self.context.suite.root
        if anchor.resolve() not in path.parents:
            config = read_pytest_config(path.parent)
        return config

    def _shared_edits(self, c: _Class) -> dict[cst.CSTNode, object]:
        """Edits for maxDiff lines and skip decorators, built once per class (a
        mixin's are shared by the fixes of every family that uses it, and two
        fixes may share an edit only when it is the same one)."""
        if c.qual not in self._edit_cache:
            module_node = self.context.module
            edits: dict[cst.CSTNode, object] = {}
            for stmt in c.drops:
                edits[stmt] = (lambda s: s.with_changes(body=[cst.Pass()])) if stmt in c.keep_pass \
                    else (lambda s: cst.RemovalSentinel.REMOVE)
            for decorator, kind in c.marks:
                edits[decorator] = lambda d, kind=kind: skip_mark(d, kind, module_node)
            self._edit_cache[c.qual] = edits
        return self._edit_cache[c.qual]

    def _hook_blockers(self, family: list[_Class], mro_classes: set[str]) -> list[str]:
        """setUp/tearDown become one fixture per defining class, and a subclass's
        fixture of the same name overrides its base's, exactly as a subclass's
        setUp overrides (unless it chains with super(), which a fixture override
        cannot express). setUpClass/tearDownClass keep method semantics under
        their pytest names, so their super() chains are renamed too."""
        graph = self.graph
        assert graph is not None
        module = self._module_name
        out: list[str] = []
        members = {f"{module}.{c.qual}" for c in family}
        for other in sorted(mro_classes):
            hooks = set(HOOKS) & graph.classes[other].members
            if hooks:
                out.append(f"mixin {other.rsplit('.', 1)[-1]} defines {sorted(hooks)[0]}")
        for c in family:
            qual = f"{module}.{c.qual}"
            mro = graph.mro(qual) or ()
            later = [x for x in mro[1:] if x in members]
            for hook, new in HOOKS.items():
                if new in c.methods:
                    out.append(f"{new} already exists")
                method = c.methods.get(hook)
                if method is None:
                    continue
                problem = _hook_problem(method, hook)
                if problem:
                    out.append(problem)
                    continue
                base = next((x for x in later if hook in graph.classes[x].members), None)
                assert isinstance(method.body, cst.IndentedBlock)
                chained = any(is_super_call(stmt, hook) for stmt in method.body.body)
                if base is not None and chained:
                    if hook in ("setUp", "tearDown"):
                        out.append(f"{c.qual}.{hook} calls {base.rsplit('.', 1)[-1]}.{hook}, "
                                   "which a fixture override cannot chain")
                    else:
                        c.chained.add(hook)
            if "setUp" in c.methods and "tearDown" in c.methods:
                problem = _merge_problem(c.methods["setUp"], c.methods["tearDown"])
                if problem:
                    out.append(problem)
            providers = {h: next((x for x in mro if x in members and h in graph.classes[x].members), None)
                         for h in ("setUp", "tearDown")}
            if providers["setUp"] and providers["tearDown"] and providers["setUp"] != providers["tearDown"]:
                out.append(f"{c.qual} gets setUp from {providers['setUp'].rsplit('.', 1)[-1]} and tearDown "
                           f"from {providers['tearDown'].rsplit('.', 1)[-1]}")
        return out

    def _fixture_api_blockers(self, family: list[_Class], mixins: list[_Class], mro_classes: set[str]) -> list[str]:
        """What keeps addCleanup/enterContext/doCleanups (an ExitStack the setUp fixture owns),
        self.id()/_testMethodName (`request`) and assertLogs (`caplog`) from being rewritten."""
        graph = self.graph
        assert graph is not None
        module = self._module_name
        out: list[str] = []
        for mixin in mixins:
            used = [what for what, nodes in (("addCleanup", mixin.cleanups), ("self.id()", mixin.ids),
                                              ("assertLogs", mixin.logs)) if nodes]
            if used:
                out.append(f"mixin {mixin.qual} uses {used[0]}, which needs the fixtures of each class it is mixed into")
        for c in family:
            if c.escapes and self._foreign:
                out.append(f"self is passed to {c.escapes[0]}, and this module calls "
                           f".{min(self._foreign)}() on something other than self (a helper could be "
                           "calling TestCase methods on the test)")
        if any(c.cleanups for c in family):
            for cls in sorted({f"{module}.{c.qual}" for c in family} | mro_classes):
                facts = graph.classes.get(cls)
                if facts is not None and CLEANUPS in facts.members | facts.self_attrs:
                    out.append(f"{cls.rsplit('.', 1)[-1]} already uses self.{CLEANUPS}, the name the ExitStack "
                               "of addCleanup would take")
                    break
        for c in family:
            for key, fixtures in sorted(c.needs.items()):
                if key == FIXTURE_NAME:
                    methods = [c.methods[h] for h in ("setUp", "tearDown") if h in c.methods]
                else:
                    methods = [c.methods[key]]
                    called = [x.qual for x in family if key in x.self_calls]
                    if called:
                        out.append(f"{key} is called as self.{key}() in {called[0]}, and it would need the "
                                   f"{min(fixtures)} fixture")
                for fixture in sorted(fixtures):
                    for method in methods:
                        if cstm.findall(method, cstm.Name(fixture)):
                            out.append(f"{method.name.value} already uses the name {fixture}, the fixture it "
                                       "would request")
            out += self._log_use_blockers(c)
        return out

    def _log_use_blockers(self, c: _Class) -> list[str]:
        """`cm` of `with self.assertLogs() as cm` may be read only as cm.output/cm.records,
        after its block: those reads become snapshots taken when the block ends."""
        out: list[str] = []
        by_name: dict[tuple[str, str], list[tuple[cst.With, str]]] = {}
        for with_node, kind, _, asname, method in c.logs:
            if asname is not None:
                by_name.setdefault((method, asname), []).append((with_node, kind))
        for (method_name, cm), withs in sorted(by_name.items(), key=lambda x: x[0]):
            method = c.methods[method_name]
            targets = {w.items[0].asname.name for w, _ in withs}  # type: ignore[union-attr]
            inside = _NameUses(cm)
            for w, _ in withs:
                w.body.visit(inside)
            uses = _NameUses(cm)
            method.visit(uses)
            found: dict[cst.Attribute, str] = {}
            for name_node, attr in uses.uses:
                if name_node in targets:
                    continue
                if attr is None or attr.attr.value not in ("output", "records") or attr in self._stores:
                    found.clear()
                    out.append(f"{cm} of `with self.assertLogs() as {cm}` is used other than as {cm}.output or "
                               f"{cm}.records")
                    break
                if attr in {a for _, a in inside.uses}:
                    found.clear()
                    out.append(f"{cm}.{attr.attr.value} is read inside its assertLogs block (caplog's records "
                               "are snapshotted when the block ends)")
                    break
                found[attr] = f"{cm}_{attr.attr.value}"
            if found and any(kind == "assertNoLogs" for _, kind in withs):
                out.append(f"{cm} of assertNoLogs is None, and it is read")
                continue
            clash = sorted(n for n in set(found.values()) if cstm.findall(method, cstm.Name(n)))
            if clash:
                out.append(f"{method_name} already uses the name {clash[0]}, which the {cm}.output/records "
                           "snapshot would take")
                continue
            c.log_uses.update(found)
        return out

    def _class_edit(self, c: _Class, stack: bool = False, add_fixture: bool = False):  # type: ignore[no-untyped-def]
        module = self.context.module
        fixture_params = sorted(c.needs.get(FIXTURE_NAME, ()))
        drop = [b for b in c.node.bases if self._qualified(b.value) in ("unittest.TestCase", "unittest.case.TestCase")]

        def edit(updated: cst.ClassDef) -> cst.ClassDef:
            node = remove_bases(updated, drop)
            assert isinstance(node.body, cst.IndentedBlock)
            by_name = {s.name.value: s for s in node.body.body if isinstance(s, cst.FunctionDef)}
            setup, teardown = by_name.get("setUp"), by_name.get("tearDown")
            body = []
            for stmt in node.body.body:
                if isinstance(stmt, cst.FunctionDef):
                    name = stmt.name.value
                    if name == "setUp" or (name == "tearDown" and setup is None):
                        stmt = setup_fixture(setup, teardown, module, cleanups=stack, params=fixture_params)
                    elif name == "tearDown":
                        continue
                    elif name in ("setUpClass", "tearDownClass"):
                        stmt = rename_class_hook(stmt, HOOKS[name], name, chain=name in c.chained)
                body.append(stmt)
            if add_fixture and setup is None and teardown is None:
                # the ExitStack's owner goes before the first method
                at = next((i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef)), len(body))
                self_name = next((s.params.params[0].name.value for s in body if isinstance(s, cst.FunctionDef)
                                  and s.params.params and not s.decorators), "self")
                fixture = cleanup_fixture(self_name)
                if at < len(body):
                    fixture = fixture.with_changes(leading_lines=body[at].leading_lines)
                    body[at] = body[at].with_changes(leading_lines=[cst.EmptyLine(indent=False)])
                body.insert(at, fixture)
            if not body:
                body = [cst.SimpleStatementLine([cst.Pass()])]
            elif body[0] is not node.body.body[0]:
                # the first statement went (maxDiff = None): no blank line after the class line
                lines = list(body[0].leading_lines)
                while lines and lines[0].comment is None:
                    lines.pop(0)
                body[0] = body[0].with_changes(leading_lines=lines)
            return node.with_changes(body=node.body.with_changes(body=body))

        return edit


def _skip_args_problem(call: cst.Call, kind: str) -> str | None:
    """Why the arguments of @unittest.<kind>(...) cannot move into a pytest mark, or None."""
    bound = bind(call, SKIP_PARAMS[kind])
    if not isinstance(bound, Bound):
        return bound
    missing = [p for p in SKIP_PARAMS[kind] if p not in bound.args]
    if missing:
        return f"no {missing[0]}"
    condition = bound.args.get("condition")
    if condition is not None and isinstance(condition.value, (cst.SimpleString, cst.ConcatenatedString,
                                                              cst.FormattedString)):
        return "a string condition, which pytest would evaluate as code"
    return None


def _catches_skip(handlers) -> int:  # type: ignore[no-untyped-def]
    for handler in handlers:
        kind = handler.type
        if kind is None:
            return 1
        for element in (kind.elements if isinstance(kind, cst.Tuple) else [kind]):
            value = element.value if isinstance(element, cst.Element) else element
            if isinstance(value, cst.Attribute):
                value = value.attr
            if not isinstance(value, cst.Name) or value.value in _CATCH_SKIP:
                return 1
    return 0


def _merge_problem(setup: cst.FunctionDef, teardown: cst.FunctionDef) -> str | None:
    """Why setUp's and tearDown's bodies cannot share one function (the fixture), or None."""
    if not (isinstance(setup.body, cst.IndentedBlock) and isinstance(teardown.body, cst.IndentedBlock)) \
            or not (setup.params.params and teardown.params.params):
        return None  # _hook_problem reports these
    if setup.params.params[0].name.value != teardown.params.params[0].name.value:
        return "setUp and tearDown name their instance differently"
    for func in (setup, teardown):
        if cstm.findall(func.body, cstm.Global() | cstm.Nonlocal()):
            return f"{func.name.value} declares global or nonlocal names"
    bound = _scope_names(setup)[0]
    free = _scope_names(teardown)[1]
    shared = sorted(bound & free)
    if shared:
        return (f"setUp's local {shared[0]} would hide the module-level {shared[0]} that tearDown uses, "
                "once both are one function")
    return None


def _scope_names(func: cst.FunctionDef) -> tuple[set[str], set[str]]:
    """(names local to `func`, names it reads from outside: globals and builtins)."""
    wrapper = cst.MetadataWrapper(cst.Module(body=[func.with_changes(decorators=[])]))
    scopes = {scope for scope in wrapper.resolve(ScopeProvider).values() if scope is not None}
    fn = wrapper.module.body[0]
    local = {a.name for scope in scopes if isinstance(scope, FunctionScope) and scope.node is fn
             for a in scope.assignments}
    free = {a.node.value for scope in scopes for a in scope.accesses
            if isinstance(a.node, cst.Name) and not a.referents}
    return local, free


def _add_parameters(func: cst.FunctionDef, names: list[str]) -> cst.FunctionDef:
    for name in names:
        func = add_parameter(func, name)
    return func


class _NameUses(cst.CSTVisitor):
    """Every Name `name` in a subtree, with the Attribute it is the object of (or None)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.uses: list[tuple[cst.Name, cst.Attribute | None]] = []
        self._owned: set[cst.Name] = set()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name) and node.value.value == self.name:
            self.uses.append((node.value, node))
            self._owned.add(node.value)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name and node not in self._owned:
            self.uses.append((node, None))


class _Escapes(cst.CSTVisitor):
    """Finds `return`, and `break`/`continue` that leave the block (not inside a loop of its own)."""

    def __init__(self) -> None:
        self.found = ""
        self._loops = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_For(self, node: cst.For) -> None:
        self._loops += 1

    def leave_For(self, original_node: cst.For) -> None:
        self._loops -= 1

    def visit_While(self, node: cst.While) -> None:
        self._loops += 1

    def leave_While(self, original_node: cst.While) -> None:
        self._loops -= 1

    def visit_Return(self, node: cst.Return) -> None:
        self.found = self.found or "return"

    def visit_Break(self, node: cst.Break) -> None:
        if not self._loops:
            self.found = self.found or "break"

    def visit_Continue(self, node: cst.Continue) -> None:
        if not self._loops:
            self.found = self.found or "continue"


class _FlowCheck(cst.CSTVisitor):
    """Finds `return`/`yield` and stray references to the hook in a hook's own body."""

    def __init__(self) -> None:
        self.returns = self.yields = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Return(self, node: cst.Return) -> None:
        self.returns = True

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields = True


def _hook_problem(method: cst.FunctionDef, hook: str) -> str | None:
    decorators = [d.decorator for d in method.decorators]
    if hook in ("setUpClass", "tearDownClass"):
        if len(decorators) != 1 or not (isinstance(decorators[0], cst.Name) and decorators[0].value == "classmethod"):
            return f"{hook} is not a plain classmethod"
    elif decorators:
        return f"{hook} is decorated"
    params = method.params
    if len(params.params) != 1 or params.star_arg not in (cst.MaybeSentinel.DEFAULT, None) or params.kwonly_params \
            or isinstance(params.star_kwarg, cst.Param) or params.posonly_params:
        return f"{hook} takes parameters"
    if not isinstance(method.body, cst.IndentedBlock):
        return f"{hook} is written on one line"
    check = _FlowCheck()
    for stmt in method.body.body:
        stmt.visit(check)
    if check.yields:
        return f"{hook} contains yield"
    if check.returns and hook in ("setUp", "setUpClass"):
        return f"{hook} returns early, which a yield fixture cannot express"
    supers = [s for s in method.body.body if is_super_call(s, hook)]
    code = cst.Module([]).code_for_node(method.body)
    if code.count(f".{hook}") > len(supers):
        return f"{hook} calls another {hook} (a base class's)"
    return None
