"""TM301: tests that request a fixture pytest cannot find."""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from testmend.codemods.missing_fixture import (
    Rename,
    Stub,
    rename_fixture_requests,
    stub_kind,
    stub_missing_fixture,
)

from testmend.fixture_index import Definition, FixtureIndex, SuiteFixtures, Unresolved
from testmend.model import FileChange, Finding, FixInfo, Safety, Severity, Span
from testmend.rule import Rule, SuiteIndex
from testmend.source import SourceError, read_source

_LISTED = 20  # tests named in one finding; the rest are counted


@dataclass
class _Group:
    name: str
    requests: list[Unresolved]
    kind: str = "missing"  # "elsewhere", "plugin", "removed", "typo", "missing"
    why: str = ""
    candidate: str | None = None
    stub: Stub | None = None
    target: Path | None = None  # the conftest.py the stub goes to
    renames: dict[Path, list[Rename]] = field(default_factory=dict)
    declined: list[str] = field(default_factory=list)


class MissingFixture(Rule):
    """Flags tests that request a fixture no conftest.py, module, class or plugin defines.

    ## What it does
    Resolves every fixture a collected test requests (its arguments, `usefixtures`
    marks, ini `usefixtures`, visible autouse fixtures, and what those fixtures
    request in turn) the way pytest does, statically: conftest.py files from the
    rootdir down, the test module, its classes, `pytest_plugins`, pytest's own
    fixtures and those of the installed plugins. Names filled by direct
    parametrization, `mock.patch` arguments, parameters with defaults and
    unittest.TestCase methods are not requests. One finding per missing name
    and conftest scope lists every test that requests it, and says why: a typo
    of a visible fixture, a fixture defined only in a conftest.py or module that
    does not apply to these tests, a plugin that is not installed, a fixture
    pytest no longer provides, or nothing at all. A name that something
    testmend cannot read could provide (an unresolvable `pytest_plugins` entry,
    a star import, a base class outside the project) is never reported.

    ## Why is this bad?
    pytest errors at setup ("fixture 'mock_wandb_active' not found"): the test
    never runs, and in a long error list it reads like one more flaky failure.

    ## Example
    ```python
    def test_session_finalization(trainer, mock_wandb_active):  # defined nowhere
        ...
    ```
    becomes, in the nearest conftest.py shared by every test that requests it:
    ```python
    @pytest.fixture
    def mock_wandb_active():
        return unittest.mock.MagicMock(name="mock_wandb_active")
    ```

    ## Fix safety
    Safe: a stub for a name defined nowhere (the tests errored before). A
    `mock_*`/`*_mock` name gets a bare MagicMock and a `*_dir`/`*_path` name a
    fresh directory from tmp_path, so those tests run again (the finding says
    so: a pass against a bare mock proves little); any other name gets a stub
    that fails with a message naming what to implement and where. Unsafe: the
    rename of a near-miss (`sharde` -> `shared`) at the requesting parameters and
    their uses, since the intended fixture is a guess. A fixture defined in a
    conftest.py that does not apply, a missing plugin or a removed builtin is
    explained, not fixed.
    """

    code = "TM301"
    name = "missing-fixture"
    severity = Severity.MAJOR
    fix_safety = Safety.SAFE
    needs = (FixtureIndex,)
    per_file = False

    @classmethod
    def check_suite(cls, suite: SuiteIndex, options: Mapping[str, Any]) -> list[tuple[Finding, FileChange | None]]:
        index: SuiteFixtures | None = suite.data.get(FixtureIndex.name)
        if index is None:
            return []
        grouped: dict[tuple[str, Path], list[Unresolved]] = {}
        for u in index.missing():
            grouped.setdefault((u.name, index.nearest_conftest_dir(u.test.path)), []).append(u)
        groups = []
        for (name, _scope), requests in sorted(grouped.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
            requests.sort(key=lambda u: (str(u.test.source), u.test.line, u.test.nodeid))
            groups.append(_diagnose(index, _Group(name, requests)))
        stubs = _stub_changes(index, groups)
        renames = _rename_changes(groups)
        out: list[tuple[Finding, FileChange | None]] = []
        for g in groups:
            changes: list[FileChange] = []
            fix = None
            if g.stub is not None and g.target is not None and g.target in stubs:
                changes = [stubs[g.target]]
                new = "" if stubs[g.target].old else " (a new file)"
                fix = FixInfo(Safety.SAFE, f"add a stub fixture '{g.name}' to {index.show(g.target)}{new}")
            elif g.renames:
                changes = [renames[p] for p in g.renames if p in renames]
                if changes:
                    fix = FixInfo(Safety.UNSAFE, f"rename '{g.name}' to '{g.candidate}' where it is requested")
            first = g.requests[0].test
            finding = Finding(cls.code, first.source, Span(first.line, first.column, first.line, first.column),
                              _message(index, g), cls.severity, fix=fix)
            out.extend((finding, c) for c in changes) if changes else out.append((finding, None))
        return out


# ---------------------------------------------------------------- diagnosis
def _diagnose(index: SuiteFixtures, g: _Group) -> _Group:
    name = g.name
    visible = [index.visible_names(u.scope) for u in g.requests]
    common = set.intersection(*visible) if visible else set()
    elsewhere = index.all_definitions.get(name, [])
    plugin = index.inactive_plugin(name)
    if elsewhere:
        g.kind, g.why = "elsewhere", _elsewhere(index, g, elsewhere)
    elif plugin is not None and plugin.name in index.setup.disabled:
        g.kind = "removed"
        g.why = f"comes from the {plugin.name} plugin, disabled by `-p no:{plugin.name}`" + \
            (f" in {index.show(index.setup.config)}" if index.setup.config else "")
    elif index.removed(name) and name not in common:
        g.kind, g.why = "removed", f"is {index.removed(name)}"
    elif plugin is not None:
        g.kind = "plugin"
        g.why = f"comes from {plugin.package} (plugin {plugin.name}), which plugin autoloading did not load: " \
                f"add `-p {plugin.name}` to addopts"
    elif index.plugin_for(name):
        g.kind, g.why = "plugin", f"comes from {index.plugin_for(name)}, which is not installed"
    else:
        vias = {u.via.name for u in g.requests if u.via is not None}
        close = difflib.get_close_matches(name, sorted(common - vias - {name}), n=1, cutoff=0.8)
        if close:
            g.kind, g.candidate = "typo", close[0]
            where = index.visible(g.requests[0].scope, close[0])
            g.why = f"is not defined; did you mean '{close[0]}' ({_owner(index, where[-1])})?" if where else \
                f"is not defined; did you mean '{close[0]}'?"
            _plan_renames(g)
        else:
            g.kind = "missing"
            _plan_stub(index, g, "tmp_path" in common)
    return g


def _owner(index: SuiteFixtures, d: Definition) -> str:
    if d.where in ("builtin", "plugin"):
        return d.owner
    return f"{d.owner}:{d.line}" if d.line else d.owner


def _elsewhere(index: SuiteFixtures, g: _Group, defs: list[Definition]) -> str:
    d = min(defs, key=lambda d: (d.where != "conftest", str(d.path), d.line))
    dirs = [str(u.test.path.resolve().parent) for u in g.requests]
    assert d.path is not None
    shared = Path(os.path.commonpath(dirs + [str(d.path.resolve().parent)]))
    target = index.show(shared / "conftest.py")
    if d.where == "conftest":
        where = f"is defined only in {d.owner}:{d.line}, which applies to {index.show(d.path.parent)}/ " \
                f"and below, not to these tests"
    elif d.where == "class":
        where = f"is defined only in {d.owner}:{d.line}, so only that class's tests see it"
    elif d.where == "helper":
        return f"is defined in {d.owner}:{d.line}, which is neither a conftest.py nor a plugin: import it into " \
               f"{target} or add its module to pytest_plugins"
    else:
        where = f"is defined only in {d.owner}:{d.line}, so only that module's tests see it"
    return f"{where}; move it to {target} (the nearest directory shared with the tests that request it)"


def _plan_stub(index: SuiteFixtures, g: _Group, has_tmp_path: bool) -> None:
    shared = Path(os.path.commonpath([str(u.test.path.resolve().parent) for u in g.requests]))
    g.target = index.display(shared / "conftest.py")
    g.stub = Stub(g.name, stub_kind(g.name, has_tmp_path), index.show(shared / "conftest.py"))


def _plan_renames(g: _Group) -> None:
    assert g.candidate is not None
    for u in g.requests:
        if u.via is None and u.how == "argument":
            g.renames.setdefault(u.test.source, []).append(Rename(u.test.line, u.test.function, g.name, g.candidate))
        elif u.via is not None and u.via.where in ("conftest", "module", "class") and u.via.path and u.via.function:
            g.renames.setdefault(u.via.path, []).append(Rename(u.via.line, u.via.function, g.name, g.candidate))
        else:
            where = f"usefixtures of {u.test.nodeid}" if u.via is None else f"fixture '{u.via.name}'"
            g.declined.append(f"{where} must be renamed by hand")


# ---------------------------------------------------------------- changes
def _read(path: Path) -> tuple[bytes, str, Any] | None:
    try:
        source = read_source(path)
    except SourceError:
        return None
    return source.raw, source.text, source


def _stub_changes(index: SuiteFixtures, groups: list[_Group]) -> dict[Path, FileChange]:
    by_target: dict[Path, list[Stub]] = {}
    for g in groups:
        if g.stub is not None and g.target is not None:
            by_target.setdefault(g.target, []).append(g.stub)
    out = {}
    for target, stubs in by_target.items():
        if target.exists():
            read = _read(target)
            if read is None:
                continue
            old, text, source = read
            stubbed = stub_missing_fixture(text, stubs)
            if stubbed is None:
                continue
            try:
                new = source.encode(stubbed)
            except SourceError:
                continue
        else:
            old, new = b"", (stub_missing_fixture(None, stubs) or "").encode("utf-8")
        out[target] = FileChange(target, old, new, applied=())
    return out


def _rename_changes(groups: list[_Group]) -> dict[Path, FileChange]:
    by_file: dict[Path, list[Rename]] = {}
    for g in groups:
        for path, renames in g.renames.items():
            by_file.setdefault(path, []).extend(renames)
    out = {}
    for path, renames in by_file.items():
        read = _read(path)
        if read is None:
            continue
        old, text, source = read
        new, problems = rename_fixture_requests(text, sorted(set(renames), key=lambda r: (r.line, r.old)))
        if new is None:
            for g in groups:
                if path in g.renames:
                    g.declined.extend(f"{path.name}: {p}" for p in problems)
            continue
        try:
            out[path] = FileChange(path, old, source.encode(new), applied=())
        except SourceError:
            continue
    return out


# ---------------------------------------------------------------- message
def _message(index: SuiteFixtures, g: _Group) -> str:
    tests: list[str] = []
    for u in g.requests:
        entry = u.test.nodeid
        if u.via is not None:
            entry += f" (via fixture '{u.via.name}', {_owner(index, u.via)})"
        elif u.how != "argument":
            entry += f" ({u.how})"
        if entry not in tests:
            tests.append(entry)
    listed = ", ".join(tests[:_LISTED]) + (f" and {len(tests) - _LISTED} more" if len(tests) > _LISTED else "")
    count = "1 test errors" if len(tests) == 1 else f"{len(tests)} tests error"
    if g.kind == "missing":
        head = f"fixture '{g.name}' is not defined in any conftest.py, module, class or plugin pytest sees here; " \
               f"{count} at setup: {listed}"
        if g.stub is not None:
            where = index.show(g.target) if g.target is not None else "conftest.py"
            if g.stub.kind == "mock":
                head += f". The stub for {where} returns a bare MagicMock, so these tests run again against a mock " \
                        "that does nothing: a pass then proves little until it is configured"
            elif g.stub.kind == "dir":
                head += f". The stub for {where} gives a fresh empty directory, so these tests run again: a pass " \
                        "then proves little until it holds what they expect"
            else:
                head += f". The stub for {where} fails with a message naming it, until someone implements it"
        return head
    head = f"fixture '{g.name}' {g.why}; {count} at setup: {listed}"
    if g.declined:
        head += f" (no automatic rename: {'; '.join(dict.fromkeys(g.declined))})"
    return head
