"""TM604: `time.sleep()` in tests and fixtures."""
from __future__ import annotations

import re

import libcst as cst

from testmend.model import Severity
from testmend.tests_visitor import TestFunctionRule

_SLEEPS = {"time.sleep"}


class SleepInTest(TestFunctionRule):
    """Flags `time.sleep()` in tests and fixtures.

    ## What it does
    Finds calls of `time.sleep` (also imported as `from time import sleep`, or
    through an alias of the module) in test functions, fixtures, and
    setUp/tearDown-style methods, nested functions included. `time.sleep(0)`,
    which only yields to other threads, is left alone.

    ## Why is this bad?
    A sleep makes the suite slower on every run and still flaky on a loaded CI
    machine, where the awaited event can take longer than the guess. A sleep
    in a polling loop is better but still slows every run by its step, and a
    random sleep to provoke a race makes the failure itself random.

    ## Example
    ```python
    def test_worker_finishes():
        worker.start()
        time.sleep(0.5)
        assert worker.done
    ```
    Wait for the event itself (`worker.join(timeout=5)`, a `threading.Event`,
    a queue `get(timeout=...)`), or inject a fake clock.

    ## Fix safety
    No fix: what to wait for instead depends on the code under test.
    """

    code = "TM604"
    name = "sleep-in-test"
    severity = Severity.MINOR
    prefilter = re.compile(rb"sleep")

    def visit_Call(self, node: cst.Call) -> None:
        scope = self.test or self.fixture
        if scope is None or self.qualified(node.func) not in _SLEEPS:
            return
        if node.args and isinstance(node.args[0].value, (cst.Integer, cst.Float)) \
                and not node.args[0].value.evaluated_value:
            return
        what = "test" if scope is self.test else "fixture"
        self.report(node, f"time.sleep() in {what} {scope.node.name.value} makes every run slower and the "
                          "result timing-dependent; wait for the event itself or use a fake clock")
