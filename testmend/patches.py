"""Recognising mock patches: what each call patches, and how a test receives the mocks.

Shared by TM401-TM405. A patcher is recognised through the module's imports:
`patch`, `mock.patch.object`, `unittest.mock.patch.dict`,
`from unittest.mock import patch as p`, and the `mock` backport. A name bound
any other way (`p = mock.patch`, `from helpers import patch`, a module-level
`def patch`) is not a patcher here, so nothing is counted or rewritten on a
guess. pytest-mock's `mocker.patch*` and pytest's `monkeypatch.setattr` are
recognised by the fixture name.

The imports are read from the module's top-level statements (`Imports`), not
with libcst's QualifiedNameProvider: its scope analysis of the whole module
cost seconds on a large test file, and a test module's patchers come from
its imports. Where a rewrite needs exact scopes (which names a moved
decorator would see), `local_scopes` runs libcst's ScopeProvider on the one
class or function concerned.

`PatchIndex.of(module)` walks a module once; the rules of one file share it.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import libcst as cst
import libcst.helpers
from libcst.metadata import MetadataWrapper, Scope, ScopeProvider

MOCK_MODULES = ("unittest.mock", "mock")
PATCHERS = {"patch": "patch", "patch.object": "object", "patch.dict": "dict", "patch.multiple": "multiple"}
MOCKER_FIXTURES = frozenset({"mocker", "class_mocker", "module_mocker", "package_mocker", "session_mocker"})
TEST_PREFIX = "test"  # unittest.mock.patch.TEST_PREFIX: class decorators patch only these methods
SETUP_METHODS = frozenset({"setUp", "asyncSetUp", "setup_method"})
# Parameters of each patcher before its **kwargs (what a positional argument binds to).
SIGNATURES = {
    "patch": ("target", "new", "spec", "create", "spec_set", "autospec", "new_callable"),
    "object": ("target", "attribute", "new", "spec", "create", "spec_set", "autospec", "new_callable"),
    "dict": ("in_dict", "values", "clear"),
    "multiple": ("target", "spec", "create", "spec_set", "autospec", "new_callable"),
}
KEYWORD_ONLY = {"patch": ("unsafe",), "object": ("unsafe",), "dict": (), "multiple": ("unsafe",)}
# Attributes whose use on a mock means the test looks at it (asserts on it or configures what it returns).
MOCK_RECORD = frozenset({
    "called", "call_count", "call_args", "call_args_list", "mock_calls", "method_calls",
    "return_value", "side_effect", "await_count", "await_args", "await_args_list", "awaited",
})
MONKEYPATCH_KINDS = {"setattr": "attribute", "delattr": "attribute", "setitem": "dict", "delitem": "dict",
                     "setenv": "environment", "delenv": "environment"}

Qualified = Callable[[cst.CSTNode], Iterable[str]]


class Imports:
    """What the module's top-level imports bind: local name -> qualified name."""

    def __init__(self, module: cst.Module) -> None:
        self.names: dict[str, str] = {}
        self.other: set[str] = set()  # bound at module level by something else (def, class, assignment)
        self._read(module.body)

    def _read(self, body: Sequence[cst.CSTNode]) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self._small(small)
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self.other.add(stmt.name.value)
            elif isinstance(stmt, (cst.If, cst.Try, cst.With)):  # `try: import x except ImportError: ...`
                blocks = [stmt.body] + [h.body for h in getattr(stmt, "handlers", ())]
                for extra in ("orelse", "finalbody"):
                    part = getattr(stmt, extra, None)
                    if part is not None:
                        blocks.append(part.body)
                for block in blocks:
                    self._read(block.body if isinstance(block, cst.IndentedBlock) else ())

    def _small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Import):
            for alias in small.names:
                name = alias.evaluated_name
                local = alias.evaluated_alias or name.split(".")[0]
                self.names[local] = name if alias.evaluated_alias else local
        elif isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None \
                and not isinstance(small.names, cst.ImportStar):
            source = libcst.helpers.get_full_name_for_node(small.module) or ""
            for alias in small.names:
                self.names[alias.evaluated_alias or alias.evaluated_name] = f"{source}.{alias.evaluated_name}"
        elif isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
            self.other.update(t.value for t in targets if isinstance(t, cst.Name))

    def qualified(self, node: cst.CSTNode) -> set[str]:
        """{"unittest.mock.patch"} for `patch`, `mock.patch`, `um.patch`... as imported; empty otherwise."""
        dotted = libcst.helpers.get_full_name_for_node(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if not dotted:
            return set()
        root, _, rest = dotted.partition(".")
        if root in self.other or root not in self.names:
            return set()
        return {self.names[root] + (f".{rest}" if rest else "")}

    def rebinds(self, name: str) -> bool:
        """`name` is bound at module level, other than by `import name`."""
        return name in self.other or self.names.get(name, name) != name


def local_scopes(node: cst.FunctionDef | cst.ClassDef) -> Callable[[cst.CSTNode], Scope | None]:
    """libcst's scopes for the nodes of one function or class (analysed on its own)."""
    scopes = MetadataWrapper(cst.Module(body=[node]), unsafe_skip_copy=True).resolve(ScopeProvider)
    return lambda n: scopes.get(n)


class Style(str, enum.Enum):
    """How a patch is applied."""

    DECORATOR = "@patch decorators"
    WITH = "with patch(...)"
    START = "patcher.start()"
    MOCKER = "mocker.patch"
    MONKEYPATCH = "monkeypatch"


class Injection(str, enum.Enum):
    """What a patch decorator passes to the function it decorates."""

    NONE = "none"  # new= given, patch.dict, patch.multiple without DEFAULT values
    POSITIONAL = "positional"  # one mock, appended to the positional arguments
    KEYWORDS = "keywords"  # patch.multiple with DEFAULT values: mocks as keyword arguments
    UNKNOWN = "unknown"  # cannot tell: arguments passed with * or **


def literal(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal."""
    if isinstance(node, cst.SimpleString) and not any(c in node.prefix.lower() for c in "bf"):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def last_name(node: cst.BaseExpression) -> str:
    """`c` for `a.b.c` or `c`; "" for anything else."""
    return node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else ""


def code(node: cst.CSTNode) -> str:
    return " ".join(cst.Module([]).code_for_node(node).split())


def patcher_kind(func: cst.BaseExpression, qualified: Qualified) -> str | None:
    """"patch", "object", "dict" or "multiple" when `func` is unittest.mock's patcher."""
    for name in qualified(func):
        for module in MOCK_MODULES:
            if name.startswith(module + "."):
                kind = PATCHERS.get(name[len(module) + 1:])
                if kind:
                    return kind
    return None


def is_mock_default(node: cst.BaseExpression, qualified: Qualified) -> bool:
    return any(n in (f"{m}.DEFAULT" for m in MOCK_MODULES) for n in qualified(node))


@dataclass(frozen=True)
class PatchCall:
    """One call of a patcher, its arguments bound to the patcher's parameters."""

    call: cst.Call
    kind: str  # "patch" | "object" | "dict" | "multiple" | "setattr" | ... (monkeypatch)
    args: dict[str, cst.Arg]  # parameter name (or extra keyword) -> argument
    extra: tuple[str, ...]  # keywords beyond the signature: attributes for the mock, or patch.multiple's targets
    unbound: bool = False  # *args/**kwargs or too many arguments: only `call` is reliable

    @classmethod
    def bind(cls, call: cst.Call, kind: str) -> "PatchCall":
        params = SIGNATURES.get(kind, ())
        args: dict[str, cst.Arg] = {}
        extra: list[str] = []
        unbound = False
        for i, arg in enumerate(call.args):
            if arg.star:
                unbound = True
            elif arg.keyword is None:
                if i < len(params):
                    args[params[i]] = arg
                else:
                    unbound = True
            else:
                key = arg.keyword.value
                args[key] = arg
                if key not in params and key not in KEYWORD_ONLY.get(kind, ()):
                    extra.append(key)
        return cls(call, kind, args, tuple(extra), unbound)

    def value(self, name: str) -> cst.BaseExpression | None:
        arg = self.args.get(name)
        return arg.value if arg is not None else None

    @property
    def environment(self) -> bool:
        target = self.value("in_dict") if self.kind == "dict" else None
        return target is not None and (literal(target) or code(target)) == "os.environ"

    @property
    def target_kind(self) -> str:
        """What sort of thing is patched, for TM402: "attribute", "dict" or "environment"."""
        if self.kind in ("dict", "setitem", "delitem"):
            return "environment" if self.environment or self._monkeypatched_environ() else "dict"
        return MONKEYPATCH_KINDS.get(self.kind, "attribute")

    def _monkeypatched_environ(self) -> bool:
        first = self.call.args[0].value if self.call.args else None
        return first is not None and code(first) == "os.environ"

    def targets(self) -> tuple[str, ...]:
        """What this call patches, as a person would name it."""
        def name(node: cst.BaseExpression | None) -> str:
            if node is None:
                return "?"
            text = literal(node)
            return text if text is not None else code(node)

        if self.kind == "patch":
            return (name(self.value("target")),)
        if self.kind == "object":
            return (f"{name(self.value('target'))}.{name(self.value('attribute'))}",)
        if self.kind == "dict":
            return (name(self.value("in_dict")),)
        if self.kind == "multiple":
            base = name(self.value("target"))
            return tuple(f"{base}.{key}" for key in self.extra) or (base,)
        args = [a.value for a in self.call.args if a.keyword is None]
        if self.kind in ("setenv", "delenv"):
            return (f"os.environ[{code(args[0]) if args else '?'}]",)
        if self.kind in ("setitem", "delitem"):
            return (f"{name(args[0]) if args else '?'}[{name(args[1]) if len(args) > 1 else '?'}]",)
        # monkeypatch.setattr("pkg.mod.attr", value) or setattr(obj, "attr", value)
        if len(args) >= 3 or (len(args) == 2 and self.kind == "delattr"):
            return (f"{name(args[0])}.{name(args[1])}",)
        return (name(args[0]) if args else "?",)

    def keyword_mocks(self, qualified: Qualified) -> tuple[str, ...]:
        """patch.multiple: the attributes given DEFAULT, whose mocks are passed as keyword arguments."""
        return tuple(k for k in self.extra if is_mock_default(self.args[k].value, qualified))

    def injection(self, qualified: Qualified) -> Injection:
        """What this patch passes to a function it decorates (unittest.mock's rules)."""
        if self.unbound:
            return Injection.UNKNOWN
        if self.kind == "dict":
            return Injection.NONE
        if self.kind == "multiple":
            return Injection.KEYWORDS if self.keyword_mocks(qualified) else Injection.NONE
        new = self.value("new")
        if new is None or is_mock_default(new, qualified):
            return Injection.POSITIONAL
        return Injection.NONE if _certainly_not_default(new, qualified) else Injection.UNKNOWN


def _certainly_not_default(node: cst.BaseExpression, qualified: Qualified) -> bool:
    """This expression does not evaluate to mock.DEFAULT: anything but a name
    or attribute, or one that does not resolve to it through the imports."""
    if isinstance(node, (cst.Name, cst.Attribute)):
        return not is_mock_default(node, qualified)
    return True


@dataclass(frozen=True)
class PatchUse:
    """A patch applied somewhere in the module."""

    patch: PatchCall
    style: Style
    bound: str | None = None  # the name the test receives the mock under
    where: cst.CSTNode | None = None  # the decorator or with statement


@dataclass
class DecoratorStack:
    """The patch decorators of one function, as unittest.mock applies them."""

    func: cst.FunctionDef
    above: list[cst.Decorator]  # other decorators, above every patch
    patches: list[tuple[cst.Decorator, PatchCall]]  # bottom-up: the order the patches start in
    problem: str | None  # why the stack cannot be rewritten exactly, if it cannot

    @property
    def decorators(self) -> list[cst.Decorator]:
        return [d for d, _ in self.patches]


@dataclass
class TestPatches:
    """Every patch one test runs under."""

    func: cst.FunctionDef
    owner: cst.ClassDef | None
    stack: DecoratorStack
    class_patches: list[PatchCall]  # from the class's decorators
    uses: list[PatchUse] = field(default_factory=list)  # every patch, in the order they start
    mock_names: dict[str, str] = field(default_factory=dict)  # injected name -> target
    through_fixtures: int = 0  # how many of `uses` come from fixtures of the module or class


@dataclass
class _Fixture:
    """A fixture of the module or of a class, and the patches it applies."""

    func: cst.FunctionDef
    owner: cst.ClassDef | None
    name: str
    autouse: bool
    uses: list[PatchUse] = field(default_factory=list)
    generator: bool = False  # yields: a `with patch` inside is still active during the test


class PatchIndex:
    """Every patch of one module, by test."""

    # The rules of one file run together: keeping the last module's index is enough.
    _last: "tuple[cst.Module, PatchIndex] | None" = None

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.imports = Imports(module)
        self.qualified: Qualified = self.imports.qualified
        self.tests: list[TestPatches] = []
        self.uses: list[PatchUse] = []  # every patch in the file (tests, fixtures, helpers)
        self.class_decorators: dict[cst.ClassDef, list[PatchCall]] = {}
        self.indent: dict[cst.CSTNode, str] = {}  # function or with statement -> its indentation
        self.order: dict[cst.Call, int] = {}  # every call, numbered in source order
        self.names: set[str] = set()  # every identifier in the module (for choosing new names)
        _Collector(self).collect(module)

    @classmethod
    def of(cls, module: cst.Module) -> "PatchIndex":
        if cls._last is None or cls._last[0] is not module:
            cls._last = (module, cls(module))
        return cls._last[1]

    def patch_call(self, node: cst.BaseExpression) -> PatchCall | None:
        if isinstance(node, cst.Call):
            kind = patcher_kind(node.func, self.qualified)
            if kind is not None:
                return PatchCall.bind(node, kind)
        return None

    def decorator_stack(self, func: cst.FunctionDef) -> DecoratorStack:
        above: list[cst.Decorator] = []
        patches: list[tuple[cst.Decorator, PatchCall]] = []
        problem = None
        for decorator in func.decorators:
            found = self.patch_call(decorator.decorator)
            if found is not None:
                patches.append((decorator, found))
            elif patches:
                problem = (f"the decorator @{code(decorator.decorator)} sits between or below the patch "
                           "decorators and sees their mock arguments")
            else:
                above.append(decorator)
        patches.reverse()
        return DecoratorStack(func, above, patches, problem)


def _param_names(func: cst.FunctionDef) -> list[str]:
    params = func.params
    return [p.name.value for p in [*params.posonly_params, *params.params, *params.kwonly_params]]


def positional_params(func: cst.FunctionDef, method: bool) -> list[cst.Param] | None:
    """The parameters the decorator mocks are passed to, after `self`; None when
    *args or positional-only parameters make the mapping unclear."""
    params = func.params
    if params.posonly_params or isinstance(params.star_arg, cst.Param):
        return None
    plain = list(params.params)
    if method:
        if not plain:
            return None
        plain = plain[1:]
    return plain


def is_method(func: cst.FunctionDef, owner: cst.ClassDef | None) -> bool:
    if owner is None:
        return False
    for decorator in func.decorators:
        if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value == "staticmethod":
            return False
    return True


class _Collector(cst.CSTVisitor):
    def __init__(self, index: PatchIndex) -> None:
        super().__init__()
        self.index = index
        self.classes: list[cst.ClassDef] = []
        self.functions: list[cst.FunctionDef] = []
        self.test: TestPatches | None = None
        self.claimed: set[cst.Call] = set()
        self.patchers: dict[str, PatchCall] = {}  # `p = patch(...)`: variable (or self.attr) -> call
        self.setup_starts: dict[cst.ClassDef, list[PatchUse]] = {}
        self.indents: list[str] = []
        self.fixture: _Fixture | None = None
        self.fixtures: list[_Fixture] = []

    def collect(self, module: cst.Module) -> None:
        module.visit(self)
        for test in self.index.tests:
            if test.owner is not None:
                test.uses.extend(self.setup_starts.get(test.owner, []))
            through = self._fixture_uses(test)
            test.uses.extend(through)
            test.through_fixtures = len(through)

    def _fixture_uses(self, test: TestPatches) -> list[PatchUse]:
        """Patches applied by the fixtures the test requests (or gets by autouse)
        from its class and its module, following fixtures that request fixtures."""
        visible = [f for f in self.fixtures if f.owner is None or f.owner is test.owner]
        by_name = {f.name: f for f in sorted(visible, key=lambda f: f.owner is not None)}  # the class's win
        out: list[PatchUse] = []
        seen: set[str] = set()

        def request(name: str) -> None:
            fixture = by_name.get(name)
            if fixture is None or name in seen:
                return
            seen.add(name)
            for param in _param_names(fixture.func):
                request(param)
            out.extend(u for u in fixture.uses if fixture.generator or u.style is not Style.WITH)

        for fixture in visible:
            if fixture.autouse:
                request(fixture.name)
        for name in _param_names(test.func):
            if name not in test.mock_names:
                request(name)
        return out

    # ------------------------------------------------------------ structure
    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.indents.append(node.indent if node.indent is not None else self.index.module.default_indent)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self.indents.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        found = []
        for decorator in node.decorators:
            call = self.index.patch_call(decorator.decorator)
            if call is not None:
                self.claimed.add(call.call)
                found.append(call)
                self.index.uses.append(PatchUse(call, Style.DECORATOR, where=decorator))
        found.reverse()
        self.index.class_decorators[node] = found
        self.classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.index.indent[node] = "".join(self.indents)
        stack = self.index.decorator_stack(node)
        for decorator, call in stack.patches:
            self.claimed.add(call.call)
            self.index.uses.append(PatchUse(call, Style.DECORATOR, where=decorator))
        owner = self.classes[-1] if self.classes and self._directly_in_class(node) else None
        if not self.functions and node.name.value.startswith(TEST_PREFIX) and self.test is None:
            class_patches = self.index.class_decorators.get(owner, []) if owner is not None else []
            test = TestPatches(node, owner, stack, class_patches)
            method = is_method(node, owner)
            params = positional_params(node, method) or []
            injected = [c for _, c in stack.patches] + class_patches
            position = 0
            for call in injected:
                kind = call.injection(self.index.qualified)
                name = None
                if kind is Injection.POSITIONAL and position < len(params):
                    name = params[position].name.value
                    position += 1
                    test.mock_names[name] = call.targets()[0]
                elif kind is Injection.KEYWORDS:
                    for key in call.keyword_mocks(self.index.qualified):
                        test.mock_names[key] = f"{call.targets()[0].rsplit('.', 1)[0]}.{key}"
                test.uses.append(PatchUse(call, Style.DECORATOR, bound=name))
            self.index.tests.append(test)
            self.test = test
        elif not self.functions and self.fixture is None:
            self.fixture = self._as_fixture(node, owner)
            if self.fixture is not None:
                self.fixtures.append(self.fixture)
        self.functions.append(node)

    def _as_fixture(self, node: cst.FunctionDef, owner: cst.ClassDef | None) -> _Fixture | None:
        for decorator in node.decorators:
            expr = decorator.decorator
            func = expr.func if isinstance(expr, cst.Call) else expr
            if "pytest.fixture" not in self.index.qualified(func):
                continue
            name, autouse = node.name.value, False
            for arg in expr.args if isinstance(expr, cst.Call) else ():
                keyword = arg.keyword.value if arg.keyword else None
                if keyword == "name" and literal(arg.value) is not None:
                    name = literal(arg.value) or name
                elif keyword == "autouse":
                    autouse = isinstance(arg.value, cst.Name) and arg.value.value == "True"
            return _Fixture(node, owner, name, autouse)
        return None

    def visit_Yield(self, node: cst.Yield) -> None:
        if self.fixture is not None and len(self.functions) == 1:
            self.fixture.generator = True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()
        if self.test is not None and self.test.func is original_node:
            self.test = None
        if self.fixture is not None and self.fixture.func is original_node:
            self.fixture = None

    def _directly_in_class(self, node: cst.FunctionDef) -> bool:
        return any(stmt is node for stmt in self._class_body(self.classes[-1])) and not self.functions

    @staticmethod
    def _class_body(cls: cst.ClassDef) -> Sequence[cst.CSTNode]:
        body = cls.body
        return body.body if isinstance(body, cst.IndentedBlock) else ()

    # ------------------------------------------------------------ uses in bodies
    def _record(self, use: PatchUse) -> None:
        self.claimed.add(use.patch.call)
        self.index.uses.append(use)
        if self.test is not None:
            self.test.uses.append(use)
            if use.bound:
                self.test.mock_names[use.bound] = use.patch.targets()[0]
        elif self.fixture is not None:
            self.fixture.uses.append(use)
        elif use.style is Style.START and self.functions and self.classes \
                and self.functions[0].name.value in SETUP_METHODS:
            self.setup_starts.setdefault(self.classes[-1], []).append(use)

    def visit_With(self, node: cst.With) -> None:
        self.index.indent[node] = "".join(self.indents)
        for item in node.items:
            call = self.index.patch_call(item.item)
            if call is None and isinstance(item.item, (cst.Name, cst.Attribute)):
                call = self.patchers.get(code(item.item))
            if call is None or call.call in self.claimed:
                continue
            bound = item.asname.name.value if item.asname and isinstance(item.asname.name, cst.Name) else None
            self._record(PatchUse(call, Style.WITH, bound=bound, where=node))

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        target = node.targets[0].target
        bound = target.value if isinstance(target, cst.Name) else None
        call = self.index.patch_call(node.value)
        if call is not None:
            self.patchers[code(target)] = call
            return
        started = self._started(node.value)
        if started is not None and started.call not in self.claimed:
            self._record(PatchUse(started, Style.START, bound=bound))
            return
        mocked = self._mocker(node.value)
        if mocked is not None and mocked.call not in self.claimed:
            self._record(PatchUse(mocked, Style.MOCKER, bound=bound))

    def visit_Name(self, node: cst.Name) -> None:
        self.index.names.add(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        self.index.order[node] = len(self.index.order)
        started = self._started(node)
        if started is not None and started.call not in self.claimed:
            self._record(PatchUse(started, Style.START))
            return
        if node in self.claimed:
            return
        mocked = self._mocker(node)
        if mocked is not None:
            self._record(PatchUse(mocked, Style.MOCKER))
            return
        monkey = self._monkeypatch(node)
        if monkey is not None:
            self._record(PatchUse(monkey, Style.MONKEYPATCH))
            return
        call = self.index.patch_call(node)
        if call is not None and self.functions and not any(node is p.call for p in self.patchers.values()):
            # patch(...) handed to ExitStack.enter_context() and the like: a context manager
            self._record(PatchUse(call, Style.WITH))

    def _started(self, node: cst.BaseExpression) -> PatchCall | None:
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and node.func.attr.value == "start" and not node.args):
            return None
        receiver = node.func.value
        return self.index.patch_call(receiver) or self.patchers.get(code(receiver))

    @staticmethod
    def _root(node: cst.BaseExpression) -> tuple[str | None, list[str]]:
        attrs: list[str] = []
        while isinstance(node, cst.Attribute):
            attrs.insert(0, node.attr.value)
            node = node.value
        return (node.value if isinstance(node, cst.Name) else None), attrs

    def _mocker(self, node: cst.BaseExpression) -> PatchCall | None:
        if not isinstance(node, cst.Call):
            return None
        root, attrs = self._root(node.func)
        if root not in MOCKER_FIXTURES or not attrs or attrs[0] != "patch" or len(attrs) > 2:
            return None
        sub = attrs[1] if len(attrs) == 2 else ""
        kind = {"": "patch", "object": "object", "dict": "dict", "multiple": "multiple"}.get(sub)
        return PatchCall.bind(node, kind) if kind else None

    def _monkeypatch(self, node: cst.Call) -> PatchCall | None:
        root, attrs = self._root(node.func)
        if root != "monkeypatch" or len(attrs) != 1 or attrs[0] not in MONKEYPATCH_KINDS:
            return None
        return PatchCall(node, attrs[0], {}, ())


def uses_mock(body: cst.CSTNode, name: str) -> bool:
    """The test looks at the mock bound to `name`: an `assert_*` method or its
    call record, an `assert` statement or an assertion helper mentioning it."""
    found = False

    class Look(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.asserting = 0

        def visit_Assert(self, node: cst.Assert) -> None:
            self.asserting += 1

        def leave_Assert(self, original_node: cst.Assert) -> None:
            self.asserting -= 1

        def visit_Call(self, node: cst.Call) -> None:
            if "assert" in last_name(node.func).lower() and any(_mentions(a.value, name) for a in node.args):
                nonlocal found
                found = True

        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            if node.value == name and self.asserting:
                found = True

        def visit_Attribute(self, node: cst.Attribute) -> None:
            nonlocal found
            attrs = []
            inner: cst.BaseExpression = node
            while isinstance(inner, cst.Attribute):
                attrs.append(inner.attr.value)
                inner = inner.value
            if isinstance(inner, cst.Name) and inner.value == name and \
                    any(a in MOCK_RECORD or a.startswith("assert_") for a in attrs):
                found = True

    body.visit(Look())
    return found


def _mentions(node: cst.CSTNode, name: str) -> bool:
    hit = False

    class Find(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            nonlocal hit
            hit = hit or n.value == name

    node.visit(Find())
    return hit
