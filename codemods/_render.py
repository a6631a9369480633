"""Rendering pieces of a call as source text for a rewritten statement.

Codemods here build new statements from text templates filled with the exact
source of the original operands (so their comments, quotes and inner layout
survive), parenthesised only where Python's precedence requires it, then parse
the result with the module's own newline and indentation settings.
"""
from __future__ import annotations

import libcst as cst

# Operands that bind more loosely than a comparison (or are not expressions on
# their own) need parentheses when they become one side of `==`, `in`, `is`...
_LOOSER_THAN_COMPARISON = (
    cst.BooleanOperation, cst.Comparison, cst.IfExp, cst.Lambda, cst.NamedExpr,
    cst.Yield, cst.GeneratorExp,
)
_ATOMS = (
    cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.Imaginary,
    cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.List, cst.Tuple, cst.Set,
    cst.Dict, cst.ListComp, cst.SetComp, cst.DictComp, cst.Ellipsis,
)


def is_parenthesized(node: cst.BaseExpression) -> bool:
    return bool(getattr(node, "lpar", ()))


class Operands:
    """Source text of a call's arguments, ready to drop into a template."""

    def __init__(self, module: cst.Module, call: cst.Call, args: dict[str, cst.Arg]) -> None:
        self.module = module
        self.call = call
        self.args = args
        # comments after an argument (after its comma) stay with that argument
        self._trailing: dict[str, list[str]] = {}
        # arguments already rendered: a template may use an operand twice
        # (assertAlmostEqual), but its comments must appear only once
        self._rendered: set[str] = set()
        # Looking for comments walks the nodes (over 1 ms per call); a call
        # whose source has no "#" has none, which is most calls.
        self._may_have_comments = "#" in module.code_for_node(call)
        for name, arg in args.items() if self._may_have_comments else ():
            found = [c.value for part in (arg.whitespace_after_arg, arg.comma) if isinstance(part, cst.CSTNode)
                     for c in _comments(part)]
            if found:
                self._trailing[name] = found

    def has(self, name: str) -> bool:
        arg = self.args.get(name)
        return arg is not None and not (isinstance(arg.value, cst.Name) and arg.value.value == "None")

    def node(self, name: str) -> cst.BaseExpression:
        return self.args[name].value

    def raw(self, name: str) -> str:
        """The argument's source; its trailing comments come with its first rendering only."""
        code = self.module.code_for_node(self.node(name))
        comments = self._trailing.get(name) if name not in self._rendered else None
        self._rendered.add(name)
        if comments:
            nl = self.module.default_newline
            code += "  " + nl.join(comments) + nl
        return code

    def bare(self, name: str) -> str:
        """For `assert X`, a call argument, or an assert message."""
        node = self.node(name)
        if not is_parenthesized(node) and isinstance(node, (cst.NamedExpr, cst.Yield, cst.GeneratorExp)):
            return f"({self.raw(name)})"
        return self.raw(name)

    def compared(self, name: str) -> str:
        """For one side of a comparison (`==`, `in`, `is`, `<`...)."""
        node = self.node(name)
        if not is_parenthesized(node) and (
            isinstance(node, _LOOSER_THAN_COMPARISON)
            or isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not)
        ):
            return f"({self.raw(name)})"
        return self.raw(name)

    def negated(self, name: str) -> str:
        """For `not X`."""
        node = self.node(name)
        if not is_parenthesized(node) and isinstance(
            node, (cst.BooleanOperation, cst.IfExp, cst.Lambda, cst.NamedExpr, cst.Yield, cst.GeneratorExp)
        ):
            return f"({self.raw(name)})"
        return self.raw(name)

    def atom(self, name: str) -> str:
        """For an operand of arithmetic (`abs(X - Y)`)."""
        node = self.node(name)
        if is_parenthesized(node) or isinstance(node, _ATOMS):
            return self.raw(name)
        return f"({self.raw(name)})"

    def receiver(self, name: str) -> str:
        """For the object of an attribute access (`X.items()`): numbers need parentheses too."""
        node = self.node(name)
        if is_parenthesized(node) or isinstance(node, _ATOMS) and not isinstance(node, (cst.Integer, cst.Float)):
            return self.raw(name)
        return f"({self.raw(name)})"

    def outer_comments(self) -> list[str]:
        """Comments in the call's own whitespace (not inside an argument's value)."""
        if not self._may_have_comments:
            return []
        inside = {id(c) for arg in self.call.args for c in _comments(arg.value)}
        inside |= {id(c) for name, arg in self.args.items() if name in self._trailing
                   for part in (arg.whitespace_after_arg, arg.comma) if isinstance(part, cst.CSTNode)
                   for c in _comments(part)}
        return [c.value for c in _comments(self.call) if id(c) not in inside]

    def unrendered_comments(self) -> list[str]:
        """Comments of arguments the template never used (`msg=None,  # why`),
        which would otherwise be lost; call after rendering everything else."""
        found: list[str] = []
        for name, arg in self.args.items() if self._may_have_comments else ():
            if name not in self._rendered:
                found += [c.value for c in _comments(arg.value)] + self._trailing.get(name, [])
        return found


class _CollectComments(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[cst.Comment] = []

    def visit_Comment(self, comment: cst.Comment) -> None:
        self.found.append(comment)


def _comments(node: cst.CSTNode) -> list[cst.Comment]:
    collect = _CollectComments()
    node.visit(collect)
    return collect.found


def has_comments(module: cst.Module, node: cst.CSTNode) -> bool:
    return "#" in module.code_for_node(node) and bool(_comments(node))


def is_simple(node: cst.BaseExpression) -> bool:
    """Evaluating this twice is the same as once: names, attributes, literals,
    subscripts and unary minus of those (no calls, no walrus, no await)."""
    if isinstance(node, (cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True
    if isinstance(node, cst.Attribute):
        return is_simple(node.value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return is_simple(node.expression)
    if isinstance(node, cst.Subscript):
        return is_simple(node.value) and all(
            isinstance(e.slice, cst.Index) and is_simple(e.slice.value) for e in node.slice
        )
    return False


def wrap_multiline(text: str, comments: list[str], newline: str) -> str:
    """Parenthesise `text` when it spans lines or must carry comments, so that no
    backslash is ever needed; comments go on their own lines inside."""
    if "\n" not in text and "\r" not in text and not comments:
        return text
    return "(" + inside_parentheses(text, comments, newline) + ")"


def inside_parentheses(text: str, comments: list[str], newline: str) -> str:
    """`text` (and `comments` before it) laid out to sit between brackets that
    are already there, such as a call's: one item per line when it spans lines
    or carries comments. A trailing comment's newline is not doubled (a text
    ending in `# note\\n` left an empty line before the closing bracket)."""
    if "\n" not in text and "\r" not in text and not comments:
        return text
    lines = [*comments, text.rstrip("\r\n")] if text else list(comments)
    return newline + newline.join(lines) + newline


def parse_small_statement(module: cst.Module, text: str) -> cst.BaseSmallStatement:
    stmt = cst.parse_statement(text + module.default_newline, config=module.config_for_parsing)
    assert isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
    return stmt.body[0]


def parse_compound(module: cst.Module, text: str) -> cst.BaseCompoundStatement:
    stmt = cst.parse_statement(text, config=module.config_for_parsing)
    assert isinstance(stmt, cst.BaseCompoundStatement)
    return stmt
