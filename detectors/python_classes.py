"""TM202: TestCase classes that pytest would stop collecting once they are plain classes."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from testmend.codemods.python_classes import add_patterns, set_test_flags
from testmend.model import FileChange, Finding, FixInfo, Safety, Severity, Span
from testmend.pytest_config import _matches, read_pytest_config
from testmend.rule import Rule, SuiteIndex
from testmend.source import SourceError, read_source
from testmend.unittest_api import TestCaseClasses

_SUFFIXES = ("TestCase", "Tests", "Test", "tests")  # "Convolvetests": a lowercase typo
# Bases known to give a class no __init__/__new__ (pytest collects such a class quietly).
_NO_INIT = {"builtins.object", "object", "abc.ABC"}


class PythonClasses(Rule):
    """Flags TestCase classes whose names pytest's `python_classes` does not match.

    ## What it does
    pytest collects every unittest.TestCase subclass whatever its name, but a
    plain class only when its name matches `python_classes` (default: starts
    with `Test`). A suite full of `LRUCacheTest` or `ParserTests` classes would
    lose them from collection when they stop being TestCases, so TM201 leaves
    them alone. This rule adds the suffix patterns they need (`*Test`, `*tests`,
    `*Tests`, `*TestCase`) to the project's pytest configuration, keeping every
    node id; TM201 converts them on the next pass (`fix --write` runs passes
    until nothing changes).

    ## Why is this bad?
    Renaming the classes instead (what other converters do) changes node ids,
    breaks `-k` expressions, imports and subclasses.

    ## Example
    ```toml
    [tool.pytest.ini_options]
    python_classes = ["Test", "*Test"]
    ```

    ## Fix safety
    Safe: a pattern is added only when no class that is not a TestCase (project
    classes, and names imported into test modules) would match it and be
    collected as a result, or reported by pytest as uncollectable (an
    `__init__` of its own, from a decorator such as @dataclass, or from a base
    such as Exception). A pattern without glob characters matches as a prefix,
    as in pytest. The line goes into the existing pytest configuration,
    or a `[tool.pytest.ini_options]` table is added to the pyproject.toml that
    already decides pytest's rootdir, and only when that file's directory holds
    the test files; a file that already sets `python_classes`, or whose edit
    would not read back as intended, is left for a person to merge.
    """

    code = "TM202"
    name = "python-classes"
    severity = Severity.INFO
    fix_safety = Safety.SAFE
    needs = (TestCaseClasses,)
    per_file = False

    @classmethod
    def check_suite(cls, suite: SuiteIndex, options: Mapping[str, Any]) -> list[tuple[Finding, FileChange | None]]:
        graph = suite.data.get(TestCaseClasses.name)
        if graph is None:
            return []
        config = graph.pytest or read_pytest_config(suite.root)
        wanted: dict[str, list[str]] = {}
        for qual, facts in graph.classes.items():
            path = graph.owner_path.get(qual)
            if path is None or not (path.name.startswith("test_") or path.name.endswith("_test.py")):
                continue
            if "." in facts.name or not graph.is_testcase(qual) or config.collects_class(facts.name):
                continue
            mro = graph.mro(qual) or ()
            if not any(n.startswith("test") for c in mro if c in graph.classes for n in graph.classes[c].members):
                continue
            suffix = next((s for s in _SUFFIXES if facts.name.endswith(s)), None)
            if suffix:
                wanted.setdefault(f"*{suffix}", []).append(facts.name)
            elif facts.name.startswith("test"):  # testSerializers: a lowercase prefix
                wanted.setdefault("test", []).append(facts.name)
        if not wanted:
            return []
        mixins: set[str] = set()
        safe = {p: names for p, names in wanted.items() if _conflict(graph, p, mixins) is None}
        blocked = {p: _conflict(graph, p, set()) for p in wanted if p not in safe}
        mixins = set()
        for p in safe:
            _conflict(graph, p, mixins)
        target = config.path or (suite.root / "pyproject.toml")
        names = sorted(n for ns in wanted.values() for n in ns)
        # the configuration must be the one pytest reads for these files: never
        # edit a file above or beside them (the current directory's pyproject.toml
        # when the paths are elsewhere)
        home = target.parent.resolve()
        outside = sorted({str(path) for q, f in graph.classes.items() if f.name in names
                          for path in [graph.owner_path.get(q)] if path and home not in path.resolve().parents})
        message = (f"{len(names)} TestCase classes ({', '.join(names[:3])}{'...' if len(names) > 3 else ''}) "
                   f"are not matched by python_classes = {' '.join(config.python_classes)}")
        span = Span(1, 0, 1, 0)
        if not safe:
            why = "; ".join(f"{p}: {reason}" for p, reason in blocked.items())
            return [(Finding(cls.code, target, span, f"{message}; no pattern can be added safely ({why})",
                             cls.severity), None)]
        if outside:
            return [(Finding(cls.code, target, span, f"{message}; {target} does not configure {outside[0]}; "
                             "add the patterns by hand", cls.severity), None)]
        change = _change(target, sorted(safe))
        if change is None:
            why = (f"{target.name} sets python_classes or has no pytest section testmend can extend"
                   if target.exists() else "there is no pytest configuration, and testmend does not create "
                   "one (it could move pytest's rootdir)")
            return [(Finding(cls.code, target, span, f"{message}; {why}; add the patterns by hand",
                             cls.severity), None)]
        flags = _flag_changes(graph, mixins) if mixins else []
        if flags is None:
            return [(Finding(cls.code, target, span, f"{message}; the mixins of test methods that would be "
                             "collected cannot be marked __test__ = False; add the patterns by hand",
                             cls.severity), None)]
        what = f"add python_classes patterns {' '.join(sorted(safe))} to {target.name}"
        if mixins:
            what += (f", and mark the mixin{'s' if len(mixins) > 1 else ''} "
                     f"{', '.join(sorted(graph.classes[m].name for m in mixins))} `__test__ = False` "
                     "(their TestCase subclasses `__test__ = True`), so they are not collected on their own")
        finding = Finding(cls.code, target, span, message, cls.severity, fix=FixInfo(Safety.SAFE, what))
        return [(finding, c) for c in (change, *flags)]


def _is_test_file(path: Path | None) -> bool:
    return path is not None and (path.name.startswith("test_") or path.name.endswith("_test.py"))


def _conflict(graph, pattern: str, mixins: set[str]) -> str | None:  # type: ignore[no-untyped-def]
    """Why adding `pattern` could collect something new, or None. pytest reads a
    pattern without glob characters as a prefix ("test"), and a matching class
    that is not a TestCase is collected when it has test methods, and reported
    (a PytestCollectionWarning, an error under `filterwarnings = error`) when it
    has an __init__ or __new__, which a decorator (@dataclass) or a base class
    (Exception, NamedTuple) can give it. A mixin of test methods that only
    TestCase classes inherit is no conflict: it is added to `mixins`, to be
    marked `__test__ = False` (and its subclasses `__test__ = True`)."""
    for qual, facts in graph.classes.items():
        if "." in facts.name or not _matches(pattern, facts.name) or graph.is_testcase(qual):
            continue
        why = _collectable(graph, qual)
        if why == _HAS_TESTS and _can_mark(graph, qual):
            mixins.add(qual)
        elif why:
            return f"{facts.name} is not a TestCase and {why}"
    for module in graph.modules.values():
        if not _is_test_file(module.path):
            continue
        for local, target in module.imports:
            if _matches(pattern, local) and not target.startswith("unittest.") \
                    and not (target in graph.classes and graph.is_testcase(target)):
                if target in graph.classes and (target in mixins or _collectable(graph, target) is None):
                    continue
                return f"{local} imported into {module.path.name} would be collected"
    return None


_HAS_TESTS = "would be collected (it has test methods)"


def _collectable(graph, qual: str) -> str | None:  # type: ignore[no-untyped-def]
    """Why pytest would collect (or warn about) the plain class `qual` if its name matched, or None."""
    mro = graph.mro(qual)
    if mro is None:
        return "its bases could not be analysed"
    flag = graph.test_flag(qual)
    if flag == "?":
        return "its __test__ attribute could not be read"
    if flag is not None:
        return None  # __test__ = False: never collected; True: collected whatever its name
    for cls in mro:
        if cls in _NO_INIT:
            continue
        facts = graph.classes.get(cls)
        if facts is None:
            return f"its base {cls.lstrip('?')} may give it an __init__"
        if any(n.startswith("test") for n in facts.members):
            return _HAS_TESTS
        if {"__init__", "__new__"} & facts.members:
            return "has an __init__, which pytest warns about"
        if facts.decorators:
            return f"is decorated with @{facts.decorators[0]}, which may give it an __init__"
    return None


def _can_mark(graph, mixin: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether `__test__ = False` on `mixin` (and True on the subclasses that
    inherit it) changes nothing but the mixin's own collection: the mixin and
    those subclasses are in test files, and every class deriving from it is a
    TestCase whose `__test__` is unset (pytest collects it whatever its name)."""
    subs = graph.descendants(mixin)
    if not subs or not _is_test_file(graph.owner_path.get(mixin)):
        return False
    for sub in subs:
        if not graph.is_testcase(sub) or graph.test_flag(sub) is not None:
            return False
        if sub in _marked_subclasses(graph, mixin) and not _is_test_file(graph.owner_path.get(sub)):
            return False
    return True


def _marked_subclasses(graph, mixin: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The subclasses of `mixin` that need `__test__ = True` so that they still
    read True once the mixin says False: those with no other such subclass
    between them and the mixin in their MRO."""
    subs = graph.descendants(mixin)
    out = []
    for sub in sorted(subs, key=lambda q: len(graph.mro(q) or ())):
        for cls in graph.mro(sub) or ():
            if cls == mixin:
                out.append(sub)
                break
            if cls in out:
                break
    return out


def _flag_changes(graph, mixins: set[str]) -> list[FileChange] | None:  # type: ignore[no-untyped-def]
    """The test-file edits that mark `mixins` `__test__ = False` and their
    subclasses `__test__ = True`; None when a file cannot be edited."""
    flags: dict[Path, dict[str, bool]] = {}
    for mixin in sorted(mixins):
        flags.setdefault(graph.owner_path[mixin], {})[graph.classes[mixin].name] = False
        for sub in _marked_subclasses(graph, mixin):
            flags.setdefault(graph.owner_path[sub], {})[graph.classes[sub].name] = True
    changes = []
    for path, wanted in sorted(flags.items()):
        try:
            source = read_source(path)
            text = set_test_flags(source.text, wanted)
            if text is None:
                return None
            changes.append(FileChange(path, source.raw, source.encode(text), applied=()))
        except SourceError:
            return None
    return changes


def _change(target: Path, patterns: list[str]) -> FileChange | None:
    try:
        old = target.read_bytes() if target.exists() else None
    except OSError:
        return None
    if old is None:
        return None  # never create a config file: it could move pytest's rootdir
    try:
        text = old.decode("utf-8")
    except UnicodeDecodeError:
        return None
    new = add_patterns(target, text, patterns)
    if new is None:
        return None
    return FileChange(target, old, new.encode("utf-8"), applied=())
