"""Remove a base class from the bases of named classes (TM205)."""
from __future__ import annotations

import libcst as cst


def drop_bases(text: str, drops: dict[str, list[int]]) -> str | None:
    """`text` with the bases at the given positions removed from each class
    named in `drops` ("Outer.Inner" for a nested one); None when a class is
    missing or a base cannot be removed cleanly (keyword arguments come first,
    or a position is out of range)."""
    module = cst.parse_module(text)
    done: set[str] = set()

    class Dropper(cst.CSTTransformer):
        def __init__(self) -> None:
            self.stack: list[str] = []

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            self.stack.append(node.name.value)
            return True

        def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
            qual = ".".join(self.stack)
            self.stack.pop()
            if qual not in drops:
                return updated
            positions = set(drops[qual])
            if not positions or max(positions) >= len(updated.bases):
                return updated
            done.add(qual)
            kept = [b for i, b in enumerate(updated.bases) if i not in positions]
            if not kept and not updated.keywords:
                # `class Mixin(Proto):` -> `class Mixin:`
                return updated.with_changes(bases=[], lpar=cst.MaybeSentinel.DEFAULT, rpar=cst.MaybeSentinel.DEFAULT)
            last = updated.bases[-1]
            if kept and not updated.keywords:
                # the new last base keeps the old last one's trailing comma (or its absence)
                kept[-1] = kept[-1].with_changes(comma=last.comma)
            return updated.with_changes(bases=kept)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False  # classes local to a function are not in the class graph

    new = module.visit(Dropper())
    return new.code if done == set(drops) else None
