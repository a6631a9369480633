"""TM303: the same helper class defined in several test modules."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Mapping

from testmend.construction_index import ConstructionIndex, Constructions, HelperClass
from testmend.model import FileChange, Finding, Severity, Span
from testmend.rule import Rule, SuiteIndex

_LISTED = 12


class DuplicatedHelper(Rule):
    """Flags a helper class (`MockArgs`, a fake client) defined again in several test modules.

    ## What it does
    Compares the module-level classes of the suite's test modules that are not
    test classes themselves: classes whose bodies (bases, decorators,
    methods, attributes) are the same, or differ in at most `max-differences`
    constant values (default 2), are reported together, one finding per group
    naming every definition. Classes with fewer than `min-statements`
    statements in their body (default 3) are ignored. The comparison uses the
    same linear fingerprint grouping as TM302.

    ## Why is this bad?
    Each copy drifts on its own: a fix or a new attribute lands in one copy and
    the tests using the others keep testing against the old behaviour. The
    seed audits found the same `MockArgs` class in every trainer test module.

    ## Example
    ```python
    # tests/test_session.py and tests/test_training_loop.py
    class MockArgs:
        def __init__(self, **kwargs):
            self.resume = None
            self.run_name = None
            self.__dict__.update(kwargs)
    ```
    Define it once (a helper module the tests import, or a fixture in
    conftest.py that returns it).

    ## Fix safety
    No fix: where a shared helper belongs (a module to import, a fixture, a
    plugin) is the project's decision.
    """

    code = "TM303"
    name = "duplicated-helper"
    severity = Severity.MINOR
    needs = (ConstructionIndex,)
    per_file = False
    defaults = {"min_statements": 3, "max_differences": 2}

    @classmethod
    def check_suite(cls, suite: SuiteIndex, options: Mapping[str, Any]) -> list[tuple[Finding, FileChange | None]]:
        index: Constructions | None = suite.data.get(ConstructionIndex.name)
        if index is None:
            return []
        groups = index.helper_groups(_number(options, "min_statements", 3), _number(options, "max_differences", 2))
        out: list[tuple[Finding, FileChange | None]] = []
        root = index.root.resolve()
        for group in groups:
            first = group.members[0]
            names = Counter(h.name for h in group.members)
            order = [h.name for h in group.members]
            name = max(names, key=lambda n: (names[n], -order.index(n)))  # the most common, then the first
            listed = [_show(h, root, name) for h in group.members]
            more = f" and {len(listed) - _LISTED} more" if len(listed) > _LISTED else ""
            how = "the same body" if not group.differing else \
                f"bodies that differ in {len(group.differing)} constant value{'s' if len(group.differing) > 1 else ''}"
            message = (f"class {name} is defined {len(listed)} times with {how}: "
                       f"{', '.join(listed[:_LISTED])}{more}; define it once and import it "
                       "(or provide it from a conftest.py fixture)")
            span = Span(first.line, first.column, first.line, first.column)
            out.append((Finding(cls.code, first.path, span, message, cls.severity), None))
        return out


def _number(options: Mapping[str, Any], key: str, default: int) -> int:
    value = options.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _show(helper: HelperClass, root: Path, name: str) -> str:
    try:
        path = helper.path.resolve().relative_to(root).as_posix()
    except ValueError:
        path = helper.path.as_posix()
    return f"{path}:{helper.line}" + (f" (as {helper.name})" if helper.name != name else "")
