"""Turn a test's stack of `@patch` decorators into one `with` block (TM404).

unittest.mock starts a function's patches bottom-up and appends each injected
mock to the positional arguments in that order, so the decorator nearest the
`def` supplies the first mock parameter. The `with` statement lists the
patches bottom-up too (same start order, same stop order), each mock under
the name of the parameter it used to fill; those parameters are dropped.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from testmend.model import Safety
from testmend.rule import Fix

from . import _with_statement as layout


@dataclass(frozen=True)
class StackPlan:
    """How one test's decorator stack becomes a with statement (from the original nodes)."""

    head: str  # the with statement's header, from `_with_statement.header`
    removed: frozenset[int]  # positions of the patch decorators in `func.decorators`
    dropped: frozenset[str]  # the mock parameters
    safety: Safety
    note: str = ""
    room: int = 88  # columns left for the `def` line (line length minus its indentation)


def docstring_count(body: cst.IndentedBlock) -> int:
    first = body.body[0] if body.body else None
    if isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1 and isinstance(first.body[0], cst.Expr) \
            and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        return 1
    return 0


def without_params(params: cst.Parameters, dropped: frozenset[str]) -> cst.Parameters:
    kept = [p for p in params.params if p.name.value not in dropped]
    last = params.params[-1] if params.params else None
    if kept and last is not None and kept[-1] is not last:
        kept[-1] = kept[-1].with_changes(comma=last.comma, whitespace_after_param=last.whitespace_after_param)
    return params.with_changes(params=kept)


def tidy_signature(module: cst.Module, original: cst.FunctionDef, func: cst.FunctionDef,
                   room: int) -> cst.FunctionDef:
    """`func` with its parameters on the `def` line when they spread over
    several lines only because there were more of them: no comments, no
    trailing comma, and the line fits in `room` columns (black's rule)."""
    params = func.params
    if not params.params or params.star_arg != cst.MaybeSentinel.DEFAULT or params.kwonly_params \
            or params.star_kwarg or params.posonly_params or layout.comments(params):
        return func
    if original.params.params and isinstance(original.params.params[-1].comma, cst.Comma):
        return func  # a magic trailing comma: one parameter per line was asked for
    flat = [p.with_changes(comma=cst.MaybeSentinel.DEFAULT, whitespace_after_param=cst.SimpleWhitespace(""),
                           whitespace_after_star=cst.SimpleWhitespace("")) for p in params.params]
    new = func.with_changes(params=params.with_changes(params=flat), whitespace_before_params=cst.SimpleWhitespace(""))
    probe = new.with_changes(decorators=[], leading_lines=[], lines_after_decorators=[],
                             body=cst.SimpleStatementSuite([cst.Pass()]))
    text = module.code_for_node(probe).rstrip()
    if not text.endswith(": pass") or "\n" in text:
        return func
    return new if len(text) - len(" pass") <= room else func


def rewrite(module: cst.Module, func: cst.FunctionDef, plan: StackPlan) -> cst.FunctionDef:
    body = func.body
    assert isinstance(body, cst.IndentedBlock)
    keep = docstring_count(body)
    head, rest = list(body.body[:keep]), list(body.body[keep:])
    leading = rest[0].leading_lines
    rest[0] = rest[0].with_changes(leading_lines=())
    inner = cst.IndentedBlock(body=rest, footer=body.footer)
    statement = layout.build(module, plan.head, inner).with_changes(leading_lines=leading)
    new = func.with_changes(
        decorators=[d for i, d in enumerate(func.decorators) if i not in plan.removed],
        params=without_params(func.params, plan.dropped),
        body=body.with_changes(body=head + [statement], footer=()),
    )
    return tidy_signature(module, func, new, plan.room)


def stack_to_with(module: cst.Module, func: cst.FunctionDef, plan: StackPlan) -> Fix:
    count = len(plan.removed)
    note = f" ({plan.note})" if plan.note else ""
    return Fix(
        description=f"replace {count} patch decorators with one with block{note}",
        safety=plan.safety,
        edits={func: lambda updated: rewrite(module, updated, plan)},
    )
