"""TM202: TestCase classes that pytest would stop collecting once they are plain classes."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from testmend.codemods.python_classes import add_patterns
from testmend.model import FileChange, Finding, FixInfo, Safety, Severity, Span
from testmend.pytest_config import _matches, read_pytest_config
from testmend.rule import Rule, SuiteIndex
from testmend.unittest_api import TestCaseClasses

_SUFFIXES = ("TestCase", "Tests", "Test")
# Bases known to give a class no __init__/__new__ (pytest collects such a class quietly).
_NO_INIT = {"builtins.object", "object", "abc.ABC"}


class PythonClasses(Rule):
    """Flags TestCase classes whose names pytest's `python_classes` does not match.

    ## What it does
    pytest collects every unittest.TestCase subclass whatever its name, but a
    plain class only when its name matches `python_classes` (default: starts
    with `Test`). A suite full of `LRUCacheTest` or `ParserTests` classes would
    lose them from collection when they stop being TestCases, so TM201 leaves
    them alone. This rule adds the suffix patterns they need (`*Test`,
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
        safe = {p: names for p, names in wanted.items() if _conflict(graph, p) is None}
        blocked = {p: _conflict(graph, p) for p in wanted if p not in safe}
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
        info = FixInfo(Safety.SAFE, f"add python_classes patterns {' '.join(sorted(safe))} to {target.name}")
        return [(Finding(cls.code, target, span, message, cls.severity, fix=info), change)]


def _conflict(graph, pattern: str) -> str | None:  # type: ignore[no-untyped-def]
    """Why adding `pattern` could collect something new, or None. pytest reads a
    pattern without glob characters as a prefix ("test"), and a matching class
    that is not a TestCase is collected when it has test methods, and reported
    (a PytestCollectionWarning, an error under `filterwarnings = error`) when it
    has an __init__ or __new__, which a decorator (@dataclass) or a base class
    (Exception, NamedTuple) can give it."""
    for qual, facts in graph.classes.items():
        if "." in facts.name or not _matches(pattern, facts.name) or graph.is_testcase(qual):
            continue
        why = _collectable(graph, qual)
        if why:
            return f"{facts.name} is not a TestCase and {why}"
    for module in graph.modules.values():
        if not (module.path.name.startswith("test_") or module.path.name.endswith("_test.py")):
            continue
        for local, target in module.imports:
            if _matches(pattern, local) and not target.startswith("unittest.") \
                    and not (target in graph.classes and graph.is_testcase(target)):
                if target in graph.classes and _collectable(graph, target) is None:
                    continue
                return f"{local} imported into {module.path.name} would be collected"
    return None


def _collectable(graph, qual: str) -> str | None:  # type: ignore[no-untyped-def]
    """Why pytest would collect (or warn about) the plain class `qual` if its name matched, or None."""
    mro = graph.mro(qual)
    if mro is None:
        return "its bases could not be analysed"
    for cls in mro:
        if cls in _NO_INIT:
            continue
        facts = graph.classes.get(cls)
        if facts is None:
            return f"its base {cls.lstrip('?')} may give it an __init__"
        if any(n.startswith("test") for n in facts.members):
            return "would be collected (it has test methods)"
        if {"__init__", "__new__"} & facts.members:
            return "has an __init__, which pytest warns about"
        if facts.decorators:
            return f"is decorated with @{facts.decorators[0]}, which may give it an __init__"
    return None


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
