"""TM402: one file patching the same kind of target in several styles."""
from __future__ import annotations

import re
from collections import Counter

import libcst as cst

from testmend.model import Severity
from testmend.patches import PatchIndex, PatchUse, Style
from testmend.rule import Rule

_KINDS = {"attribute": "attributes", "dict": "dictionaries", "environment": "environment variables"}


class MixedMocking(Rule):
    """Flags a file that patches the same kind of target in several styles.

    ## What it does
    Sorts every patch in the file by the kind of thing it replaces (an
    attribute or module global; a dictionary's items; the environment,
    `os.environ`) and by how it is applied: `@patch` decorators, `with
    patch(...)` (or a patcher handed to an ExitStack), `patcher.start()`,
    pytest-mock's `mocker.patch*`, or pytest's `monkeypatch`. When one kind of
    target is patched in two or more styles, it reports once per kind, at the
    first patch written in a style other than the file's most common one.

    ## Why is this bad?
    Each style has its own lifetime rules (decorators inject arguments
    bottom-up, `start()` needs a matching `stop()`, `mocker` undoes its
    patches after the test, `monkeypatch` does not create mocks). A reader
    has to switch between them within one file, and copying a test from one
    style into another is how patches end up never being undone.

    ## Example
    ```python
    @patch("app.clock.now")
    def test_a(now): ...

    def test_b(mocker):
        mocker.patch("app.clock.now")

    def test_c(monkeypatch):
        monkeypatch.setattr("app.clock.now", lambda: 0)
    ```
    Pick one style per file (for pytest suites, usually `mocker` or
    `monkeypatch`).

    ## Fix safety
    No fix: which style to keep is the team's choice.
    """

    code = "TM402"
    name = "mixed-mocking"
    severity = Severity.INFO
    prefilter = re.compile(rb"patch|mocker")

    def visit_Module(self, node: cst.Module) -> None:
        index = PatchIndex.of(node)
        by_kind: dict[str, list[PatchUse]] = {}
        for use in index.uses:
            by_kind.setdefault(use.patch.target_kind, []).append(use)
        for kind, uses in by_kind.items():
            styles = Counter(u.style for u in uses)
            if len(styles) < 2:
                continue
            rank = {style: i for i, style in enumerate(Style)}
            main = max(styles, key=lambda s: (styles[s], -rank[s]))
            odd = min((u for u in uses if u.style is not main), key=lambda u: index.order.get(u.patch.call, 0))
            counts = ", ".join(f"{style.value} ({styles[style]})" for style in Style if style in styles)
            self.report(odd.patch.call, f"{_KINDS[kind]} are patched in {len(styles)} styles in this file: "
                                        f"{counts}; most use {main.value}")
