"""TM603: a test defined twice in one module or class: the later one hides the earlier."""
from __future__ import annotations

import re
from typing import Sequence

import libcst as cst

from testmend.check_facts import is_fixture_decorator
from testmend.model import Severity
from testmend.tests_visitor import TestFunctionRule, dotted_cst


class DuplicateTestName(TestFunctionRule):
    """Flags test definitions hidden by a later definition with the same name.

    ## What it does
    Finds two `def`s of the same test name directly in one module or one class
    body. Python keeps only the last binding, so pytest and unittest see only
    the later test; the earlier one never runs. The finding is reported at the
    hidden definition and names the line of the one that hides it.
    Definitions in different branches of an `if`/`try` are alternatives, not
    duplicates, and are left alone.

    ## Why is this bad?
    The hidden test looks like coverage and is not: a copy-pasted test whose
    name was not changed silently replaces the original (a real suite was
    found "hiding three tests" this way), and its failures can never show.

    ## Example
    ```python
    def test_parse_empty():
        assert parse("") == []

    def test_parse_empty():      # copied, meant to be test_parse_blank
        assert parse("  ") == []
    ```
    Rename one of them (or delete the copy).

    ## Fix safety
    No fix: the right name is the author's call, and the hidden test may fail
    once it runs.
    """

    code = "TM603"
    name = "duplicate-test-name"
    severity = Severity.MAJOR
    prefilter = re.compile(rb"\bdef\b")

    def visit_Module(self, node: cst.Module) -> None:
        self._check(node.body, None, "this module")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        cls = self._classes[-1]
        if "?" not in cls and isinstance(node.body, cst.IndentedBlock):
            self._check(node.body.body, cls, f"class {node.name.value}")

    def _check(self, body: Sequence[cst.CSTNode], cls: str | None, where: str) -> None:
        if self.inventory is None or self.index is None:
            return
        defs: dict[str, list[cst.FunctionDef]] = {}
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                defs.setdefault(stmt.name.value, []).append(stmt)
        # the same definitions, in the same order, as the suite phase saw them (with their lines)
        seen: dict[str, list[int]] = {}
        for name, line in self.index.scopes.get(cls or "", []):
            seen.setdefault(name, []).append(line)
        for name, nodes in defs.items():
            if len(nodes) < 2 or len(seen.get(name, ())) != len(nodes):
                continue
            fixture = any(is_fixture_decorator(dotted_cst(d.decorator.func if isinstance(d.decorator, cst.Call)
                                                          else d.decorator), self.imports)
                          for n in nodes for d in n.decorators)
            if not self.inventory.is_test(self.context.path, cls, name, fixture):
                continue
            for hidden, line in zip(nodes, seen[name][1:]):
                self.report(hidden.name, f"{name} is defined again at line {line} in {where}, "
                                         "which hides this definition: it never runs; rename one of them")
