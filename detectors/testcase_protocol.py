"""TM205: a typing.Protocol of TestCase methods that keeps test classes from becoming plain classes."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from testmend.codemods.testcase_protocol import drop_bases
from testmend.model import FileChange, Finding, FixInfo, Safety, Severity, Span
from testmend.rule import Rule, SuiteIndex
from testmend.source import SourceError, read_source
from testmend.unittest_api import TestCaseClasses
from testmend.unittest_classes import TESTCASE_API

_PROTOCOL = ("typing.Protocol", "typing_extensions.Protocol")


class TestCaseProtocol(Rule):
    """Flags a `typing.Protocol` of TestCase methods used as the base of test mixins.

    ## What it does
    Mixins of test methods are often typed with a Protocol that declares the
    TestCase methods they call (`assertEqual`, `assertRaises`...). typing gives
    every class deriving from a Protocol an `__init__`, and pytest does not
    collect a plain class with an `__init__`: the TestCase classes that use such
    a mixin cannot become plain pytest classes (TM201 leaves them). Once their
    assertions are plain `assert` statements, the Protocol has nothing left to
    describe; the fix removes it from the mixins' bases, and TM201 converts the
    classes on the next pass.

    ## Why is this bad?
    The Protocol only serves the type checker, yet it pins the suite to
    unittest; and in a class that lists the mixin before TestCase, its `...`
    stubs shadow TestCase's methods, so `self.assertEqual(a, b)` silently
    passes.

    ## Example
    ```python
    class AssertsProtocol(Protocol):
        def assertEqual(self, first: Any, second: Any) -> None: ...

    class CacheMixin(AssertsProtocol):  # becomes: class CacheMixin:
        def test_len(self):
            self.assertEqual(len(self.cache), 0)

    class LRUCacheTest(unittest.TestCase, CacheMixin):
        cache = LRUCache(2)
    ```

    ## Fix safety
    Safe, and offered only when the Protocol declares nothing but TestCase's
    own methods, every class using it is a TestCase that finds those methods on
    unittest.TestCase before the Protocol (so no stub ever ran) or a mixin that
    only TestCase classes inherit, and every mixin is in a module of the suite.
    The Protocol class itself and its imports stay: other code may name it.
    """

    code = "TM205"
    name = "testcase-protocol"
    severity = Severity.MINOR
    fix_safety = Safety.SAFE
    needs = (TestCaseClasses,)
    per_file = False

    @classmethod
    def check_suite(cls, suite: SuiteIndex, options: Mapping[str, Any]) -> list[tuple[Finding, FileChange | None]]:
        graph = suite.data.get(TestCaseClasses.name)
        if graph is None:
            return []
        out: list[tuple[Finding, FileChange | None]] = []
        for qual, facts in sorted(graph.classes.items()):
            if not any(b in _PROTOCOL for b in graph.bases(qual)):
                continue
            users = sorted(d for d in graph.descendants(qual) if graph.is_testcase(d))
            if not users:
                continue
            path = graph.owner_path.get(qual)
            if path is None:
                continue
            mixins = sorted(d for d in graph.descendants(qual) if qual in graph.bases(d))
            names = ", ".join(graph.classes[u].name for u in users[:3]) + ("..." if len(users) > 3 else "")
            message = (f"Protocol {facts.name} is a base of {len(users)} TestCase classes ({names}); typing gives "
                       "them an __init__, so pytest could not collect them as plain classes")
            why = _blocker(graph, qual, facts, users, mixins)
            span = Span(facts.line, 0, facts.line, 0)
            if why:
                out.append((Finding(cls.code, path, span, f"{message}; not removed: {why}", cls.severity), None))
                continue
            changes = _changes(graph, qual, mixins)
            if changes is None:
                out.append((Finding(cls.code, path, span, f"{message}; a mixin's file could not be edited",
                                    cls.severity), None))
                continue
            info = FixInfo(Safety.SAFE, f"remove {facts.name} from the bases of "
                           f"{', '.join(graph.classes[m].name for m in mixins)}")
            finding = Finding(cls.code, path, span, message, cls.severity, fix=info)
            out.extend((finding, c) for c in changes)
        return out


def _blocker(graph, qual: str, facts, users: list[str], mixins: list[str]) -> str | None:  # type: ignore[no-untyped-def]
    extra = sorted(m for m in facts.members - TESTCASE_API if not (m.startswith("__") and m.endswith("__")))
    if extra:
        return f"it declares {extra[0]}, which is not a TestCase method"
    for user in users:
        mro = graph.mro(user) or ()
        first_testcase = next((i for i, c in enumerate(mro) if c.startswith("unittest.")), len(mro))
        if qual in mro and mro.index(qual) < first_testcase:
            return (f"{graph.classes[user].name} finds its stubs before unittest.TestCase's methods, "
                    "so removing it would change what its assertions do")
    for sub in graph.descendants(qual):
        if graph.is_testcase(sub):
            continue
        if any(b in _PROTOCOL for b in graph.bases(sub)):
            return f"{graph.classes[sub].name} is a Protocol too"
        if not any(graph.is_testcase(d) for d in graph.descendants(sub)):
            return f"{graph.classes[sub].name} is not a TestCase and no TestCase inherits it"
    for mixin in mixins:
        if graph.is_testcase(mixin):
            return f"{graph.classes[mixin].name} derives from it directly"
        if graph.owner_path.get(mixin) is None:
            return f"{mixin} is not in a module of the suite"
    return None


def _changes(graph, qual: str, mixins: list[str]) -> list[FileChange] | None:  # type: ignore[no-untyped-def]
    by_file: dict[Path, dict[str, list[int]]] = {}
    for mixin in mixins:
        positions = [i for i, b in enumerate(graph.bases(mixin)) if b == qual]
        by_file.setdefault(graph.owner_path[mixin], {})[graph.classes[mixin].name] = positions
    out = []
    for path, drops in sorted(by_file.items()):
        try:
            source = read_source(path)
            text = drop_bases(source.text, drops)
            if text is None:
                return None
            out.append(FileChange(path, source.raw, source.encode(text), applied=()))
        except SourceError:
            return None
    return out
