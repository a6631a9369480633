"""TM102: `self.assertRaises` / `assertRaisesRegex` in a pytest suite."""
from __future__ import annotations

import re

from testmend.model import Safety, Severity

from ._expectation import ExpectationRule


class UnittestRaises(ExpectationRule):
    """Flags `self.assertRaises(...)` and `self.assertRaisesRegex(...)` that can be `pytest.raises`.

    ## What it does
    Rewrites both forms of unittest's exception assertions, and their deprecated
    aliases (`failUnlessRaises`, `assertRaisesRegexp`):
    the context manager (`with self.assertRaises(E) as cm:`), where every use of
    `cm.exception` in the function becomes `cm.value`, and the callable form
    (`self.assertRaises(E, func, *args, **kwargs)`), which becomes a `with`
    block calling `func`. The regex variants pass the pattern as `match=`.

    ## Why is this bad?
    `pytest.raises` is the idiomatic form, works outside TestCase classes and
    gives an `ExceptionInfo` with the traceback; the callable form hides the
    call being tested among the assertion's arguments.

    ## Example
    ```python
    with self.assertRaises(KeyError) as cm:
        lookup("x")
    self.assertEqual(cm.exception.args, ("x",))
    self.assertRaisesRegex(ValueError, "bad", parse, "??")
    ```
    becomes
    ```python
    with pytest.raises(KeyError) as cm:
        lookup("x")
    assert cm.value.args == ("x",)
    with pytest.raises(ValueError, match="bad"):
        parse("??")
    ```

    ## Fix safety
    Safe: the same exception classes are accepted, the exception is the same
    object (`cm.value`), and the pattern is searched in `str(exception)` as
    unittest does. A literal pattern anchored at the end (`$`, `\\Z`) goes to
    `check=lambda e: re.search(P, str(e))` (pytest >= 8.4) instead of `match=`:
    pytest's match searches the message followed by the exception's PEP 678
    notes, one per line, where the anchor no longer matches. Unsafe: such a
    pattern kept as `match=` (an f-string, pytest < 8.4, or a module that binds
    `re` to something else; patterns held in variables are not inspected). Left alone, with the reason: a bound
    name used other than as `cm.exception` (passed to a helper, rebound, used in
    a nested function, or `cm.exception.__traceback__`, which unittest clears
    and pytest keeps), `msg=` in the context-manager form, a call without a
    callable outside `with` (it checks nothing), a call whose result is used or
    that shares its line, a pattern on an exception group (pytest matches only
    its message), and an assertion inside code that catches AssertionError
    (`except AssertionError`, `assertRaises(AssertionError)`): pytest.raises
    fails with pytest's own exception, which those do not catch.
    """

    code = "TM102"
    name = "unittest-raises"
    severity = Severity.MINOR
    fix_safety = Safety.SAFE
    prefilter = re.compile(rb"\.(assertRaises|failUnlessRaises)")
    methods = frozenset({"assertRaises", "assertRaisesRegex"})
    helper = "raises"
    expected_param = "expected_exception"
    allowed_attributes = frozenset({"exception"})
    safety = Safety.SAFE
