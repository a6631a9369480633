"""Shared detection for `self.assertRaises*` (TM102) and `self.assertWarns*` (TM103)."""
from __future__ import annotations

import functools
from dataclasses import replace
from typing import ClassVar, Sequence

import libcst as cst
import libcst.helpers

from testmend.codemods._render import is_simple
from testmend.codemods.unittest_raises import Expectation, convert_callable_form, convert_context_managers
from testmend.model import Safety
from testmend.unittest_api import UnittestCallRule, canonical

# Exception classes whose handlers catch AssertionError (unittest's failure)
# but, apart from BaseException, not pytest's Failed (which derives from
# BaseException): an assertion rewritten inside such a guard changes what the
# guard sees.
_CATCH_ASSERTION = frozenset({"AssertionError", "Exception", "BaseException", "failureException"})
# Context managers that swallow exceptions of the classes given as arguments.
_CATCHING_CMS = frozenset({"assertRaises", "assertRaisesRegex", "assertRaisesRegexp", "failUnlessRaises",
                           "raises", "suppress"})
# Classes whose str() pytest does not match the way unittest does: for an
# exception group pytest searches only the message, unittest the whole str()
# (which ends in " (2 sub-exceptions)").
_GROUPS = frozenset({"ExceptionGroup", "BaseExceptionGroup"})


def _may_be_assertion_class(node: cst.BaseExpression) -> bool:
    """The expression (an exception class or tuple of them) may cover AssertionError."""
    if isinstance(node, cst.Tuple):
        return any(isinstance(e, cst.Element) and _may_be_assertion_class(e.value) for e in node.elements)
    if isinstance(node, cst.Attribute):
        return node.attr.value in _CATCH_ASSERTION
    if isinstance(node, cst.Name):
        return node.value in _CATCH_ASSERTION
    return True  # a call, a subscript...: unknown


def _handlers_catch_assertion(handlers: Sequence[cst.BaseExceptHandler]) -> int:
    for handler in handlers:
        if handler.type is None or _may_be_assertion_class(handler.type):
            return 1
    return 0


def _with_catches_assertion(node: cst.With) -> int:
    for item in node.items:
        call = item.item
        if not isinstance(call, cst.Call):
            continue
        func = call.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if name not in _CATCHING_CMS:
            continue
        if name == "suppress":  # suppress(*exceptions)
            classes = [a for a in call.args if a.keyword is None]
        else:  # the first positional argument, or expected_exception=
            positional = [a for a in call.args if a.keyword is None][:1]
            classes = positional + [a for a in call.args if a.keyword and a.keyword.value == "expected_exception"]
        if any(a.star or _may_be_assertion_class(a.value) for a in classes):
            return 1
    return 0


def _mentions(node: cst.CSTNode, names: frozenset[str]) -> bool:
    found = False

    class Visit(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            nonlocal found
            found |= name.value in names

    node.visit(Visit())
    return found


def _may_anchor_at_end(pattern: cst.BaseExpression) -> bool:
    """The pattern (a literal, or re.compile of one) contains `$` or `\\Z`:
    pytest searches str(exception) plus its PEP 678 notes, one per line, and an
    end anchor that matched the message alone stops matching when notes follow."""
    if isinstance(pattern, cst.Call) and pattern.args and cst.helpers.get_full_name_for_node(pattern.func) \
            in ("re.compile", "compile"):
        return _may_anchor_at_end(pattern.args[0].value)
    if isinstance(pattern, (cst.SimpleString, cst.ConcatenatedString)):
        value = pattern.evaluated_value
        if isinstance(value, str):
            return "$" in value or "\\Z" in value
    if isinstance(pattern, (cst.FormattedString, cst.ConcatenatedString)):
        text = cst.Module([]).code_for_node(pattern)
        return "$" in text or "\\Z" in text
    return False  # a name: not known here


def _mentions_fstring(node: cst.CSTNode) -> bool:
    found = False

    class Visit(cst.CSTVisitor):
        def visit_FormattedString(self, string: cst.FormattedString) -> None:
            nonlocal found
            found = True

    node.visit(Visit())
    return found


def _may_bind_re(text: str) -> bool:
    """Whether the word `re` occurs other than as `import re` or `re.<name>`
    (then the tree is searched for what binds it)."""
    import re

    for m in re.finditer(r"(?<![\w.])re\b", text):
        if text[m.end():m.end() + 1] == "." or text[max(0, m.start() - 7):m.start()] == "import ":
            continue
        return True
    return False


@functools.lru_cache(maxsize=None)
def _pytest_has_check() -> bool:
    """pytest.raises(check=...) exists from pytest 8.4 on."""
    import importlib.metadata

    try:
        major, minor = (int(p) for p in importlib.metadata.version("pytest").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (8, 4)


def _mentions_comment(node: cst.CSTNode) -> bool:
    found = False

    class Visit(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            nonlocal found
            found = True

    node.visit(Visit())
    return found


class _NameUses(cst.CSTVisitor):
    """How a name is used inside one function (including nested scopes)."""

    _SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.attributes: list[cst.Attribute] = []  # <name>.<attr> read as a value
        self.as_items: list[cst.WithItem] = []
        self.count = 0  # every mention of the name as a variable
        self.nested = False  # mentioned inside a nested function, lambda or class
        self.assigned: list[cst.Attribute] = []  # <name>.<attr> assigned or deleted
        self.rebound = False  # the name is assigned by something other than a `with`
        self.traceback: str | None = None  # `cm.exception.__traceback__`, as written
        self._with_names: set[int] = set()
        self.guarded = False  # one of the `with` items runs where AssertionError is caught
        self._depth = 0
        self._catching = 0
        self._not_variables: set[int] = set()  # Name nodes that are attribute or keyword names

    def visit_Try_body(self, node: cst.Try) -> None:
        self._catching += _handlers_catch_assertion(node.handlers)

    def leave_Try_body(self, node: cst.Try) -> None:
        self._catching -= _handlers_catch_assertion(node.handlers)

    def visit_TryStar_body(self, node: cst.TryStar) -> None:
        self._catching += _handlers_catch_assertion(node.handlers)

    def leave_TryStar_body(self, node: cst.TryStar) -> None:
        self._catching -= _handlers_catch_assertion(node.handlers)

    def visit_With_body(self, node: cst.With) -> None:
        self._catching += _with_catches_assertion(node)

    def leave_With_body(self, node: cst.With) -> None:
        self._catching -= _with_catches_assertion(node)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, self._SCOPES):
            self._depth += 1  # the function itself is depth 1
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        super().on_leave(original_node)
        if isinstance(original_node, self._SCOPES):
            self._depth -= 1

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._not_variables.add(id(node.attr))
        if isinstance(node.value, cst.Name) and node.value.value == self.name:
            self.attributes.append(node)
        inner = node.value
        if node.attr.value == "__traceback__" and isinstance(inner, cst.Attribute) \
                and isinstance(inner.value, cst.Name) and inner.value.value == self.name:
            self.traceback = f"{self.name}.{inner.attr.value}.__traceback__"

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._not_variables.add(id(node.keyword))

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._targets(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._targets(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._targets(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._targets(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._targets(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        if id(node) not in self._with_names:  # `with` targets are as_items
            self._targets(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._targets(node.target)

    def _targets(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._targets(element.value)
        elif isinstance(target, cst.StarredElement):
            self._targets(target.value)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
                and target.value.value == self.name:
            self.assigned.append(target)
        elif isinstance(target, cst.Name) and target.value == self.name:
            self.rebound = True

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname:
            self._with_names.add(id(node.asname))
        if node.asname and isinstance(node.asname.name, cst.Name) and node.asname.name.value == self.name \
                and self._depth == 1:  # a nested function's own `cm` is its own group
            self.as_items.append(node)
            self.guarded |= self._catching > 0

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name and id(node) not in self._not_variables:
            self.count += 1
            if self._depth > 1:
                self.nested = True


class ExpectationRule(UnittestCallRule):
    """Base: subclasses set the unittest methods, the pytest helper and what a
    bound `as` name may be used for."""

    methods: ClassVar[frozenset[str]]  # canonical names: assertRaises, assertRaisesRegex
    helper: ClassVar[str]  # raises | warns
    allowed_attributes: ClassVar[frozenset[str]]  # cm.<attr> uses we can rename
    expected_param: ClassVar[str]  # unittest's name of the first parameter: expected_exception | expected_warning
    safety: ClassVar[Safety]

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._handled: set[cst.Call] = set()
        self._groups_done: set[tuple[int, str]] = set()
        self._catching = 0  # inside a try/with that catches AssertionError
        self._catching_at: dict[int, int] = {}  # function id -> _catching where it starts

    # ------------------------------------------------------------ guards
    # unittest's assertions fail with AssertionError, pytest's with Failed,
    # which derives from BaseException: code that catches the failure of an
    # assertion (a test of a test helper) sees something else after the rewrite.
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self._catching_at[id(node)] = self._catching

    def visit_Try_body(self, node: cst.Try) -> None:
        self._catching += _handlers_catch_assertion(node.handlers)

    def leave_Try_body(self, node: cst.Try) -> None:
        self._catching -= _handlers_catch_assertion(node.handlers)

    def visit_TryStar_body(self, node: cst.TryStar) -> None:
        self._catching += _handlers_catch_assertion(node.handlers)

    def leave_TryStar_body(self, node: cst.TryStar) -> None:
        self._catching -= _handlers_catch_assertion(node.handlers)

    def visit_With_body(self, node: cst.With) -> None:
        self._catching += _with_catches_assertion(node)

    def leave_With_body(self, node: cst.With) -> None:
        self._catching -= _with_catches_assertion(node)

    _GUARD_REASON = ("it runs where AssertionError is caught (a try/except or a with-block expecting "
                     "AssertionError or Exception), and pytest.{helper}() fails with an exception "
                     "those do not catch")

    # ------------------------------------------------------------ helpers
    def _method(self, call: cst.BaseExpression) -> tuple[str, str] | None:
        if not isinstance(call, cst.Call):
            return None
        found = self.self_method(call)
        if found is None or canonical(found[0]) not in self.methods:
            return None
        return found[0], found[1]

    def _enclosing_function(self) -> cst.FunctionDef | None:
        for frame in reversed(self._frames):
            if frame[0] == "func" and isinstance(frame[1], cst.FunctionDef):
                return frame[1]
        return None

    def _safety(self, exps: Sequence[Expectation]) -> tuple[Safety, str]:
        """The fix's safety, and a note for its description when it is lower than the rule's."""
        if self.helper == "raises" and any(e.regex is not None and not e.check and _may_anchor_at_end(e.regex.value)
                                           for e in exps):
            return Safety.UNSAFE, (" (the pattern is anchored at the end, and pytest also "
                                   "matches the exception's notes, on the lines after its message)")
        return self.safety, ""

    def _anchored(self, exp: Expectation) -> Expectation:
        """`exp` with the pattern checked by `check=` when `match=` would not be
        exact: a literal pattern anchored at the end (see _may_anchor_at_end).
        Needs pytest >= 8.4 (`check=`) and a module where `re` is free for
        `import re`; otherwise the `match=` rewrite stays, as an unsafe fix."""
        if self.helper != "raises" or exp.regex is None or not _may_anchor_at_end(exp.regex.value):
            return exp
        pattern = exp.regex.value
        if isinstance(pattern, cst.Call):
            pattern = pattern.args[0].value
        if not isinstance(pattern, (cst.SimpleString, cst.ConcatenatedString)) or _mentions_fstring(pattern) \
                or not _pytest_has_check() or "re" in self._module_bound_names():
            return exp
        return replace(exp, check=True)

    def _module_bound_names(self) -> set[str]:
        if getattr(self, "_bound", None) is None and self.context.text and not _may_bind_re(self.context.text):
            self._bound: set[str] | None = set()  # the common case, without a pass over the tree
        if getattr(self, "_bound", None) is None:
            from testmend.detectors.unittest_assertion import _BoundNames

            collector = _BoundNames()
            self.context.module.visit(collector)
            self._bound = collector.names
        return self._bound  # type: ignore[return-value]

    def _report_all(self, calls: list[tuple[cst.Call, str]], reason: str) -> None:
        for call, method in calls:
            self.report(call, f"self.{method}() left as is: {reason}")

    def _expectation(self, call: cst.Call, method: str, callable_form: bool) -> Expectation | str:
        regex = canonical(method).endswith("Regex")
        needed = 2 if regex else 1
        args = list(call.args)
        if any(a.star for a in args[:needed + (1 if callable_form else 0)]):
            return "arguments are passed with * or **"
        positional = [a for a in args if a.keyword is None]
        names = [self.expected_param] + (["expected_regex"] if regex else [])
        if callable_form:
            if len(positional) < needed + 1 or args[:needed + 1] != positional[:needed + 1]:
                return "the expected exception, pattern and callable must be the first positional arguments"
            clash = [a.keyword.value for a in args if a.keyword is not None and a.keyword.value in names]
            if clash:  # unittest's own parameter given twice: a TypeError before anything runs
                return f"{clash[0]}= is given twice"
            return self._checked(Expectation(self.helper, args[0], args[1] if regex else None))
        keywords: dict[str, cst.Arg] = {}
        for a in args:
            if a.keyword is not None:
                if a.keyword.value in keywords:
                    return f"keyword {a.keyword.value!r} is given twice"
                keywords[a.keyword.value] = a
        if "msg" in keywords:
            return f"msg= has no equivalent in pytest.{self.helper}()"
        unknown = set(keywords) - set(names)
        if unknown:
            return f"unexpected keyword {min(unknown)!r}"
        bound = dict(zip(names, positional))
        if len(positional) > needed or set(bound) & set(keywords):
            return "the call does not match unittest's signature"
        bound.update(keywords)
        if set(bound) != set(names):
            return "the call does not match unittest's signature"
        in_order = [a for a in args if a in bound.values()] == [bound[n] for n in names]
        if not in_order and not all(is_simple(a.value) for a in bound.values()):
            return "keyword arguments are out of order and would be evaluated in a different order"
        return self._checked(Expectation(self.helper, bound[self.expected_param], bound.get("expected_regex")))

    def _checked(self, exp: Expectation) -> Expectation | str:
        if exp.regex is None:
            return exp
        if _mentions(exp.expected.value, _GROUPS):
            return ("pytest matches only an exception group's message, unittest its whole str() "
                    "(with the sub-exception count)")
        pattern = exp.regex.value
        if isinstance(pattern, cst.SimpleString) and pattern.evaluated_value == "" \
                and "b" not in pattern.prefix.lower() and not _mentions_comment(exp.regex):
            # an empty pattern matches any message; pytest warns about match=""
            return Expectation(exp.helper, exp.expected, None)
        return exp

    # ------------------------------------------------------------ callable form
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        calls = self._statement_calls(node.body)
        if not calls:
            return
        if len(node.body) != 1:
            for call, method in calls:
                self._leave_statement(call, method, "it shares its line with other statements")
            return
        call, method = calls[0]
        if self._leave_statement(call, method, None):
            return
        if self._catching:
            self.report(call, f"self.{method}() left as is: " + self._GUARD_REASON.format(helper=self.helper))
            return
        needed = 2 if canonical(method).endswith("Regex") else 1
        exp = self._expectation(call, method, callable_form=True)
        if isinstance(exp, str):
            self.report(call, f"self.{method}() left as is: {exp}")
            return
        exp = self._anchored(exp)
        safety, note = self._safety([exp])
        fix = convert_callable_form(self.context.module, node, exp, needed, safety,
                                    f"replace self.{method}(..., callable) with `with pytest.{self.helper}(...)`{note}")
        self.report(call, f"self.{method}() can be `with pytest.{self.helper}(...)`", fix)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        for call, method in self._statement_calls(node.body):
            self._leave_statement(call, method, "it is on the same line as the `if`/`for`/... it belongs to")

    def _statement_calls(self, body: Sequence[cst.BaseSmallStatement]) -> list[tuple[cst.Call, str]]:
        """The `self.assert...(...)` calls that are whole expression statements."""
        out = []
        for small in body:
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                found = self._method(small.value)
                if found is not None:
                    self._handled.add(small.value)
                    out.append((small.value, found[0]))
        return out

    def _leave_statement(self, call: cst.Call, method: str, reason: str | None) -> bool:
        """Report `call` as left alone when it must be (with `reason` if nothing
        more basic applies); False when it may still be converted."""
        cls = self._method(call)[1]  # type: ignore[index]
        blocker = self.blocker(cls, method)
        if blocker is not None:
            self.report(call, f"self.{method}() left as is: {blocker}")
            return True
        if self._checks_nothing(call, method):
            self.report(call, f"self.{method}() left as is: without a callable and outside a `with` "
                              "it checks nothing (the context manager is never entered)")
            return True
        if reason is not None:
            self.report(call, f"self.{method}() left as is: {reason}")
            return True
        return False

    def _checks_nothing(self, call: cst.Call, method: str) -> bool:
        """A call with no callable: it returns a context manager that is never entered."""
        needed = 2 if canonical(method).endswith("Regex") else 1
        if any(a.star for a in call.args):
            return False
        positional = [a for a in call.args if a.keyword is None]
        keywords = {a.keyword.value for a in call.args if a.keyword is not None}
        return len(positional) <= needed and keywords <= {self.expected_param, "expected_regex", "msg"}

    # ------------------------------------------------------------ context-manager form
    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            found = self._method(item.item)
            if found is None:
                continue
            call = item.item
            assert isinstance(call, cst.Call)
            self._handled.add(call)
            method, cls = found
            blocker = self.blocker(cls, method)
            if blocker is not None:
                self.report(call, f"self.{method}() left as is: {blocker}")
                continue
            if item.asname is None:
                self._context_fix([(item, method)], [], guarded=self._catching > 0)
                continue
            target = item.asname.name
            if not isinstance(target, cst.Name):
                self.report(call, f"self.{method}() left as is: `as` binds something other than a plain name")
                continue
            function = self._enclosing_function()
            key = (id(function), target.value)
            if key in self._groups_done:
                continue
            self._groups_done.add(key)
            self._bound_group(call, method, target.value, function)

    def _bound_group(self, call: cst.Call, method: str, name: str, function: cst.FunctionDef | None) -> None:
        if function is None:
            self.report(call, f"self.{method}() left as is: not inside a function")
            return
        uses = _NameUses(name)
        function.visit(uses)
        items: list[tuple[cst.WithItem, str]] = []
        ours: list[tuple[cst.Call, str]] = []  # every assertion call of the group, to report on
        other = False
        for item in uses.as_items:
            found = self._method(item.item)
            if found is None or self.blocker(found[1], found[0]) is not None:
                other = True
                continue
            assert isinstance(item.item, cst.Call)
            items.append((item, found[0]))
            ours.append((item.item, found[0]))
            self._handled.add(item.item)
        if other:
            self._report_all(ours, f"`{name}` is also bound by another `with` in this function "
                                   "that cannot be converted")
            return
        if uses.nested:
            self._report_all(ours, f"`{name}` is also used in a nested function, lambda or class")
            return
        if uses.rebound:
            self._report_all(ours, f"`{name}` is also assigned by something other than a `with` in this function")
            return
        if uses.traceback:
            self._report_all(ours, f"`{uses.traceback}` is used: unittest stores the exception without "
                                   "its traceback, pytest with it")
            return
        if uses.assigned:
            self._report_all(ours, f"`{name}.{uses.assigned[0].attr.value}` is assigned to")
            return
        bad = [a for a in uses.attributes if a.attr.value not in self.allowed_attributes]
        plain = uses.count - len(uses.attributes) - len(uses.as_items)
        if bad or plain:
            what = f"`{name}.{bad[0].attr.value}`" if bad else f"`{name}` itself"
            self._report_all(ours, f"{what} is used, which pytest.{self.helper}() does not provide the same way")
            return
        guarded = uses.guarded or self._catching_at.get(id(function), 0) > 0
        self._context_fix(items, uses.attributes, guarded)

    def _context_fix(self, items: list[tuple[cst.WithItem, str]], attributes: list[cst.Attribute],
                     guarded: bool) -> None:
        calls = [(item.item, method) for item, method in items]
        if not calls:
            return
        if guarded:
            self._report_all(calls, self._GUARD_REASON.format(helper=self.helper))  # type: ignore[arg-type]
            return
        planned: list[tuple[cst.Call, Expectation]] = []
        for call, method in calls:
            assert isinstance(call, cst.Call)
            exp = self._expectation(call, method, callable_form=False)
            if isinstance(exp, str):
                if len(calls) > 1:
                    exp += " (the `with` blocks binding the same name are converted together or not at all)"
                self._report_all(calls, exp)  # type: ignore[arg-type]
                return
            planned.append((call, exp))
        planned = [(call, self._anchored(exp)) for call, exp in planned]
        first_call, first_method = planned[0][0], calls[0][1]
        renames = f" and {len(attributes)} `.exception` -> `.value`" if attributes else ""
        safety, note = self._safety([exp for _, exp in planned])
        fix = convert_context_managers(self.context.module, planned, attributes, safety,
                                       f"replace self.{first_method}(...) with pytest.{self.helper}(...){renames}{note}")
        extra = f" ({len(planned)} blocks share the name)" if len(planned) > 1 else ""
        self.report(first_call, f"self.{first_method}() can be pytest.{self.helper}(){extra}", fix)
        for call, _ in planned[1:]:
            self.attach(call, fix)  # the other calls of the group are fixed by the same fix

    # ------------------------------------------------------------ anything else
    def visit_Call(self, node: cst.Call) -> None:
        if node in self._handled:
            return
        found = self._method(node)
        if found is not None and self.blocker(found[1], found[0]) is None:
            self.report(node, f"self.{found[0]}() left as is: its result is used as a value")

