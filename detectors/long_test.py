"""TM601: tests longer than `max-lines` lines or `max-statements` statements."""
from __future__ import annotations

import re

from testmend.model import Severity
from testmend.tests_visitor import Scope, TestFunctionRule


class LongTest(TestFunctionRule):
    """Flags tests that are too long to read as one check.

    ## What it does
    Finds tests with more than `max-lines` lines of code (default 50, from
    `def` to the last line; blank lines, comment lines, decorators and the
    inside of multi-line string literals, which are data, not counted) or more
    than `max-statements` statements (default 30, nested ones included, the
    docstring excluded). Set both in `[tool.testmend.TM601]`.

    ## Why is this bad?
    A long test usually checks several behaviours, so a failure does not say
    which one broke; its setup is hard to reuse and tends to be copied into
    the next long test. The seed audits flag 60-line tests as "test
    complexity: difficult to understand and maintain".

    ## Example
    ```python
    def test_checkout():        # 80 lines: cart, discount, tax, payment, email
        ...
    ```
    Split it into one test per behaviour, with the shared setup in a fixture.

    ## Fix safety
    No fix: where to split is a design decision.
    """

    code = "TM601"
    name = "long-test"
    severity = Severity.MINOR
    prefilter = re.compile(rb"\bdef\b")
    defaults = {"max_lines": 50, "max_statements": 30}

    def enter_function(self, scope: Scope) -> None:
        if scope is not self.test:
            return
        max_lines = self.context.options["max_lines"]
        max_statements = self.context.options["max_statements"]
        facts = self.facts(scope)
        if facts is None:
            return
        over = []
        if facts.code_lines > max_lines:
            over.append(f"{facts.code_lines} lines of code (max-lines {max_lines})")
        statements = facts.statements
        if statements > max_statements:
            over.append(f"{statements} statements (max-statements {max_statements})")
        if over:
            self.report(scope.node.name, f"{scope.node.name.value} has {' and '.join(over)}; split it into "
                                         "tests of one behaviour each, with shared setup in a fixture")
