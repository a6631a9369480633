"""A static mirror of pytest's fixture resolution, for rules about fixtures.

Nothing is imported or run: every module is read with `ast` (fixture_scan.py),
pytest's and the installed plugins' fixtures from their source files
(fixture_sources.py). For every test pytest would collect, the index walks the
fixture closure the way `FixtureManager.getfixtureclosure` does, over the
definitions visible from that test, least specific first:

  plugins (pytest's own, installed `pytest11` plugins, `pytest_plugins`, `-p`)
  conftest.py files from the rootdir down to the test's directory
  the test module (fixtures defined or imported there)
  the test's classes, outermost first (fixtures inherited along the MRO)

Initial names are the visible autouse fixtures, the `usefixtures` marks
(function, class, module `pytestmark`, ini) and the test's arguments; names
filled by direct parametrization (marks, or `pytest_generate_tests` hooks
whose `metafunc.parametrize` calls are literal) are ignored, as pytest does.
A name that resolves nowhere is `Unresolved`: missing, unless something in
scope could provide names testmend cannot see (a `pytest_plugins` module that
is not found, a star import from an unknown module, a base class that was not
analysed...): then it is `unknown`, with the reason, and never reported.
"""
from __future__ import annotations

import fnmatch
import os
import shlex
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable, Sequence

from . import classgraph
from .fixture_scan import (
    NAME_UNKNOWN,
    ClassFacts,
    FuncFacts,
    ModuleFacts,
    scan_file,
    scan_module,
)
from .fixture_sources import (
    KNOWN_PLUGIN_FIXTURES,
    REMOVED_BUILTINS,
    Plugin,
    builtin_plugins,
    installed_plugins,
    module_file,
    project_plugin,
)
from .pytest_config import _section

_CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
_NORECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class Definition:
    """One fixture definition somewhere pytest could see it."""

    name: str
    where: str  # "plugin", "conftest", "module", "class", "import"
    owner: str  # for messages: "tests/conftest.py", "class TestA in tests/test_a.py", "pytest 9.2.0"
    path: Path | None = None
    line: int = 0
    params: tuple[str, ...] | None = None  # None: its own requests are not followed
    autouse: bool = False
    scope_dir: Path | None = None  # conftest: the directory it applies to
    function: str | None = None  # the attribute it is bound to, when it is a def


@dataclass(frozen=True)
class TestItem:
    path: Path  # the module pytest collects it from
    nodeid: str
    line: int  # of the def (in `source`, which differs for inherited methods)
    column: int
    function: str
    source: Path


@dataclass(frozen=True)
class Unresolved:
    """A name a test's fixture closure requests and nothing visible defines."""

    name: str
    test: TestItem
    via: Definition | None  # the fixture whose parameter requests it; None: the test itself
    how: str  # "argument", "usefixtures", "ini usefixtures", "indirect parametrize"
    scope: tuple[object, ...]  # key of the test's scope, for `visible_names`
    unknown: str | None = None  # why it may be defined after all (then it is not missing)


@dataclass
class _Holder:
    """Definitions at one level of the lookup (one conftest, one module, one class)."""

    defs: dict[str, list[Definition]] = field(default_factory=dict)
    opaque: str | None = None  # this level may define names testmend cannot see
    generated: set[str] = field(default_factory=set)  # pytest_generate_tests direct names
    generate_opaque: str | None = None
    direct: set[str] = field(default_factory=set)  # class/module direct parametrize
    usefixtures: list[str] = field(default_factory=list)
    marks_uncertain: str | None = None

    def add(self, d: Definition) -> None:
        self.defs.setdefault(d.name, []).append(d)


@dataclass(frozen=True)
class _ScopeFacts:
    """What every test in one scope shares: computed once per scope."""

    opaque: str | None
    uncertain: str | None
    ignore: frozenset[str]
    autouse: tuple[str, ...]
    usefixtures: tuple[tuple[str, str, None], ...]

    @classmethod
    def of(cls, scope: list[_Holder], global_holder: _Holder) -> "_ScopeFacts":
        ignore: set[str] = set()
        uncertain = None
        for h in scope:
            ignore |= h.direct | h.generated
            uncertain = uncertain or h.generate_opaque or h.marks_uncertain
        autouse = tuple(d.name for h in scope for defs in h.defs.values() for d in defs if d.autouse)
        use = tuple((name, "ini usefixtures" if h is global_holder else "usefixtures", None)
                    for h in reversed(scope) for name in h.usefixtures)
        return cls(next((h.opaque for h in scope if h.opaque), None), uncertain, frozenset(ignore), autouse, use)


@dataclass(frozen=True)
class Setup:
    """The parts of pytest's configuration that decide fixture visibility."""

    rootdir: Path
    confcutdir: Path
    config: Path | None
    python_files: tuple[str, ...]
    python_classes: tuple[str, ...]
    python_functions: tuple[str, ...]
    usefixtures: tuple[str, ...]
    norecursedirs: tuple[str, ...]
    ignore: tuple[Path, ...]
    plugins: tuple[str, ...]  # -p NAME
    disabled: frozenset[str]  # -p no:NAME
    autoload: bool
    pythonpath: tuple[Path, ...]


def _values(section: dict[str, object], key: str,
            split: Callable[[str], list[str]] = str.split) -> tuple[str, ...] | None:
    value = section.get(key)
    if isinstance(value, str):
        return tuple(split(value))
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return None


def read_setup(files: Sequence[Path], invocation: Path | None = None) -> Setup:
    """rootdir, confcutdir and the collection options, as pytest would find them
    for a run over `files` (resolved paths). Without a configuration file,
    pytest run from `invocation` (the project root) would take that directory."""
    common = Path(os.path.commonpath([str(f.parent) for f in files])) if files else Path.cwd()
    config, section = None, None
    for directory in [common, *common.parents]:
        for name in _CONFIG_FILES:
            path = directory / name
            if path.is_file():
                found = _section(path)
                if found is not None:
                    config, section = path, found
                    break
        if config is not None:
            break
    if config is not None:
        rootdir = config.parent
    else:
        rootdir = next((d for d in [common, *common.parents] if (d / "setup.py").is_file()), None) or \
            next((d for d in [common, *common.parents] if (d / "pyproject.toml").is_file()), None) or \
            (invocation if invocation is not None and (invocation == common or invocation in common.parents)
             else common)
    section = section or {}
    addopts = _values(section, "addopts", shlex.split) or ()
    plugins, disabled, ignore = [], set(), []
    autoload = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") is None
    it = iter(addopts)
    for opt in it:
        value = None
        if opt == "-p":
            value = next(it, "")
        elif opt.startswith("-p"):
            value = opt[2:]
        elif opt in ("--ignore",):
            ignore.append(rootdir / next(it, ""))
        elif opt.startswith("--ignore="):
            ignore.append(rootdir / opt.split("=", 1)[1])
        elif opt == "--disable-plugin-autoload":
            autoload = False
        if value:
            if value.startswith("no:"):
                disabled.add(value[3:])
            else:
                plugins.append(value)
    return Setup(
        rootdir=rootdir,
        confcutdir=config.parent if config else rootdir,
        config=config,
        python_files=_values(section, "python_files") or ("test_*.py", "*_test.py"),
        python_classes=_values(section, "python_classes") or ("Test",),
        python_functions=_values(section, "python_functions") or ("test",),
        usefixtures=_values(section, "usefixtures") or (),
        norecursedirs=_values(section, "norecursedirs") or _NORECURSE,
        ignore=tuple(ignore),
        plugins=tuple(plugins),
        disabled=frozenset(disabled),
        autoload=autoload,
        pythonpath=tuple(rootdir / p for p in _values(section, "pythonpath") or ()),
    )


def _matches(patterns: Iterable[str], name: str) -> bool:
    """pytest's python_classes/python_functions rule: a prefix, or a glob."""
    for p in patterns:
        if name.startswith(p) or any(c in p for c in "*?[") and fnmatch.fnmatch(name, p):
            return True
    return False


def _fnmatch_ex(pattern: str, path: Path) -> bool:
    """pytest's fnmatch_ex: a pattern without a separator matches the basename."""
    if "/" not in pattern and os.sep not in pattern:
        return fnmatch.fnmatch(path.name, pattern)
    if not os.path.isabs(pattern):
        pattern = f"*{os.sep}{pattern}"
    return fnmatch.fnmatch(str(path), pattern)


# ---------------------------------------------------------------- the analysis
class FixtureIndex:
    """Suite analysis: every fixture definition and every test's requests."""

    name = "fixture-index"

    @staticmethod
    def index_file(path: Path, tree: object, source: str) -> tuple[ModuleFacts, classgraph.ModuleFacts]:
        return scan_module(path, tree), classgraph.index_module(path, tree)  # type: ignore[arg-type]

    @staticmethod
    def build(facts: dict[Path, tuple[ModuleFacts, classgraph.ModuleFacts]], root: Path) -> "SuiteFixtures":
        return SuiteFixtures(facts, root)


class SuiteFixtures:
    """What FixtureIndex builds: definitions, scopes, and the unresolved requests."""

    def __init__(self, facts: dict[Path, tuple[ModuleFacts, classgraph.ModuleFacts]], root: Path | None = None) -> None:
        self.given: dict[Path, Path] = {p.resolve(): p for p in facts}
        self.modules: dict[Path, ModuleFacts] = {p.resolve(): f[0] for p, f in facts.items()}
        self.setup = read_setup(sorted(self.given), root.resolve() if root is not None else None)
        self.notes: list[str] = []
        self.skipped: list[tuple[str, str]] = []  # (node id or class, why it was not checked)
        self.items: list[TestItem] = []
        self._scopes: dict[tuple[object, ...], list[_Holder]] = {}
        self._shared: dict[tuple[object, ...], _ScopeFacts] = {}
        self._namespaces: dict[Path, _Holder] = {}
        self._by_module: dict[str, ModuleFacts] = {}
        for m in self.modules.values():
            self._by_module.setdefault(m.module, m)
        self.roots = tuple(dict.fromkeys(
            [m.root for m in self.modules.values()] + [self.setup.rootdir, self.setup.rootdir / "src",
                                                       *self.setup.pythonpath]))
        self.conftests: dict[Path, ModuleFacts] = {}
        self._load_conftests()
        self.graph = classgraph.ClassGraph.build([f[1] for f in facts.values()])
        self.plugins, self.global_holder = self._global()
        self.unresolved: list[Unresolved] = []
        self._resolve_all()

    # ------------------------------------------------------------ loading
    def display(self, path: Path) -> Path:
        """`path` in the form the run uses for the files it was given."""
        path = path.resolve()
        if path in self.given:
            return self.given[path]
        if self.given and not next(iter(self.given.values())).is_absolute():
            try:
                return Path(os.path.relpath(path))
            except ValueError:
                return path
        return path

    def show(self, path: Path) -> str:
        """A file as messages name it: the way the run's own paths are written."""
        return self.display(path).as_posix()

    def relative(self, path: Path) -> str:
        """A path relative to the rootdir, as pytest's node ids write it."""
        try:
            return path.resolve().relative_to(self.setup.rootdir).as_posix()
        except ValueError:
            return path.as_posix()

    def _load(self, path: Path) -> ModuleFacts | None:
        path = path.resolve()
        if path not in self.modules:
            facts = scan_file(path)
            if facts is None:
                return None
            self.modules[path] = facts
            self._by_module.setdefault(facts.module, facts)
        return self.modules[path]

    def _load_conftests(self) -> None:
        """Every conftest.py from the confcutdir down to each file's directory,
        read from disk when discovery did not list it."""
        cut = self.setup.confcutdir
        dirs: set[Path] = set()
        for path in list(self.modules):
            for d in [path.parent, *path.parent.parents]:
                if d != cut and cut not in d.parents:
                    break
                dirs.add(d)
        for d in sorted(dirs):
            conftest = d / "conftest.py"
            if conftest.is_file():
                facts = self._load(conftest)
                if facts is not None:
                    self.conftests[d] = facts
        for path, facts in self.modules.items():
            if path.name == "conftest.py":
                self.conftests.setdefault(path.parent, facts)

    def _module(self, dotted: str) -> ModuleFacts | None:
        if dotted in self._by_module:
            return self._by_module[dotted]
        path = module_file(dotted, self.roots)
        if path is None or not any(r in path.parents for r in self.roots):
            return None
        return self._load(path)

    # ------------------------------------------------------------ plugins
    def _global(self) -> tuple[dict[str, Plugin], _Holder]:
        setup = self.setup
        active: dict[str, Plugin] = {}
        holder = _Holder()
        requested = list(setup.plugins)
        for facts in list(self.modules.values()):
            if facts.path.name == "conftest.py" or self._is_test_module(facts.path):
                requested.extend(facts.plugins)
                if facts.plugins_uncertain:
                    holder.opaque = holder.opaque or f"{self.show(facts.path)}: {facts.plugins_uncertain}"
                if facts.dynamic:
                    holder.opaque = holder.opaque or f"{self.show(facts.path)} {facts.dynamic}"
        builtins = builtin_plugins()
        for name, plugin in builtins.items():
            if plugin.default and plugin.needs is None and name not in setup.disabled:
                active[name] = plugin
        if "tmpdir" in setup.disabled or "legacypath" in setup.disabled:
            active.pop("legacypath", None)
        if setup.autoload:
            for name, plugin in installed_plugins().items():
                if name not in setup.disabled:
                    active[name] = plugin
        seen: set[str] = set()
        for spec in requested:
            if spec in seen:
                continue
            seen.add(spec)
            installed = installed_plugins().get(spec)
            plugin = installed or project_plugin(spec, self.roots)
            active[plugin.name] = plugin
        for name, plugin in builtins.items():
            if plugin.needs and plugin.needs in active and "legacypath" in active:
                active[name] = plugin
        for plugin in active.values():
            where = "builtin" if plugin.package.startswith("pytest ") else "plugin"
            for fixture in sorted(plugin.fixtures):
                holder.add(Definition(fixture, where, plugin.package if where == "builtin" else
                                      f"plugin {plugin.name} ({plugin.package})"))
            if plugin.opaque:
                holder.opaque = holder.opaque or plugin.opaque
                self.notes.append(f"plugin {plugin.name}: {plugin.opaque}")
            if plugin.generates:
                holder.generate_opaque = holder.generate_opaque or \
                    f"plugin {plugin.name} has a pytest_generate_tests hook testmend cannot read"
        holder.usefixtures = list(setup.usefixtures)
        return active, holder

    # ------------------------------------------------------------ namespaces
    def namespace(self, facts: ModuleFacts, depth: int = 0) -> _Holder:
        """The fixtures pytest registers from a module's namespace: defined there,
        imported into it, or star-imported (conftests and test modules alike)."""
        key = facts.path.resolve()
        if key in self._namespaces:
            return self._namespaces[key]
        holder = _Holder()
        self._namespaces[key] = holder  # cycle guard
        rel = self.show(facts.path)
        kind = "conftest" if facts.path.name == "conftest.py" else "module"
        if facts.runtime_fixtures:
            holder.opaque = f"{rel} {facts.runtime_fixtures}"
        for f in _last_bindings(facts.functions):
            if f.fixture and f.uncertain == NAME_UNKNOWN:
                holder.opaque = holder.opaque or f"{rel}:{f.line} names a fixture at run time"
            if f.fixture:
                holder.add(Definition(f.fixture, kind, rel, facts.path, f.line, self._params(f), f.autouse,
                                      scope_dir=facts.path.parent.resolve() if kind == "conftest" else None,
                                      function=f.name))
        by_attr = {f.name: f.fixture for f in facts.functions if f.fixture}
        for local, target in facts.imports:
            if local in by_attr:
                continue
            found = self._imported(target, depth)
            if found is None:
                continue
            if found == "?":
                holder.add(Definition(local, "import", f"{rel} (imported from {target}, not analysed)", facts.path))
                continue
            for d in found:
                name = d.name if d.name != target.rpartition(".")[2] else local
                holder.add(Definition(name, "import", f"{d.owner} (imported into {rel})", d.path or facts.path,
                                      d.line, d.params, d.autouse))
        for star in facts.star_imports:
            source = self._module(star)
            if source is None:
                if module_file(star) is None and star.split(".")[0] not in _stdlib():
                    holder.opaque = holder.opaque or f"{rel} star-imports {star}, which was not found"
                elif star.split(".")[0] not in _stdlib():
                    names = _installed_fixtures(star)
                    if names is None:
                        holder.opaque = holder.opaque or f"{rel} star-imports {star}, which testmend cannot read"
                    for n in names or ():
                        holder.add(Definition(n, "import", f"{rel} (from {star} import *)", facts.path))
                continue
            inner = self.namespace(source, depth + 1)
            public = set(source.dunder_all) if source.dunder_all is not None else None
            attrs = {f.name: f.fixture for f in source.functions if f.fixture}
            for name, defs in inner.defs.items():
                for d in defs:
                    attr = next((a for a, fx in attrs.items() if fx == d.name), d.name)
                    if (public is not None and attr not in public) or (public is None and attr.startswith("_")):
                        continue
                    holder.add(Definition(d.name, "import", f"{d.owner} (star-imported into {rel})",
                                          d.path or facts.path, d.line, d.params, d.autouse))
            holder.opaque = holder.opaque or inner.opaque
        if facts.generate is not None:
            if facts.generate.names is None:
                holder.generate_opaque = f"pytest_generate_tests in {rel} (line {facts.generate.line})"
            else:
                holder.generated |= facts.generate.names
        if kind == "module":  # pytestmark in a conftest marks nothing
            holder.direct |= facts.direct
            holder.usefixtures = list(facts.usefixtures)
            holder.marks_uncertain = facts.marks_uncertain
        return holder

    def _imported(self, target: str, depth: int) -> list[Definition] | str | None:
        """Fixtures bound by `from mod import attr` (target "mod.attr"): a list,
        "?" when the module cannot be read, None when it is not a fixture."""
        mod, _, attr = target.rpartition(".")
        if not mod or mod.split(".")[0] in _stdlib() or depth > 6:
            return None
        if self._module(target) is not None:
            return None  # a submodule
        source = self._module(mod)
        if source is None:
            if module_file(target) is not None:
                return None
            names = _installed_fixtures(mod)
            if names is None:
                return "?" if module_file(mod) is None else None
            return [Definition(attr, "import", mod)] if attr in names else None
        attrs = {f.name: f for f in source.functions if f.fixture}
        if attr in attrs:
            f = attrs[attr]
            return [Definition(f.fixture or attr, "module", self.show(source.path), source.path, f.line,
                               self._params(f), f.autouse, function=f.name)]
        for local, inner in source.imports:
            if local == attr:
                return self._imported(inner, depth + 1)
        for star in source.star_imports:
            found = self._imported(f"{star}.{attr}", depth + 1)
            if found:
                return found
        return None

    def _params(self, f: FuncFacts, class_patches: int = 0) -> tuple[str, ...] | None:
        if self._uncertain(f):
            return None
        return f.args[f.patches + class_patches:]

    def _uncertain(self, f: FuncFacts) -> str | None:
        """Why pytest may see other arguments than `f.args`: the scan's reason, or a
        decorator imported from a module that does not show it keeps the signature."""
        if f.uncertain or not f.deferred:
            return f.uncertain
        for target in f.deferred:
            parts = target.split(".")
            ok = False
            for i in range(len(parts) - 1, 0, -1):
                source = self._module(".".join(parts[:i]))
                if source is not None:
                    ok = i == len(parts) - 1 and parts[i] in source.harmless
                    break
            if not ok:
                return f"decorator @{target} may change the arguments pytest sees"
        return None

    # ------------------------------------------------------------ classes
    def _class(self, qual: str) -> tuple[ModuleFacts, ClassFacts] | None:
        path = self.graph.owner_path.get(qual)
        if path is None:
            return None
        facts = self._load(path)
        if facts is None:
            return None
        matches = [c for c in facts.classes if qual == f"{facts.module}.{c.name}" or qual.endswith("." + c.name)]
        return (facts, max(matches, key=lambda c: len(c.name))) if matches else None

    def _mro(self, qual: str) -> tuple[list[tuple[ModuleFacts, ClassFacts]], str | None, bool]:
        """Project classes along the MRO; why the rest is unknown; whether it is a TestCase."""
        mro = self.graph.mro(qual)
        if mro is None:
            return [], "its bases have no consistent order", False
        out = []
        testcase = False
        unknown = None
        for name in mro:
            if name in (classgraph.TESTCASE, classgraph.ASYNC_TESTCASE):
                testcase = True
                continue
            if self.graph.is_neutral(name):
                continue
            found = self._class(name)
            if found is None:
                short = name.lstrip("?")
                if short.rsplit(".", 1)[-1].endswith("TestCase"):
                    testcase = True
                else:
                    unknown = unknown or f"base class {short} was not analysed"
                continue
            out.append(found)
        return out, unknown, testcase

    def _class_holder(self, qual: str, mro: list[tuple[ModuleFacts, ClassFacts]], unknown: str | None) -> _Holder:
        holder = _Holder(opaque=unknown)
        seen: set[str] = set()
        mine: list[Definition] = []
        for facts, cls in mro:
            for f in _last_bindings(cls.functions):
                if f.name in seen:
                    continue
                seen.add(f.name)
                if f.fixture and f.uncertain == NAME_UNKNOWN:
                    holder.opaque = holder.opaque or f"{self.show(facts.path)}:{f.line} names a fixture at run time"
                if f.fixture:
                    owner = f"class {cls.name.rpartition('.')[2]} in {self.show(facts.path)}"
                    mine.append(Definition(f.fixture, "class", owner, facts.path, f.line, self._params(f), f.autouse,
                                           function=f.name))
            seen |= cls.members
            holder.direct |= cls.direct
            holder.usefixtures.extend(cls.usefixtures)
            holder.marks_uncertain = holder.marks_uncertain or cls.marks_uncertain
            if cls.generate is not None:
                if cls.generate.names is None:
                    holder.generate_opaque = f"pytest_generate_tests of class {cls.name}"
                else:
                    holder.generated |= cls.generate.names
        for d in reversed(mine):  # base-class definitions first: the subclass's win
            holder.add(d)
        return holder

    # ------------------------------------------------------------ collection
    def _is_test_module(self, path: Path) -> bool:
        return path.name != "conftest.py" and any(_fnmatch_ex(p, path) for p in self.setup.python_files)

    def _collected(self, path: Path) -> str | None:
        """Why pytest would not collect this module in a run over the files given
        (their common directory stands for pytest's arguments), or None."""
        setup = self.setup
        start = Path(os.path.commonpath([str(p.parent) for p in self.given]))
        for directory in reversed(path.parents):
            if start in directory.parents and any(_fnmatch_ex(p, directory) for p in setup.norecursedirs):
                return f"{self.relative(directory)} matches norecursedirs"
        for ignored in setup.ignore:
            if path == ignored or ignored in path.parents:
                return f"--ignore {self.show(ignored)}"
        for d, conftest in self.conftests.items():
            if d not in path.parents:
                continue
            if conftest.collect_uncertain:
                return f"{self.show(conftest.path)} computes collect_ignore"
            for entry in conftest.collect_ignore:
                target = (d / entry).resolve()
                if path == target or target in path.parents:
                    return f"collect_ignore in {self.show(conftest.path)}"
            for pattern in conftest.collect_ignore_glob:
                if fnmatch.fnmatch(str(path), str(d / pattern)) or any(
                        fnmatch.fnmatch(str(p), str(d / pattern)) for p in path.parents):
                    return f"collect_ignore_glob in {self.show(conftest.path)}"
        return None

    def _module_scope(self, facts: ModuleFacts) -> list[_Holder]:
        key: tuple[object, ...] = (facts.path.resolve(),)
        if key not in self._scopes:
            holders = [self.global_holder]
            directory = facts.path.resolve().parent
            chain = [d for d in [directory, *directory.parents] if d in self.conftests]
            for d in reversed(chain):
                holders.append(self.namespace(self.conftests[d]))
            holders.append(self.namespace(facts))
            self._scopes[key] = holders
        return self._scopes[key]

    def _resolve_all(self) -> None:
        for path, facts in sorted(self.modules.items()):
            if path.resolve() not in self.given or not self._is_test_module(path):
                continue
            why = self._collected(path)
            if why is not None:
                self.skipped.append((self.relative(path), why))
                continue
            if facts.test_attr is False:
                continue
            scope = self._module_scope(facts)
            key: tuple[object, ...] = (path,)
            for f in _last_bindings(facts.functions):
                if f.fixture is None and _matches(self.setup.python_functions, f.name):
                    self._check(facts, f, scope, key, [], 0, testcase=False)
            for cls in facts.classes:
                if cls.nested_in is None:
                    self._collect_class(facts, f"{facts.module}.{cls.name}", cls, scope, key, [])

    def _collect_class(self, facts: ModuleFacts, qual: str, cls: ClassFacts, scope: list[_Holder],
                       key: tuple[object, ...], chain: list[str]) -> None:
        mro, unknown, testcase = self._mro(qual)
        label = f"{self.relative(facts.path)}::{'::'.join(chain + [cls.name.rpartition('.')[2]])}"
        test_attr = next((c.test_attr for _, c in mro if c.test_attr is not None), None)
        if test_attr is False:
            return
        if not testcase and not (_matches(self.setup.python_classes, cls.name.rpartition(".")[2]) or test_attr):
            return
        if not testcase and any({"__init__", "__new__"} & c.members for _, c in mro):
            return
        if any(c.abstract for _, c in mro):
            self.skipped.append((label, "abstract methods: pytest may not collect it"))
            return
        if unknown and not testcase:
            self.skipped.append((label, unknown))
            return
        holder = self._class_holder(qual, mro, unknown)
        key = key + (qual,)
        scope = scope + [holder]
        self._scopes[key] = scope
        names = chain + [cls.name.rpartition(".")[2]]
        seen: set[str] = set()
        class_patches = 0
        for owner_facts, c in mro:
            class_patches += c.patches
            for f in _last_bindings(c.functions):
                if f.name in seen:
                    continue
                seen.add(f.name)
                if f.fixture:
                    continue
                if testcase:
                    if f.name.startswith("test"):
                        self._check(owner_facts, f, scope, key, names, 0, testcase=True, module=facts)
                elif _matches(self.setup.python_functions, f.name):
                    patches = class_patches if f.name.startswith("test") else 0
                    self._check(owner_facts, f, scope, key, names, patches, testcase=False, module=facts)
            seen |= c.members
        if testcase:
            return
        for nested in facts.classes:
            if nested.nested_in == cls.name:
                self._collect_class(facts, f"{facts.module}.{nested.name}", nested, scope, key, names)

    # ------------------------------------------------------------ the closure
    def _check(self, facts: ModuleFacts, f: FuncFacts, scope: list[_Holder], key: tuple[object, ...],
               classes: list[str], class_patches: int, testcase: bool, module: ModuleFacts | None = None) -> None:
        module = module or facts
        nodeid = "::".join([self.relative(module.path), *classes, f.name])
        item = TestItem(self.display(module.path), nodeid, f.line, f.column, f.name, self.display(facts.path))
        self.items.append(item)
        shared = self._shared.get(key)
        if shared is None:
            shared = self._shared[key] = _ScopeFacts.of(scope, self.global_holder)
        opaque = shared.opaque
        uncertain = shared.uncertain
        ignore = shared.ignore | f.direct
        initial: list[tuple[str, str, Definition | None]] = [(n, "autouse", None) for n in shared.autouse]
        initial.extend((name, "usefixtures", None) for name in f.usefixtures)
        initial.extend(shared.usefixtures)
        if not testcase:
            why = self._uncertain(f)
            if why:
                self.skipped.append((nodeid, why))
            else:
                for name in f.args[f.patches + class_patches:]:
                    initial.append((name, "argument", None))
        current: dict[str, int] = {}

        def visible(name: str) -> list[Definition]:
            out: list[Definition] = []
            for h in scope:
                out.extend(h.defs.get(name, ()))
            return out

        def process(name: str, how: str, via: Definition | None) -> None:
            index = current.get(name)
            if index == -1:
                return
            if index is None:
                current[name] = -1
            if name in ignore:
                return
            defs = visible(name)
            if not defs:
                if index is None:
                    why = opaque or uncertain
                    self.unresolved.append(Unresolved(name, item, via, how, key, unknown=why))
                return
            index = current.get(name, -1)
            if -index > len(defs):
                return
            d = defs[index]
            current[name] = index - 1
            for dep in d.params or ():
                process(dep, "argument", d)
            current[name] = index

        for name, how, via in initial:
            process(name, how, via)

    # ------------------------------------------------------------ queries
    def missing(self) -> list[Unresolved]:
        return [u for u in self.unresolved if u.unknown is None]

    def unknown(self) -> list[Unresolved]:
        return [u for u in self.unresolved if u.unknown is not None]

    def visible_names(self, scope: tuple[object, ...]) -> set[str]:
        return {name for h in self._scopes.get(scope, ()) for name in h.defs}

    def visible(self, scope: tuple[object, ...], name: str) -> list[Definition]:
        return [d for h in self._scopes.get(scope, ()) for d in h.defs.get(name, ())]

    @cached_property
    def all_definitions(self) -> dict[str, list[Definition]]:
        """Every fixture defined in the suite's modules and classes, by name."""
        out: dict[str, list[Definition]] = {}
        for path, facts in sorted(self.modules.items()):
            kind = "conftest" if path.name == "conftest.py" else "module"
            if kind == "module" and not self._is_test_module(path):
                kind = "helper"
            for f in facts.functions:
                if f.fixture:
                    out.setdefault(f.fixture, []).append(Definition(
                        f.fixture, kind, self.show(path), path, f.line,
                        scope_dir=path.parent if kind == "conftest" else None))
            for cls in facts.classes:
                for f in cls.functions:
                    if f.fixture:
                        out.setdefault(f.fixture, []).append(Definition(
                            f.fixture, "class", f"class {cls.name} in {self.show(path)}", path, f.line))
        return out

    def plugin_for(self, name: str) -> str | None:
        """The distribution a well-known plugin fixture comes from, when no active plugin provides it."""
        return KNOWN_PLUGIN_FIXTURES.get(name)

    def inactive_plugin(self, name: str) -> Plugin | None:
        """An installed or builtin plugin that defines `name` but is not active."""
        for plugin in [*builtin_plugins().values(), *installed_plugins().values()]:
            if name in plugin.fixtures and plugin.name not in self.plugins:
                return plugin
        return None

    def removed(self, name: str) -> str | None:
        return REMOVED_BUILTINS.get(name)

    def nearest_conftest_dir(self, path: Path) -> Path:
        """The directory of the nearest conftest.py above `path` (the rootdir if none)."""
        path = path.resolve()
        for d in [path.parent, *path.parent.parents]:
            if d in self.conftests:
                return d
            if d == self.setup.confcutdir:
                break
        return self.setup.confcutdir


def _last_bindings(functions: Iterable[FuncFacts]) -> list[FuncFacts]:
    """The functions a namespace ends up with: a later def of a name replaces an earlier one."""
    last = {f.name: f for f in functions}
    return [f for f in functions if last[f.name] is f]


def _stdlib() -> frozenset[str]:
    import sys

    return frozenset(sys.stdlib_module_names)


def _installed_fixtures(module: str) -> frozenset[str] | None:
    """Fixture names a module outside the project defines (None: not readable)."""
    path = module_file(module)
    if path is None:
        return None
    facts = scan_file(path)
    if facts is None:
        return None
    return frozenset(f.fixture for f in facts.functions if f.fixture)
