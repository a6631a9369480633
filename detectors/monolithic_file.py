"""TM602: test modules with more than `max-tests` tests or `max-lines` lines."""
from __future__ import annotations

import libcst as cst

from testmend.model import Severity
from testmend.tests_visitor import Scope, TestFunctionRule


class MonolithicFile(TestFunctionRule):
    """Flags test modules that have grown too big to navigate.

    ## What it does
    Counts the tests of a test module (test functions and test methods; a
    parametrized test counts once) and its lines, and reports the module when
    it has more than `max-tests` tests (default 60) or more than `max-lines`
    lines (default 1000). Set both in `[tool.testmend.TM602]`.

    ## Why is this bad?
    A monolithic test file mixes the tests of many units: finding the tests of
    one behaviour, running them alone, and reviewing changes all get harder,
    and shared module-level state couples unrelated tests.

    ## Example
    `tests/test_everything.py` with 140 tests of the parser, the encoder and
    the CLI. Split it along the code under test: `test_parser.py`,
    `test_encoder.py`, `test_cli.py`, with shared fixtures in `conftest.py`.

    ## Fix safety
    No fix: the split follows the design of the code under test.
    """

    code = "TM602"
    name = "monolithic-file"
    severity = Severity.MINOR
    defaults = {"max_tests": 60, "max_lines": 1000}

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._tests = 0

    def enter_function(self, scope: Scope) -> None:
        if scope is self.test:
            self._tests += 1

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self.test_module:
            return
        max_tests = self.context.options["max_tests"]
        max_lines = self.context.options["max_lines"]
        lines = self.index.lines if self.index is not None else 0
        over = []
        if self._tests > max_tests:
            over.append(f"{self._tests} tests (max-tests {max_tests})")
        if lines > max_lines:
            over.append(f"{lines} lines (max-lines {max_lines})")
        if over:
            self.report(original_node, f"this test module has {' and '.join(over)}; consider splitting it "
                                       "by unit or behaviour under test, with shared fixtures in conftest.py")
