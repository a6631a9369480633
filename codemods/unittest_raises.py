"""Rewrite `self.assertRaises*` / `self.assertWarns*` as `pytest.raises` / `pytest.warns` (TM102, TM103).

Context-manager form: the `with` item's call is replaced, and every
`cm.exception` of a bound name becomes `cm.value`. Callable form
(`self.assertRaises(E, func, *args, **kwargs)`) becomes a `with` block calling
`func(*args, **kwargs)` (a lambda without parameters contributes its body).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import libcst as cst

from testmend.model import Safety
from testmend.rule import Fix

from ._render import Operands, parse_compound, wrap_multiline


@dataclass(frozen=True)
class Expectation:
    """What a call expects: the pytest helper and the source of its arguments."""

    helper: str  # "raises" | "warns"
    expected: cst.Arg
    regex: cst.Arg | None


def _call_text(module: cst.Module, call: cst.Call, exp: Expectation, more_comments: Sequence[str] = ()) -> str:
    args = {"expected": exp.expected} | ({"regex": exp.regex} if exp.regex else {})
    ops = Operands(module, call, args)
    nl = module.default_newline
    inner = ops.bare("expected") + (f", match={ops.bare('regex')}" if exp.regex else "")
    comments = [*ops.outer_comments(), *more_comments]
    if comments or "\n" in inner or "\r" in inner:
        inner = nl.join([*comments, inner]) + nl
    return f"pytest.{exp.helper}({inner})"


def _rename_exception(updated: cst.Attribute) -> cst.Attribute:
    return updated.with_changes(attr=cst.Name("value"))


def convert_context_managers(module: cst.Module, items: list[tuple[cst.Call, Expectation]],
                             attributes: list[cst.Attribute], safety: Safety, description: str) -> Fix:
    """One fix for every `with self.assert...(...) [as cm]` sharing a bound name,
    plus the `cm.exception` -> `cm.value` renames that go with them."""
    edits: dict[cst.CSTNode, object] = {}
    multiline = False
    for call, exp in items:
        text = _call_text(module, call, exp)
        multiline |= "\n" in text
        edits[call] = lambda updated, exp=exp: cst.parse_expression(
            _call_text(module, updated, _rebind(updated, exp)), config=module.config_for_parsing)
    for attr in attributes:
        edits[attr] = _rename_exception
    return Fix(description=description, safety=safety, edits=edits, imports=("pytest",), reformat=multiline)  # type: ignore[arg-type]


def _rebind(updated: cst.Call, exp: Expectation) -> Expectation:
    """The same expectation, read from the call after nested edits."""
    args = list(updated.args)
    expected = next((a for a in args if a.keyword and a.keyword.value == "expected_exception"), args[0])
    regex = None
    if exp.regex is not None:
        regex = next((a for a in args if a.keyword and a.keyword.value == "expected_regex"), None) or args[1]
    return Expectation(exp.helper, expected, regex)


def convert_callable_form(module: cst.Module, line: cst.SimpleStatementLine, exp: Expectation,
                          rest: int, safety: Safety, description: str) -> Fix:
    """`self.assertRaises(E, func, *args)` on its own line -> `with pytest.raises(E): func(*args)`.
    `rest` is the index of the callable among the call's arguments. Comments
    after the callable and its arguments stay with the call in the block; the
    others go to the `with` line."""

    def build(updated: cst.SimpleStatementLine) -> cst.BaseCompoundStatement:
        expr = updated.body[0]
        assert isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)
        call = expr.value
        current = Expectation(exp.helper, call.args[0], call.args[1] if exp.regex else None)
        nl = module.default_newline
        target = call.args[rest]
        func = target.value
        extra = list(call.args[rest + 1:])
        body_node: cst.BaseExpression
        if isinstance(func, cst.Lambda) and not _has_params(func) and not extra:
            body_node = func.body
        else:
            if not isinstance(func, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not func.lpar:
                func = func.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            opening: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace("")
            if isinstance(target.comma, cst.Comma) and extra and _comment_nodes(target.comma):
                opening = target.comma.whitespace_after  # `func,  # comment` -> `func(  # comment`
            if extra and isinstance(extra[-1].comma, cst.Comma) and not _comment_nodes(extra[-1].comma):
                # the trailing comma closed the assertion's argument list, not the call's
                extra[-1] = extra[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            body_node = cst.Call(func=func, args=extra, whitespace_before_args=opening)
        body = module.code_for_node(body_node)
        if not _parses(module, body):
            body = wrap_multiline(body, [], nl)
        moved = {id(c) for c in _comment_nodes(body_node)}
        left = [c.value for arg in call.args[rest:] for c in _comment_nodes(arg) if id(c) not in moved]
        header = _call_text(module, call.with_changes(args=call.args[:rest]), current, left)
        stmt = parse_compound(module, f"with {header}:{nl}{module.default_indent}{body}{nl}")
        assert isinstance(stmt.body, cst.IndentedBlock)
        return stmt.with_changes(leading_lines=updated.leading_lines,
                                 body=stmt.body.with_changes(header=updated.trailing_whitespace))

    code = module.code_for_node(line.body[0])
    multiline = "\n" in code or "\r" in code
    return Fix(description=description, safety=safety, edits={line: build}, imports=("pytest",), reformat=multiline)


def _parses(module: cst.Module, statement: str) -> bool:
    try:
        cst.parse_statement(statement + module.default_newline, config=module.config_for_parsing)
    except cst.ParserSyntaxError:
        return False
    return True


def _comment_nodes(node: cst.CSTNode) -> list[cst.Comment]:
    found: list[cst.Comment] = []

    class Collect(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            found.append(comment)

    node.visit(Collect())
    return found


def _has_params(func: cst.Lambda) -> bool:
    p = func.params
    return bool(p.params or p.posonly_params or p.kwonly_params
                or isinstance(p.star_arg, cst.Param) or isinstance(p.star_kwarg, cst.Param))
