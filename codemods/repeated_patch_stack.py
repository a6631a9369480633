"""Move a stack of patches repeated on several tests into one fixture (TM405).

The fixture starts the shared patches as context managers, in the order the
decorators started them (bottom-up), and yields the injected mocks by name in
a `types.SimpleNamespace`. Each test loses those decorators and mock
parameters, requests the fixture as its last parameter, and rebinds the names
its body uses (`mock_save = patches.mock_save`), so the rest of the body is
unchanged. Extra patches of a test stay as its decorators.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from testmend.model import Safety
from testmend.rule import Fix

from .patch_decorator_stack import docstring_count, tidy_signature, without_params


@dataclass(frozen=True)
class TestChange:
    """What one test of the group gives up and what it binds instead."""

    removed: frozenset[int]  # positions of the shared decorators in `func.decorators`
    dropped: frozenset[str]  # their mock parameters
    bindings: tuple[tuple[str, str], ...]  # (name in the test, attribute of the fixture's value)


@dataclass(frozen=True)
class FixturePlan:
    name: str
    method: bool  # defined in a class: takes `self`
    head: str | None  # the with statement's header; None: contextlib.ExitStack
    items: tuple[str, ...]  # the patch expressions, in start order (for the ExitStack form)
    names: tuple[str | None, ...]  # each patch's mock name in the fixture (None: injects nothing)
    top_level: bool
    room: int = 88  # columns left for the fixture's and the tests' lines (line length minus their indentation)


def fixture_source(plan: FixturePlan, newline: str, unit: str) -> str:
    mocks = [n for n in plan.names if n]
    value = "types.SimpleNamespace(" + ", ".join(f"{n}={n}" for n in mocks) + ")" if mocks else ""
    if len(unit * 2 + "yield " + value) > plan.room:
        inside = newline.join(f"{unit * 3}{n}={n}," for n in mocks)
        value = f"types.SimpleNamespace({newline}{inside}{newline}{unit * 2})"
    lines = ["@pytest.fixture", f"def {plan.name}({'self' if plan.method else ''}):"]
    if plan.head is not None:
        lines += [unit + line for line in plan.head.split(newline)]
        lines.append(unit * 2 + ("yield " + value if value else "yield"))
    else:
        lines.append(unit + "with contextlib.ExitStack() as stack:")
        for item, name in zip(plan.items, plan.names):
            call = f"stack.enter_context({item})"
            lines.append(unit * 2 + (f"{name} = {call}" if name else call))
        lines.append(unit * 2 + ("yield " + value if value else "yield"))
    return newline.join(lines) + newline


def _blank(count: int) -> list[cst.EmptyLine]:
    return [cst.EmptyLine(indent=False) for _ in range(count)]


def with_param(params: cst.Parameters, name: str, between: cst.Comma) -> cst.Parameters:
    """`params` with a plain parameter `name` after the positional ones, in the
    list's layout (`between`: the comma that separates two of its parameters)."""
    kept = list(params.params)
    new = cst.Param(cst.Name(name))
    if not kept:
        return params.with_changes(params=[new])
    last = kept[-1]
    comma = last.comma
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        # one parameter per line: the new one goes on a line of its own
        kept[-1] = last.with_changes(comma=between)
        kept.append(new.with_changes(comma=comma))
    elif isinstance(comma, cst.Comma):
        kept[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        kept.append(new.with_changes(comma=comma))
    else:
        kept.append(new)
    return params.with_changes(params=kept)


def rewrite_test(module: cst.Module, func: cst.FunctionDef, change: TestChange, fixture: str,
                 room: int) -> cst.FunctionDef:
    between = next((p.comma for p in func.params.params[:-1] if isinstance(p.comma, cst.Comma)
                    and isinstance(p.comma.whitespace_after, cst.ParenthesizedWhitespace)),
                   cst.Comma(whitespace_after=cst.ParenthesizedWhitespace(
                       indent=True, last_line=cst.SimpleWhitespace(module.default_indent))))
    params = with_param(without_params(func.params, change.dropped), fixture, between)
    body = func.body
    if change.bindings:
        assert isinstance(body, cst.IndentedBlock)
        keep = docstring_count(body)
        lines = [cst.parse_statement(f"{name} = {fixture}.{attr}" + module.default_newline,
                                     config=module.config_for_parsing) for name, attr in change.bindings]
        body = body.with_changes(body=list(body.body[:keep]) + lines + list(body.body[keep:]))
    new = func.with_changes(
        decorators=[d for i, d in enumerate(func.decorators) if i not in change.removed],
        params=params,
        body=body,
    )
    return tidy_signature(module, func, new, room)


def fixture_def(module: cst.Module, plan: FixturePlan,
                before: cst.FunctionDef) -> tuple[cst.FunctionDef, list[cst.EmptyLine]]:
    """The fixture, placed above `before`, and the leading lines `before` keeps."""
    stmt = cst.parse_statement(fixture_source(plan, module.default_newline, module.default_indent),
                               config=module.config_for_parsing)
    assert isinstance(stmt, cst.FunctionDef)
    leading = list(before.leading_lines)
    blanks = 0
    while blanks < len(leading) and leading[blanks].comment is None:
        blanks += 1
    gap = 2 if plan.top_level else 1
    return stmt.with_changes(leading_lines=leading[:blanks]), _blank(gap) + leading[blanks:]


def extract_patch_fixture(module: cst.Module, plan: FixturePlan,
                          tests: list[tuple[cst.FunctionDef, TestChange]]) -> Fix:
    first = tests[0][0]

    def edit_first(updated: cst.FunctionDef) -> cst.CSTNode:
        fixture, leading = fixture_def(module, plan, updated)
        new = rewrite_test(module, updated, tests[0][1], plan.name, plan.room).with_changes(leading_lines=leading)
        return cst.FlattenSentinel([fixture, new])

    edits = {first: edit_first}
    for func, change in tests[1:]:
        edits[func] = (lambda c: lambda updated: rewrite_test(module, updated, c, plan.name, plan.room))(change)
    imports = ("pytest",) + (("types",) if any(plan.names) else ()) + (("contextlib",) if plan.head is None else ())
    return Fix(
        description=f"move {len(plan.names)} repeated patches of {len(tests)} tests into the fixture {plan.name}",
        safety=Safety.UNSAFE,
        edits=edits,  # type: ignore[arg-type]
        imports=imports,
    )
