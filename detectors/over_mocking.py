"""TM401: tests that run under more patches than a threshold."""
from __future__ import annotations

import re

import libcst as cst

from testmend.model import Severity
from testmend.patches import PatchIndex, Style, TestPatches, uses_mock
from testmend.rule import Rule


class OverMocking(Rule):
    """Flags tests that patch more collaborators than `max-patches` (default 5).

    ## What it does
    Counts every patch a test runs under: its `@patch`, `@patch.object`,
    `@patch.dict` and `@patch.multiple` decorators (one per patched
    attribute), the class's patch decorators (which unittest.mock applies to
    every method whose name starts with `test`), `with patch(...)` at any
    depth, `patcher.start()` in the test or in `setUp`/`setup_method`,
    `mocker.patch*` and `monkeypatch.setattr`/`delattr`, and the patches of
    the fixtures of its module or class that it requests or gets by autouse
    (and of the fixtures those request). Patchers are
    recognised through the imports (`mock.patch`, `unittest.mock.patch`, an
    alias of `patch`); a name that does not resolve to unittest.mock is not
    counted. Above the threshold the finding lists the targets and the
    injected mocks the test never looks at: no `assert_*` call, no `.called`,
    `.call_args`, `.call_count`, `.return_value`, `.side_effect`, and no
    `assert` statement or assertion helper mentioning them.

    ## Why is this bad?
    A test that replaces most of the collaborators of the code under test
    checks the mocks' wiring rather than the behaviour: it passes when the
    real components no longer fit together and breaks on every refactoring.
    Mocks it never looks at are often only there to make the code run.

    ## Example
    ```python
    @patch("app.trainer.Logger")
    @patch("app.trainer.Checkpoints")
    @patch("app.trainer.Env")
    @patch("app.trainer.Model")
    @patch("app.trainer.Optimizer")
    @patch("app.trainer.Metrics")
    def test_train(metrics, optimizer, model, env, checkpoints, logger):
        Trainer().run()
        logger.info.assert_called()
    ```
    Use real (small) components where they are cheap, fakes for the slow
    ones, and keep the patches for the boundary that matters.

    ## Fix safety
    No fix: deciding what to stop mocking needs a person.
    """

    code = "TM401"
    name = "over-mocking"
    severity = Severity.MINOR
    prefilter = re.compile(rb"patch|mocker|monkeypatch")
    defaults = {"max_patches": 5}

    def visit_Module(self, node: cst.Module) -> None:
        index = PatchIndex.of(node)
        limit = self.context.options["max_patches"]
        for test in index.tests:
            targets = self._targets(test)
            if len(targets) > limit:
                self._flag(test, targets, limit)

    @staticmethod
    def _targets(test: TestPatches) -> list[str]:
        out: list[str] = []
        for use in test.uses:
            if use.style is Style.MONKEYPATCH and use.patch.kind not in ("setattr", "delattr"):
                continue
            out.extend(use.patch.targets())
        return out

    def _flag(self, test: TestPatches, targets: list[str], limit: int) -> None:
        func = test.func
        unused = [f"{name} ({target})" for name, target in test.mock_names.items() if not uses_mock(func.body, name)]
        shown = ", ".join(targets[:12]) + (f", and {len(targets) - 12} more" if len(targets) > 12 else "")
        through = f", {test.through_fixtures} of them from fixtures" if test.through_fixtures else ""
        message = f"{func.name.value} runs under {len(targets)} patches{through} (max-patches is {limit}): {shown}"
        if unused:
            message += f"; never asserted on: {', '.join(unused)}"
        elif test.mock_names:
            message += "; every injected mock is asserted on"
        self.report(func.name, message)
