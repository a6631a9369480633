"""TM405: the same stack of patch decorators repeated on several tests."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable

import libcst as cst
from libcst.metadata import Scope

from testmend.codemods import _with_statement as layout
from testmend.codemods.repeated_patch_stack import FixturePlan, TestChange, extract_patch_fixture
from testmend.model import Safety, Severity
from testmend.patch_stacks import MockBinding, bind_stack, moved_name_problem, reassigned
from testmend.patches import PatchIndex, TestPatches, local_scopes
from testmend.rule import Fix, Rule


@dataclass
class _Candidate:
    test: TestPatches
    bindings: list[MockBinding] | None  # None: the stack cannot be mapped exactly
    keys: list[str]  # one per patch decorator, bottom-up
    problem: str | None


def _key(module: cst.Module, decorator: cst.Decorator) -> str:
    """Equal for two decorators that are the same expression (layout and comments aside)."""
    text = module.code_for_node(decorator.decorator)
    try:
        return ast.dump(ast.parse(f"({text})", mode="eval"))
    except SyntaxError:
        return text


class RepeatedPatchStack(Rule):
    """Flags the same stack of patch decorators repeated on two or more tests of a module or class.

    ## What it does
    Finds patches (`@patch`, `@patch.object`, `@patch.dict`,
    `@patch.multiple`) that two or more pytest-style tests of one module, or
    of one plain class, all carry, and moves them into one fixture in that
    module or class. The fixture starts the patches as context managers, in
    the order the decorators started them, and yields the injected mocks in a
    `types.SimpleNamespace` under the names the first test gave them. Each test
    loses those decorators and mock parameters, requests the fixture as its
    last parameter, and rebinds the names its body uses (`mock_save =
    patches.mock_save`), so the rest of the body is unchanged; patches a test
    has beyond the shared ones stay as its decorators. A stack counts from
    `min-patches` (default 2) shared patches. unittest.TestCase
    methods (and methods of classes that may derive from it) cannot request
    fixtures and are only reported.

    ## Why is this bad?
    Seven decorators copied onto every test are seven places to update when a
    collaborator moves, and the copies drift apart. A fixture names the shared
    setup once.

    ## Example
    ```python
    @patch("app.db.connect")
    @patch("app.cache.get", return_value=None)
    def test_a(get, connect): ...

    @patch("app.db.connect")
    @patch("app.cache.get", return_value=None)
    def test_b(get, connect): ...
    ```
    becomes
    ```python
    @pytest.fixture
    def patches():
        with patch("app.cache.get", return_value=None) as get, patch("app.db.connect") as connect:
            yield types.SimpleNamespace(get=get, connect=connect)

    def test_a(patches):
        get = patches.get
        connect = patches.connect
        ...
    ```

    ## Fix safety
    Unsafe: the shared patches now start during fixture setup, before the
    test's remaining decorator patches (which used to start first when they
    sat below the shared ones), and they stay active while fixtures requested
    after them are set up and torn down. Patch arguments are also evaluated
    per test instead of once at import.
    """

    code = "TM405"
    name = "repeated-patch-stack"
    severity = Severity.MINOR
    fix_safety = Safety.UNSAFE
    prefilter = re.compile(rb"patch")
    defaults = {"min_patches": 2}

    def __init__(self, context):  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._scopes: dict[cst.CSTNode, Callable[[cst.CSTNode], Scope | None]] = {}

    def _scope(self, test: TestPatches, node: cst.CSTNode) -> Scope | None:
        """The scope of `node` in the test (or its class), analysed on its own."""
        container = test.owner or test.func
        if container not in self._scopes:
            self._scopes[container] = local_scopes(container)
        return self._scopes[container](node)

    def visit_Module(self, node: cst.Module) -> None:
        index = PatchIndex.of(node)
        containers: dict[cst.ClassDef | None, list[TestPatches]] = {}
        for test in index.tests:
            if test.stack.patches:
                containers.setdefault(test.owner, []).append(test)
        taken = set(index.names)
        for owner, tests in containers.items():
            candidates = [self._candidate(index, t) for t in tests]
            for group, shared in self._groups(candidates):
                self._report(index, owner, group, shared, taken)

    # ------------------------------------------------------------ grouping
    def _candidate(self, index: PatchIndex, test: TestPatches) -> _Candidate:
        keys = [_key(index.module, d) for d in test.stack.decorators]
        bindings = bind_stack(test, index.qualified)
        problem = bindings if isinstance(bindings, str) else None
        return _Candidate(test, None if isinstance(bindings, str) else bindings, keys, problem)

    def _groups(self, candidates: list[_Candidate]) -> list[tuple[list[_Candidate], list[str]]]:
        """Greedy: the largest shared stack times the tests sharing it, then the rest."""
        least = self.context.options["min_patches"]
        pool = [c for c in candidates if len(set(c.keys)) == len(c.keys) and len(c.keys) >= least]
        out = []
        while len(pool) >= 2:
            best: tuple[int, list[_Candidate], list[str]] | None = None
            for i, a in enumerate(pool):
                for b in pool[i + 1:]:
                    shared = [k for k in a.keys if k in b.keys]
                    if len(shared) < least:
                        continue
                    group = [c for c in pool if _keeps_order(c.keys, shared)]
                    score = len(shared) * len(group)
                    if len(group) >= 2 and (best is None or score > best[0]):
                        best = (score, group, shared)
            if best is None:
                break
            out.append((best[1], best[2]))
            pool = [c for c in pool if c not in best[1]]
        return out

    # ------------------------------------------------------------ the fix
    def _report(self, index: PatchIndex, owner: cst.ClassDef | None, group: list[_Candidate], shared: list[str],
                taken: set[str]) -> None:
        first = group[0].test
        targets = []
        for decorator, call in first.stack.patches:
            if _key(index.module, decorator) in shared:
                targets.extend(call.targets())
        names = ", ".join(c.test.func.name.value for c in group)
        message = (f"{len(group)} tests ({names}) repeat the same {len(shared)} patches "
                   f"({', '.join(targets[:4])}{', ...' if len(targets) > 4 else ''}); one fixture can start them")
        anchor = first.stack.decorators[-1]  # the top decorator: sorts before TM404's finding on the `def`
        problem = self._container_problem(owner)
        usable = [c for c in group if problem is None and self._test_problem(index, c, shared) is None]
        if problem is None and len(usable) < 2:
            problem = next(p for p in (self._test_problem(index, c, shared) for c in group) if p)
        if problem is not None:
            self.report(anchor, f"{message}; left as is: {problem}")
            return
        plan = self._plan(index, owner, usable, shared, taken)
        if isinstance(plan, str):
            self.report(anchor, f"{message}; left as is: {plan}")
            return
        left = len(group) - len(usable)
        if left:
            message += f" ({left} of the tests cannot use it and keep their decorators)"
        self.report(usable[0].test.stack.decorators[-1], message, plan)

    def _container_problem(self, owner: cst.ClassDef | None) -> str | None:
        if owner is None:
            return None
        bases = [code for code in (cst.Module([]).code_for_node(b.value) for b in owner.bases) if code != "object"]
        if bases or owner.keywords:
            return (f"{owner.name.value} has base classes ({', '.join(bases) or 'metaclass'}), so it may be a "
                    "unittest.TestCase, whose methods cannot request fixtures")
        return None

    def _test_problem(self, index: PatchIndex, candidate: _Candidate, shared: list[str]) -> str | None:
        if candidate.problem:
            return candidate.problem
        func = candidate.test.func
        params = func.params
        if any(p.default is not None for p in params.params):
            return f"{func.name.value} has parameters with default values"
        assert candidate.bindings is not None
        mocks = [b.param for b in candidate.bindings if b.param and _key(index.module, b.decorator) in shared]
        body = func.body
        scope = self._scope(candidate.test, body.body[0]) if isinstance(body, cst.IndentedBlock) else None
        if scope is None:
            return f"{func.name.value} has a one-line body"
        problem = reassigned(mocks, scope)
        if problem:
            return problem
        for param in params.params:
            if param.name.value in mocks and layout.comments(param):
                return f"a comment on the parameter {param.name.value!r} has no place once it is dropped"
        return None

    def _plan(self, index: PatchIndex, owner: cst.ClassDef | None, group: list[_Candidate], shared: list[str],
              taken: set[str]) -> Fix | str:
        module = index.module
        first = group[0]
        assert first.bindings is not None
        ordered = [b for b in first.bindings if _key(module, b.decorator) in shared]
        attrs: list[str | None] = [b.param for b in ordered]
        for other in group[1:]:
            for decorator in other.test.stack.decorators:
                if _key(module, decorator) in shared and (layout.comments(decorator) or
                                                          any(e.comment for e in decorator.leading_lines)):
                    return (f"a comment on a shared patch of {other.test.func.name.value} has no place in the "
                            "fixture")
        name = _free_name("patches", taken)
        problem = moved_name_problem([b.patch.call for b in ordered], [a for a in attrs if a] + [name, "self"],
                                     lambda n: self._scope(first.test, n), None)
        if problem:
            return problem
        for module_name in ("pytest", "types", "contextlib"):
            if index.imports.rebinds(module_name):
                return f"the module binds {module_name!r} to something else"
        items = [layout.item_from_decorator(module, b.decorator, b.param) for b in ordered]
        unit = module.default_indent
        column = len((index.indent.get(first.test.func, "") + unit).expandtabs())
        settings = self.context.settings
        head = layout.header(items, is_async=False, column=column, unit=unit,  # type: ignore[arg-type]
                             line_length=settings.line_length,
                             parentheses=layout.allows_parentheses(settings.target_versions, module),
                             newline=module.default_newline)
        if head is None and any(i.has_comments for i in items):  # type: ignore[attr-defined]
            return "the patches carry comments, which only parenthesized context managers (Python 3.10+) can hold"
        plan = FixturePlan(name=name, method=owner is not None, head=head,
                           items=tuple(module.code_for_node(b.decorator.decorator) for b in ordered),
                           names=tuple(attrs), top_level=owner is None,
                           room=settings.line_length - len(index.indent.get(first.test.func, "").expandtabs()))
        changes = []
        for candidate in group:
            assert candidate.bindings is not None
            chosen = {id(b.decorator): b for b in candidate.bindings if _key(module, b.decorator) in shared}
            by_key = {_key(module, b.decorator): b for b in chosen.values()}
            body = candidate.test.func.body
            assert isinstance(body, cst.IndentedBlock)
            scope = self._scope(candidate.test, body.body[0])
            assert scope is not None
            bindings = []
            for key, attr in zip([_key(module, b.decorator) for b in ordered], attrs):
                param = by_key[key].param
                if param and attr and any(a.references for a in scope.assignments[param]):
                    bindings.append((param, attr))
            removed = frozenset(i for i, d in enumerate(candidate.test.func.decorators) if id(d) in chosen)
            dropped = frozenset(b.param for b in chosen.values() if b.param)
            changes.append((candidate.test.func, TestChange(removed, dropped, tuple(bindings))))
        taken.add(name)
        return extract_patch_fixture(module, plan, changes)


def _keeps_order(keys: list[str], shared: list[str]) -> bool:
    """`keys` holds every shared patch, in the same relative order."""
    positions = [keys.index(k) for k in shared if k in keys]
    return len(positions) == len(shared) and positions == sorted(positions)


def _free_name(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name
