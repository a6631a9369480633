"""Merge directly nested `with` statements into one (TM403).

`with a: with b: body` and `with a, b: body` mean the same thing: the items are
entered left to right, each after the one before, and left in reverse order.
The merge keeps every item's source, its `as` name and its place, and moves
each comment between the levels onto the item it followed or preceded.
"""
from __future__ import annotations

import libcst as cst

from testmend.config import Settings
from testmend.model import Safety
from testmend.rule import Fix

from . import _with_statement as layout


def chain(outer: cst.With) -> list[cst.With]:
    """`outer` and the `with` statements directly inside it, with nothing running
    between them (each body holds only the next statement, of the same kind)."""
    levels = [outer]
    node = outer
    while isinstance(node.body, cst.IndentedBlock) and len(node.body.body) == 1:
        inner = node.body.body[0]
        if not isinstance(inner, cst.With) or (inner.asynchronous is None) != (outer.asynchronous is None):
            break
        levels.append(inner)
        node = inner
    return levels


def merged(module: cst.Module, outer: cst.With, depth: int, column: int, settings: Settings) -> cst.With | str:
    """The one statement replacing `outer` and the `depth - 1` levels inside it,
    or why there is none."""
    levels = chain(outer)
    if len(levels) < depth:
        return "the nesting changed"
    levels = levels[:depth]
    items: list[layout.Item] = []
    footer: list[cst.EmptyLine] = []
    for index, level in enumerate(levels):
        found = layout.items_of(module, level)
        if found is None:
            return "a comment inside a with statement's parentheses has no place in the merged statement"
        if index > 0:
            found[0].before = [e.comment.value for e in level.leading_lines if e.comment] + found[0].before
        if index < len(levels) - 1:
            block = level.body
            assert isinstance(block, cst.IndentedBlock)
            if block.header.comment is not None:
                if found[-1].after:
                    return "two comments would end the same line of the merged statement"
                found[-1].after = block.header.comment.value
            footer = list(block.footer) + footer
        items += found
    body = levels[-1].body
    if footer:
        if not isinstance(body, cst.IndentedBlock):
            return "a comment after the inner block has no place in a one-line body"
        body = body.with_changes(footer=list(body.footer) + footer)

    def lay_out() -> str | None:
        return layout.header(items, is_async=outer.asynchronous is not None, column=column,
                             unit=module.default_indent, line_length=settings.line_length,
                             parentheses=layout.allows_parentheses(settings.target_versions, module),
                             newline=module.default_newline)

    head = lay_out()
    last = body.header.comment if isinstance(body, cst.IndentedBlock) else None
    if head is not None and "\n" in head and last is not None and not items[-1].after:
        # one item per line: the innermost line's comment goes back to its item
        items[-1].after = last.value
        head = lay_out()
        body = body.with_changes(header=body.header.with_changes(whitespace=cst.SimpleWhitespace(""), comment=None))
    if head is None:
        oldest = min(settings.target_versions) if settings.target_versions else None
        why = (f"the project supports Python {oldest[0]}.{oldest[1]}" if oldest
               else "no target version is known (requires-python or --target-version)")
        return ("one line would be too long or would have to hold comments, and parenthesized context "
                f"managers need Python 3.10+ ({why})")
    return layout.build(module, head, body).with_changes(leading_lines=outer.leading_lines)


def merge_nested_with(module: cst.Module, outer: cst.With, depth: int, column: int, settings: Settings) -> Fix | str:
    """The fix merging `outer` and the levels inside it, or why there is none."""
    result = merged(module, outer, depth, column, settings)
    if isinstance(result, str):
        return result

    def edit(updated: cst.With) -> cst.CSTNode:
        new = merged(module, updated, depth, column, settings)
        return updated if isinstance(new, str) else new

    return Fix(
        description=f"merge {depth} nested with statements into one",
        safety=Safety.SAFE,
        edits={outer: edit},
    )
