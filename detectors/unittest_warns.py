"""TM103: `self.assertWarns` / `assertWarnsRegex` in a pytest suite."""
from __future__ import annotations

import re

from testmend.model import Safety, Severity

from ._expectation import ExpectationRule


class UnittestWarns(ExpectationRule):
    """Flags `self.assertWarns(...)` and `self.assertWarnsRegex(...)` that can be `pytest.warns`.

    ## What it does
    Rewrites `with self.assertWarns(W):` to `with pytest.warns(W):` and the
    callable form `self.assertWarns(W, func, *args)` to a `with` block; the
    regex variant passes the pattern as `match=`.

    ## Why is this bad?
    `pytest.warns` is the idiomatic form and works outside TestCase classes.

    ## Example
    ```python
    with self.assertWarns(DeprecationWarning):
        old_api()
    ```
    becomes
    ```python
    with pytest.warns(DeprecationWarning):
        old_api()
    ```

    ## Fix safety
    Unsafe: since pytest 8, `pytest.warns` re-emits the warnings it did not
    match when the block exits, while `assertWarns` swallows them; under
    `-W error` or a `filterwarnings = error` setting a test that passed can fail.
    Left alone: a bound `as cm` that is used (`cm.warning`, `cm.filename` have no
    direct pytest equivalent), `msg=`, calls whose result is used, and
    assertions inside code that catches AssertionError (pytest.warns fails with
    pytest's own exception).
    """

    code = "TM103"
    name = "unittest-warns"
    severity = Severity.MINOR
    fix_safety = Safety.UNSAFE
    prefilter = re.compile(rb"\.assertWarns")
    methods = frozenset({"assertWarns", "assertWarnsRegex"})
    helper = "warns"
    expected_param = "expected_warning"
    allowed_attributes = frozenset()
    safety = Safety.UNSAFE
