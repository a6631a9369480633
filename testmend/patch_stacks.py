"""Moving patches out of decorators (TM404, TM405): when the move is exact.

A decorator's patch is built once, when the module is imported, in the scope
around the function, and passes its mock as the next positional argument. A
patch moved into the test body (a `with` statement) or into a fixture is
built each time the test runs, in another scope, and names its mock itself.
These checks say when the two mean the same thing, and when they may not.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import libcst as cst
from libcst.metadata import ClassScope, GlobalScope, Scope

from .patches import (Injection, PatchCall, PatchIndex, Qualified, TestPatches, code, is_method, last_name,
                      positional_params)

# Decorators that may sit above a patch stack that is rewritten: they only mark
# the test, they do not call it with other arguments or inspect its signature.
MARK_PREFIXES = ("pytest.mark.", "_pytest.mark.")
UNITTEST_MARKS = frozenset({"unittest.skip", "unittest.skipIf", "unittest.skipUnless", "unittest.expectedFailure",
                            "unittest.case.skip", "unittest.case.skipIf", "unittest.case.skipUnless",
                            "unittest.case.expectedFailure"})


@dataclass(frozen=True)
class MockBinding:
    """One patch decorator of a stack and the parameter its mock fills."""

    decorator: cst.Decorator
    patch: PatchCall
    param: str | None  # None: the patch injects nothing


def is_mark(decorator: cst.Decorator, qualified: Qualified) -> bool:
    node = decorator.decorator
    func = node.func if isinstance(node, cst.Call) else node
    names = set(qualified(func))
    return any(n.startswith(MARK_PREFIXES) or n in UNITTEST_MARKS for n in names)


def bind_stack(test: TestPatches, qualified: Qualified) -> list[MockBinding] | str:
    """The test's patch decorators bottom-up, each with the parameter receiving
    its mock, or why that mapping is not exact."""
    stack = test.stack
    if stack.problem:
        return stack.problem
    if test.class_patches:
        return "the class's own patch decorators pass mocks to this test too"
    for decorator in stack.above:
        if not is_mark(decorator, qualified):
            return (f"the decorator @{code(decorator.decorator)} above the patches wraps the patched test "
                    "and may depend on its mock parameters")
    method = is_method(test.func, test.owner)
    params = positional_params(test.func, method)
    if params is None:
        return "the test takes *args or positional-only parameters, so the mocks cannot be matched to names"
    out: list[MockBinding] = []
    position = 0
    for decorator, call in stack.patches:
        kind = call.injection(qualified)
        if kind is Injection.UNKNOWN:
            return f"@{code(decorator.decorator)} passes its arguments with * or ** (what it injects is unknown)"
        if kind is Injection.KEYWORDS:
            return ("patch.multiple with DEFAULT values passes its mocks as keyword arguments; "
                    "convert it by hand")
        name = None
        if kind is Injection.POSITIONAL:
            if position >= len(params):
                return "the test has fewer parameters than its patches pass mocks"
            name = params[position].name.value
            position += 1
        out.append(MockBinding(decorator, call, name))
    return out


def expression_names(node: cst.CSTNode) -> list[cst.Name]:
    """Names read in `node` (not attribute names or keyword names)."""
    found: list[cst.Name] = []

    class Collect(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

        def visit_Name(self, n: cst.Name) -> None:
            found.append(n)

    node.visit(Collect())
    return found


def moved_name_problem(calls: Sequence[cst.Call], local_names: Iterable[str],
                       scope_of: Callable[[cst.CSTNode], Scope | None], function_scope: Scope | None) -> str | None:
    """Why these decorator expressions would mean something else inside the test
    body (`function_scope`), or next to the names `local_names` a rewrite
    introduces, if they would."""
    local = set(local_names)
    for call in calls:
        for name in expression_names(call):
            scope = scope_of(name)
            if scope is None:
                return f"the scope of {name.value!r} is unknown"
            if scope.assignments[name.value] and not isinstance(scope, (ClassScope, GlobalScope)):
                continue  # a lambda's parameter, a comprehension's variable
            while scope is not None and not isinstance(scope, GlobalScope):
                if isinstance(scope, ClassScope) and scope.assignments[name.value]:
                    return (f"{name.value!r} in a patch is a class attribute, which the test body "
                            "cannot see by that name")
                scope = scope.parent
            if function_scope is not None and function_scope.assignments[name.value]:
                return f"{name.value!r} in a patch names a parameter or local variable inside the test"
            if name.value in local:
                return f"{name.value!r} in a patch would name one of the mocks"
    return None


def reassigned(names: Iterable[str], function_scope: Scope) -> str | None:
    for name in names:
        if len(function_scope.assignments[name]) > 1:
            return f"the mock parameter {name!r} is reassigned in the test"
    return None


# Calls that only build a fresh object (same result whenever they run).
_CONSTRUCTORS = frozenset({
    "unittest.mock.Mock", "unittest.mock.MagicMock", "unittest.mock.AsyncMock", "unittest.mock.NonCallableMock",
    "unittest.mock.NonCallableMagicMock", "unittest.mock.PropertyMock", "mock.Mock", "mock.MagicMock",
    "mock.AsyncMock", "mock.PropertyMock", "mock.NonCallableMock",
})


def evaluation_change(calls: Sequence[PatchCall], repeated: bool, qualified: Qualified) -> str | None:
    """What changes when these patch arguments are evaluated each time the test
    runs instead of once when the module is imported; None when nothing can."""
    for call in calls:
        copied = {"values"} | set(call.extra) if call.kind == "dict" else set()  # patch.dict copies its values
        for key, arg in call.args.items():
            kind = _evaluation(arg.value, qualified)
            if kind == "state":
                return f"{code(arg.value)} is evaluated when the test runs, not when the module is imported"
            if kind == "fresh" and repeated and key not in copied:
                return (f"{code(arg.value)} becomes a new object for each run of the parametrized test "
                        "instead of one shared by all runs")
    return None


def _evaluation(node: cst.BaseExpression, qualified: Qualified) -> str:
    """"same" (names, literals, lambdas), "fresh" (a new object of the same
    value: displays, mock constructors, builtin calls) or "state" (a call whose
    result may depend on when it runs)."""
    if isinstance(node, (cst.Name, cst.BaseNumber, cst.SimpleString, cst.Ellipsis, cst.Lambda)):
        return "same"
    if isinstance(node, cst.Attribute):
        return _evaluation(node.value, qualified)
    if isinstance(node, cst.ConcatenatedString):
        return _worst([_evaluation(node.left, qualified), _evaluation(node.right, qualified)])
    if isinstance(node, cst.FormattedString):
        return _worst([_evaluation(p.expression, qualified) for p in node.parts
                       if isinstance(p, cst.FormattedStringExpression)])
    if isinstance(node, (cst.UnaryOperation,)):
        return _evaluation(node.expression, qualified)
    if isinstance(node, cst.BinaryOperation):
        return _worst([_evaluation(node.left, qualified), _evaluation(node.right, qualified)])
    if isinstance(node, cst.Tuple):
        return _worst([_evaluation(e.value, qualified) for e in node.elements])
    if isinstance(node, (cst.List, cst.Set)):
        return _worst(["fresh"] + [_evaluation(e.value, qualified) for e in node.elements])
    if isinstance(node, cst.Dict):
        parts = ["fresh"]
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                parts += [_evaluation(element.key, qualified), _evaluation(element.value, qualified)]
            else:
                parts.append(_evaluation(element.value, qualified))
        return _worst(parts)
    if isinstance(node, cst.Call):
        names = set(qualified(node.func))
        builtin = isinstance(node.func, cst.Name) and node.func.value in _BUILTIN_CONSTRUCTORS and \
            names <= {node.func.value, f"builtins.{node.func.value}"}
        if names & _CONSTRUCTORS or builtin or _is_exception(node.func):
            return _worst(["fresh"] + [_evaluation(a.value, qualified) for a in node.args])
        return "state"
    return "state"


_BUILTIN_CONSTRUCTORS = frozenset({"dict", "list", "set", "tuple", "frozenset", "str", "int", "float", "bytes",
                                   "range", "object", "bool", "complex"})


def _is_exception(func: cst.BaseExpression) -> bool:
    name = last_name(func)
    return name.endswith(("Error", "Exception")) or name in ("KeyboardInterrupt", "StopIteration", "SystemExit")


def _worst(kinds: Iterable[str]) -> str:
    kinds = list(kinds)
    return "state" if "state" in kinds else "fresh" if "fresh" in kinds else "same"


def is_repeated(test: TestPatches, index: PatchIndex) -> bool:
    """The test may run more than once per session (parametrized here, or a
    `pytestmark` that could parametrize it)."""
    decorators = list(test.func.decorators) + (list(test.owner.decorators) if test.owner else [])
    for decorator in decorators:
        node = decorator.decorator
        func = node.func if isinstance(node, cst.Call) else node
        if any(n.endswith("mark.parametrize") for n in index.qualified(func)) or code(func).endswith("parametrize"):
            return True
    return "pytestmark" in index.names
