"""TM504: placeholder tests (`pass`, `...`, a docstring, `raise NotImplementedError`, a TODO skip)."""
from __future__ import annotations

import re

from testmend.model import Severity
from testmend.tests_visitor import Scope, TestFunctionRule, placeholder


class PlaceholderTest(TestFunctionRule):
    """Flags tests that are placeholders: they were never written.

    ## What it does
    Finds tests whose body is `pass`, `...`, only a docstring, or only
    `raise NotImplementedError`, and tests skipped (`@pytest.mark.skip`,
    `@unittest.skip`, `pytest.skip()`/`self.skipTest()` as the first
    statement) with a reason that says TODO, FIXME or "not implemented". A
    method that overrides a test of a project base class with `pass` is the
    usual way to switch an inherited test off, so it is left alone.

    ## Why is this bad?
    An empty test passes and counts in the totals, so the suite claims
    coverage it does not have; a TODO skip hides the gap in a skip count
    nobody reads.

    ## Example
    ```python
    def test_refund():
        pass

    @pytest.mark.skip(reason="TODO")
    def test_partial_refund():
        ...
    ```
    Write the test, or delete it and track the gap in the issue tracker.

    ## Fix safety
    No fix: deleting the placeholder would lose the reminder, and writing it
    is the author's job.
    """

    code = "TM504"
    name = "placeholder-test"
    severity = Severity.MAJOR
    prefilter = re.compile(rb"\bdef\b")

    def enter_function(self, scope: Scope) -> None:
        if scope is not self.test or self.inventory is None:
            return
        why = placeholder(scope.node, self.imports)
        if why is None:
            return
        name = scope.node.name.value
        if scope.cls is not None and not why.startswith("it is skipped"):
            base = self.inventory.overridden(self.context.path, scope.cls, name)
            if base is not None:
                return  # switches off the test inherited from `base`
        self.report(scope.node.name, f"{name} is a placeholder: {why}, so it passes without testing anything")
