"""TM403: `with patch(...)` blocks nested inside each other."""
from __future__ import annotations

import re

import libcst as cst

from testmend.codemods.nested_patch_with import chain, merge_nested_with
from testmend.model import Safety, Severity
from testmend.patches import PatchIndex
from testmend.rule import Rule


class NestedPatchWith(Rule):
    """Flags `with patch(...)` statements nested directly inside each other.

    ## What it does
    Finds a `with` statement whose whole body is another `with` statement (at
    any depth, as long as nothing runs between the levels) where at least one
    item is a unittest.mock patch (`patch`, `patch.object`, `patch.dict`,
    `patch.multiple`, however imported), and merges the levels into one
    statement. The merged statement is one line when it fits and has no
    comments; otherwise it uses parenthesized context managers, one per line,
    when the project's oldest Python allows them (3.10+, from requires-python
    or `--target-version`, or when the file already uses them). Otherwise the
    code is left alone: never a backslash.

    ## Why is this bad?
    Every patch adds a level of indentation, so the test's real work ends up
    far to the right, and the staircase hides which patches belong together.

    ## Example
    ```python
    with patch("app.load") as load:
        # the clock too
        with patch("time.time", return_value=0):
            run()
    ```
    becomes (on Python 3.10+)
    ```python
    with (
        patch("app.load") as load,
        # the clock too
        patch("time.time", return_value=0),
    ):
        run()
    ```

    ## Fix safety
    Safe: `with a: with b:` and `with a, b:` enter and leave the context
    managers in the same order, and every expression, `as` name and comment is
    kept. `async with` is merged only with `async with`. A comment that would
    have no place in the merged statement blocks the merge.
    """

    code = "TM403"
    name = "nested-patch-with"
    severity = Severity.INFO
    fix_safety = Safety.SAFE
    prefilter = re.compile(rb"patch")

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._inner: set[cst.With] = set()
        self._index: PatchIndex | None = None

    def visit_Module(self, node: cst.Module) -> None:
        self._index = PatchIndex.of(node)

    def visit_With(self, node: cst.With) -> None:
        if node in self._inner or self._index is None:
            return
        levels = chain(node)
        if len(levels) < 2:
            return
        self._inner.update(levels[1:])
        patches = [found for level in levels for item in level.items
                   if (found := self._index.patch_call(item.item)) is not None]
        if not patches:
            return
        column = len(self._index.indent.get(node, "").expandtabs())
        outcome = merge_nested_with(self.context.module, node, len(levels), column, self.context.settings)
        targets = [t for p in patches for t in p.targets()]
        names = ", ".join(targets[:3]) + (", ..." if len(targets) > 3 else "")
        message = f"{len(levels)} nested with statements (patching {names}) can be one with statement"
        if isinstance(outcome, str):
            self.report(node, f"{message}; left as is: {outcome}")
        else:
            self.report(node, message, outcome)
