"""The suite as the test quality rules (TM5xx, TM6xx) see it: which functions
are tests, and what each test checks once its helpers are followed.

The suite analysis `TestInventory` indexes every file on the cheap `ast` parse
(`check_facts`), builds the class graph (which classes pytest or unittest
collect, along the real MRO across files) and loads the modules the tests build
on: base classes' modules, and helpers imported from the suite's own
directories. `Inventory.checks()` follows a test's calls into module functions,
methods along the MRO (or the subclasses a mixin is mixed into), classes it
instantiates, and functions imported from the suite, to a depth limit, and says
"unsure" rather than guess.
"""
from __future__ import annotations

import ast
import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from .check_facts import (
    CHECK, DEFAULT_PYTHON_FILES, UNSURE, FunctionFacts, ModuleIndex, index_functions, resolve_dotted,
)
from .classgraph import TESTCASE, ClassGraph, module_name
from .pytest_config import PytestConfig, _matches, _section, read_pytest_config
from .source import SourceError, read_source

# ---------------------------------------------------------------- the suite
Target = tuple[ModuleIndex, FunctionFacts]


@dataclass
class Inventory:
    """The suite: modules by path and by name, the class graph, and pytest's collection settings."""

    graph: ClassGraph
    pytest: PytestConfig
    python_files: tuple[str, ...]
    by_path: dict[Path, ModuleIndex] = field(default_factory=dict)
    by_module: dict[str, ModuleIndex] = field(default_factory=dict)
    _runs: dict[str, bool] = field(default_factory=dict)  # caches
    _testcase: dict[str, bool] = field(default_factory=dict)

    # ------------------------------------------------------------ collection
    def module(self, path: Path) -> ModuleIndex | None:
        return self.by_path.get(path.resolve())

    def is_test_module(self, path: Path) -> bool:
        index = self.module(path)
        if index is not None and index.test_flag is False:
            return False
        return any(fnmatch.fnmatch(path.name, p) for p in self.python_files)

    def matches_function(self, name: str) -> bool:
        return any(_matches(p, name) for p in self.pytest.python_functions)

    def _own_test_flag(self, qual: str) -> bool | None:
        module, _, cls = qual.rpartition(".")
        while module:
            index = self.by_module.get(module)
            if index is not None and cls in index.classes:
                return index.classes[cls].test_flag
            module, _, head = module.rpartition(".")
            cls = f"{head}.{cls}"
        return None

    def _collected(self, qual: str) -> bool:
        """Whether pytest collects tests from this class itself."""
        mro = self.graph.mro(qual) or (qual,)
        for cls in mro:  # `__test__` is inherited
            flag = self._own_test_flag(cls)
            if flag is not None:
                if not flag:
                    return False
                break
        if self.graph.is_testcase(qual):
            return True
        facts = self.graph.classes.get(qual)
        path = self.graph.owner_path.get(qual)
        if facts is None or path is None or not self.is_test_module(path):
            return False
        if not all(self.pytest.collects_class(part) for part in facts.name.split(".")):
            return False
        return not any("__init__" in self.graph.classes[c].members for c in mro if c in self.graph.classes)

    def class_runs_tests(self, qual: str) -> bool:
        """Whether the test methods of this class run: it is collected, or a class
        that derives from it is (a mixin or base class of tests)."""
        if qual not in self._runs:
            self._runs[qual] = "?" not in qual.split(".") and qual in self.graph.classes and (
                self._collected(qual) or any(self._collected(d) for d in self.graph.descendants(qual)))
        return self._runs[qual]

    def overridden(self, path: Path, cls: str, name: str) -> str | None:
        """The project base class whose `name` this method of `cls` overrides, if any."""
        qual = f"{module_name(path)[0]}.{cls}"
        for owner in (self.graph.mro(qual) or ())[1:]:
            facts = self.graph.classes.get(owner)
            if facts is not None and name in facts.members:
                return owner.rpartition(".")[2]
        return None

    def is_testcase_method_owner(self, qual: str) -> bool:
        """The class or a subclass of it is a unittest.TestCase (test names use unittest's `test` prefix)."""
        if qual not in self._testcase:
            graph = self.graph
            self._testcase[qual] = graph.is_testcase(qual) or any(graph.is_testcase(d) for d in graph.descendants(qual))
        return self._testcase[qual]

    def is_test(self, path: Path, cls: str | None, name: str, fixture: bool) -> bool:
        """Whether a function named `name` (in class `cls` of the module, or at
        module level) is a test that pytest or unittest runs."""
        if fixture:
            return False
        if cls is None:
            return self.is_test_module(path) and self.matches_function(name)
        qual = f"{module_name(path)[0]}.{cls}"
        if not self.class_runs_tests(qual):
            return False
        if self.is_testcase_method_owner(qual):
            return name.startswith("test")
        return self.matches_function(name)

    # ------------------------------------------------------------ helpers
    def checks(self, path: Path, fn: FunctionFacts, prefixes: re.Pattern[str],
               depth: int) -> tuple[frozenset[str], tuple[str, ...]]:
        """What function `fn` of the module at `path` checks, its helpers followed
        up to `depth` calls deep; and the helpers followed (for messages)."""
        index = self.module(path)
        if index is None:
            return frozenset({UNSURE}), ()
        followed: list[str] = []
        kinds = self._kinds(index, fn, prefixes, depth, followed, set())
        return kinds, tuple(dict.fromkeys(followed))

    def _kinds(self, index: ModuleIndex, fn: FunctionFacts, prefixes: re.Pattern[str], depth: int,
               followed: list[str], seen: set[tuple[str, str]]) -> frozenset[str]:
        kinds = set(fn.kinds)
        for call in fn.calls:
            if CHECK in kinds or UNSURE in kinds:
                break
            target = self._resolve(index, fn, call)
            if target is None:
                if any(prefixes.match(part) for part in call.split(".")):
                    kinds.add(CHECK)  # an unresolvable check_x(), verify.that(), check.equal(): count it
                continue
            if target == UNSURE:
                kinds.add(UNSURE)
                continue
            for where, helper in target:
                key = (where.module, helper.qual)
                if key in seen:
                    continue
                followed.append(call)
                if depth <= 0:
                    kinds.add(UNSURE)
                    continue
                seen.add(key)
                kinds |= self._kinds(where, helper, prefixes, depth - 1, followed, seen)
        return frozenset(kinds)

    def _resolve(self, index: ModuleIndex, fn: FunctionFacts, call: str) -> list[Target] | str | None:
        """The helpers a call reaches: [(module, facts)] (a function, or every method
        of a class it instantiates), UNSURE, or None (not a suite helper)."""
        head, _, rest = call.partition(".")
        if head in fn.params and head != fn.self_name:
            return UNSURE if not rest else None  # calling a fixture or a parametrized callable
        if head == fn.self_name and fn.cls is not None and rest and "." not in rest:
            return self._method(f"{index.module}.{fn.cls}", rest)
        if not rest:
            found = self._in_module(index, head)
            if found is not None:
                return found
        imports = dict(index.facts.imports)
        if head not in imports:
            return None
        module, _, name = resolve_dotted(call, imports).rpartition(".")
        where = self.by_module.get(module)
        return self._in_module(where, name) if where is not None else None

    @staticmethod
    def _in_module(index: ModuleIndex, name: str) -> list[Target] | None:
        """A module-level function, or the methods of a class (called to make an instance)."""
        fn = index.functions.get(name)
        if fn is not None and fn.cls is None:
            return [(index, fn)]
        if name in index.classes:
            return [(index, f) for q, f in index.functions.items() if f.cls == name]
        return None

    def _method(self, cls: str, name: str) -> list[Target] | str | None:
        graph = self.graph
        mro = graph.mro(cls)
        if mro is None:
            return UNSURE
        for owner in mro:
            if owner == TESTCASE or graph.is_neutral(owner):
                return None  # TestCase's own API (assert* and fail were counted already)
            facts = graph.classes.get(owner)
            if facts is None:
                return UNSURE  # a base class testmend did not read may define it
            if name in facts.members:
                return self._member(owner, name)
        # defined by the subclasses this class is mixed into: any of them may run
        found: list[Target] = []
        for sub in sorted(graph.descendants(cls)):
            facts = graph.classes.get(sub)
            if facts is not None and name in facts.members:
                target = self._member(sub, name)
                if target == UNSURE:
                    return UNSURE
                found.extend(target)
        return found or None

    def _member(self, owner: str, name: str) -> list[Target] | str:
        path = self.graph.owner_path.get(owner)
        where = self.by_path.get(path.resolve()) if path else None
        local = owner[len(where.module) + 1:] if where and owner.startswith(where.module + ".") else None
        fn = where.functions.get(f"{local}.{name}") if where and local else None
        return [(where, fn)] if where and fn else UNSURE  # an attribute, or a function bound some other way


class TestInventory:
    """Suite analysis: every module's functions and classes, for the test quality rules."""

    name = "tests-inventory"

    @staticmethod
    def index_file(path: Path, tree: object, source: str) -> ModuleIndex:
        return index_functions(path, tree, source)  # type: ignore[arg-type]

    @staticmethod
    def build(facts: dict[Path, ModuleIndex], root: Path) -> Inventory:
        graph = ClassGraph.build([m.facts for m in facts.values()])
        config = read_pytest_config(root)
        graph.pytest = config
        inventory = Inventory(graph, config, _python_files(config))
        for index in facts.values():
            _add(inventory, index)
        suite_dirs = {p.resolve().parent for p in facts}
        roots = {module_name(p)[1] for p in facts}
        # modules the tests build on: base classes' modules, and helpers imported from the suite
        for path in sorted(graph.loaded):
            _load(inventory, path)
        pending = [t for index in list(inventory.by_path.values()) for _, t in index.facts.imports]
        while pending:
            target = pending.pop()
            path = _find_module(target, roots, inventory)
            if path is None or not any(d == path.parent or d in path.parents for d in suite_dirs):
                continue
            loaded = _load(inventory, path)
            if loaded is not None:
                pending.extend(t for _, t in loaded.facts.imports)
        return inventory


def _add(inventory: Inventory, index: ModuleIndex) -> None:
    inventory.by_path[index.path.resolve()] = index
    inventory.by_module.setdefault(index.module, index)


def _load(inventory: Inventory, path: Path) -> ModuleIndex | None:
    if path.resolve() in inventory.by_path:
        return None
    try:
        source = read_source(path).text
        tree = ast.parse(source, filename=str(path))
    except (SourceError, SyntaxError, ValueError, RecursionError):
        return None
    index = index_functions(path, tree, source)
    _add(inventory, index)
    return index


def _find_module(target: str, roots: set[Path], inventory: Inventory) -> Path | None:
    """The file of the longest module prefix of `target` not indexed yet."""
    parts = target.split(".")
    for i in range(len(parts), 0, -1):
        module = ".".join(parts[:i])
        if module in inventory.by_module:
            return None
        rel = Path(*parts[:i])
        for root in sorted(roots):
            for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
                if candidate.is_file():
                    return candidate
    return None


def _python_files(config: PytestConfig) -> tuple[str, ...]:
    if config.path is None:
        return DEFAULT_PYTHON_FILES
    section = _section(config.path) or {}
    value = section.get("python_files")
    if isinstance(value, str):
        return tuple(value.split()) or DEFAULT_PYTHON_FILES
    if isinstance(value, list):
        return tuple(str(v) for v in value) or DEFAULT_PYTHON_FILES
    return DEFAULT_PYTHON_FILES


