"""Turn a unittest.TestCase class into a plain pytest class (TM201).

Builders used by the detector once it has proven a class family convertible:
the class edit (bases, decorators, setUp/tearDown -> one autouse fixture with
yield, setUpClass/tearDownClass -> pytest's setup_class/teardown_class),
skip decorators -> marks, `self.subTest` -> the `subtests` fixture,
`self.skipTest` -> `pytest.skip`, `self.addCleanup`/`enterContext`/`doCleanups`
-> an ExitStack the fixture owns, `self.id()`/`_testMethodName` -> `request.node`,
and `with self.assertLogs()` (root logger) -> `caplog`.
"""
from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m

from testmend.unittest_api import Bound, bind
from testmend.unittest_classes import SKIP_PARAMS

FIXTURE_NAME = "setup_teardown"
CLEANUPS = "cleanups"  # the instance attribute holding the ExitStack: self.cleanups
# unittest's cleanup API -> the ExitStack method with the same signature and order
CLEANUP_METHODS = {"addCleanup": "callback", "enterContext": "enter_context", "doCleanups": "close"}
# the format of assertLogs' cm.output (unittest.case._AssertLogsContext.LOGGING_FORMAT)
LOGGING_FORMAT = "%(levelname)s:%(name)s:%(message)s"
_HOOK_NAMES = {"setUp", "tearDown", "setUpClass", "tearDownClass"}


def is_super_call(stmt: cst.BaseStatement, method: str) -> bool:
    """`super().<method>()` / `super(C, self).<method>()` / `unittest.TestCase.<method>(self)` alone on a line."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr)):
        return False
    call = stmt.body[0].value
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == method):
        return False
    owner = call.func.value
    if m.matches(owner, m.Call(func=m.Name("super"))):
        return not call.args
    return m.matches(owner, m.Attribute(attr=m.Name("TestCase"))) or m.matches(owner, m.Name("TestCase"))


def _body(func: cst.FunctionDef, method: str) -> list[cst.BaseStatement]:
    assert isinstance(func.body, cst.IndentedBlock)
    return [s for s in func.body.body if not is_super_call(s, method)]


def _yield_line() -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Expr(cst.Yield())])


def setup_fixture(setup: cst.FunctionDef | None, teardown: cst.FunctionDef | None,
                  module: cst.Module, cleanups: bool = False, params: Sequence[str] = ()) -> cst.FunctionDef:
    """One autouse fixture: setUp's body, `yield`, tearDown's body. As in
    unittest, the teardown part runs only when the setup part succeeded. With
    `cleanups`, the three parts run inside `with contextlib.ExitStack() as
    self.cleanups:`, so what they registered runs after tearDown, LIFO, even
    when setUp or tearDown failed. `params` are fixtures the bodies request."""
    base = setup or teardown
    assert base is not None
    before = _body(setup, "setUp") if setup else []
    after = _body(teardown, "tearDown") if teardown else []
    # Comments keep their place: those at the end of setUp's body go before the
    # yield, those at the end of tearDown's stay at the end, and those above
    # `def tearDown` move with its body (when setUp's def is the one kept).
    yield_line = _yield_line()
    footer: list[cst.EmptyLine] = []
    if setup is not None:
        assert isinstance(setup.body, cst.IndentedBlock)
        yield_line = yield_line.with_changes(leading_lines=setup.body.footer)
    if teardown is not None:
        assert isinstance(teardown.body, cst.IndentedBlock)
        footer = list(teardown.body.footer)
        if setup is not None and teardown.leading_lines:
            if after:
                first = after[0]
                after[0] = first.with_changes(leading_lines=[*teardown.leading_lines, *first.leading_lines])
            else:
                footer = [line for line in teardown.leading_lines if line.comment is not None] + footer
    decorator = cst.Decorator(cst.parse_expression("pytest.fixture(autouse=True)"))
    assert isinstance(base.body, cst.IndentedBlock)
    body: list[cst.BaseStatement] = [*before, yield_line, *after]
    if cleanups:
        body = [_exit_stack(base.params.params[0].name.value, body)]
    for name in params:
        base = add_parameter(base, name)
    return base.with_changes(
        name=cst.Name(FIXTURE_NAME),
        decorators=[decorator],
        body=base.body.with_changes(body=body, footer=footer),
    )


def _exit_stack(self_name: str, body: Sequence[cst.BaseStatement]) -> cst.With:
    """`with contextlib.ExitStack() as <self>.cleanups:` around `body`."""
    head = cst.ensure_type(cst.parse_statement(
        f"with contextlib.ExitStack() as {self_name}.{CLEANUPS}:\n    pass\n"), cst.With)
    return head.with_changes(body=cst.IndentedBlock(body=list(body)))


def cleanup_fixture(self_name: str = "self") -> cst.FunctionDef:
    """The autouse fixture of a class that registers cleanups but has neither
    setUp nor tearDown: it only owns the ExitStack."""
    func = cst.ensure_type(cst.parse_statement(
        f"@pytest.fixture(autouse=True)\ndef {FIXTURE_NAME}({self_name}):\n"
        f"    with contextlib.ExitStack() as {self_name}.{CLEANUPS}:\n        yield\n"), cst.FunctionDef)
    return func


def cleanup_call(call: cst.Call) -> cst.Call:
    """self.addCleanup(f, *a, **k) -> self.cleanups.callback(f, *a, **k); enterContext(cm) ->
    enter_context(cm); doCleanups() -> close() (same arguments, same receiver)."""
    func = call.func
    assert isinstance(func, cst.Attribute)
    stack = cst.Attribute(func.value, cst.Name(CLEANUPS))
    return call.with_changes(func=func.with_changes(value=stack, attr=cst.Name(CLEANUP_METHODS[func.attr.value])))


def test_id(call: cst.Call) -> cst.BaseExpression:
    """self.id() -> the same "module.Class.method" string, from the instance's class and request.node."""
    func = call.func
    assert isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
    me = func.value.value
    return cst.parse_expression(
        f'f"{{type({me}).__module__}}.{{type({me}).__qualname__}}.{{request.node.originalname}}"')


def test_method_name(attr: cst.Attribute) -> cst.BaseExpression:
    """self._testMethodName -> request.node.originalname (the method's name, without parameter ids)."""
    return cst.parse_expression("request.node.originalname").with_changes(lpar=attr.lpar, rpar=attr.rpar)


def assert_logs_with(with_node: cst.With, kind: str, level: str | None, names: dict[str, str]) -> cst.FlattenSentinel:
    """`with self.assertLogs(level=L) as cm:` (root logger) -> caplog.clear(), `with
    caplog.at_level(L):`, the check assertLogs/assertNoLogs makes on exit, and the
    snapshots of cm.output/cm.records the rest of the test reads (`names`: attribute ->
    new variable)."""
    level_text = level or "logging.INFO"
    lead = cst.parse_statement("caplog.clear()\n").with_changes(leading_lines=with_node.leading_lines)
    item = with_node.items[0].with_changes(
        item=cst.parse_expression(f"caplog.at_level({level_text})"), asname=None)
    new_with = with_node.with_changes(items=[item], leading_lines=[])
    if kind == "assertLogs":
        check = "assert caplog.records, \"no logs triggered on the root logger\"\n"
    else:
        check = "assert not caplog.records, \"unexpected logs on the root logger\"\n"
    after: list[cst.BaseStatement] = [cst.parse_statement(check)]
    if "records" in names:
        after.append(cst.parse_statement(f"{names['records']} = caplog.records[:]\n"))
    if "output" in names:
        after.append(cst.parse_statement(
            f'{names["output"]} = [logging.Formatter("{LOGGING_FORMAT}").format(r) for r in caplog.records]\n'))
    return cst.FlattenSentinel([lead, new_with, *after])
def rename_class_hook(func: cst.FunctionDef, new: str, old: str, chain: bool = False) -> cst.FunctionDef:
    """setUpClass -> setup_class (pytest's xunit-style class setup, still a classmethod).
    A `super().setUpClass()` that reaches TestCase (a no-op) goes; one that reaches
    a project base (`chain`) follows the rename."""
    assert isinstance(func.body, cst.IndentedBlock)
    if chain:
        body = [_rename_super(s, old, new) if is_super_call(s, old) else s for s in func.body.body]
    else:
        body = _body(func, old) or [cst.SimpleStatementLine([cst.Pass()])]
    return func.with_changes(name=cst.Name(new), body=func.body.with_changes(body=body))


def _rename_super(stmt: cst.BaseStatement, old: str, new: str) -> cst.BaseStatement:
    assert isinstance(stmt, cst.SimpleStatementLine)
    expr = stmt.body[0]
    assert isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)
    func = expr.value.func
    assert isinstance(func, cst.Attribute)
    call = expr.value.with_changes(func=func.with_changes(attr=cst.Name(new)))
    return stmt.with_changes(body=[expr.with_changes(value=call)])


def skip_mark(decorator: cst.Decorator, kind: str, module: cst.Module) -> cst.Decorator:
    """@unittest.skip/skipIf/skipUnless/expectedFailure -> the pytest mark with the same meaning.
    The call is edited in place (name, `reason=` keyword, `not (...)` for skipUnless), so
    its layout and comments stay."""
    expr = decorator.decorator
    if kind == "expectedFailure":
        text = "pytest.mark.xfail(strict=True)"
        return decorator.with_changes(decorator=cst.parse_expression(text, config=module.config_for_parsing))
    mark = cst.parse_expression(f"pytest.mark.{'skip' if kind == 'skip' else 'skipif'}")
    if not isinstance(expr, cst.Call):  # bare @unittest.skip
        return decorator.with_changes(decorator=mark)
    bound = bind(expr, SKIP_PARAMS[kind])
    assert isinstance(bound, Bound)
    args = []
    for arg in expr.args:
        if arg is bound.args.get("reason") and arg.keyword is None:
            arg = arg.with_changes(keyword=cst.Name("reason"), equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
        elif arg is bound.args.get("condition") and kind == "skipUnless":
            cond = arg.value
            if not isinstance(cond, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not cond.lpar:
                cond = cond.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            arg = arg.with_changes(value=cst.UnaryOperation(operator=cst.Not(), expression=cond))
        args.append(arg)
    return decorator.with_changes(decorator=expr.with_changes(func=mark, args=args))


def remove_bases(node: cst.ClassDef, drop: Sequence[cst.Arg]) -> cst.ClassDef:
    """The class without the given base-class arguments (parentheses go when none is left)."""
    keep = [b for b in node.bases if not any(b.deep_equals(d) for d in drop)]
    if not keep and not node.keywords:
        return node.with_changes(bases=[], lpar=cst.MaybeSentinel.DEFAULT, rpar=cst.MaybeSentinel.DEFAULT,
                                 whitespace_after_name=cst.SimpleWhitespace(""))
    if keep and not node.keywords:
        last = keep[-1]
        original_last = node.bases[-1]
        keep[-1] = last.with_changes(comma=original_last.comma if last is original_last else cst.MaybeSentinel.DEFAULT)
    return node.with_changes(bases=keep)


def add_parameter(func: cst.FunctionDef, name: str) -> cst.FunctionDef:
    """Append a parameter (a fixture request) after the existing positional ones."""
    params = list(func.params.params)
    if params and params[-1].comma is not cst.MaybeSentinel.DEFAULT:
        new = cst.Param(cst.Name(name), comma=params[-1].comma)
        params[-1] = params[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        params.append(new)
    else:
        if params:
            params[-1] = params[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        params.append(cst.Param(cst.Name(name)))
    return func.with_changes(params=func.params.with_changes(params=params))


def subtests_call(call: cst.Call) -> cst.Call:
    """self.subTest(msg, **params) -> subtests.test(msg, **params) (same arguments)."""
    return call.with_changes(func=cst.Attribute(cst.Name("subtests"), cst.Name("test")))


def skip_call(call: cst.Call) -> cst.Call:
    """self.skipTest(reason) -> pytest.skip(reason)."""
    return call.with_changes(func=cst.Attribute(cst.Name("pytest"), cst.Name("skip")))
