"""Rewrite `self.assertRaises*` / `self.assertWarns*` as `pytest.raises` / `pytest.warns` (TM102, TM103).

Context-manager form: the `with` item's call is replaced, and every
`cm.exception` of a bound name becomes `cm.value`. Callable form
(`self.assertRaises(E, func, *args, **kwargs)`) becomes a `with` block calling
`func(*args, **kwargs)` (a lambda without parameters contributes its body).
Comments stay next to what they followed: those after the callable or its
arguments in the call of the block, the others in `pytest.raises(...)`, where
an argument followed by a comment gets a line of its own.
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
    # the pattern goes to `check=lambda e: re.search(P, str(e))` instead of
    # `match=P`: unittest searches str(exception) alone, pytest's match also
    # the exception's notes, where an end anchor stops matching
    check: bool = False


def _call_text(module: cst.Module, call: cst.Call, exp: Expectation, more_comments: Sequence[str] = ()) -> str:
    """`pytest.<helper>(E[, match=P])` from `call`'s arguments. With comments,
    one argument per line and a trailing comma (so black keeps the layout),
    each comment after its argument, the others on lines of their own first."""
    args = {"expected": exp.expected} | ({"regex": exp.regex} if exp.regex else {})
    ops = Operands(module, call, args)
    nl = module.default_newline
    parts = [("", "expected")] + ([("check=" if exp.check else "match=", "regex")] if exp.regex else [])

    def value_of(name: str, value: str) -> str:
        return f"lambda e: re.search({value}, str(e))" if name == "regex" and exp.check else value

    comments = [*ops.outer_comments(), *more_comments]
    trailing = {name: [c.value for part in (arg.whitespace_after_arg, arg.comma) for c in _comment_nodes(part)]
                for name, arg in args.items()}
    if not comments and not any(trailing.values()):
        inner = ", ".join(prefix + value_of(name, ops.bare(name)) for prefix, name in parts)
        if "\n" in inner or "\r" in inner:
            inner = nl + inner + nl
        return f"pytest.{exp.helper}({inner})"
    lines = list(comments)
    for prefix, name in parts:
        value = module.code_for_node(ops.node(name))
        if isinstance(ops.node(name), (cst.NamedExpr, cst.Yield, cst.GeneratorExp)) and not ops.node(name).lpar:
            value = f"({value})"
        after = trailing[name]
        lines.append(f"{prefix}{value_of(name, value)}," + (f"  {after[0]}" if after else ""))
        lines.extend(after[1:])  # comments on lines of their own below the argument
    return f"pytest.{exp.helper}({nl}{nl.join(lines)}{nl})"


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
        where = _positions(call, exp)
        edits[call] = lambda updated, exp=exp, where=where: cst.parse_expression(
            _call_text(module, updated, _rebind(updated, exp, where)), config=module.config_for_parsing)
    for attr in attributes:
        edits[attr] = _rename_exception
    check = any(exp.check for _, exp in items)
    return Fix(description=description, safety=safety, edits=edits,  # type: ignore[arg-type]
               imports=("pytest", "re") if check else ("pytest",), reformat=multiline or check)


def _positions(call: cst.Call, exp: Expectation) -> tuple[int, int | None]:
    """Where the expectation's arguments are among the call's."""
    args = list(call.args)
    index = next(i for i, a in enumerate(args) if a is exp.expected)
    regex = None if exp.regex is None else next(i for i, a in enumerate(args) if a is exp.regex)
    return index, regex


def _rebind(updated: cst.Call, exp: Expectation, where: tuple[int, int | None]) -> Expectation:
    """The same expectation, read from the call after nested edits (which
    change what is inside the arguments, never how many there are)."""
    expected, regex = where
    return Expectation(exp.helper, updated.args[expected], None if regex is None else updated.args[regex], exp.check)


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
        current = Expectation(exp.helper, call.args[0], call.args[1] if exp.regex else None, exp.check)
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
    return Fix(description=description, safety=safety, edits={line: build},
               imports=("pytest", "re") if exp.check else ("pytest",), reformat=multiline or exp.check)


def _parses(module: cst.Module, statement: str) -> bool:
    try:
        cst.parse_statement(statement + module.default_newline, config=module.config_for_parsing)
    except cst.ParserSyntaxError:
        return False
    return True


def _comment_nodes(node: object) -> list[cst.Comment]:
    found: list[cst.Comment] = []
    if not isinstance(node, cst.CSTNode):
        return found  # MaybeSentinel

    class Collect(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            found.append(comment)

    node.visit(Collect())
    return found


def _has_params(func: cst.Lambda) -> bool:
    p = func.params
    return bool(p.params or p.posonly_params or p.kwonly_params
                or isinstance(p.star_arg, cst.Param) or isinstance(p.star_kwarg, cst.Param))
