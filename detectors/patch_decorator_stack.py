"""TM404: a test under a stack of `@patch` decorators."""
from __future__ import annotations

import re

import libcst as cst

from testmend.codemods import _with_statement as layout
from testmend.codemods.patch_decorator_stack import StackPlan, docstring_count, stack_to_with
from testmend.model import Safety, Severity
from testmend.patch_stacks import bind_stack, evaluation_change, is_repeated, moved_name_problem, reassigned
from testmend.patches import PatchIndex, TestPatches, local_scopes
from testmend.rule import Rule


class PatchDecoratorStack(Rule):
    """Flags tests under a stack of `@patch` decorators; optionally rewrites them as one `with` block.

    ## What it does
    Finds tests decorated with `min-patches` (default 2) or more unittest.mock
    patches (`@patch`, `@patch.object`, `@patch.dict`, `@patch.multiple`,
    however imported). With `to-with = true` in `[tool.testmend.TM404]` it
    moves them into one `with` statement around the test body: the patches
    are listed bottom-up (the
    order unittest.mock starts them), and each injected mock keeps the name of
    the parameter it filled (the bottom decorator fills the first parameter
    after `self`), which is dropped from the signature. Patches that inject
    nothing (`new=...`, `patch.dict`, `patch.multiple` without `DEFAULT`) get
    no `as` name. Left alone, with the reason: a non-patch decorator between or
    below the patches (or any decorator above them but pytest marks and
    unittest skips), a mock parameter reassigned in the body, `patch.multiple`
    passing keyword mocks, class-level patch decorators, a patch argument that
    names a class attribute or something local to the test, and a layout that
    would need a backslash (more than one line before Python 3.10). A patcher
    imported under a name that does not resolve to unittest.mock is not a
    patch here, so its stack is left alone too.

    ## Why is this bad?
    A long decorator stack must be read bottom-up against the parameter list
    top-down; adding or removing one patch silently shifts every mock to the
    wrong parameter. A `with` block names each mock next to its patch.

    ## Example
    ```python
    @patch("app.store.save")
    @patch("app.clock.now", return_value=0)
    def test_save(now, save):
        run()
    ```
    becomes
    ```python
    def test_save():
        with patch("app.clock.now", return_value=0) as now, patch("app.store.save") as save:
            run()
    ```

    ## Fix safety
    Safe when the patch arguments are names, literals and lambdas: the patches
    start and stop in the same order, around the same code. Unsafe when an
    argument is a call whose result may depend on when it runs (it now runs
    with the test, not at import), or a new object (a list, a `MagicMock()`)
    that the runs of a parametrized test used to share. Opt-in: the default
    only reports.
    """

    code = "TM404"
    name = "patch-decorator-stack"
    severity = Severity.INFO
    fix_safety = Safety.SAFE
    prefilter = re.compile(rb"patch")
    defaults = {"to_with": False, "min_patches": 2}

    def visit_Module(self, node: cst.Module) -> None:
        index = PatchIndex.of(node)
        for test in index.tests:
            if len(test.stack.patches) >= self.context.options["min_patches"]:
                self._check(index, test)

    def _check(self, index: PatchIndex, test: TestPatches) -> None:
        func = test.func
        count = len(test.stack.patches)
        message = f"{func.name.value} runs under {count} stacked patch decorators"
        if not self.context.options["to_with"]:
            # reported at the `def` line: a TM405 fix for the same test (at its first decorator) sorts first
            self.report(func.name, f"{message}; set to-with = true in [tool.testmend.TM404] to rewrite "
                                   "them as one with block")
            return
        plan = self._plan(index, test)
        if isinstance(plan, str):
            self.report(func.name, f"{message}; left as is: {plan}")
            return
        self.report(func.name, f"{message}, which can be one with block", stack_to_with(index.module, func, plan))

    def _plan(self, index: PatchIndex, test: TestPatches) -> StackPlan | str:
        func = test.func
        bindings = bind_stack(test, index.qualified)
        if isinstance(bindings, str):
            return bindings
        body = func.body
        if not isinstance(body, cst.IndentedBlock) or len(body.body) <= docstring_count(body):
            return "the test has no body statement to wrap"
        scope_of = local_scopes(test.owner or func)
        scope = scope_of(body.body[0])
        dropped = [b.param for b in bindings if b.param]
        problem = reassigned(dropped, scope) or moved_name_problem(
            [b.patch.call for b in bindings], (), scope_of, scope)
        if problem:
            return problem
        for param in func.params.params:
            if param.name.value in dropped and layout.comments(param):
                return f"a comment on the parameter {param.name.value!r} has no place once it is dropped"
        module = index.module
        items = [layout.item_from_decorator(module, b.decorator, b.param) for b in bindings]
        unit = body.indent if body.indent is not None else module.default_indent
        column = len((index.indent.get(func, "") + unit).expandtabs())
        settings = self.context.settings
        head = layout.header(items, is_async=False, column=column, unit=module.default_indent,  # type: ignore[arg-type]
                             line_length=settings.line_length,
                             parentheses=layout.allows_parentheses(settings.target_versions, module),
                             newline=module.default_newline)
        if head is None:
            return ("the with statement needs several lines, and parenthesized context managers need Python 3.10 "
                    "(set requires-python or --target-version)")
        change = evaluation_change([b.patch for b in bindings], is_repeated(test, index),
                                   index.qualified)
        positions = {id(d) for d in test.stack.decorators}
        removed = frozenset(i for i, d in enumerate(func.decorators) if id(d) in positions)
        return StackPlan(head=head, removed=removed, dropped=frozenset(dropped),
                         safety=Safety.UNSAFE if change else Safety.SAFE, note=change or "",
                         room=settings.line_length - len(index.indent.get(func, "").expandtabs()))
