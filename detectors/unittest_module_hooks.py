"""TM204: unittest's module hooks `setUpModule`/`tearDownModule`."""
from __future__ import annotations

import re

import libcst as cst

from testmend.codemods.unittest_main import rename_function
from testmend.model import Safety, Severity
from testmend.rule import Fix, Rule

_NAMES = {"setUpModule": "setup_module", "tearDownModule": "teardown_module"}


class UnittestModuleHooks(Rule):
    """Flags `setUpModule`/`tearDownModule` and renames them to pytest's `setup_module`/`teardown_module`.

    ## What it does
    Renames the module-level functions `setUpModule` and `tearDownModule` to
    the names pytest documents, `setup_module` and `teardown_module`.

    ## Why is this bad?
    pytest runs both spellings the same way (once per module, teardown only
    after a successful setup), but the unittest names suggest the module still
    needs unittest, and readers look for pytest's names.

    ## Example
    ```python
    def setUpModule():
        start_server()
    ```
    becomes
    ```python
    def setup_module():
        start_server()
    ```

    ## Fix safety
    Safe: pytest looks up `setUpModule` and `setup_module` with the same code
    path. Left alone: a module that already defines the pytest name, or that
    refers to the old name anywhere else (an import, a call).
    """

    code = "TM204"
    name = "unittest-module-hooks"
    severity = Severity.INFO
    fix_safety = Safety.SAFE
    prefilter = re.compile(rb"(setUpModule|tearDownModule)")

    def visit_Module(self, node: cst.Module) -> None:
        code = node.code
        defined = {s.name.value for s in node.body if isinstance(s, cst.FunctionDef)}
        for stmt in node.body:
            if not isinstance(stmt, cst.FunctionDef) or stmt.name.value not in _NAMES:
                continue
            old, new = stmt.name.value, _NAMES[stmt.name.value]
            if new in defined:
                self.report(stmt.name, f"{old} left as is: {new} is defined too")
            elif len(re.findall(rf"\b{old}\b", code)) > 1:
                self.report(stmt.name, f"{old} left as is: the name is used elsewhere in the file")
            else:
                fix = Fix(description=f"rename {old} to {new}", safety=Safety.SAFE,
                          edits={stmt: lambda f, new=new: rename_function(f, new)})
                self.report(stmt.name, f"{old} is unittest's name for pytest's {new}", fix)
