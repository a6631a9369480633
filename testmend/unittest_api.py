"""unittest.TestCase's assertion API as a static table, and the shared machinery
of the rules that rewrite `self.<assertion>(...)` calls.

The table does not come from introspecting the running interpreter: aliases
removed in Python 3.12 (`assertEquals`, `failUnless`, `assertDictContainsSubset`)
and methods added in 3.14 (`assertStartsWith`...) are known on every host.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Sequence

import libcst as cst

from .classgraph import ClassGraph, ModuleFacts, index_module, module_name
from .pytest_config import read_pytest_config
from .rule import Rule

# method -> parameter names, in order (what a positional argument binds to)
SIGNATURES: dict[str, tuple[str, ...]] = {
    "assertEqual": ("first", "second", "msg"),
    "assertNotEqual": ("first", "second", "msg"),
    "assertTrue": ("expr", "msg"),
    "assertFalse": ("expr", "msg"),
    "assertIs": ("expr1", "expr2", "msg"),
    "assertIsNot": ("expr1", "expr2", "msg"),
    "assertIsNone": ("obj", "msg"),
    "assertIsNotNone": ("obj", "msg"),
    "assertIn": ("member", "container", "msg"),
    "assertNotIn": ("member", "container", "msg"),
    "assertIsInstance": ("obj", "cls", "msg"),
    "assertNotIsInstance": ("obj", "cls", "msg"),
    "assertGreater": ("a", "b", "msg"),
    "assertGreaterEqual": ("a", "b", "msg"),
    "assertLess": ("a", "b", "msg"),
    "assertLessEqual": ("a", "b", "msg"),
    "assertRegex": ("text", "expected_regex", "msg"),
    "assertNotRegex": ("text", "unexpected_regex", "msg"),
    "assertCountEqual": ("first", "second", "msg"),
    "assertDictContainsSubset": ("subset", "dictionary", "msg"),
    "assertDictEqual": ("d1", "d2", "msg"),
    "assertListEqual": ("list1", "list2", "msg"),
    "assertTupleEqual": ("tuple1", "tuple2", "msg"),
    "assertSetEqual": ("set1", "set2", "msg"),
    "assertSequenceEqual": ("seq1", "seq2", "msg", "seq_type"),
    "assertMultiLineEqual": ("first", "second", "msg"),
    "assertAlmostEqual": ("first", "second", "places", "msg", "delta"),
    "assertNotAlmostEqual": ("first", "second", "places", "msg", "delta"),
    "fail": ("msg",),
    # added in Python 3.14
    "assertStartsWith": ("s", "prefix", "msg"),
    "assertNotStartsWith": ("s", "prefix", "msg"),
    "assertEndsWith": ("s", "suffix", "msg"),
    "assertNotEndsWith": ("s", "suffix", "msg"),
    "assertHasAttr": ("obj", "name", "msg"),
    "assertNotHasAttr": ("obj", "name", "msg"),
    "assertIsSubclass": ("cls", "superclass", "msg"),
    "assertNotIsSubclass": ("cls", "superclass", "msg"),
}
RAISES = {"assertRaises", "assertRaisesRegex"}
WARNS = {"assertWarns", "assertWarnsRegex"}
CONTEXT_ONLY = {"assertLogs", "assertNoLogs"}

ALIASES: dict[str, str] = {
    "assertEquals": "assertEqual",
    "failUnlessEqual": "assertEqual",
    "assertNotEquals": "assertNotEqual",
    "failIfEqual": "assertNotEqual",
    "failUnless": "assertTrue",
    "assert_": "assertTrue",
    "failIf": "assertFalse",
    "assertAlmostEquals": "assertAlmostEqual",
    "failUnlessAlmostEqual": "assertAlmostEqual",
    "assertNotAlmostEquals": "assertNotAlmostEqual",
    "failIfAlmostEqual": "assertNotAlmostEqual",
    "assertRegexpMatches": "assertRegex",
    "assertNotRegexpMatches": "assertNotRegex",
    "assertRaisesRegexp": "assertRaisesRegex",
    "failUnlessRaises": "assertRaises",
}
# gone from TestCase in Python 3.12: a later class in the MRO could supply them there
REMOVED_IN_312 = set(ALIASES) | {"assertDictContainsSubset"}
ALL_NAMES = set(SIGNATURES) | RAISES | WARNS | CONTEXT_ONLY | set(ALIASES)


def canonical(name: str) -> str:
    return ALIASES.get(name, name)


@dataclass(frozen=True)
class Bound:
    """Arguments of a call bound to parameter names (values are the call's Arg nodes)."""

    args: dict[str, cst.Arg]
    in_order: bool  # keywords appear in parameter order (evaluation order is kept)


def bind(call: cst.Call, params: Sequence[str], extra_positional: bool = False) -> Bound | str:
    """Bind `call`'s arguments to `params` like Python would, or say why not."""
    out: dict[str, cst.Arg] = {}
    order: list[int] = []
    for i, arg in enumerate(call.args):
        if arg.star:
            return "arguments are passed with * or **, so they cannot be matched to unittest's parameters"
        if arg.keyword is None:
            if i >= len(params):
                return "the call passes more arguments than unittest accepts"
            out[params[i]] = arg
            order.append(i)
        else:
            key = arg.keyword.value
            if key not in params or key in out:
                return f"keyword {key!r} does not match unittest's signature"
            out[key] = arg
            order.append(params.index(key))
    return Bound(out, order == sorted(order))


# ---------------------------------------------------------------- suite analysis
class TestCaseClasses:
    """Suite analysis: the class graph, shared by every rule about TestCase methods."""

    name = "testcase-classes"

    @staticmethod
    def index_file(path: Path, tree: object, source: str) -> ModuleFacts:
        return index_module(path, tree)  # type: ignore[arg-type]

    @staticmethod
    def build(facts: dict[Path, ModuleFacts], root: Path) -> ClassGraph:
        graph = ClassGraph.build(facts.values())
        graph.pytest = read_pytest_config(root)
        return graph

    @staticmethod
    def extra_files(graph: ClassGraph) -> list[Path]:
        """Modules that are not test files but hold base classes or mixins of
        test classes (tests/__init__.py, tests/base.py): their `self.assert*`
        calls belong to the suite too."""
        return sorted(graph.loaded)


class UnittestCallRule(Rule):
    """Base for rules about `self.<TestCase method>(...)` calls: tracks the
    enclosing class and method and answers whether `self.<name>` is certainly
    unittest.TestCase's own method for every class whose instance `self` can be."""

    needs: ClassVar[tuple[type, ...]] = (TestCaseClasses,)

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        # frames: ("class", qualified name) or ("func", node, self name or None)
        self._frames: list[tuple] = []
        self._module_name = module_name(context.path)[0]
        self._owner_cache: dict[tuple[str, str], str | None] = {}

    @property
    def graph(self) -> ClassGraph | None:
        return self.context.suite.data.get(TestCaseClasses.name)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if any(f[0] == "func" for f in self._frames):
            qual = "?"  # a class local to a function is not in the class graph
        else:
            qual = ".".join([f[1] for f in self._frames] + [node.name.value])
        self._frames.append(("class", qual))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._frames.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self_name = None
        if self._frames and self._frames[-1][0] == "class":
            decorators = {d.decorator.value for d in node.decorators if isinstance(d.decorator, cst.Name)}
            params = node.params.posonly_params or node.params.params
            if params and not decorators & {"staticmethod", "classmethod"}:
                self_name = params[0].name.value
        self._frames.append(("func", node, self_name))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._frames.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._frames.append(("func", node, None))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._frames.pop()

    # -------------------------------------------------------------- queries
    def current_method(self) -> tuple[cst.FunctionDef, str, str] | None:
        """(method node, self name, class) of the method the visitor is in, when
        `self` there certainly is the instance (not shadowed by an inner def)."""
        inner: list[cst.CSTNode] = []
        for i in range(len(self._frames) - 1, -1, -1):
            frame = self._frames[i]
            if frame[0] == "class":
                return None
            if frame[2] is not None:
                self_name = frame[2]
                for node in inner:
                    p = node.params
                    names = {x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)}
                    for star in (p.star_arg, p.star_kwarg):
                        if isinstance(star, cst.Param):
                            names.add(star.name.value)
                    if self_name in names:
                        return None
                return frame[1], self_name, self._frames[i - 1][1]
            inner.append(frame[1])
        return None

    def self_method(self, call: cst.Call) -> tuple[str, str, cst.FunctionDef] | None:
        """(method name, class, enclosing method) when `call` is `self.<name>(...)`."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return None
        found = self.current_method()
        if found is None or func.value.value != found[1]:
            return None
        return func.attr.value, found[2], found[0]

    def blocker(self, cls: str, name: str) -> str | None:
        """None when `self.<name>` in a method of `cls` is TestCase's own, else why not."""
        key = (cls, name)
        if key not in self._owner_cache:
            self._owner_cache[key] = self._blocker(cls, name)
        return self._owner_cache[key]

    def _blocker(self, cls: str, name: str) -> str | None:
        graph = self.graph
        if graph is None or "?" in cls.split("."):
            return "the class could not be analysed"
        qual = f"{self._module_name}.{cls}"
        kinds = graph.self_types(qual)
        if not kinds:
            return f"{cls} is not a unittest.TestCase subclass (nor mixed into one)"
        for kind in kinds:
            for member in (name, "failureException"):
                who, detail = graph.lookup(kind, member)
                if who == "project":
                    short = detail.rsplit(".", 1)[-1]
                    if member == "failureException":
                        return f"{short} sets failureException, so assertions raise something else"
                    return f"{short} defines its own {name}"
                if who == "unknown":
                    return detail
            if name in REMOVED_IN_312:
                who, detail = graph.lookup(kind, name, testcase_defines=False)
                if who == "project":
                    return f"{detail.rsplit('.', 1)[-1]} defines {name} (used on Python 3.12+)"
        return None
