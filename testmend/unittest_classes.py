"""Facts about unittest.TestCase's own API that the class conversion (TM201) needs."""
from __future__ import annotations

from .unittest_api import ALIASES, RAISES, SIGNATURES, WARNS

ASSERTIONS = set(SIGNATURES) | set(ALIASES) | RAISES | WARNS
# Everything a TestCase instance has that a plain class would not.
TESTCASE_API = ASSERTIONS | {
    "addClassCleanup", "addCleanup", "addTypeEqualityFunc", "assertLogs", "assertNoLogs",
    "countTestCases", "debug", "defaultTestResult", "doClassCleanups", "doCleanups", "enterClassContext",
    "enterContext", "failureException", "id", "longMessage", "maxDiff", "run", "setUp", "setUpClass",
    "shortDescription", "skipTest", "subTest", "tearDown", "tearDownClass", "_testMethodName",
    "_testMethodDoc", "_outcome", "_cleanups", "_type_equality_funcs", "_subtest", "__call__",
    "_callSetUp", "_callTearDown", "_callTestMethod", "_formatMessage", "_baseAssertEqual",
    "_getAssertEqualityFunc", "_truncateMessage", "_diffThreshold", "_addExpectedFailure",
    "_addUnexpectedSuccess", "_callCleanup", "_deprecate", "_classSetupFailed", "_class_cleanups",
}
# Attributes a converted class may drop: they only tune unittest's failure messages.
MESSAGE_TUNING = {"maxDiff", "longMessage"}
# Methods whose definition in a TestCase subclass changes how unittest runs it.
RUNNER_HOOKS = {"__init__", "__new__", "run", "debug", "__call__", "_callSetUp", "_callTearDown",
                "_callTestMethod", "asyncSetUp", "asyncTearDown", "countTestCases", "defaultTestResult"}
SKIP_DECORATORS = {"skip", "skipIf", "skipUnless", "expectedFailure"}
# Parameters of the skip decorators (what a positional argument binds to).
SKIP_PARAMS = {"skip": ("reason",), "skipIf": ("condition", "reason"), "skipUnless": ("condition", "reason")}
PATCHERS = {"patch", "patch.object", "patch.multiple", "patch.dict"}
