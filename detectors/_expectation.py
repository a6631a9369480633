"""Shared detection for `self.assertRaises*` (TM102) and `self.assertWarns*` (TM103)."""
from __future__ import annotations

from typing import ClassVar

import libcst as cst

from testmend.codemods.unittest_raises import Expectation, convert_callable_form, convert_context_managers
from testmend.model import Safety
from testmend.unittest_api import UnittestCallRule, canonical


class _NameUses(cst.CSTVisitor):
    """How a name is used inside one function (including nested scopes)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.attributes: list[cst.Attribute] = []
        self.as_items: list[cst.WithItem] = []
        self.count = 0

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name) and node.value.value == self.name:
            self.attributes.append(node)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname and isinstance(node.asname.name, cst.Name) and node.asname.name.value == self.name:
            self.as_items.append(node)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.count += 1


class ExpectationRule(UnittestCallRule):
    """Base: subclasses set the unittest methods, the pytest helper and what a
    bound `as` name may be used for."""

    methods: ClassVar[frozenset[str]]  # canonical names: assertRaises, assertRaisesRegex
    helper: ClassVar[str]  # raises | warns
    allowed_attributes: ClassVar[frozenset[str]]  # cm.<attr> uses we can rename
    safety: ClassVar[Safety]

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._handled: set[cst.Call] = set()
        self._groups_done: set[tuple[int, str]] = set()

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

    def _expectation(self, call: cst.Call, method: str, callable_form: bool) -> Expectation | str:
        regex = canonical(method).endswith("Regex")
        needed = 2 if regex else 1
        args = list(call.args)
        if any(a.star for a in args[:needed + (1 if callable_form else 0)]):
            return "arguments are passed with * or **"
        positional = [a for a in args if a.keyword is None]
        keywords = {a.keyword.value: a for a in args if a.keyword is not None}
        if callable_form:
            if len(positional) < needed + 1 or args[:needed + 1] != positional[:needed + 1]:
                return "the expected exception, pattern and callable must be the first positional arguments"
            return Expectation(self.helper, args[0], args[1] if regex else None)
        names = ["expected_exception"] + (["expected_regex"] if regex else [])
        if "msg" in keywords:
            return f"msg= has no equivalent in pytest.{self.helper}()"
        unknown = set(keywords) - set(names)
        if unknown:
            return f"unexpected keyword {sorted(unknown)[0]!r}"
        bound: dict[str, cst.Arg] = {}
        for name, arg in zip(names, positional):
            bound[name] = arg
        bound.update({k: v for k, v in keywords.items() if k in names})
        if len(positional) > needed or set(bound) != set(names):
            return "the call does not match unittest's signature"
        if not all(a is b for a, b in zip(args, [bound[n] for n in names])) and len(args) > 1:
            return "keyword arguments out of order"
        return Expectation(self.helper, bound["expected_exception"], bound.get("expected_regex"))

    # ------------------------------------------------------------ callable form
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if len(node.body) != 1 or not isinstance(node.body[0], cst.Expr):
            return
        call = node.body[0].value
        found = self._method(call)
        if found is None:
            return
        assert isinstance(call, cst.Call)
        method, cls = found
        self._handled.add(call)
        blocker = self.blocker(cls, method)
        if blocker is not None:
            self.report(call, f"self.{method}() left as is: {blocker}")
            return
        needed = 2 if canonical(method).endswith("Regex") else 1
        if len(call.args) <= needed:
            self.report(call, f"self.{method}() left as is: without a callable and outside a `with` "
                              "it checks nothing (the context manager is never entered)")
            return
        exp = self._expectation(call, method, callable_form=True)
        if isinstance(exp, str):
            self.report(call, f"self.{method}() left as is: {exp}")
            return
        fix = convert_callable_form(self.context.module, node, exp, needed, self.safety,
                                    f"replace self.{method}(..., callable) with `with pytest.{self.helper}(...)`")
        self.report(call, f"self.{method}() can be `with pytest.{self.helper}(...)`", fix)

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
                self._context_fix([(item, method)], [])
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
        for item in uses.as_items:
            found = self._method(item.item)
            if found is None or self.blocker(found[1], found[0]) is not None:
                self.report(call, f"self.{method}() left as is: `{name}` is also bound by another `with` "
                                  "in this function that cannot be converted")
                return
            items.append((item, found[0]))
        bad = [a for a in uses.attributes if a.attr.value not in self.allowed_attributes]
        plain = uses.count - len(uses.attributes) - len(uses.as_items)
        if bad or plain:
            what = f"`{name}.{bad[0].attr.value}`" if bad else f"`{name}` itself"
            self.report(call, f"self.{method}() left as is: {what} is used, which pytest.{self.helper}() "
                              "does not provide the same way")
            return
        self._context_fix(items, uses.attributes)

    def _context_fix(self, items: list[tuple[cst.WithItem, str]], attributes: list[cst.Attribute]) -> None:
        planned: list[tuple[cst.Call, Expectation]] = []
        for item, method in items:
            call = item.item
            assert isinstance(call, cst.Call)
            exp = self._expectation(call, method, callable_form=False)
            if isinstance(exp, str):
                self.report(call, f"self.{method}() left as is: {exp}")
                return
            planned.append((call, exp))
        first_call, first_method = planned[0][0], items[0][1]
        renames = f" and {len(attributes)} `.exception` -> `.value`" if attributes else ""
        fix = convert_context_managers(self.context.module, planned, attributes, self.safety,
                                       f"replace self.{first_method}(...) with pytest.{self.helper}(...){renames}")
        extra = f" ({len(planned)} blocks share the name)" if len(planned) > 1 else ""
        self.report(first_call, f"self.{first_method}() can be pytest.{self.helper}(){extra}", fix)

    # ------------------------------------------------------------ anything else
    def visit_Call(self, node: cst.Call) -> None:
        if node in self._handled:
            return
        found = self._method(node)
        if found is not None and self.blocker(found[1], found[0]) is None:
            self.report(node, f"self.{found[0]}() left as is: its result is used as a value")
