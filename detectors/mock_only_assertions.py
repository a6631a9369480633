"""TM503: tests whose only checks are on mocks (`m.assert_called_once_with(...)`, `assert m.called`)."""
from __future__ import annotations

import re

from testmend.check_facts import DEFAULT_HELPER_PREFIXES, MOCK, helper_prefix_pattern
from testmend.model import Severity
from testmend.tests_visitor import Scope, TestFunctionRule


class MockOnlyAssertions(TestFunctionRule):
    """Flags tests whose only checks are on mocks.

    ## What it does
    Finds tests whose every check is about how a mock was called: the mock
    assertion methods (`assert_called_once_with`, `assert_has_calls`,
    `assert_not_called`, `assert_awaited*`...) and `assert` statements that
    look only at a mock's call record (`m.called`, `m.call_count`,
    `m.call_args`, `m.mock_calls`). Helpers are followed as for TM501; a test
    that also checks a result or a state, or calls a helper that may, is not
    flagged, and neither is a test that defines its own functions or classes
    (there the mock usually counts calls of the test's own hook or callback,
    which is the behaviour under test).

    ## Why is this bad?
    Such a test proves the code calls its collaborators in a certain way, not
    that it does the right thing: it breaks on every refactoring that changes
    the calls and passes when the result is wrong. Heavy mocking in the seed
    audits was the most common "tests mock interactions rather than real
    integration" finding.

    ## Example
    ```python
    def test_save(mocker):
        store = mocker.Mock()
        save(store, {"a": 1})
        store.write.assert_called_once_with("a", 1)
    ```
    Check an outcome as well, with a fake instead of a mock where possible:
    `store = InMemoryStore(); save(store, {"a": 1}); assert store.read("a") == 1`.

    ## Fix safety
    No fix: what the test should check is the author's call.
    """

    code = "TM503"
    name = "mock-only-assertions"
    severity = Severity.MINOR
    prefilter = re.compile(rb"assert_|called|call_args|call_count|mock_calls|method_calls|await")
    defaults = {"max_depth": 4, "helper_prefixes": DEFAULT_HELPER_PREFIXES}

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._prefixes = helper_prefix_pattern(self.context.options["helper_prefixes"])

    def enter_function(self, scope: Scope) -> None:
        if scope is not self.test or self.inventory is None:
            return
        facts = self.facts(scope)
        if facts is None:
            return
        kinds, _ = self.inventory.checks(self.context.path, facts, self._prefixes,
                                         self.context.options["max_depth"])
        if kinds == {MOCK} and not facts.defines:
            self.report(scope.node.name, f"{scope.node.name.value} checks only how mocks were called, not "
                                         "what the code produced; add an assertion on the result or state")
