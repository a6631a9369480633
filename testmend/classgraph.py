"""A static graph of the suite's classes, for questions such as "when a method of
this class calls self.assertEqual, is that always unittest.TestCase.assertEqual?".

Built from `ast` (cheap) over every discovered file, plus the project modules
their classes inherit from (a base class in `tests/__init__.py` or in the
package under test), found the way Python would import them. Method lookup
follows the real MRO (C3), over every subclass that can be `self`. A base class
that cannot be read (a third-party package) is opaque: if it comes before
unittest.TestCase in an MRO, the answer is "unknown", never a guess.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

TESTCASE = "unittest.TestCase"
ASYNC_TESTCASE = "unittest.IsolatedAsyncioTestCase"
_CANONICAL = {
    "unittest.case.TestCase": TESTCASE,
    "unittest.TestCase": TESTCASE,
    "unittest.IsolatedAsyncioTestCase": ASYNC_TESTCASE,
    "unittest.async_case.IsolatedAsyncioTestCase": ASYNC_TESTCASE,
}
# Opaque bases known to define no assertion method and no failureException.
_NEUTRAL_MODULES = ("builtins.", "typing.", "typing_extensions.", "abc.", "collections.abc.", "enum.")
_BUILTIN_NAMES = set(dir(__import__("builtins")))


@dataclass(frozen=True)
class ClassFacts:
    name: str  # dotted within the module for nested classes: "Outer.Inner"
    line: int
    bases: tuple[str, ...]  # resolved dotted names, "?" for unresolvable expressions
    members: frozenset[str]  # every name bound in the class body
    decorators: tuple[str, ...] = ()
    self_attrs: frozenset[str] = frozenset()  # `self.<name>` used in its methods
    test_flag: bool | None = None  # `__test__ = True/False` in its body (None: unset or not a literal)


@dataclass(frozen=True)
class ModuleFacts:
    module: str
    path: Path
    classes: tuple[ClassFacts, ...]
    imports: tuple[tuple[str, str], ...]  # local name -> dotted target


def module_name(path: Path) -> tuple[str, Path]:
    """Dotted module name and import root, as pytest's default import mode sees them."""
    path = path.resolve()
    parts = [path.stem] if path.stem != "__init__" else []
    parent = path.parent
    while (parent / "__init__.py").exists() and parent.parent != parent:
        parts.insert(0, parent.name)
        parent = parent.parent
    return ".".join(parts) or path.parent.name, parent


def _dotted(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        inner = _dotted(expr.value)
        return f"{inner}.{expr.attr}" if inner else None
    if isinstance(expr, ast.Subscript):  # Generic[T], Protocol[T]
        return _dotted(expr.value)
    if isinstance(expr, ast.Call):
        return None
    return None


def _package_of(module: str, is_package: bool) -> str:
    return module if is_package else module.rpartition(".")[0]


def index_module(path: Path, tree: ast.Module) -> ModuleFacts:
    name, _root = module_name(path)
    is_pkg = path.name == "__init__.py"
    imports: dict[str, str] = {}
    for node in tree.body:
        _collect_import(node, name, is_pkg, imports)
    # imports inside `if`/`try` at module level count too (try: import x except ImportError)
    for node in tree.body:
        if isinstance(node, (ast.If, ast.Try)):
            for sub in ast.walk(node):
                _collect_import(sub, name, is_pkg, imports)
    classes: list[ClassFacts] = []

    def resolve(expr: ast.expr, local_classes: set[str]) -> str:
        dotted = _dotted(expr)
        if dotted is None:
            return "?"
        head, _, rest = dotted.partition(".")
        if head in local_classes and not rest:
            return f"{name}.{head}"
        if head in imports:
            target = imports[head]
            return f"{target}.{rest}" if rest else target
        if head in _BUILTIN_NAMES and not rest:
            return f"builtins.{head}"
        if head in local_classes:
            return f"{name}.{dotted}"
        return f"?{dotted}"

    top_level = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}

    def visit(node: ast.ClassDef, prefix: str) -> None:
        members: set[str] = set()
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                members.add(item.name)
            elif isinstance(item, ast.Assign):
                for t in item.targets:
                    members.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
            elif isinstance(item, (ast.AnnAssign, ast.AugAssign)) and isinstance(item.target, ast.Name):
                members.add(item.target.id)
            elif isinstance(item, (ast.Import, ast.ImportFrom)):
                members.update((a.asname or a.name).split(".")[0] for a in item.names)
            elif isinstance(item, (ast.If, ast.Try, ast.With, ast.For)):
                for sub in ast.walk(item):
                    if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        members.add(sub.name)
                    elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        members.add(sub.id)
        qual = f"{prefix}{node.name}"
        flag = next((item.value.value for item in reversed(node.body) if isinstance(item, ast.Assign)
                     and [getattr(t, "id", None) for t in item.targets] == ["__test__"]
                     and isinstance(item.value, ast.Constant) and isinstance(item.value.value, bool)), None)
        used: set[str] = set()
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = item.args.posonlyargs + item.args.args
                if args:
                    me = args[0].arg
                    used.update(n.attr for n in ast.walk(item) if isinstance(n, ast.Attribute)
                                and isinstance(n.value, ast.Name) and n.value.id == me)
        classes.append(ClassFacts(
            name=qual,
            line=node.lineno,
            bases=tuple(resolve(b, top_level) for b in node.bases),
            members=frozenset(members),
            decorators=tuple(_dotted(d.func if isinstance(d, ast.Call) else d) or "?" for d in node.decorator_list),
            self_attrs=frozenset(used),
            test_flag=flag,
        ))
        for item in node.body:
            if isinstance(item, ast.ClassDef):
                visit(item, qual + ".")

    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            visit(node, "")
    return ModuleFacts(module=name, path=path, classes=tuple(classes), imports=tuple(sorted(imports.items())))


def _collect_import(node: ast.AST, module: str, is_pkg: bool, imports: dict[str, str]) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                imports[alias.asname] = alias.name
            else:
                head = alias.name.split(".")[0]
                imports[head] = head
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            pkg = _package_of(module, is_pkg).split(".") if module else []
            keep = len(pkg) - (node.level - 1)
            prefix = ".".join(pkg[:max(keep, 0)])
            base = ".".join(p for p in (prefix, node.module or "") if p)
        for alias in node.names:
            if alias.name != "*":
                imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name


@dataclass
class ClassGraph:
    """Every known class by qualified name ("pkg.mod.Class"), with lookups over the MRO."""

    classes: dict[str, ClassFacts] = field(default_factory=dict)
    owner_path: dict[str, Path] = field(default_factory=dict)
    loaded: set[Path] = field(default_factory=set)  # modules read because a class inherits from them
    pytest: Any = None  # the project's PytestConfig (collection patterns)
    modules: dict[str, ModuleFacts] = field(default_factory=dict)
    _children: dict[str, set[str]] = field(default_factory=dict)
    _mro: dict[str, tuple[str, ...] | None] = field(default_factory=dict)

    # ---------------------------------------------------------------- build
    @classmethod
    def build(cls, modules: Iterable[ModuleFacts], load_extra: bool = True) -> "ClassGraph":
        graph = cls()
        known: dict[str, ModuleFacts] = {}
        roots: set[Path] = set()
        for facts in modules:
            known[facts.module] = facts
            roots.add(module_name(facts.path)[1])
        pending = list(known.values())
        while pending:
            facts = pending.pop()
            graph.modules[facts.module] = facts
            for c in facts.classes:
                graph.classes[f"{facts.module}.{c.name}"] = c
                graph.owner_path[f"{facts.module}.{c.name}"] = facts.path
            if not load_extra:
                continue
            for c in facts.classes:
                for base in c.bases:
                    mod = graph._missing_module(base, known)
                    if mod is None:
                        continue
                    extra = _load_module(mod, roots)
                    known[mod] = extra or ModuleFacts(mod, Path(), (), ())
                    if extra is not None:
                        pending.append(extra)
                        graph.loaded.add(extra.path)
        for qual, c in graph.classes.items():
            for base in c.bases:
                graph._children.setdefault(graph._canon(base), set()).add(qual)
        return graph

    def _missing_module(self, base: str, known: dict[str, ModuleFacts]) -> str | None:
        if base.startswith("?") or base in _CANONICAL or base in self.classes:
            return None
        parts = base.split(".")
        for i in range(len(parts) - 1, 0, -1):
            mod = ".".join(parts[:i])
            if mod in known:
                return None
            if mod.split(".")[0] in ("unittest", "builtins", "typing", "abc"):
                return None
        return ".".join(parts[:-1]) or None

    def _canon(self, name: str) -> str:
        if name in _CANONICAL:
            return _CANONICAL[name]
        if name in self.classes:
            return name
        # a class re-exported by a package __init__ ("pkg.Class" defined in pkg/mod.py)
        return name

    # ---------------------------------------------------------------- queries
    def is_opaque(self, name: str) -> bool:
        return name not in self.classes

    def is_neutral(self, name: str) -> bool:
        return name == "object" or name.startswith(_NEUTRAL_MODULES)

    def bases(self, name: str) -> tuple[str, ...]:
        if name == ASYNC_TESTCASE:
            return (TESTCASE,)
        c = self.classes.get(name)
        return tuple(self._canon(b) for b in c.bases) if c else ()

    def mro(self, name: str) -> tuple[str, ...] | None:
        """C3 linearisation; None when inconsistent or cyclic."""
        if name in self._mro:
            return self._mro[name]
        self._mro[name] = None  # cycle guard
        seqs: list[list[str]] = []
        for b in self.bases(name):
            m = self.mro(b)
            if m is None:
                return None
            seqs.append(list(m))
        seqs.append(list(self.bases(name)))
        result = [name]
        while True:
            seqs = [s for s in seqs if s]
            if not seqs:
                break
            for s in seqs:
                head = s[0]
                if not any(head in t[1:] for t in seqs):
                    break
            else:
                return None
            result.append(head)
            for t in seqs:
                if t and t[0] == head:
                    del t[0]
        self._mro[name] = tuple(result)
        return self._mro[name]

    def test_flag(self, name: str) -> bool | str | None:
        """The `__test__` pytest reads on class `name` (its MRO's first binding):
        True or False when a literal sets it, None when nothing does, "?" when
        a binding is not a literal or a base class was not analysed."""
        mro = self.mro(name)
        if mro is None:
            return "?"
        for cls in mro:
            facts = self.classes.get(cls)
            if facts is None:
                if cls.startswith("unittest.") or self.is_neutral(cls):
                    continue
                return "?"
            if "__test__" in facts.members:
                return "?" if facts.test_flag is None else facts.test_flag
        return None

    def descendants(self, name: str) -> set[str]:
        out: set[str] = set()
        stack = [name]
        while stack:
            for child in self._children.get(stack.pop(), ()):
                if child not in out:
                    out.add(child)
                    stack.append(child)
        return out

    def is_testcase(self, name: str) -> bool:
        m = self.mro(name)
        return bool(m) and TESTCASE in m

    def lookup(self, name: str, member: str, testcase_defines: bool = True) -> tuple[str, str]:
        """Who provides `member` on an instance of `name`: ("testcase", _),
        ("project", class) or ("unknown", why)."""
        m = self.mro(name)
        if m is None:
            return ("unknown", f"the bases of {name.rsplit('.', 1)[-1]} have no consistent order")
        for cls in m:
            if cls == TESTCASE:
                if testcase_defines:
                    return ("testcase", cls)
                continue
            if cls == ASYNC_TESTCASE or self.is_neutral(cls):
                continue
            if cls in self.classes:
                if member in self.classes[cls].members:
                    return ("project", cls)
                continue
            return ("unknown", f"base class {cls.lstrip('?')} was not analysed and may define {member}")
        return ("missing", name)

    def self_types(self, name: str) -> list[str]:
        """Classes whose instances can be `self` in a method of `name` and run as tests."""
        return sorted(c for c in {name} | self.descendants(name) if self.is_testcase(c))


def _load_module(module: str, roots: set[Path]) -> ModuleFacts | None:
    rel = Path(*module.split("."))
    for root in sorted(roots) + sorted({r / "src" for r in roots}):
        for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
            if candidate.is_file():
                try:
                    tree = ast.parse(candidate.read_bytes())
                except (SyntaxError, ValueError, OSError):
                    return None
                facts = index_module(candidate, tree)
                return ModuleFacts(module, candidate, facts.classes, facts.imports)
    return None
