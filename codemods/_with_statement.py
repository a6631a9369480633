"""Laying out one `with` statement from several context managers (TM403-TM405).

Items keep the exact source of their expressions (comments inside them
included). The layout is, in order of preference:
  1. one line, `with a as x, b as y:`, when it has no comments and fits;
  2. parenthesized items, one per line with a trailing comma, when the
     project's oldest Python accepts them (3.10; the 3.9 parser does too, but
     only 3.10 documents it), carrying every comment to its item;
  3. nothing: the caller leaves the code alone. There is never a backslash.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst

PARENTHESIZED_SINCE = (3, 10)


@dataclass
class Item:
    """One context manager of the new statement."""

    text: str  # `expr` or `expr as name`; continuation lines indented relative to `base`
    base: str = ""  # indentation of the item's first line, relative to its old statement
    before: list[str] = field(default_factory=list)  # own-line comments above the item
    after: str | None = None  # comment at the end of the item's line
    below: list[str] = field(default_factory=list)  # own-line comments under the item
    keep_layout: bool = False  # a string spans lines: continuation lines stay byte for byte

    @property
    def has_comments(self) -> bool:
        return bool(self.before or self.after or self.below)

    @property
    def multiline(self) -> bool:
        return "\n" in self.text or "\r" in self.text

    def indented(self, unit: str) -> str:
        """The text with its continuation lines moved to sit under `unit`."""
        if self.keep_layout or not self.multiline:
            return self.text
        lines = self.text.splitlines(keepends=True)
        out = [lines[0]]
        for line in lines[1:]:
            body = line.lstrip(" \t")
            lead = line[: len(line) - len(body)]
            lead = lead[len(self.base):] if lead.startswith(self.base) else ""
            out.append(unit + lead + body if body.strip() else line)
        return "".join(out)


def item_from_decorator(module: cst.Module, decorator: cst.Decorator, name: str | None) -> Item:
    """The item for a patch decorator moved into a with statement, its comments carried along."""
    text = module.code_for_node(decorator.decorator) + (f" as {name}" if name else "")
    item = Item(text, keep_layout=spans_lines_in_string(decorator.decorator))
    item.before = [e.comment.value for e in decorator.leading_lines if e.comment]
    item.after = decorator.trailing_whitespace.comment.value if decorator.trailing_whitespace.comment else None
    return item


def item_from(module: cst.Module, node: cst.WithItem, base: str = "") -> Item:
    text = module.code_for_node(node.item)
    if node.asname is not None:
        text += " as " + module.code_for_node(node.asname.name)
    return Item(text, base=base, keep_layout=spans_lines_in_string(node))


def spans_lines_in_string(node: cst.CSTNode) -> bool:
    found = False

    class Look(cst.CSTVisitor):
        def visit_SimpleString(self, n: cst.SimpleString) -> None:
            nonlocal found
            found = found or "\n" in n.value or "\r" in n.value

        def visit_FormattedString(self, n: cst.FormattedString) -> None:
            nonlocal found
            found = found or "\n" in cst.Module([]).code_for_node(n)

    node.visit(Look())
    return found


def allows_parentheses(versions: Sequence[tuple[int, int]], module: cst.Module) -> bool:
    """Parenthesized context managers are fine: the oldest supported Python has
    them, or the file already uses them (so it only runs where they parse)."""
    if versions and min(versions) >= PARENTHESIZED_SINCE:
        return True
    found = False

    class Look(cst.CSTVisitor):
        def visit_With(self, n: cst.With) -> None:
            nonlocal found
            found = found or isinstance(n.lpar, cst.LeftParen)

    module.visit(Look())
    return found


def header(items: Sequence[Item], *, is_async: bool, column: int, unit: str, line_length: int,
           parentheses: bool, newline: str) -> str | None:
    """The statement's first lines up to the colon (at column 0), or None when
    no layout without backslashes holds these items and their comments."""
    keyword = "async with " if is_async else "with "
    if not any(i.has_comments or i.multiline for i in items):
        line = keyword + ", ".join(i.text for i in items) + ":"
        if column + len(line) <= line_length:
            return line
    if not parentheses:
        return None
    lines = [keyword + "("]
    for item in items:
        lines += [unit + c for c in item.before]
        lines.append(unit + item.indented(unit) + "," + (f"  {item.after}" if item.after else ""))
        lines += [unit + c for c in item.below]
    lines.append("):")
    return newline.join(lines)


def build(module: cst.Module, head: str, body: cst.BaseSuite) -> cst.With:
    """Parse `head` (from `header`) and give it `body`."""
    nl = module.default_newline
    stmt = cst.parse_statement(head + nl + module.default_indent + "pass" + nl, config=module.config_for_parsing)
    assert isinstance(stmt, cst.With)
    return stmt.with_changes(body=body)


def comments(node: cst.CSTNode) -> list[str]:
    found: list[str] = []

    class Collect(cst.CSTVisitor):
        def visit_Comment(self, c: cst.Comment) -> None:
            found.append(c.value)

    node.visit(Collect())
    return found


def _whitespace_comments(ws: cst.CSTNode | cst.MaybeSentinel | None) -> tuple[str | None, list[str]]:
    """(comment ending the line, comments on their own lines) in a piece of whitespace."""
    if isinstance(ws, cst.ParenthesizedWhitespace):
        own = [e.comment.value for e in ws.empty_lines if e.comment is not None]
        return (ws.first_line.comment.value if ws.first_line.comment else None), own
    return None, []


def items_of(module: cst.Module, node: cst.With) -> list[Item] | None:
    """The items of one `with` statement with every comment of its header
    placed on an item; None if a comment sits where it cannot be placed."""
    items: list[Item] = []
    base = ""
    pending: list[str] = []  # own-line comments waiting for the next item
    if isinstance(node.lpar, cst.LeftParen):
        end, own = _whitespace_comments(node.lpar.whitespace_after)
        pending = ([end] if end else []) + own
        if isinstance(node.lpar.whitespace_after, cst.ParenthesizedWhitespace):
            base = node.lpar.whitespace_after.last_line.value
    placed = len(pending)
    for index, with_item in enumerate(node.items):
        item = item_from(module, with_item, base)
        placed += len(comments(with_item.item)) + (len(comments(with_item.asname.name)) if with_item.asname else 0)
        item.before, pending = pending, []
        base = ""
        comma = with_item.comma
        if isinstance(comma, cst.Comma):
            if comments(comma.whitespace_before):
                return None
            end, own = _whitespace_comments(comma.whitespace_after)
            item.after = end
            placed += len(own) + (1 if end else 0)
            if index + 1 < len(node.items):
                pending = own
            else:
                item.below = own
            if isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
                base = comma.whitespace_after.last_line.value
        items.append(item)
    if isinstance(node.rpar, cst.RightParen):
        end, own = _whitespace_comments(node.rpar.whitespace_before)
        if end:
            if items[-1].after:
                return None
            items[-1].after = end
        items[-1].below += own
        placed += len(own) + (1 if end else 0)
    header_only = node.with_changes(body=cst.SimpleStatementSuite([cst.Pass()]), leading_lines=())
    if len(comments(header_only)) != placed:
        return None
    return items
