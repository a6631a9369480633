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
    logs: list[tuple[cst.With, str, str | None, str | None]] = field(default_factory=list)  # with, kind, level, as
    needs: dict[str, set[str]] = field(default_factory=dict)  # method -> fixtures it must request
    escapes: list[str] = field(default_factory=list)  # callees that receive self
    self_calls: set[str] = field(default_factory=set)  # self.<name>() called in the class


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
    The class is converted whole or not at all. Left alone, with the reason:
    classes whose name pytest would not collect once they are no longer TestCases
    (see `python_classes`; `python_functions` must match exactly the test*
    methods), `__init__`/`run` overrides, `failureException`, `addCleanup`,
    `assertLogs`, `self.id()`, async tests and IsolatedAsyncioTestCase, hooks
    defined in several classes or chained to a project base, a setUp local that
    tearDown reads as a global (they become one function), bases or subclasses
    in other files, mixins in other files that use TestCase methods (a mixin in
    the same file is converted with the class), skip decorators on helper
    methods, expectedFailure tests that use subTest, and class decorators
    testmend does not know.
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

    # ------------------------------------------------------------ collection
    def visit_Module(self, node: cst.Module) -> None:
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

    def visit_Call(self, node: cst.Call) -> None:
        info = self._current
        if info is None:
            return
        found = self.self_method(node)
        if found is None:
            return
        name, cls, method = found
        if cls != info.qual:
            return
        assert isinstance(node.func, cst.Attribute)
        self._funcs.add(node.func)
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
        if attr in HOOKS or (attr in TESTCASE_API and attr not in info.methods):
            info.blockers.append(f"self.{attr} is used")

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if item.asname is not None and isinstance(item.item, cst.Call):
                found = self.self_method(item.item)
                if found and found[0] == "subTest" and self._current:
                    self._current.blockers.append("`with self.subTest(...) as name`")

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
            self.report(first.node.name, f"TestCase class {first.qual} left as is: {blockers[0]}{more}")
            return
        for mixin in mixins:
            edits.update(self._shared_edits(mixin))
        for c in family:
            edits.update(self._shared_edits(c))
            needs_subtests = {id(m) for _, m in c.subtests}
            for call, method in c.subtests:
                edits[call] = subtests_call
            for method in c.methods.values():
                if id(method) in needs_subtests and "subtests" not in {p.name.value for p in method.params.params}:
                    edits[method] = lambda f: add_parameter(f, "subtests")
            for call in c.skips:
                edits[call] = skip_call
            edits[c.node] = self._class_edit(c)
        if any(c.skips or c.marks or "setUp" in c.methods or "tearDown" in c.methods for c in family + mixins):
            imports.add("pytest")
        names = ", ".join(c.qual for c in family)
        fix = Fix(description=f"convert {names} to plain pytest class{'es' if len(family) > 1 else ''}",
                  safety=safety, edits=edits, imports=tuple(sorted(imports)), reformat=False,
                  unused_imports=("unittest",))  # type: ignore[arg-type]
        self.report(first.node.name, f"TestCase class {names} can be a plain pytest class", fix)

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

    def _class_edit(self, c: _Class):  # type: ignore[no-untyped-def]
        module = self.context.module
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
                        stmt = setup_fixture(setup, teardown, module)
                    elif name == "tearDown":
                        continue
                    elif name in ("setUpClass", "tearDownClass"):
                        stmt = rename_class_hook(stmt, HOOKS[name], name, chain=name in c.chained)
                body.append(stmt)
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
