"""TM202: TestCase classes that pytest would stop collecting once they are plain classes."""
from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any, Mapping

from testmend.codemods.python_classes import add_patterns
from testmend.model import FileChange, Finding, FixInfo, Safety, Severity, Span
from testmend.pytest_config import read_pytest_config
from testmend.rule import Rule, SuiteIndex
from testmend.unittest_api import TestCaseClasses

_SUFFIXES = ("TestCase", "Tests", "Test")


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
    collected as a result. The line goes into the existing pytest configuration,
    or a `[tool.pytest.ini_options]` table is added to the pyproject.toml that
    already decides pytest's rootdir; a file that already sets `python_classes`
    is left for a person to merge.
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
        message = (f"{len(names)} TestCase classes ({', '.join(names[:3])}{'...' if len(names) > 3 else ''}) "
                   f"are not matched by python_classes = {' '.join(config.python_classes)}")
        span = Span(1, 0, 1, 0)
        if not safe:
            why = "; ".join(f"{p}: {reason}" for p, reason in blocked.items())
            return [(Finding(cls.code, target, span, f"{message}; no pattern can be added safely ({why})",
                             cls.severity), None)]
        change = _change(target, sorted(safe))
        if change is None:
            return [(Finding(cls.code, target, span, f"{message}; {target.name} sets python_classes or has no "
                             "pytest section testmend can extend; add the patterns by hand", cls.severity), None)]
        info = FixInfo(Safety.SAFE, f"add python_classes patterns {' '.join(sorted(safe))} to {target.name}")
        return [(Finding(cls.code, target, span, message, cls.severity, fix=info), change)]


def _conflict(graph, pattern: str) -> str | None:  # type: ignore[no-untyped-def]
    """Why adding `pattern` could collect something new, or None."""
    for qual, facts in graph.classes.items():
        if "." in facts.name or not fnmatch.fnmatch(facts.name, pattern) or graph.is_testcase(qual):
            continue
        if any(n.startswith("test") for n in facts.members) or "__init__" in facts.members:
            return f"{facts.name} is not a TestCase and would be collected"
    for module in graph.modules.values():
        if not (module.path.name.startswith("test_") or module.path.name.endswith("_test.py")):
            continue
        for local, target in module.imports:
            if fnmatch.fnmatch(local, pattern) and not target.startswith("unittest.") \
                    and not (target in graph.classes and graph.is_testcase(target)):
                if target in graph.classes and not any(n.startswith("test") for n in graph.classes[target].members) \
                        and "__init__" not in graph.classes[target].members:
                    continue
                return f"{local} imported into {module.path.name} would be collected"
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
