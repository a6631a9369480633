"""TM607: a test module with both unittest.TestCase classes and pytest-style tests."""
from __future__ import annotations

import libcst as cst

from testmend.model import Severity
from testmend.tests_visitor import Scope, TestFunctionRule


class MixedModule(TestFunctionRule):
    """Flags test modules that mix unittest.TestCase classes and pytest-style tests.

    ## What it does
    One finding per test module that has tests in unittest.TestCase classes
    and pytest-style tests (test functions, or test methods of plain `Test*`
    classes), naming a few of each.

    ## Why is this bad?
    Two styles in one file means two ways of setting up (setUp versus
    fixtures), of asserting and of skipping, side by side: readers have to
    switch between them, and fixtures cannot be used in half the tests. It is
    usually the trace of a migration that stopped halfway.

    ## Example
    ```python
    class TestParser(unittest.TestCase):
        def test_empty(self):
            self.assertEqual(parse(""), [])

    def test_blank():
        assert parse(" ") == []
    ```
    Finish the migration: `testmend fix --select TM201` converts the TestCase
    classes it can.

    ## Fix safety
    No fix of its own: TM201 (unittest-testcase) converts the classes.
    """

    code = "TM607"
    name = "mixed-module"
    severity = Severity.INFO

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._unittest: dict[str, None] = {}  # TestCase class names, in order
        self._pytest: dict[str, None] = {}  # pytest-style test names or classes

    def enter_function(self, scope: Scope) -> None:
        if scope is not self.test or self.inventory is None:
            return
        if scope.cls is None:
            self._pytest[scope.node.name.value] = None
        elif self.inventory.is_testcase_method_owner(self.class_qual(scope.cls)):
            self._unittest[scope.cls] = None
        else:
            self._pytest[scope.cls] = None

    def leave_Module(self, original_node: cst.Module) -> None:
        if not (self.test_module and self._unittest and self._pytest):
            return

        def some(names: dict[str, None]) -> str:
            listed = list(names)
            return ", ".join(listed[:3]) + (f" and {len(listed) - 3} more" if len(listed) > 3 else "")

        self.report(original_node, f"this module mixes unittest.TestCase classes and their mixins ({some(self._unittest)}) "
                                   f"with pytest-style tests ({some(self._pytest)}); convert the TestCase "
                                   "classes (TM201) so the module has one style")
