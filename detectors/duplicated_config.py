"""TM302: large constructions (configurations, payloads) repeated in several tests."""
from __future__ import annotations

import ast
import keyword
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import libcst as cst
from testmend.codemods.duplicated_config import (
    INNERS,
    Plan,
    Site,
    add_fixtures,
    assignment,
    extract_config_fixture,
    functions,
    rewrite_module,
)

from testmend.construction_index import (
    BUILTINS,
    FLOOR,
    KEY,
    KW,
    Construction,
    ConstructionIndex,
    Constructions,
    FileFacts,
    Group,
    _Scanner,
)
from testmend.fixing import compiles
from testmend.model import FileChange, Finding, FixInfo, Safety, Severity, Span
from testmend.rule import Rule, SuiteIndex
from testmend.source import SourceError, read_source

_LISTED = 12  # occurrences named in one finding; the rest are counted
# pytest's own fixtures (pytest 9, pytester and legacypath included)
_PYTEST_FIXTURES = frozenset({
    "cache", "capfd", "capfdbinary", "caplog", "capsys", "capsysbinary", "capteesys", "doctest_namespace",
    "monkeypatch", "pytestconfig", "record_property", "record_testsuite_property", "record_xml_attribute",
    "recwarn", "request", "subtests", "testdir", "tmp_path", "tmp_path_factory", "tmpdir", "tmpdir_factory",
    "pytester", "linecomp", "LineMatcher", "_config_for_test", "_pytest", "_sys_snapshot",
})


@dataclass(frozen=True)
class Planned:
    group: Group
    plan: Plan | None
    reason: str | None  # why there is no plan
    conftest: Path | None = None  # where a cross-file group's fixture goes (or would go)


class DuplicatedConfig(Rule):
    """Flags a large construction (a configuration, a payload) built again in several tests.

    ## What it does
    Finds dict literals and calls with many keyword arguments, nested or not
    (`AppConfig(env=EnvConfig(...), training=TrainingConfig(...))`), built in two
    or more tests, fixtures or setup hooks, in one file or across files,
    identically or differing in a few values. The size of a construction is the
    number of keyword arguments and dict entries in it (`min-size`, default 8,
    at least 3); near-duplicates differ from the group's most common form in at
    most `max-differences` values (default 2). One finding per group names every
    occurrence. Constructions inside `assert` statements and `assert*()` calls
    are expected values, not configuration, and are not counted.

    ## Why is this bad?
    Every copy has to be found and changed when the configuration changes, and
    the copies drift: the seed audits call it "comprehensive config setup
    duplication", a maintenance burden across the suite.

    ## Example
    ```python
    def test_resume():
        config = AppConfig(env=EnvConfig(device="cpu", seed=1), lr=0.1, ...)
        ...

    def test_fresh_start():
        config = AppConfig(env=EnvConfig(device="cpu", seed=1), lr=0.1, ...)
        ...
    ```
    becomes
    ```python
    @pytest.fixture
    def config():
        return AppConfig(env=EnvConfig(device="cpu", seed=1), lr=0.1, ...)

    def test_resume(config):
        ...
    ```
    Near-duplicates become a factory fixture whose keyword parameters are the
    values that differ, each test keeping its own values
    (`config = make_config(lr=0.5)`). The fixture goes into the module when
    every occurrence is in one file, else into the nearest conftest.py shared by
    all of them (created if there is none), with the imports it needs; imports
    the tests no longer use are removed.

    ## Fix safety
    Unsafe. The fixture is function-scoped and builds a fresh object for every
    test, so mutation does not leak between tests, but a value fixture builds it
    before the test body runs rather than at the assignment (a factory keeps
    the construction where it was), and the names it uses are resolved in the
    fixture's module. No fix, with the reason, when an occurrence is not a
    plain `name = ...` statement of the test's own body, is in a
    unittest.TestCase method or a setup hook (they cannot request fixtures),
    reads a local variable or a parameter that is not a fixture, when the values
    differ at positions a keyword override cannot express, or when a conftest.py
    cannot import what the construction uses (names defined in a test module,
    relative imports).
    """

    code = "TM302"
    name = "duplicated-config"
    severity = Severity.MINOR
    fix_safety = Safety.UNSAFE
    needs = (ConstructionIndex,)
    defaults = {"min_size": 8, "max_differences": 2}

    # ------------------------------------------------------------ one module
    @classmethod
    def applies_to(cls, path: Path, suite: SuiteIndex) -> bool:
        return bool(_in_module(path, suite, suite.settings.options_for(cls.code, cls.defaults)))

    def leave_Module(self, original_node: cst.Module) -> None:
        mine = _in_module(self.context.path, self.context.suite, self.context.options)
        if not mine:
            return
        index: Constructions = self.context.suite.data[ConstructionIndex.name]
        module = self.context.module
        defs = functions(module)
        # groups that share a test or the statement their fixture goes before are fixed together
        parent = list(range(len(mine)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        owner: dict[object, int] = {}
        for i, p in enumerate(mine):
            assert p.plan is not None
            first = min(s.function for s in p.plan.sites)
            keys: list[object] = [("def", s.function) for s in p.plan.sites]
            if first < len(defs):
                keys.append(("anchor", id(defs[first][1])))
            for key in keys:
                parent[find(i)] = find(owner.setdefault(key, i))
        components: dict[int, list[Planned]] = {}
        for i, p in enumerate(mine):
            components.setdefault(find(i), []).append(p)
        for members in components.values():
            plans = [p.plan for p in members]
            names = ", ".join(f"`{p.fixture}`" for p in plans)  # type: ignore[union-attr]
            description = f"extract {'fixtures' if len(plans) > 1 else 'fixture'} {names} in this module"
            fix = extract_config_fixture(module, self.context.path, plans,  # type: ignore[arg-type]
                                         [len(p.group.centre) for p in members], description,
                                         self.context.settings)
            for p in members:
                node = _node(defs, p.group.first) or module
                if isinstance(fix, str):
                    self.report(node, f"{_describe(index, p.group)}; not fixed: {fix}")
                else:
                    self.report(node, f"{_describe(index, p.group)}; {_plan_text(index, p.plan)}", fix)  # type: ignore[arg-type]

    # ------------------------------------------------------------ the suite
    @classmethod
    def check_suite(cls, suite: SuiteIndex, options: Mapping[str, Any]) -> list[tuple[Finding, FileChange | None]]:
        index: Constructions | None = suite.data.get(ConstructionIndex.name)
        if index is None:
            return []
        every = [p for p in planned(index, options) if p.plan is None or p.plan.conftest is not None]
        changes, failed = _cross_file_changes([p.plan for p in every if p.plan is not None], suite.settings)
        out: list[tuple[Finding, FileChange | None]] = []
        for p in every:
            first = p.group.first
            span = Span(first.line, first.column, first.line, first.column)
            text = _describe(index, p.group)
            plan = p.plan
            why = failed.get(id(plan)) if plan is not None else p.reason
            if plan is None or why is not None:
                where = f" (it would go to {_show(index, p.conftest)})" if p.conftest else ""
                out.append((Finding(cls.code, first.path, span, f"{text}; not fixed{where}: {why}", cls.severity),
                            None))
                continue
            files = dict.fromkeys(f.resolve() for f in [plan.conftest, *(s.path for s in plan.sites)])  # type: ignore[union-attr]
            info = FixInfo(Safety.UNSAFE, _plan_text(index, plan))
            finding = Finding(cls.code, first.path, span, f"{text}; {_plan_text(index, plan)}", cls.severity, info)
            out.extend((finding, changes[f]) for f in files)
        return out


# ---------------------------------------------------------------- planning
def _in_module(path: Path, suite: SuiteIndex, options: Mapping[str, Any]) -> list[Planned]:
    """The groups of `path` that the per-file phase fixes: all in it, with a plan."""
    index: Constructions | None = suite.data.get(ConstructionIndex.name)
    if index is None:
        return []
    here = path.resolve()
    return [p for p in planned(index, options)
            if p.plan is not None and p.plan.conftest is None and p.group.first.path.resolve() == here]


def _number(options: Mapping[str, Any], key: str, default: int) -> int:
    value = options.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def planned(index: Constructions, options: Mapping[str, Any]) -> list[Planned]:
    """Every group with its plan, decided once per run and options (the per-file
    phase and the suite phase must agree on which phase fixes what, and on names)."""
    min_size = max(FLOOR, _number(options, "min_size", 8))
    max_differences = max(0, _number(options, "max_differences", 2))
    cache = index.cache
    key = ("planned", min_size, max_differences)
    if key not in cache:
        taken: set[str] = set()
        out = []
        for group in index.groups(min_size, max_differences):
            result = _plan(index, group, taken)
            out.append(result)
            if result.plan is not None:
                taken.add(result.plan.fixture)
        cache[key] = out
    return cache[key]


def _plan(index: Constructions, group: Group, taken: set[str]) -> Planned:
    members = group.members
    paths = list(dict.fromkeys(c.path for c in members))
    conftest: Path | None = None
    conftest_facts: FileFacts | None = None
    if len(paths) > 1:
        found = _conftest_for(index, paths)
        if isinstance(found, str):
            return Planned(group, None, found)
        conftest, conftest_facts = found

    def no(reason: str) -> Planned:
        return Planned(group, None, reason, conftest)

    for c in members:
        fn = index.function(c)
        where = f"{_show(index, c.path)}:{c.line} ({fn.qualname})"
        if fn.blocker:
            return no(f"{where} {fn.blocker}")
        if c.statement < 0 or c.target is None:
            return no(f"{where} is not a `name = ...` statement of the test's own body")
        if c.blocker:
            return no(f"{where}: {c.blocker}")
    per_function = Counter((c.path, c.function) for c in members)
    # A value fixture is one object per test: a test and a fixture it requests, or
    # one test building it twice, would share what they used to build apart.
    factory = bool(group.differing) or max(per_function.values()) > 1 or \
        any(index.function(c).kind == "fixture" for c in members)
    source = next(c for c in members if c.leaves == group.centre)

    # the factory's keyword parameters: the positions where the tests differ
    parameters: dict[int, str] = {}
    for i in group.differing:
        steps = source.slots[i]
        if steps[-1][0] not in (KW, KEY) or not steps[-1][1].isidentifier() or keyword.iskeyword(steps[-1][1]):
            odd = next(c for c in members if c.leaves[i] != group.centre[i])
            return no(f"{_show(index, odd.path)}:{odd.line} differs at a position a keyword override cannot "
                      "express")
        if not _simple_default(group.centre[i]):
            return no(f"the base value at `{_slot(steps)}` is not a constant or a name, so it cannot be a "
                      "default of the factory's parameter")
        parameters[i] = steps[-1][1]
    names = list(parameters.values())
    for i in parameters:
        if names.count(parameters[i]) > 1:
            named = [s[1] for s in source.slots[i] if s[0] in (KW, KEY)]
            parameters[i] = "_".join(named[-2:])
    if len(set(parameters.values())) < len(parameters) or \
            not all(p.isidentifier() and not keyword.iskeyword(p) for p in parameters.values()):
        return no("the values that differ cannot be given distinct keyword parameter names")

    # names the fixture's body reads, resolved in every test
    moved = [i for i in range(len(group.centre)) if i not in parameters]
    requests: set[str] = set()
    module_level: set[str] = set()
    imports: dict[str, tuple] = {}
    unused: list[tuple[Path, tuple]] = []
    for c in members:
        fn = index.function(c)
        facts = index.files[c.path]
        used = set(c.callees).union(*(c.leaf_names[i] for i in moved))
        if c is source:
            used = used.union(*(c.leaf_names[i] for i in parameters))
        for name in sorted(used):
            where = f"{_show(index, c.path)}:{c.line} ({fn.qualname})"
            if name in fn.params:
                if name not in fn.fixture_params:
                    return no(f"{where} uses the parameter `{name}`, which is not a fixture")
                requests.add(name)
                if name in module_level:
                    return no(f"`{name}` is a fixture in one test and a module-level name in another")
                continue
            if name in fn.locals:
                return no(f"{where} uses the local variable `{name}`")
            binding = facts.bindings.get(name)
            if binding is None:
                if name in BUILTINS:
                    continue
                return no(f"{where} uses `{name}`, which "
                          f"{'may come from a star import' if facts.star_import else 'is not defined'}")
            if name in requests:
                return no(f"`{name}` is a fixture in one test and a module-level name in another")
            module_level.add(name)
            if conftest is None:
                continue
            if binding[0] == "local":
                return no(f"{where} uses `{name}`, defined in {c.path.name} ({binding[1]}), which a conftest.py "
                          "cannot import")
            if binding[0] == "from" and binding[4]:
                return no(f"{where} uses `{name}`, imported relatively in {c.path.name}")
            if imports.setdefault(name, binding) != binding:
                return no(f"`{name}` is imported differently in {c.path.name} than in another file")
            unused.append((c.path, binding))
    if conftest is not None:
        theirs = conftest_facts.bindings if conftest_facts else {}
        for name, binding in [*imports.items(), ("pytest", ("import", "pytest", None))]:
            if theirs.get(name, binding) != binding:
                return no(f"{_show(index, conftest)} binds `{name}` to something else")

    # the fixture's name: what the tests call the construction
    targets = Counter(c.target for c in members)
    order = [c.target for c in members]
    names_used = sorted(targets, key=lambda t: (-targets[t], order.index(t)))  # most common first
    var = names_used[0]
    callee = source.label[:-5].rpartition(".")[2] if source.label.endswith("(...)") else ""
    kind = _snake(callee) if callee[:1].isupper() else ""  # AppConfig -> app_config; not a function's name
    if factory:
        bases = [f"make_{n}" for n in names_used] + ([f"make_{kind}"] if kind else [])
    else:
        bases = [*names_used, kind, f"{var}_fixture"]
    avoid = _avoid(index, group, conftest, conftest_facts, taken, factory)
    body_names = set(source.callees).union(*(source.leaf_names[i] for i in range(len(group.centre))))
    fixture = None
    for base in [b for b in bases if b and b != "make_"] + [f"{bases[0]}_{n}" for n in range(2, 10)]:
        if not base.isidentifier() or keyword.iskeyword(base) or base.startswith("test") or base in avoid:
            continue
        if base in body_names | requests | set(parameters.values()):
            continue
        users = [index.function(c) for c in members]
        if any(base in fn.names and not (base == c.target and not factory and base not in fn.params)
               for fn, c in zip(users, members)):
            continue
        fixture = base
        break
    if fixture is None:
        return no(f"no free name for the fixture (tried `{bases[0]}` and variants)")
    if set(parameters.values()) & (body_names | requests | {fixture}):
        return no("a keyword parameter of the factory would hide a name the construction uses")
    taken_inside = body_names | requests | set(parameters.values()) | {fixture}
    inner = next((n for n in INNERS if n not in taken_inside), None)
    if factory and inner is None:
        return no("no free name for the factory's inner function")

    sites = tuple(Site(c.path, c.function, c.statement, c.target or var,
                       tuple((parameters[i], i) for i in group.differences(c))) for c in members)
    origin = next(s for s, c in zip(sites, members) if c is source)
    plan = Plan(fixture, factory, inner or INNERS[0], tuple(sorted(requests)), tuple(sorted(parameters.items())),
                origin, sites, conftest, tuple(dict.fromkeys(imports.values())), tuple(dict.fromkeys(unused)))
    return Planned(group, plan, None, conftest)


def _simple_default(leaf: str) -> bool:
    """A base value that can be a parameter default: a constant or a (dotted) name."""
    return leaf.startswith(("Constant(", "UnaryOp(USub(), Constant(", "Name(", "Attribute("))


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or i + 1 < len(name) and name[i + 1].islower()):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _avoid(index: Constructions, group: Group, conftest: Path | None, conftest_facts: FileFacts | None,
           taken: set[str], factory: bool) -> set[str]:
    """Names the new fixture must not take: fixtures pytest, its plugins or the
    suite define, names requested where it will be visible, names of the modules involved."""
    avoid = set(taken) | set(BUILTINS) | _plugin_fixtures()
    for facts in index.files.values():
        avoid |= facts.fixtures
    if conftest is None:
        scope = [index.files[group.first.path]]
    else:
        top = conftest.resolve().parent
        scope = [f for p, f in index.by_resolved.items() if top in p.parents]
    for facts in scope:
        avoid |= facts.requested
    for path in {c.path for c in group.members}:
        avoid |= set(index.files[path].bindings)
    if conftest_facts is not None:
        avoid |= set(conftest_facts.bindings) | conftest_facts.fixtures
    return avoid


def _plugin_fixtures() -> frozenset[str]:
    """pytest's own fixtures (listed: reading them from pytest's sources costs most
    of a second per process) and those of the installed plugins."""
    from testmend.fixture_sources import installed_plugins

    return _PYTEST_FIXTURES | {n for p in installed_plugins().values() for n in p.fixtures}


def _conftest_for(index: Constructions, paths: list[Path]) -> tuple[Path, FileFacts | None] | str:
    """The nearest conftest.py above every path (a new one in their common directory if none)."""
    dirs = [str(p.resolve().parent) for p in paths]
    try:
        common = Path(os.path.commonpath(dirs))
    except ValueError:
        return "the occurrences are on different drives"
    root = index.root.resolve()
    if common != root and root not in common.parents:
        return f"the occurrences only share {common}, outside the project root {root}"
    target = common / "conftest.py"
    for d in [common, *common.parents]:
        if (d / "conftest.py").is_file():
            target = d / "conftest.py"
            break
        if d == root:
            break
    shown = _like(paths[0], target)
    facts = index.facts(target)
    if facts is None and target.is_file():
        try:
            text = read_source(target).text
            facts = _Scanner(target, ast.parse(text), text).scan()
        except (SourceError, SyntaxError, ValueError, RecursionError) as exc:
            return f"{shown} cannot be read ({exc.__class__.__name__})"
    return shown, facts


def _like(example: Path, path: Path) -> Path:
    """`path` in the form the run uses for its files (relative or absolute)."""
    if example.is_absolute():
        return path
    try:
        return Path(os.path.relpath(path))
    except ValueError:
        return path


# ---------------------------------------------------------------- changes across files
def _cross_file_changes(plans: list[Plan], settings: Any) -> tuple[dict[Path, FileChange], dict[int, str]]:
    """The new text of every file the cross-file plans touch, by resolved path (a conftest.py that
    both receives fixtures and holds an occurrence gets one change with both).
    A plan whose files cannot all be rewritten is dropped, with the reason, and
    the rest recomputed without it, so every change holds only whole plans."""
    failed: dict[int, str] = {}
    values: dict[int, cst.BaseExpression] = {}
    for plan in plans:
        value = _source_value(plan)
        if isinstance(value, str):
            failed[id(plan)] = value
        else:
            values[id(plan)] = value
    while True:
        active = [p for p in plans if id(p) not in failed]
        touched: dict[Path, tuple[Path, list[Plan], list[Plan]]] = {}  # resolved -> (path, sites of, fixtures of)
        for plan in active:
            for path in dict.fromkeys(s.path for s in plan.sites):
                touched.setdefault(path.resolve(), (path, [], []))[1].append(plan)
            assert plan.conftest is not None
            touched.setdefault(plan.conftest.resolve(), (plan.conftest, [], []))[2].append(plan)
        changes: dict[Path, FileChange] = {}
        broken: dict[int, str] = {}
        for path, sites, receives in touched.values():
            def edit(text: str | None, path: Path = path, sites: list[Plan] = sites,
                     receives: list[Plan] = receives) -> str:
                if sites:
                    text = rewrite_module(text or "", path, sites, settings.line_length)
                if receives:
                    text = add_fixtures(text, receives, [values[id(p)] for p in receives], settings)
                return text or ""

            result = _rewrite(path, edit, create=bool(receives))
            if isinstance(result, str):
                broken.update((id(p), f"{path.name}: {result}") for p in sites + receives)
            else:
                changes[path.resolve()] = result
        if not broken:
            return changes, failed
        failed.update(broken)


def _source_value(plan: Plan) -> cst.BaseExpression | str:
    try:
        module = cst.parse_module(read_source(plan.source.path).text)
    except (SourceError, cst.ParserSyntaxError) as exc:
        return f"{plan.source.path.name} cannot be read ({exc.__class__.__name__})"
    defs = functions(module)
    found = assignment(defs[plan.source.function][0], plan.source.statement) \
        if plan.source.function < len(defs) else None
    if found is None:
        return f"{plan.source.path.name} changed since it was indexed"
    return found[1].value


def _rewrite(path: Path, edit: Any, create: bool = False) -> FileChange | str:
    if create and not path.exists():
        old, text, encode = b"", None, lambda t: t.encode("utf-8")
    else:
        try:
            source = read_source(path)
        except SourceError as exc:
            return str(exc)
        old, text, encode = source.raw, source.text, source.encode
    try:
        new = edit(text)
    except (ValueError, cst.ParserSyntaxError) as exc:
        return str(exc)
    problem = compiles(new, str(path))
    if problem is not None:
        return f"the fixed code would not compile ({problem})"
    return FileChange(path, old, encode(new), applied=())


# ---------------------------------------------------------------- messages
def _node(defs: list[tuple[cst.FunctionDef, cst.CSTNode]], c: Construction) -> cst.CSTNode | None:
    if c.function >= len(defs):
        return None
    found = assignment(defs[c.function][0], c.statement)
    return found[1].value if found else defs[c.function][0].name


def _show(index: Constructions, path: Path | None) -> str:
    if path is None:
        return "?"
    try:
        return path.resolve().relative_to(index.root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _slot(steps: tuple) -> str:
    """`training.lr`, `cpp_args[0]`, `["key"]`: where a leaf sits in its construction."""
    out = ""
    for kind, value in steps:
        if kind == KW:
            out += f".{value}" if out else value
        elif kind == KEY:
            out += f"[{value!r}]"
        else:
            out += f"[{value}]"
    return out


def _describe(index: Constructions, group: Group) -> str:
    first = group.first
    functions_ = {(c.path, c.function) for c in group.members}
    listed = [f"{_show(index, c.path)}:{c.line} ({index.function(c).qualname})" for c in group.members]
    more = f" and {len(listed) - _LISTED} more" if len(listed) > _LISTED else ""
    text = (f"{first.label} with {first.size} keyword arguments and entries is built in {len(functions_)} "
            f"tests: {', '.join(listed[:_LISTED])}{more}")
    if group.differing:
        slots = ", ".join(f"`{_slot(first.slots[i])}`" for i in group.differing[:6])
        text += f"; they differ in {slots}"
    return text


def _plan_text(index: Constructions, plan: Plan) -> str:
    kind = "factory fixture" if plan.factory else "fixture"
    where = "this module" if plan.conftest is None else _show(index, plan.conftest)
    return f"extract it into the {kind} `{plan.fixture}` in {where}"
