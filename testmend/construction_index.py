"""Large constructions and helper classes repeated across a suite (TM302, TM303).

Suite analysis, on the `ast` parse of every file. Per file it extracts:

  * every *construction* built in a test, fixture or setup hook: a dict
    literal or a call of a dotted name (`AppConfig(...)`), with the lists,
    tuples, sets, dicts and calls nested in it. Its *fingerprint* is the
    structure only (node kinds, callee names, keyword names, constant dict
    keys, in source order); everything else is a *leaf*, abstracted out of
    the fingerprint and kept as a vector of values (`ast.dump` text). Its
    size is the number of keyword arguments and dict entries in the tree;
  * every module-level helper class, fingerprinted the same way (the class
    body with its constants as leaves);
  * what a fix needs to know: how each test binds and uses names, which
    names the module binds (and how it imports them), the fixtures it defines
    and the names its functions request.

Grouping is linear: constructions are bucketed by fingerprint, identical leaf
vectors merged, and near-duplicates (at most `max-differences` leaves apart
from a group's centre) found through the pigeonhole principle: two vectors
that differ in at most d positions agree on at least one of d + 1 blocks, so
each vector is compared only with the centres that share a block with it.
"""
from __future__ import annotations

import ast
import builtins
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Hashable, Iterable, Sequence, TypeVar

FLOOR = 3  # smallest size extracted: `min-size` below this behaves as this
_HOOKS = frozenset({"setUp", "setUpClass", "asyncSetUp", "setup_method", "setup_class", "setup",
                    "setup_function", "setup_module", "setUpModule"})
_FIXTURE_DECORATORS = frozenset({"pytest.fixture", "fixture", "pytest_asyncio.fixture", "pytest.yield_fixture",
                                 "yield_fixture"})
BUILTINS = frozenset(dir(builtins))
_NONE: frozenset[str] = frozenset()

# Slot steps: how a leaf is reached from the root of its construction.
KW, KEY, POS, ELT, DICTKEY, STAR = "kw", "key", "pos", "elt", "dictkey", "star"
Step = tuple[str, str]


# ---------------------------------------------------------------- facts
@dataclass(frozen=True)
class Function:
    """A test, fixture or setup hook that builds constructions."""

    ordinal: int  # its place among every `def` of the module, in source order
    name: str
    qualname: str  # `TestA.test_x`
    line: int
    kind: str  # "test", "fixture" or "hook"
    blocker: str | None  # why it cannot request a fixture, or None
    params: tuple[str, ...]
    fixture_params: frozenset[str]  # parameters that are plainly fixtures
    locals: frozenset[str]  # names its body binds (parameters excluded)
    names: frozenset[str]  # every name it mentions or binds


@dataclass(frozen=True)
class Construction:
    path: Path
    line: int
    column: int
    function: int  # Function.ordinal
    label: str  # `AppConfig(...)`, `{...}`
    fingerprint: str
    leaves: tuple[str, ...]
    slots: tuple[tuple[Step, ...], ...]  # per leaf, its path from the root
    leaf_names: tuple[frozenset[str], ...]  # per leaf, the free names it reads
    callees: frozenset[str]  # root names of the callees (`AppConfig`, `config` of `config.Env`)
    size: int
    parent: int | None  # index (in its file) of the construction it is nested in
    target: str | None  # `target = <this>` is a statement of the function's own body
    statement: int  # that statement's index in the function body; -1 if not one
    blocker: str | None  # why this statement cannot be replaced, or None


@dataclass(frozen=True)
class HelperClass:
    path: Path
    name: str
    line: int
    column: int
    fingerprint: str
    leaves: tuple[str, ...]
    size: int  # statements in its body, nested ones included


# How a module binds a name at module level: ("import", module, None) for
# `import a.b` (binding `a`), ("import", module, alias), ("from", module, name,
# alias-or-None, level), ("local", kind) for def/class/assignments.
Binding = tuple


@dataclass(frozen=True)
class FileFacts:
    path: Path
    constructions: tuple[Construction, ...]
    functions: dict[int, Function]
    bindings: dict[str, Binding]
    star_import: bool
    fixtures: frozenset[str]  # fixture names this file defines
    requested: frozenset[str]  # parameter names of its functions
    helpers: tuple[HelperClass, ...]


# ---------------------------------------------------------------- helpers
def dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


def _free_names(node: ast.AST) -> frozenset[str]:
    """Names `node` reads that it does not bind itself (comprehension variables, lambda arguments)."""
    loads, bound = set(), set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loads if isinstance(sub.ctx, ast.Load) else bound).add(sub.id)
        elif isinstance(sub, ast.arg):
            bound.add(sub.arg)
    return frozenset(loads - bound)


def _stmt_count(nodes: Iterable[ast.AST]) -> int:
    return sum(1 for n in nodes for sub in ast.walk(n) if isinstance(sub, ast.stmt))


def _is_assert_call(node: ast.Call) -> bool:
    name = dotted(node.func) or ""
    return name.rpartition(".")[2].lstrip("_").startswith("assert")


def constructor_name(name: str | None) -> bool:
    """A dotted callee whose call builds a value: not an `assert*` call (its
    arguments are expected values) nor a method of the test itself
    (`self.subTest(...)`, `self.make(...)`)."""
    if not name:
        return False
    return not name.rpartition(".")[2].lstrip("_").startswith("assert") and \
        name.split(".")[0] not in ("self", "cls")


# ---------------------------------------------------------------- constructions
@dataclass
class _Desc:
    parts: str
    leaves: list[str] = field(default_factory=list)
    slots: list[tuple[Step, ...]] = field(default_factory=list)
    names: list[frozenset[str]] = field(default_factory=list)
    callees: set[str] = field(default_factory=set)
    size: int = 0


class _Extractor:
    """Finds the constructions in one function, bottom-up, each once."""

    def __init__(self, path: Path, function: int, lines: list[str]) -> None:
        self.path = path
        self.function = function
        self.lines = lines
        self.found: list[tuple[ast.expr, _Desc] | None] = []
        self.parents: list[int | None] = []
        self.roots: dict[int, int] = {}  # id(ast node) -> index, for the statement targets

    def scan(self, node: ast.AST, parent: int | None = None) -> None:
        """Look for constructions anywhere in `node`."""
        if isinstance(node, ast.Assert):
            return  # expected values, not configuration
        if isinstance(node, ast.Call) and _is_assert_call(node):
            return
        if isinstance(node, ast.Dict) or isinstance(node, ast.Call) and constructor_name(dotted(node.func)):
            self.describe(node, parent)
            return
        for child in ast.iter_child_nodes(node):
            self.scan(child, parent)

    def describe(self, node: ast.expr, parent: int | None) -> _Desc:
        """The structure of `node`, registering it (and what it nests) when large enough."""
        index = len(self.found)
        self.found.append(None)
        self.parents.append(parent)
        desc = self._structure(node, index)
        if desc.size >= FLOOR and (isinstance(node, ast.Dict) or isinstance(node, ast.Call)):
            self.found[index] = (node, desc)
            self.roots[id(node)] = index
        return desc

    def _structure(self, node: ast.expr, index: int) -> _Desc:
        desc = _Desc("")
        parts: list[str] = []

        def child(step: Step, value: ast.expr) -> None:
            if _structural(value):
                sub = self.describe(value, index)
                parts.append(sub.parts)
                desc.leaves.extend(sub.leaves)
                desc.slots.extend((step, *s) for s in sub.slots)
                desc.names.extend(sub.names)
                desc.callees |= sub.callees
                desc.size += sub.size
            else:
                leaf(step, value)

        def leaf(step: Step, value: ast.expr) -> None:
            parts.append("_")
            desc.slots.append((step,))
            if isinstance(value, ast.Constant):  # most leaves: no names, nothing inside
                desc.leaves.append(f"Constant({value.value!r})")
                desc.names.append(_NONE)
            elif isinstance(value, ast.Name):
                desc.leaves.append(f"Name({value.id!r})")
                desc.names.append(frozenset((value.id,)))
            else:
                desc.leaves.append(ast.dump(value, annotate_fields=False))
                desc.names.append(_free_names(value))
                self.scan(value, index)  # constructions inside a leaf (`x=f(Config(...))[0]`)

        if isinstance(node, ast.Call):
            name = dotted(node.func) or ""
            desc.callees.add(name.split(".")[0])
            items = sorted([*node.args, *node.keywords], key=lambda n: (n.lineno, n.col_offset))
            parts.append(f"C{name}(")
            position = 0
            for item in items:
                if isinstance(item, ast.keyword):
                    if item.arg is None:
                        leaf((STAR, "**"), item.value)
                    else:
                        parts.append(f"{item.arg}=")
                        desc.size += 1
                        child((KW, item.arg), item.value)
                elif isinstance(item, ast.Starred):
                    leaf((STAR, "*"), item)
                else:
                    child((POS, str(position)), item)
                    position += 1
            parts.append(")")
        elif isinstance(node, ast.Dict):
            parts.append("D{")
            for i, (key, value) in enumerate(zip(node.keys, node.values)):
                desc.size += 1
                if key is None:
                    leaf((STAR, "**"), value)
                    continue
                if isinstance(key, ast.Constant):
                    parts.append(f"{key.value!r}:")
                    step = (KEY, key.value if isinstance(key.value, str) else repr(key.value))
                else:
                    leaf((DICTKEY, str(i)), key)
                    step = (DICTKEY, str(i))
                child(step, value)
            parts.append("}")
        else:
            assert isinstance(node, (ast.List, ast.Tuple, ast.Set))
            parts.append(f"{type(node).__name__[0]}[")
            for i, element in enumerate(node.elts):
                if isinstance(element, ast.Starred):
                    leaf((STAR, "*"), element)
                else:
                    child((ELT, str(i)), element)
            parts.append("]")
        desc.parts = ",".join(parts)
        return desc

    def results(self, base: int, statements: dict[int, tuple[str | None, int, str | None]]) -> list[Construction]:
        """The registered constructions, each linked to the nearest registered one
        around it (indices from `base`, the file's count so far), with what
        `statements` says of those that are a statement's value."""
        keep: dict[int, int] = {}
        out: list[Construction] = []
        for i, found in enumerate(self.found):
            if found is None:
                continue
            node, desc = found
            parent = self.parents[i]
            while parent is not None and self.found[parent] is None:
                parent = self.parents[parent]
            keep[i] = base + len(out)
            label = "{...}" if isinstance(node, ast.Dict) else f"{dotted(node.func)}(...)"  # type: ignore[attr-defined]
            line = self.lines[node.lineno - 1] if node.lineno <= len(self.lines) else ""
            column = len(line.encode("utf-8", "surrogatepass")[:node.col_offset].decode("utf-8", "replace"))
            target, statement, blocker = statements.get(i, (None, -1, None))
            out.append(Construction(
                self.path, node.lineno, column, self.function, label, _digest(desc.parts), tuple(desc.leaves),
                tuple(desc.slots), tuple(desc.names), frozenset(desc.callees), desc.size,
                None if parent is None else keep[parent], target, statement, blocker))
        return out


def _structural(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        return constructor_name(dotted(node.func))
    return isinstance(node, (ast.Dict, ast.List, ast.Tuple, ast.Set))


# ---------------------------------------------------------------- functions
def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[list[str], set[str], str | None]:
    """Parameter names, those with defaults, and why new ones cannot be added (or None)."""
    a = fn.args
    names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    defaulted = {p.arg for p in a.args[len(a.args) - len(a.defaults):]} if a.defaults else set()
    defaulted |= {p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None}
    for extra in (a.vararg, a.kwarg):
        if extra is not None:
            names.append(extra.arg)
    blocker = None
    if a.posonlyargs or a.kwonlyargs or a.vararg or a.kwarg:
        blocker = "has positional-only, keyword-only, *args or **kwargs parameters"
    return names, defaulted, blocker


def _decorator_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, ast.expr]]:
    out = []
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        out.append((dotted(target) or "", dec))
    return out


def _fixture_info(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, str] | None:
    """(fixture name, scope) if `fn` is a fixture."""
    for name, dec in _decorator_names(fn):
        if name in _FIXTURE_DECORATORS:
            fixture, scope = fn.name, "function"
            if isinstance(dec, ast.Call):
                for kw in dec.keywords:
                    if kw.arg == "name":
                        fixture = kw.value.value if isinstance(kw.value, ast.Constant) else "?"
                    elif kw.arg == "scope":
                        scope = kw.value.value if isinstance(kw.value, ast.Constant) else "?"
                if dec.args and isinstance(dec.args[0], ast.Constant):
                    scope = str(dec.args[0].value)
            return str(fixture), str(scope)
    return None


def _not_fixtures(fn: ast.FunctionDef | ast.AsyncFunctionDef, params: list[str]) -> set[str] | None:
    """Parameters filled by something else than a fixture (parametrize, mock.patch
    decorators); None when that cannot be told."""
    out: set[str] = set()
    patches = 0
    for name, dec in _decorator_names(fn):
        last = name.rpartition(".")[2]
        if last == "parametrize":
            if not isinstance(dec, ast.Call) or not dec.args:
                return None
            first = dec.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out.update(n.strip() for n in first.value.split(","))
            elif isinstance(first, (ast.List, ast.Tuple)) and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in first.elts):
                out.update(e.value for e in first.elts)  # type: ignore[attr-defined]
            else:
                return None
        elif last in ("patch", "object", "dict", "multiple") and "patch" in name:
            if last == "dict":
                continue
            if isinstance(dec, ast.Call) and (len(dec.args) > (2 if last == "object" else 1)
                                               or any(k.arg == "new" for k in dec.keywords)):
                continue
            patches += 1
        elif name and not name.startswith(("pytest.mark.", "mark.")) and name not in _FIXTURE_DECORATORS:
            return None  # an unknown decorator may fill arguments
    plain = [p for p in params if p not in ("self", "cls")]
    out.update(plain[:patches])
    return out


def _names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[set[str], set[str], set[str]]:
    """In one walk: the names the body binds in its own scope, those it declares
    global or nonlocal, and every name mentioned anywhere in it."""
    bound: set[str] = set()
    declared: set[str] = set()
    mentioned: set[str] = set()
    todo: list[tuple[ast.AST, bool]] = [(n, False) for n in fn.body]  # (node, in a nested scope)
    nested_scopes = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    while todo:
        node, nested = todo.pop()
        if isinstance(node, ast.Name):
            mentioned.add(node.id)
            if not nested and not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if not nested:
                bound.add(node.name)
            todo.extend((n, nested) for n in node.decorator_list)
            todo.extend((n, True) for n in node.body)
            continue
        inner = nested or isinstance(node, nested_scopes)
        if not inner:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                bound.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                declared.update(node.names)
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
                bound.add(node.name)
        todo.extend((n, inner) for n in ast.iter_child_nodes(node))
    return bound - declared, declared, mentioned


def _class_blocker(cls: ast.ClassDef | None) -> str | None:
    if cls is None:
        return None
    bases = [dotted(b) or "?" for b in cls.bases]
    bases = [b for b in bases if b != "object"]
    if any(b.rpartition(".")[2].endswith("TestCase") or b.startswith("unittest.") for b in bases):
        return f"is a method of unittest.TestCase class {cls.name}, and TestCase methods cannot request fixtures"
    if bases:
        return f"is a method of {cls.name}, which derives from {bases[0]}: testmend extracts fixtures only for " \
               "test functions and plain test classes"
    if cls.keywords:
        return f"is a method of {cls.name}, which has a metaclass or class keywords"
    return None


# ---------------------------------------------------------------- the module scan
def _defs(body: list[ast.stmt]) -> Iterable[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every `def` in source order (statements only: a `def` is never inside an
    expression), the order libcst visits them in, which numbers them for both."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield stmt
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list):
                yield from _defs(inner)
            if name == "body":
                for handler in getattr(stmt, "handlers", ()):
                    yield from _defs(handler.body)
                for case in getattr(stmt, "cases", ()):
                    yield from _defs(case.body)
class _Scanner:
    def __init__(self, path: Path, tree: ast.Module, source: str = "") -> None:
        self.path = path
        self.tree = tree
        self.lines = source.splitlines()
        self.ordinals = {id(n): i for i, n in enumerate(_defs(tree.body))}
        self.constructions: list[Construction] = []
        self.functions: dict[int, Function] = {}
        self.fixtures: set[str] = set()
        self.requested: set[str] = set()
        self.bindings: dict[str, Binding] = {}
        self.star = False
        self.helpers: list[HelperClass] = []

    def scan(self) -> FileFacts:
        self.block(self.tree.body, None, top=True)
        return FileFacts(self.path, tuple(self.constructions), self.functions, self.bindings, self.star,
                         frozenset(self.fixtures), frozenset(self.requested), tuple(self.helpers))

    def bind(self, name: str, how: Binding) -> None:
        old = self.bindings.get(name)
        self.bindings[name] = how if old is None or old == how else ("local", "bound more than once")

    def block(self, body: list[ast.stmt], cls: ast.ClassDef | None, top: bool) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.function(stmt, cls)
                if top:
                    self.bind(stmt.name, ("local", "def"))
            elif isinstance(stmt, ast.ClassDef):
                if top:
                    self.bind(stmt.name, ("local", "class"))
                    self.helper(stmt)
                self.block(stmt.body, stmt, top=False)
            elif top and isinstance(stmt, ast.Import):
                for a in stmt.names:
                    if a.asname:
                        self.bind(a.asname, ("import", a.name, a.asname))
                    else:
                        self.bind(a.name.split(".")[0], ("import", a.name, None))
            elif top and isinstance(stmt, ast.ImportFrom):
                for a in stmt.names:
                    if a.name == "*":
                        self.star = True
                    else:
                        self.bind(a.asname or a.name, ("from", stmt.module or "", a.name, a.asname, stmt.level))
            elif isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)) or \
                    type(stmt).__name__ == "TryStar":
                for name in ("body", "orelse", "finalbody"):
                    self.block(getattr(stmt, name, []), cls, top)
                for handler in getattr(stmt, "handlers", []):
                    self.block(handler.body, cls, top)
                if top and isinstance(stmt, (ast.For, ast.With)):
                    for sub in ast.walk(stmt):
                        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                            self.bind(sub.id, ("local", "assignment"))
            elif top:
                for sub in ast.walk(stmt):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        self.bind(sub.id, ("local", "assignment"))

    def function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, cls: ast.ClassDef | None) -> None:
        params, defaulted, param_blocker = _params(fn)
        self.requested.update(p for p in params if p not in ("self", "cls"))
        fixture = _fixture_info(fn)
        if fixture:
            self.fixtures.add(fixture[0])
        if fixture:
            kind = "fixture"
        elif fn.name.startswith("test") and (cls is None or cls.name.startswith("Test") or cls.bases):
            kind = "test"
        elif fn.name in _HOOKS:
            kind = "hook"
        else:
            return
        extractor = _Extractor(self.path, self.ordinals[id(fn)], self.lines)
        for stmt in fn.body:
            extractor.scan(stmt)
        if not extractor.roots:
            return
        blocker = _class_blocker(cls) if cls is not None else None
        if blocker is None and kind == "hook":
            blocker = f"is the setup hook {fn.name}, which cannot request fixtures"
        if blocker is None and fixture and fixture[1] != "function":
            blocker = f"is a fixture with scope {fixture[1]!r}, which cannot request a function-scoped fixture"
        if blocker is None and any(n in ("staticmethod", "classmethod") for n, _ in _decorator_names(fn)):
            blocker = "is a static or class method"
        blocker = blocker or param_blocker
        not_fixtures = _not_fixtures(fn, params)
        if not_fixtures is None:
            fixture_params: frozenset[str] = frozenset()
        else:
            fixture_params = frozenset(set(params) - not_fixtures - defaulted - {"self", "cls"})
        bound, declared, mentioned = _names(fn)
        names = mentioned | set(params) | bound
        qual = f"{cls.name}.{fn.name}" if cls is not None else fn.name
        ordinal = self.ordinals[id(fn)]
        self.functions[ordinal] = Function(ordinal, fn.name, qual, fn.lineno, kind, blocker, tuple(params),
                                           fixture_params, frozenset(bound - set(params)), frozenset(names))
        statements: dict[int, tuple[str | None, int, str | None]] = {}
        for i, stmt in enumerate(fn.body):
            if isinstance(stmt, ast.Assign) and id(stmt.value) in extractor.roots:
                index = extractor.roots[id(stmt.value)]
                target = stmt.targets[0] if len(stmt.targets) == 1 else None
                name = target.id if isinstance(target, ast.Name) else None
                why = None
                if name is None:
                    why = "its value is not assigned to a single name"
                elif name in declared:
                    why = f"`{name}` is declared global or nonlocal"
                elif any(isinstance(n, ast.Name) and n.id == name for s in fn.body[:i] for n in ast.walk(s)):
                    why = f"`{name}` is used before this assignment"
                elif any(o is not stmt and o.lineno <= (stmt.end_lineno or stmt.lineno)
                         and (o.end_lineno or o.lineno) >= stmt.lineno for o in fn.body):
                    why = "the statement shares its line with another one"
                statements[index] = (name, i, why)
        self.constructions.extend(extractor.results(len(self.constructions), statements))

    def helper(self, cls: ast.ClassDef) -> None:
        if cls.name.startswith("Test") or any(
                isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name.startswith("test")
                for s in cls.body):
            return
        leaves: list[str] = []
        parts: list[str] = []
        _serialise([*cls.bases, *cls.keywords, *cls.decorator_list, *cls.body], parts, leaves)
        self.helpers.append(HelperClass(self.path, cls.name, cls.lineno, cls.col_offset, _digest("".join(parts)),
                                        tuple(leaves), _stmt_count(cls.body)))


def _serialise(value: object, parts: list[str], leaves: list[str]) -> None:
    """The structure of `value` (an AST, a list of them, a field value) with constants as leaves."""
    if isinstance(value, ast.Constant):
        parts.append("_")
        leaves.append(repr(value.value))
    elif isinstance(value, ast.AST):
        parts.append(type(value).__name__ + "(")
        for name in value._fields:
            if name in ("ctx", "type_comment", "kind"):
                continue
            _serialise(getattr(value, name, None), parts, leaves)
            parts.append(",")
        parts.append(")")
    elif isinstance(value, list):
        parts.append("[")
        for item in value:
            _serialise(item, parts, leaves)
            parts.append(",")
        parts.append("]")
    else:
        parts.append(repr(value))


# ---------------------------------------------------------------- grouping
T = TypeVar("T")


def cluster(items: Sequence[T], fingerprint: Callable[[T], Hashable], leaves: Callable[[T], tuple[str, ...]],
            max_differences: int) -> list[tuple[list[T], tuple[str, ...]]]:
    """Items with the same fingerprint whose leaves differ from a shared centre
    in at most `max_differences` positions: (members, centre leaves) per cluster
    of two items or more. Linear in the number of items (see the module doc)."""
    buckets: dict[Hashable, list[T]] = defaultdict(list)
    for item in items:
        buckets[fingerprint(item)].append(item)
    out: list[tuple[list[T], tuple[str, ...]]] = []
    d = max(0, max_differences)
    for bucket in buckets.values():
        if len(bucket) < 2:
            continue
        exact: dict[tuple[str, ...], list[T]] = defaultdict(list)
        for item in bucket:
            exact[leaves(item)].append(item)
        vectors = sorted(exact, key=lambda v: -len(exact[v]))  # stable: the most common first
        size = len(vectors[0])
        bounds = [(size * b // (d + 1), size * (b + 1) // (d + 1)) for b in range(d + 1)]
        centres: list[tuple[str, ...]] = []
        index: dict[tuple[int, tuple[str, ...]], list[tuple[str, ...]]] = defaultdict(list)
        members: dict[tuple[str, ...], list[T]] = {}
        for v in vectors:
            home = None
            if d and size <= d:
                home = centres[0] if centres else None
            elif d:
                for b, (s, e) in enumerate(bounds):
                    for c in index.get((b, v[s:e]), ()):
                        if sum(x != y for x, y in zip(v, c)) <= d:
                            home = c
                            break
                    if home is not None:
                        break
            if home is None:
                centres.append(v)
                members[v] = list(exact[v])
                for b, (s, e) in enumerate(bounds):
                    index[(b, v[s:e])].append(v)
            else:
                members[home].extend(exact[v])
        out.extend((members[c], c) for c in centres if len(members[c]) >= 2)
    return out


@dataclass(frozen=True)
class Group:
    """Constructions repeated in two or more functions."""

    members: tuple[Construction, ...]  # by path and line
    centre: tuple[str, ...]  # the leaves most members share
    differing: tuple[int, ...]  # leaf positions where some member differs from the centre

    @property
    def first(self) -> Construction:
        return self.members[0]

    def differences(self, member: Construction) -> list[int]:
        return [i for i in self.differing if member.leaves[i] != self.centre[i]]


@dataclass(frozen=True)
class HelperGroup:
    members: tuple[HelperClass, ...]
    differing: tuple[int, ...]


class Constructions:
    """What ConstructionIndex builds: every file's facts, grouped on demand."""

    def __init__(self, files: dict[Path, FileFacts], root: Path) -> None:
        self.files = files
        self.root = root
        self.by_resolved = {p.resolve(): f for p, f in files.items()}
        self._groups: dict[tuple[int, int], list[Group]] = {}
        self.cache: dict[object, object] = {}  # what rules derive from the groups, per options

    def facts(self, path: Path) -> FileFacts | None:
        return self.files.get(path) or self.by_resolved.get(path.resolve())

    def function(self, c: Construction) -> Function:
        return self.files[c.path].functions[c.function]

    def groups(self, min_size: int, max_differences: int) -> list[Group]:
        key = (min_size, max_differences)
        if key not in self._groups:
            self._groups[key] = self._build_groups(min_size, max_differences)
        return self._groups[key]

    def _build_groups(self, min_size: int, max_differences: int) -> list[Group]:
        every: list[tuple[Construction, int]] = []  # with a global index, for nesting
        offset: dict[Path, int] = {}
        for path, facts in self.files.items():
            offset[path] = len(every)
            every.extend((c, 0) for c in facts.constructions)
        ids = {id(c): i for i, (c, _) in enumerate(every)}
        large = [c for c, _ in every if c.size >= min_size]
        found = []
        for members, centre in cluster(large, lambda c: c.fingerprint, lambda c: c.leaves, max_differences):
            found.append((members, centre))
        # Outer constructions first: an occurrence nested in a reported one is not reported again.
        found.sort(key=lambda mc: -mc[0][0].size)
        taken: set[int] = set()
        groups = []
        for members, centre in found:
            kept = []
            for c in members:
                parent = c.parent
                inside = False
                while parent is not None:
                    p = offset[c.path] + parent
                    if p in taken:
                        inside = True
                        break
                    parent = every[p][0].parent
                if not inside:
                    kept.append(c)
            if len({(c.path, c.function) for c in kept}) < 2:
                continue
            taken.update(ids[id(c)] for c in kept)
            kept.sort(key=lambda c: (str(c.path), c.line, c.column))
            differing = tuple(i for i in range(len(centre)) if any(c.leaves[i] != centre[i] for c in kept))
            groups.append(Group(tuple(kept), centre, differing))
        groups.sort(key=lambda g: (str(g.first.path), g.first.line, g.first.column))
        return groups

    def helper_groups(self, min_size: int, max_differences: int) -> list[HelperGroup]:
        every = [h for facts in self.files.values() for h in facts.helpers if h.size >= min_size]
        out = []
        for members, centre in cluster(every, lambda h: h.fingerprint, lambda h: h.leaves, max_differences):
            members.sort(key=lambda h: (str(h.path), h.line))
            differing = tuple(i for i in range(len(centre)) if any(h.leaves[i] != centre[i] for h in members))
            out.append(HelperGroup(tuple(members), differing))
        out.sort(key=lambda g: (str(g.members[0].path), g.members[0].line))
        return out


class ConstructionIndex:
    """Suite analysis: constructions and helper classes of every file (see the module doc)."""

    name = "construction-index"

    @staticmethod
    def index_file(path: Path, tree: ast.Module, source: str) -> FileFacts:
        return _Scanner(path, tree, source).scan()

    @staticmethod
    def build(facts: dict[Path, FileFacts], root: Path) -> Constructions:
        return Constructions(facts, root)
