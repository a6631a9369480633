"""What one module tells pytest about fixtures, read with `ast` (never imported).

`scan_module` returns a `ModuleFacts`: the fixtures the module defines (at
module level and in class bodies, with `name=` and `autouse=`), the functions
that could be tests with the names each requests, the marks that matter to
fixture resolution (`usefixtures`, direct and indirect `parametrize`, on
functions, classes and `pytestmark`), `pytest_plugins`, imports (a fixture can
be imported into a conftest), `pytest_generate_tests` and `collect_ignore`.

The requested names follow pytest's `getfuncargnames` exactly: parameters
without defaults (positional-or-keyword and keyword-only; positional-only ones
are never requested), minus the first one of a method that is not a
staticmethod, minus the first N after it where N counts the `mock.patch`
decorators whose `new` is left default and that have no attribute name
(`patch.multiple` injects keyword arguments and is not counted, as in pytest).
Whatever the scan cannot decide (a decorator it does not know, marks built at
run time) is recorded as a reason on the function, never guessed.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from .classgraph import _BUILTIN_NAMES, _collect_import, module_name

_PATCH = {"unittest.mock.patch", "mock.patch"}
_FIXTURE = {"pytest.fixture", "_pytest.fixtures.fixture", "pytest.yield_fixture",
            "pytest_asyncio.fixture", "pytest_asyncio.plugin.fixture"}
# Decorators known to leave the arguments pytest requests as they are.
_TRANSPARENT = {
    "builtins.staticmethod", "builtins.classmethod", "builtins.property", "abc.abstractmethod",
    "unittest.skip", "unittest.skipIf", "unittest.skipUnless", "unittest.expectedFailure",
    "unittest.case.skip", "unittest.case.skipIf", "unittest.case.skipUnless",
    "hypothesis.settings", "hypothesis.example", "hypothesis.seed", "hypothesis.reproduce_failure",
    "freezegun.freeze_time", "responses.activate", "flaky.flaky", "typing.no_type_check",
    "django.test.override_settings", "django.test.utils.override_settings", "pytest.hookimpl",
    "functools.cache", "functools.lru_cache", "contextlib.contextmanager",
}
NAME_UNKNOWN = "the fixture name is not a literal"


@dataclass(frozen=True)
class Generated:
    """Names a `pytest_generate_tests` hook parametrizes directly (None: cannot tell)."""

    names: frozenset[str] | None
    line: int


@dataclass(frozen=True)
class FuncFacts:
    """A function (test candidate or fixture) with what it requests."""

    name: str  # the attribute it is bound to
    line: int
    column: int
    args: tuple[str, ...]  # requested arguments, before class-level patches are stripped
    patches: int  # its own patch decorators that inject a positional argument
    direct: frozenset[str]  # filled by its own direct parametrize marks
    usefixtures: tuple[str, ...]
    uncertain: str | None  # why `args`/marks may not be what pytest sees
    fixture: str | None = None  # the fixture name, when it is a fixture
    deferred: tuple[str, ...] = ()  # decorators imported from elsewhere: harmless if that module says so
    autouse: bool = False
    static: bool = False
    in_class: bool = False


@dataclass(frozen=True)
class ClassFacts:
    name: str  # dotted within the module for nested classes: "Outer.Inner"
    line: int
    bases: tuple[str, ...]  # resolved dotted names; "?x" when unresolved
    members: frozenset[str]
    functions: tuple[FuncFacts, ...]
    usefixtures: tuple[str, ...]  # decorators and class-level pytestmark
    direct: frozenset[str]
    marks_uncertain: str | None
    patches: int  # class-level patch decorators (they decorate its test* methods)
    test_attr: bool | None  # a literal `__test__ = ...`
    abstract: bool
    generate: Generated | None
    nested_in: str | None  # the enclosing class, for nested classes


@dataclass(frozen=True)
class ModuleFacts:
    path: Path
    module: str
    root: Path  # the directory its dotted name is relative to
    functions: tuple[FuncFacts, ...]
    classes: tuple[ClassFacts, ...]
    usefixtures: tuple[str, ...]  # module pytestmark
    direct: frozenset[str]
    marks_uncertain: str | None
    plugins: tuple[str, ...]  # pytest_plugins entries
    plugins_uncertain: str | None
    imports: tuple[tuple[str, str], ...]  # local name -> dotted target (from-imports only)
    star_imports: tuple[str, ...]
    generate: Generated | None
    collect_ignore: tuple[str, ...]
    collect_ignore_glob: tuple[str, ...]
    collect_uncertain: bool
    test_attr: bool | None
    dunder_all: tuple[str, ...] | None
    dynamic: str | None  # registers plugins at run time (pluginmanager.register(...))
    top_names: frozenset[str]  # every name bound at module level
    harmless: frozenset[str] = frozenset()  # module-level decorators that keep pytest's view of a signature
    runtime_fixtures: str | None = None  # calls fixture() where the scan cannot tell the name


# ---------------------------------------------------------------- helpers
def _literal_strings(node: ast.expr | None) -> tuple[str, ...] | None:
    """A string, or a list/tuple of strings; None when not a literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        out = []
        for elt in node.elts:
            if not (isinstance(elt, ast.Constant) and isinstance(elt.value, str)):
                return None
            out.append(elt.value)
        return tuple(out)
    return None


def _argnames(node: ast.expr | None) -> tuple[str, ...] | None:
    """parametrize's argnames: "a, b", ["a", "b"] or ("a",)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return tuple(n.strip() for n in node.value.split(",") if n.strip())
    values = _literal_strings(node)
    return tuple(v.strip() for v in values) if values is not None else None


def _kw(call: ast.Call, name: str, position: int | None = None) -> ast.expr | None:
    """The argument bound to parameter `name` (keyword, or at `position`); None if absent."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if position is not None and len(call.args) > position and not any(
            isinstance(a, ast.Starred) for a in call.args[:position + 1]):
        return call.args[position]
    return None


class _Resolver:
    """Dotted names as the module binds them: imports and module-level aliases."""

    def __init__(self, imports: dict[str, str], aliases: dict[str, ast.expr],
                 harmless: frozenset[str] = frozenset(), local: frozenset[str] = frozenset()) -> None:
        self.imports = imports
        self.aliases = aliases
        self.harmless = harmless  # local decorators known to keep the signature pytest sees
        self.local = local  # names bound in the module itself

    def child(self, aliases: dict[str, ast.expr]) -> "_Resolver":
        return _Resolver(self.imports, {**self.aliases, **aliases}, self.harmless, self.local | set(aliases))

    def dotted(self, expr: ast.expr, depth: int = 0) -> str | None:
        if isinstance(expr, ast.Name):
            if expr.id in self.aliases and depth < 5 and isinstance(self.aliases[expr.id], (ast.Name, ast.Attribute)):
                return self.dotted(self.aliases[expr.id], depth + 1)
            if expr.id in self.imports:
                return self.imports[expr.id]
            if expr.id in _BUILTIN_NAMES:
                return f"builtins.{expr.id}"
            return expr.id
        if isinstance(expr, ast.Attribute):
            inner = self.dotted(expr.value, depth)
            return f"{inner}.{expr.attr}" if inner else None
        return None

    def expand(self, expr: ast.expr, depth: int = 0) -> ast.expr:
        """A bare name bound at module level to a call (`slow = pytest.mark.slow`,
        `patched = mock.patch("x")`) replaced by that call."""
        while isinstance(expr, ast.Name) and expr.id in self.aliases and depth < 5 \
                and isinstance(self.aliases[expr.id], ast.Call):
            expr = self.aliases[expr.id]
            depth += 1
        return expr


@dataclass
class _Effects:
    """What the decorators (or marks) of one function or class do to its requests."""

    fixture: str | None = None
    is_fixture: bool = False
    autouse: bool = False
    direct: set[str] = field(default_factory=set)
    usefixtures: list[str] = field(default_factory=list)
    patches: int = 0
    given_kw: set[str] = field(default_factory=set)
    given_positional: int = 0
    static: bool = False
    classmethod: bool = False
    abstract: bool = False
    uncertain: str | None = None
    deferred: list[str] = field(default_factory=list)


def _mark(resolver: _Resolver, expr: ast.expr, effects: _Effects) -> bool:
    """Apply a `pytest.mark.*` expression; False when `expr` is not a mark."""
    expr = resolver.expand(expr)
    call = expr if isinstance(expr, ast.Call) else None
    target = resolver.dotted(call.func if call else expr)
    if not target or not target.startswith(("pytest.mark.", "_pytest.mark.")):
        return False
    name = target.split(".")[2] if target.count(".") >= 2 else ""
    if name == "parametrize":
        if call is None:
            effects.uncertain = effects.uncertain or "a parametrize mark without arguments"
            return True
        names = _argnames(_kw(call, "argnames", 0))
        indirect = _kw(call, "indirect")
        if names is None:
            effects.uncertain = effects.uncertain or "parametrize argnames are not a literal"
            return True
        if indirect is None or isinstance(indirect, ast.Constant) and indirect.value is False:
            effects.direct.update(names)
        elif isinstance(indirect, ast.Constant) and indirect.value is True:
            pass
        else:
            listed = _literal_strings(indirect)
            if listed is None:
                effects.uncertain = effects.uncertain or "parametrize indirect= is not a literal"
            else:
                effects.direct.update(n for n in names if n not in listed)
    elif name in ("parametrise", "parameterize", "parameterise"):
        effects.uncertain = effects.uncertain or f"misspelled mark {name}: pytest fails to collect the test"
    elif name == "usefixtures":
        if call is None:
            return True
        for arg in call.args:
            values = _literal_strings(arg)
            if values is None:
                effects.uncertain = effects.uncertain or "usefixtures arguments are not literal strings"
            else:
                effects.usefixtures.extend(values)
    return True


def _decorator(resolver: _Resolver, dec: ast.expr, effects: _Effects) -> None:
    if _mark(resolver, dec, effects):
        return
    dec = resolver.expand(dec)
    call = dec if isinstance(dec, ast.Call) else None
    target = resolver.dotted(call.func if call else dec)
    if call is not None and isinstance(call.func, ast.Call):
        # pytest.fixture(scope="module")(...) is never a decorator; fixture(...)(...) neither
        target = None
    if target is None:
        effects.uncertain = effects.uncertain or "a decorator testmend cannot name"
        return
    last = target.rsplit(".", 1)[-1]
    if target in _FIXTURE or last in ("fixture", "yield_fixture"):
        effects.is_fixture = True
        if call is not None:
            name = _kw(call, "name")
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                effects.fixture = name.value
            elif name is not None:
                effects.uncertain = NAME_UNKNOWN
            autouse = _kw(call, "autouse")
            if isinstance(autouse, ast.Constant):
                effects.autouse = bool(autouse.value)
            elif autouse is not None:
                effects.autouse = True  # may be; a fixture that may run everywhere is checked everywhere
        return
    base = target.rsplit(".", 1)[0] if target.count(".") >= 1 else ""
    if target in _PATCH or base in _PATCH:
        if call is None or any(isinstance(a, ast.Starred) for a in call.args) or \
                any(k.arg is None for k in call.keywords):
            effects.uncertain = effects.uncertain or "a patch decorator testmend cannot read"
            return
        kind = target.rsplit(".", 1)[-1] if base in _PATCH else "patch"
        new: ast.expr | None = None
        if kind == "patch":
            new = _kw(call, "new", 1)
        elif kind == "object":
            new = _kw(call, "new", 2)
        elif kind in ("multiple", "dict"):
            return  # patch.multiple injects keywords (not stripped by pytest); patch.dict nothing
        else:
            effects.uncertain = effects.uncertain or f"unknown patch decorator {target}"
            return
        default = new is None or (isinstance(new, (ast.Name, ast.Attribute))
                                    and (resolver.dotted(new) or "").endswith("DEFAULT"))
        effects.patches += 1 if default else 0
        return
    if target in ("hypothesis.given",):
        if call is not None:
            effects.given_kw.update(k.arg for k in call.keywords if k.arg)
            effects.given_positional += len(call.args)
        return
    if target == "builtins.staticmethod":
        effects.static = True
        return
    if target == "builtins.classmethod":
        effects.classmethod = True
        return
    if target in ("abc.abstractmethod",):
        effects.abstract = True
        return
    if target in _TRANSPARENT or target.startswith(("unittest.skip", "pytest.mark.")):
        return
    head = target.split(".")[0]
    if head in resolver.harmless and "." not in target:
        return
    if "." in target and head not in resolver.local and not target.startswith("builtins."):
        effects.deferred.append(target)  # imported: the build reads the module it comes from
        return
    effects.uncertain = effects.uncertain or f"decorator @{target} may change the arguments pytest sees"


def _harmless_mark(resolver: _Resolver, value: ast.expr) -> bool:
    """A mark that neither parametrizes nor requests fixtures (`slow = pytest.mark.slow`)."""
    effects = _Effects()
    return _mark(resolver, value, effects) and not (effects.direct or effects.usefixtures or effects.uncertain)


def _keeps_signature(fn: ast.FunctionDef | ast.AsyncFunctionDef, resolver: _Resolver, depth: int = 0) -> bool:
    """A decorator (or decorator factory) whose result shows pytest the decorated
    function's own signature: it returns the function itself, or a wrapper made
    with functools.wraps (pytest follows __wrapped__), and never sets __signature__."""
    if depth > 2 or any(isinstance(n, ast.Attribute) and n.attr == "__signature__" for n in ast.walk(fn)):
        return False
    params = fn.args.posonlyargs + fn.args.args
    inner = {s.name: s for s in fn.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    returns = [n for n in fn.body if isinstance(n, ast.Return)]
    if not returns:
        return False
    for ret in returns:
        value = ret.value
        if isinstance(value, ast.Name) and params and value.id == params[0].arg:
            continue
        target = inner.get(value.id) if isinstance(value, ast.Name) else None
        if target is None:
            return False
        wraps = any((resolver.dotted(d.func) or "").rsplit(".", 1)[-1] == "wraps"
                    for d in target.decorator_list if isinstance(d, ast.Call))
        if wraps or _keeps_signature(target, resolver, depth + 1):
            continue
        return False
    return True


def _requested(fn: ast.FunctionDef | ast.AsyncFunctionDef, method: bool, effects: _Effects) -> tuple[str, ...]:
    """getfuncargnames, before mock stripping (done later: class patches count too)."""
    a = fn.args
    positional = a.posonlyargs + a.args
    first_default = len(positional) - len(a.defaults)
    names = [p.arg for i, p in enumerate(positional) if i < first_default and p not in a.posonlyargs]
    names += [p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is None]
    if method and not effects.static and not a.posonlyargs:
        names = names[1:]
    if effects.given_kw or effects.given_positional:
        names = [n for n in names if n not in effects.given_kw]
        if effects.given_positional:
            pos = [p.arg for p in a.args if p.arg in names]
            dropped = set(pos[-effects.given_positional:])
            names = [n for n in names if n not in dropped]
    return tuple(names)


def _generate(fn: ast.FunctionDef | ast.AsyncFunctionDef, method: bool = False) -> Generated:
    """The names `pytest_generate_tests(metafunc)` parametrizes directly."""
    params = (fn.args.posonlyargs + fn.args.args)[1 if method else 0:]
    if not params:
        return Generated(frozenset(), fn.lineno)
    meta = params[0].arg
    names: set[str] = set()
    sure = True
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(fn):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id == meta and isinstance(node.ctx, ast.Load):
            parent = parents.get(node)
            if not isinstance(parent, ast.Attribute):
                sure = False  # metafunc handed to something else
                continue
            call = parents.get(parent)
            if parent.attr == "parametrize":
                if not (isinstance(call, ast.Call) and call.func is parent):
                    sure = False
                    continue
                argnames = _argnames(_kw(call, "argnames", 0))
                indirect = _kw(call, "indirect")
                if argnames is None:
                    sure = False
                elif indirect is None or isinstance(indirect, ast.Constant) and not indirect.value:
                    names.update(argnames)
                elif isinstance(indirect, ast.Constant):
                    pass
                else:
                    listed = _literal_strings(indirect)
                    if listed is None:
                        sure = False
                    else:
                        names.update(n for n in argnames if n not in listed)
    return Generated(frozenset(names) if sure else None, fn.lineno)


def _body_names(body: list[ast.stmt]) -> set[str]:
    out: set[str] = set()
    for item in body:
        for node in ast.walk(item) if isinstance(item, (ast.If, ast.Try, ast.With, ast.For, ast.While)) else [item]:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(node.name)
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    out.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
                out.add(node.target.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                out.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
    return out


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements of a module or class body, including those under if/try/with
    at that level (`if sys.version_info >= ...: def test_x(...)`), not in defs."""
    out: list[ast.stmt] = []
    for item in body:
        out.append(item)
        if isinstance(item, ast.If):
            out.extend(_statements(item.body) + _statements(item.orelse))
        elif isinstance(item, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            out.extend(_statements(item.body))
            for h in item.handlers:
                out.extend(_statements(h.body))
            out.extend(_statements(item.orelse) + _statements(item.finalbody))
        elif isinstance(item, ast.With):
            out.extend(_statements(item.body))
    return out


# ---------------------------------------------------------------- the scan
class _Scanner:
    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.module, self.root = module_name(path)
        imports: dict[str, str] = {}
        is_pkg = path.name == "__init__.py"
        self.star: list[str] = []
        for node in _statements(tree.body):
            _collect_import(node, self.module, is_pkg, imports)
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                base = node.module or ""
                if node.level:
                    pkg = (self.module if is_pkg else self.module.rpartition(".")[0]).split(".")
                    keep = len(pkg) - (node.level - 1)
                    base = ".".join(p for p in (".".join(pkg[:max(keep, 0)]), node.module or "") if p)
                self.star.append(base)
        self.from_imports = {
            (a.asname or a.name): v for node in _statements(tree.body) if isinstance(node, ast.ImportFrom)
            for a in node.names if a.name != "*" for v in [imports.get(a.asname or a.name)] if v
        }
        aliases: dict[str, ast.expr] = {}
        for node in _statements(tree.body):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, (ast.Name, ast.Attribute, ast.Call)):
                aliases[node.targets[0].id] = node.value
        local = frozenset(_body_names(tree.body)) - set(imports)
        probe = _Resolver(imports, aliases, frozenset(), local)
        harmless = {name for name, value in aliases.items() if _harmless_mark(probe, value)}
        harmless |= {s.name for s in _statements(tree.body)
                     if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and _keeps_signature(s, probe)}
        self.harmless = frozenset(harmless)
        self.resolver = _Resolver(imports, aliases, self.harmless, local)
        self.tree = tree

    # ------------------------------------------------------------ functions
    def function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, method: bool,
                 resolver: _Resolver | None = None) -> FuncFacts:
        resolver = resolver or self.resolver
        effects = _Effects()
        hidden = False  # a fixture wrapped again: pytest no longer sees a fixture (it warns)
        for i, dec in enumerate(fn.decorator_list):
            was_fixture = effects.is_fixture
            _decorator(resolver, dec, effects)
            if effects.is_fixture and not was_fixture:
                for outer in fn.decorator_list[:i]:
                    alone = _Effects()
                    if _mark(resolver, outer, alone):
                        continue
                    _decorator(resolver, outer, alone)
                    if not alone.static:
                        hidden = True
        if hidden:
            effects.is_fixture = False
        args = _requested(fn, method and not effects.static, effects)
        return FuncFacts(
            name=fn.name, line=fn.lineno, column=fn.col_offset, args=args, patches=effects.patches,
            direct=frozenset(effects.direct), usefixtures=tuple(effects.usefixtures),
            uncertain=effects.uncertain,
            fixture=(effects.fixture or fn.name) if effects.is_fixture else None,
            autouse=effects.autouse, static=effects.static, in_class=method, deferred=tuple(effects.deferred),
        )

    def assigned_fixture(self, node: ast.Assign, defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
                         method: bool) -> FuncFacts | None:
        """`name = pytest.fixture(func)` or `name = pytest.fixture(scope=...)(func)`."""
        if not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)):
            return None
        call = node.value
        outer = call.func if isinstance(call.func, ast.Call) else None
        deco = outer if outer is not None else call.func
        target = self.resolver.dotted(deco.func if isinstance(deco, ast.Call) else deco)
        if target is None or not (target in _FIXTURE or target.rsplit(".", 1)[-1] == "fixture"):
            return None
        effects = _Effects()
        _decorator(self.resolver, deco, effects)
        if outer is None and isinstance(call.func, (ast.Name, ast.Attribute)) and not call.args:
            return None  # pytest.fixture(scope=...) alone: a decorator kept for later
        wrapped = call.args[0] if call.args else None
        name = effects.fixture or node.targets[0].id
        args: tuple[str, ...] = ()
        uncertain = effects.uncertain
        bound_pos, bound_kw = 0, set()
        if isinstance(wrapped, ast.Call) and (self.resolver.dotted(wrapped.func) or "") in ("functools.partial", "partial"):
            bound_pos = len(wrapped.args) - 1
            bound_kw = {k.arg for k in wrapped.keywords if k.arg}
            wrapped = wrapped.args[0] if wrapped.args else None
        if isinstance(wrapped, ast.Name) and wrapped.id in defs:
            inner = self.function(defs[wrapped.id], method)
            args = tuple(a for a in inner.args[bound_pos:] if a not in bound_kw)
            uncertain = uncertain or inner.uncertain
        else:
            uncertain = uncertain or "the fixture wraps a function testmend cannot see"
        return FuncFacts(name=node.targets[0].id, line=node.lineno, column=node.col_offset, args=args,
                         patches=0, direct=frozenset(), usefixtures=(), uncertain=uncertain, fixture=name,
                         autouse=effects.autouse, in_class=method)

    def body_functions(self, body: list[ast.stmt], method: bool) -> list[FuncFacts]:
        stmts = _statements(body)
        defs = {s.name: s for s in stmts if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
        resolver = self.resolver
        if method:  # names bound in the class body (`parametrized = pytest.mark.parametrize(...)`)
            resolver = resolver.child({
                s.targets[0].id: s.value for s in stmts
                if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                and isinstance(s.value, (ast.Name, ast.Attribute, ast.Call))})
        out = []
        for s in stmts:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append(self.function(s, method, resolver))
            elif isinstance(s, ast.Assign):
                assigned = self.assigned_fixture(s, defs, method)
                if assigned is None and not method:
                    assigned = self.partial_test(s, defs)
                if assigned is not None:
                    out.append(assigned)
        return out

    def partial_test(self, node: ast.Assign, defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> FuncFacts | None:
        """`test_x = functools.partial(check, 1, key=2)`: pytest collects it, minus the bound arguments."""
        call = node.value
        if not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and isinstance(call, ast.Call)
                and self.resolver.dotted(call.func) in ("functools.partial", "partial") and call.args):
            return None
        wrapped = call.args[0]
        if not (isinstance(wrapped, ast.Name) and wrapped.id in defs) or \
                any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return None
        inner = self.function(defs[wrapped.id], method=False)
        bound = {p.arg for p in (defs[wrapped.id].args.posonlyargs + defs[wrapped.id].args.args)[:len(call.args) - 1]}
        bound |= {k.arg for k in call.keywords if k.arg}
        return FuncFacts(name=node.targets[0].id, line=node.lineno, column=node.col_offset,
                         args=tuple(a for a in inner.args if a not in bound), patches=inner.patches,
                         direct=inner.direct, usefixtures=inner.usefixtures, uncertain=inner.uncertain,
                         deferred=inner.deferred)

    # ------------------------------------------------------------ marks
    def marks(self, decorators: list[ast.expr], body: list[ast.stmt]) -> _Effects:
        """Class or module marks: decorators plus a `pytestmark` assignment."""
        effects = _Effects()
        for dec in decorators:
            if not _mark(self.resolver, dec, effects):
                _decorator(self.resolver, dec, effects)
        for s in _statements(body):
            if isinstance(s, (ast.Assign, ast.AnnAssign)):
                targets = s.targets if isinstance(s, ast.Assign) else [s.target]
                if any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets) and s.value is not None:
                    values = s.value.elts if isinstance(s.value, (ast.List, ast.Tuple)) else [s.value]
                    for v in values:
                        if not _mark(self.resolver, v, effects):
                            effects.uncertain = effects.uncertain or "pytestmark holds marks testmend cannot read"
            elif isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name) and s.target.id == "pytestmark":
                effects.uncertain = effects.uncertain or "pytestmark is built at run time"
        return effects

    # ------------------------------------------------------------ classes
    def classes(self) -> list[ClassFacts]:
        out: list[ClassFacts] = []
        top = {n.name for n in self.tree.body if isinstance(n, ast.ClassDef)}

        def resolve(expr: ast.expr) -> str:
            dotted = self.resolver.dotted(expr) if isinstance(expr, (ast.Name, ast.Attribute)) else None
            if isinstance(expr, ast.Subscript):
                dotted = self.resolver.dotted(expr.value)
            if dotted is None:
                return "?"
            head = dotted.split(".")[0]
            if head in top and dotted == (expr.id if isinstance(expr, ast.Name) else dotted):
                return f"{self.module}.{dotted}"
            if head in self.resolver.imports or dotted.startswith("builtins."):
                return dotted
            if head in top:
                return f"{self.module}.{dotted}"
            return f"?{dotted}"

        def visit(node: ast.ClassDef, prefix: str, outer: str | None) -> None:
            qual = f"{prefix}{node.name}"
            marks = self.marks(node.decorator_list, node.body)
            test_attr = None
            generate = None
            for s in _statements(node.body):
                if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__test__" for t in s.targets) \
                        and isinstance(s.value, ast.Constant):
                    test_attr = bool(s.value.value)
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "pytest_generate_tests":
                    generate = _generate(s, method=not any(
                        (self.resolver.dotted(d) or "") == "builtins.staticmethod" for d in s.decorator_list))
            functions = self.body_functions(node.body, method=True)
            abstract = any(isinstance(d, (ast.Name, ast.Attribute)) and
                           (self.resolver.dotted(d) or "").endswith("abstractmethod")
                           for s in _statements(node.body) if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                           for d in s.decorator_list)
            out.append(ClassFacts(
                name=qual, line=node.lineno, bases=tuple(resolve(b) for b in node.bases),
                members=frozenset(_body_names(node.body)), functions=tuple(functions),
                usefixtures=tuple(marks.usefixtures), direct=frozenset(marks.direct),
                marks_uncertain=marks.uncertain, patches=marks.patches, test_attr=test_attr,
                abstract=abstract, generate=generate, nested_in=outer,
            ))
            for item in _statements(node.body):
                if isinstance(item, ast.ClassDef):
                    visit(item, qual + ".", qual)

        for node in _statements(self.tree.body):
            if isinstance(node, ast.ClassDef):
                visit(node, "", None)
        return out

    # ------------------------------------------------------------ module
    def scan(self) -> ModuleFacts:
        body = _statements(self.tree.body)
        marks = self.marks([], self.tree.body)
        plugins: list[str] = []
        plugins_uncertain = None
        ignore: list[str] = []
        ignore_glob: list[str] = []
        collect_uncertain = False
        test_attr = None
        dunder_all = None
        generate = None
        for s in body:
            if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = s.targets if isinstance(s, ast.Assign) else [s.target]
                names = {t.id for t in targets if isinstance(t, ast.Name)}
                value = s.value
                if "pytest_plugins" in names:
                    values = _literal_strings(value) if value is not None else None
                    if values is None:
                        plugins_uncertain = "pytest_plugins is not a literal list of module names"
                    else:
                        plugins.extend(values)
                for key, bucket in (("collect_ignore", ignore), ("collect_ignore_glob", ignore_glob)):
                    if key in names:
                        values = _literal_strings(value) if value is not None else None
                        if values is None:
                            collect_uncertain = True
                        else:
                            bucket.extend(values)
                if "__test__" in names and isinstance(value, ast.Constant):
                    test_attr = bool(value.value)
                if "__all__" in names and value is not None:
                    dunder_all = _literal_strings(value)
            elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "pytest_generate_tests":
                generate = _generate(s)
        # collect_ignore.append("x") / .extend([...]) anywhere at module level
        dynamic = None
        runtime = None
        handled: set[int] = set()
        # Only what the scan reads as a definition is handled: functions and
        # assignments at module or class level. A fixture decorated inside a
        # function (a factory: `dyn = make("dyn")`) is created at run time.
        scanned: list[ast.stmt] = []
        bodies = [self.tree.body]
        while bodies:
            for stmt in bodies.pop():
                scanned.append(stmt)
                if isinstance(stmt, ast.ClassDef):
                    bodies.append(stmt.body)
                elif isinstance(stmt, (ast.If, ast.Try, ast.With)):  # conditional definitions
                    bodies.extend([getattr(stmt, a) for a in ("body", "orelse", "finalbody") if hasattr(stmt, a)])
                    bodies.extend(h.body for h in getattr(stmt, "handlers", []))
        for node in scanned:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                handled.update(id(d) for d in node.decorator_list)
                handled.update(id(d.func) for d in node.decorator_list if isinstance(d, ast.Call))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                handled.add(id(node.value))
                handled.add(id(node.value.func))
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and id(node) not in handled and id(node.func) not in handled:
                target = self.resolver.dotted(node.func) if isinstance(node.func, (ast.Name, ast.Attribute)) else None
                if target and (target in _FIXTURE or target.rsplit(".", 1)[-1] == "fixture"):
                    runtime = runtime or f"creates fixtures at run time (line {node.lineno})"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Name) and owner.id in ("collect_ignore", "collect_ignore_glob") \
                        and node.func.attr in ("append", "extend", "insert"):
                    values = _literal_strings(node.args[-1]) if node.args else None
                    if values is None:
                        collect_uncertain = True
                    else:
                        (ignore if owner.id == "collect_ignore" else ignore_glob).extend(values)
                if node.func.attr in ("register", "import_plugin", "consider_module") and \
                        "pluginmanager" in ast.unparse(owner):
                    dynamic = f"registers plugins at run time (line {node.lineno})"
                elif node.func.attr in ("register_fixture", "_register_fixture", "parsefactories"):
                    dynamic = f"registers fixtures at run time (line {node.lineno})"
        return ModuleFacts(
            path=self.path, module=self.module, root=self.root,
            functions=tuple(self.body_functions(self.tree.body, method=False)),
            classes=tuple(self.classes()),
            usefixtures=tuple(marks.usefixtures), direct=frozenset(marks.direct),
            marks_uncertain=marks.uncertain,
            plugins=tuple(plugins), plugins_uncertain=plugins_uncertain,
            imports=tuple(sorted(self.from_imports.items())), star_imports=tuple(self.star),
            generate=generate, collect_ignore=tuple(ignore), collect_ignore_glob=tuple(ignore_glob),
            collect_uncertain=collect_uncertain, test_attr=test_attr, dunder_all=dunder_all,
            dynamic=dynamic, top_names=frozenset(_body_names(self.tree.body)), harmless=self.harmless,
            runtime_fixtures=runtime,
        )


def scan_module(path: Path, tree: ast.Module) -> ModuleFacts:
    return _Scanner(path, tree).scan()


def scan_file(path: Path) -> ModuleFacts | None:
    """Scan a file that is not part of the discovered suite (a conftest above
    it, a plugin module); None when it cannot be read or parsed."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None
    return scan_module(path, tree)
