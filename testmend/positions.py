"""Line/column spans of a few chosen nodes, from one plain codegen pass.

libcst's PositionProvider records a position for every node of the tree; on a
300 KB test module that costs several seconds, half of a whole run. Findings and
fixes need the spans of a few hundred nodes, so this walks the same codegen
with a state that keeps counting lines and columns but records only those
nodes. Spans match PositionProvider's syntactic positions (a statement starts
at its first token, not at the comments above it).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange


@dataclass
class _SpanState(CodegenState):
    wanted: frozenset[int] = frozenset()
    line: int = 1
    column: int = 0
    spans: dict[int, CodeRange] = field(default_factory=dict)
    _stack: list[CodePosition] = field(default_factory=list)

    def _advance(self, value: str) -> None:
        newlines = value.count("\n") + value.count("\r") - value.count("\r\n")
        if newlines:
            self.line += newlines
            self.column = len(value) - max(value.rfind("\n"), value.rfind("\r")) - 1
        else:
            self.column += len(value)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.tokens.append(token)
            self.column += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self._advance(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            self._stack.append(CodePosition(self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            start = self._stack.pop()
            self.spans.setdefault(id(node), CodeRange(start, CodePosition(self.line, self.column)))

    @contextmanager
    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> Iterator[None]:
        if id(node) not in self.wanted:
            yield
            return
        start = CodePosition(self.line, self.column)
        try:
            yield
        finally:
            self.spans[id(node)] = CodeRange(start, CodePosition(self.line, self.column))


def spans_of(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[cst.CSTNode, CodeRange]:
    """Syntactic spans of `nodes` (which must belong to `module`)."""
    wanted = {id(n): n for n in nodes}
    if not wanted:
        return {}
    state = _SpanState(default_indent=module.default_indent, default_newline=module.default_newline,
                       wanted=frozenset(wanted))
    module._codegen(state)
    return {wanted[i]: r for i, r in state.spans.items()}
