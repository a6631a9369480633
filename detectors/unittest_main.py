"""TM203: `unittest.main()` in a script guard of a test module."""
from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from testmend.codemods.unittest_main import pytest_main
from testmend.model import Safety, Severity
from testmend.rule import Fix, Rule

_MAIN_GUARD = m.If(test=m.Comparison(
    left=m.Name("__name__"),
    comparisons=[m.ComparisonTarget(operator=m.Equal(), comparator=m.SimpleString())]))


class UnittestMain(Rule):
    """Flags `unittest.main()` run from `if __name__ == "__main__":` and runs pytest there instead.

    ## What it does
    Replaces `unittest.main()` (or `main()` imported from unittest), called
    with no arguments or only `verbosity=`, by `raise SystemExit(pytest.main([__file__]))`
    (`-v` for verbosity 2 and above), so `python test_x.py` still runs the file's
    tests and still exits non-zero when one fails.

    ## Why is this bad?
    Once the classes are plain pytest classes, `unittest.main()` finds no tests
    and exits successfully: running the file directly would silently test nothing.

    ## Example
    ```python
    if __name__ == "__main__":
        unittest.main()
    ```
    becomes
    ```python
    if __name__ == "__main__":
        raise SystemExit(pytest.main([__file__]))
    ```

    ## Fix safety
    Safe: pytest never executes the guarded block, so no collected test changes;
    running the file as a script runs the same tests with pytest. Left alone:
    other arguments (argv, testRunner, exit=False...), whose meaning has no
    direct pytest equivalent.
    """

    code = "TM203"
    name = "unittest-main"
    severity = Severity.MINOR
    fix_safety = Safety.SAFE
    prefilter = re.compile(rb"__main__")

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._names: set[str] = set()  # how unittest.main can be spelled here
        self._guard = 0

    def visit_Module(self, node: cst.Module) -> None:
        for stmt in node.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Import):
                        for a in small.names:
                            if a.evaluated_name == "unittest":
                                self._names.add(f"{a.evaluated_alias or 'unittest'}.main")
                    elif isinstance(small, cst.ImportFrom) and small.module is not None \
                            and cst.helpers.get_full_name_for_node(small.module) == "unittest" \
                            and not isinstance(small.names, cst.ImportStar):
                        for a in small.names:
                            if a.evaluated_name == "main":
                                self._names.add(a.evaluated_alias or "main")

    def visit_If(self, node: cst.If) -> None:
        if m.matches(node, _MAIN_GUARD) and "__main__" in node.test.comparisons[0].comparator.value:  # type: ignore[attr-defined]
            self._guard += 1

    def leave_If(self, original_node: cst.If) -> None:
        if m.matches(original_node, _MAIN_GUARD) and "__main__" in original_node.test.comparisons[0].comparator.value:  # type: ignore[attr-defined]
            self._guard -= 1

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not self._guard or not isinstance(call, cst.Call):
            return
        name = cst.helpers.get_full_name_for_node(call.func)
        if name not in self._names:
            return
        verbose = False
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword else None
            if keyword == "verbosity" and isinstance(arg.value, cst.Integer):
                verbose = int(arg.value.value) >= 2
            else:
                self.report(call, f"{name}() left as is: its arguments have no direct pytest.main equivalent")
                return
        module = self.context.module
        fix = Fix(description="run the file's tests with pytest.main instead",
                  safety=Safety.SAFE,
                  edits={node: lambda updated: pytest_main(module, verbose).with_changes(semicolon=updated.semicolon)},
                  imports=("pytest",), unused_imports=("unittest",))
        self.report(call, f"{name}() finds no tests once the classes are plain pytest classes", fix)
