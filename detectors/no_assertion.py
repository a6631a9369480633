"""TM501: tests that check nothing (no assert, no pytest.raises, no helper that asserts)."""
from __future__ import annotations

import re

import libcst as cst

from testmend.check_facts import CHECK, DEFAULT_HELPER_PREFIXES, MOCK, UNSURE, helper_prefix_pattern, resolve_dotted
from testmend.model import Severity
from testmend.tests_visitor import Scope, TestFunctionRule, body_statements, dotted_cst, placeholder

# Marks that make a test check something without an assert in its body.
_CHECKING_MARKS = ("pytest.mark.xfail", "unittest.expectedFailure", "unittest.case.expectedFailure",
                   "pytest.mark.timeout", "hypothesis.given")
# Fixtures whose tests measure, not check.
_MEASURING_FIXTURES = {"benchmark", "aio_benchmark"}


class NoAssertion(TestFunctionRule):
    """Flags tests with no assertion at all, including "doesn't crash" tests.

    ## What it does
    Finds test functions and methods (pytest-style functions, methods of
    collected `Test*` classes, unittest.TestCase test methods and the test
    methods of their mixins) whose body checks nothing: no `assert`, no
    `self.assert*()`/`self.fail()`, no `pytest.raises`/`pytest.warns`/
    `pytest.fail`, no mock `assert_called*()`, no `raise` of a failure.
    Helpers are followed before a test is flagged: module functions, methods
    of the class and of its project base classes (across files), and
    functions imported from the suite's own modules (conftest.py, helpers),
    transitively up to `max-depth` calls deep. When a test calls something
    that may check and cannot be read, it is not flagged: a method of a base
    class testmend did not analyse, a callable fixture, a call that is handed
    the test itself (`Checker(self)`), code run from a string that asserts
    (`exec`, a subinterpreter script), a `raise` inside a function or class
    the test defines, and names that read as checks (`assert*`, `check*`,
    `verify*`, `expect*`, `validate*`: option `helper-prefixes`). Tests marked
    `xfail`/`expectedFailure` or `timeout`, tests that turn warnings into
    errors, hypothesis `@given` tests (whose property may be "never raises"),
    `benchmark` tests and placeholders (TM504) are left alone.

    ## Why is this bad?
    A test without an assertion passes whatever the code returns: it only
    proves the code runs without raising. Such "doesn't crash" tests inflate
    coverage while guarding nothing, and a real regression passes them.

    ## Example
    ```python
    def test_parse():
        parse("a = 1")          # passes whatever parse returns

    def test_render(self):
        self.render("x")        # flagged only if render() asserts nothing
    ```
    Assert on the result (`assert parse("a = 1") == Assign(...)`), or, when
    "does not raise" really is the point, say so with a comment or a helper
    named `check_*`.

    ## Fix safety
    No fix: what the test should assert is the author's call.
    """

    code = "TM501"
    name = "no-assertion"
    severity = Severity.MAJOR
    prefilter = re.compile(rb"\bdef\b")
    defaults = {"max_depth": 4, "helper_prefixes": DEFAULT_HELPER_PREFIXES}

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._prefixes = helper_prefix_pattern(self.context.options["helper_prefixes"])

    def enter_function(self, scope: Scope) -> None:
        if scope is not self.test or self.inventory is None:
            return
        node = scope.node
        if placeholder(node, self.imports) is not None or self._exempt(node):
            return
        facts = self.facts(scope)
        if facts is None:
            return
        kinds, followed = self.inventory.checks(self.context.path, facts, self._prefixes,
                                                self.context.options["max_depth"])
        if kinds & {CHECK, MOCK, UNSURE}:
            return
        name = node.name.value
        helpers = f" (followed {', '.join(f'{h}()' for h in followed[:4])}{'...' if len(followed) > 4 else ''}: " \
                  "no assertion there either)" if followed else ""
        smoke = self._smoke(node)
        if smoke:
            self.report(node.name, f"{name} has no assertion{helpers}: it only checks that {smoke}, a "
                                   "\"doesn't crash\" test; assert on the result")
        else:
            self.report(node.name, f"{name} has no assertion{helpers}: it passes whatever the code under "
                                   "test does; assert on the result")

    def _exempt(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            expr = decorator.decorator
            call = expr if isinstance(expr, cst.Call) else None
            target = resolve_dotted(dotted_cst(call.func if call else expr) or "", self.imports)
            if target in _CHECKING_MARKS:
                return True
            if target == "pytest.mark.filterwarnings" and call is not None and any(
                    isinstance(a.value, cst.SimpleString) and "error" in a.value.value for a in call.args):
                return True
        params = node.params
        names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
        return bool(names & _MEASURING_FIXTURES)

    @staticmethod
    def _smoke(node: cst.FunctionDef) -> str | None:
        """What a "doesn't crash" test runs ("parse() does not raise"), when its body
        only calls, imports and defines things; None when it does more."""
        calls: list[str] = []
        imports: list[str] = []
        for stmt in body_statements(node):
            if isinstance(stmt, cst.Import):
                imports.extend(cst.Module([]).code_for_node(a.name) for a in stmt.names)
                continue
            if isinstance(stmt, cst.ImportFrom):
                imports.append(cst.Module([]).code_for_node(stmt.module) if stmt.module else ".")
                continue
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                continue
            value = stmt.value if isinstance(stmt, (cst.Expr, cst.Assign, cst.AnnAssign)) else None
            if isinstance(value, cst.Await):
                value = value.expression
            if not isinstance(value, cst.Call):
                return None
            calls.append(dotted_cst(value.func) or cst.Module([]).code_for_node(value.func))
        calls = list(dict.fromkeys(calls))
        if calls:
            listed = ", ".join(f"{c}()" for c in calls[:3]) + ("..." if len(calls) > 3 else "")
            return f"{listed} {'does' if len(calls) == 1 else 'do'} not raise"
        if imports:
            return f"importing {', '.join(dict.fromkeys(imports))} works"
        return None
