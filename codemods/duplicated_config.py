"""Fixes for TM302: a construction repeated in several tests becomes one fixture.

`extract_config_fixture` turns the plans the detector made into edits: the
fixture's definition, built from one occurrence's own nodes (its comments and
layout travel with it; libcst re-indents it), a parameter on every test that
used the construction, and each assignment replaced:

  value fixture    `config = AppConfig(...)` goes (or becomes `cfg = config`)
  factory fixture  `config = make_config(lr=0.1)`: the construction stays where it
                   was built, with the values that differ from the base kept there

In one module the fixture goes before the first test that uses it (a `Fix`);
across modules it goes into a conftest.py and every file's new text is
computed here (`extract_across_files`), with the imports the fixture needs
added to the conftest.py (AddImportsVisitor) and those the tests no longer use
removed from theirs (RemoveImportsVisitor, which keeps any import still used).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, ImportItem, RemoveImportsVisitor

from testmend.config import Settings
from testmend.construction_index import constructor_name
from testmend.formatting import format_ranges
from testmend.model import Safety
from testmend.rule import Fix

INNERS = ("make", "build", "create", "_make")  # the function a factory fixture returns: the first name free


@dataclass(frozen=True)
class Site:
    """One test's assignment of the construction."""

    path: Path
    function: int  # ordinal of its `def` in the module
    statement: int  # index of the assignment in the function body
    target: str  # the variable it assigns
    overrides: tuple[tuple[str, int], ...] = ()  # factory: (parameter, leaf) where this site differs


@dataclass(frozen=True)
class Plan:
    fixture: str
    factory: bool
    inner: str  # a factory's inner function
    requests: tuple[str, ...]  # fixtures the new fixture requests (the tests' `tmp_path`...)
    parameters: tuple[tuple[int, str], ...]  # factory: leaf position -> keyword parameter
    source: Site  # the occurrence whose nodes become the fixture's body (it has the base values)
    sites: tuple[Site, ...]
    conftest: Path | None = None  # None: the fixture goes into the module
    imports: tuple[tuple, ...] = ()  # bindings the conftest.py needs (construction_index.Binding)
    unused: tuple[tuple[Path, tuple], ...] = ()  # (module, binding) whose import may go


# ---------------------------------------------------------------- reading the tree
class _Functions(cst.CSTVisitor):
    """Every `def` in source order (the order construction_index numbers them), with its top-level statement."""

    def __init__(self) -> None:
        super().__init__()
        self.defs: list[tuple[cst.FunctionDef, cst.CSTNode]] = []
        self.top: cst.CSTNode | None = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        assert self.top is not None
        self.defs.append((node, self.top))


def functions(module: cst.Module) -> list[tuple[cst.FunctionDef, cst.CSTNode]]:
    visitor = _Functions()
    for stmt in module.body:
        visitor.top = stmt
        stmt.visit(visitor)
    return visitor.defs


def assignment(fn: cst.FunctionDef, index: int) -> tuple[cst.SimpleStatementLine, cst.Assign] | None:
    """The `index`-th statement of the body (as `ast` counts them) if it is a line of its own assignment."""
    if not isinstance(fn.body, cst.IndentedBlock):
        return None
    position = 0
    for stmt in fn.body.body:
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
        if position <= index < position + len(smalls):
            small = smalls[index - position]
            if isinstance(stmt, cst.SimpleStatementLine) and len(smalls) == 1 and isinstance(small, cst.Assign):
                return stmt, small
            return None
        position += len(smalls)
    return None


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else None
    return None


def _structural(node: cst.BaseExpression) -> bool:
    """As construction_index decides it on the `ast` side."""
    if isinstance(node, cst.Call):
        return constructor_name(_dotted(node.func))
    return isinstance(node, (cst.Dict, cst.List, cst.Tuple, cst.Set))


def _constant_key(node: cst.BaseExpression) -> bool:
    """Whether `ast` sees this dict key as a Constant (then it is structure, not a leaf)."""
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis)):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, cst.ConcatenatedString):
        return all(_constant_key(part) for part in (node.left, node.right))
    return False


def leaves(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The leaves of a construction in the order construction_index lists them."""
    out: list[cst.BaseExpression] = []

    def walk(n: cst.BaseExpression) -> None:
        if not _structural(n):
            out.append(n)
        elif isinstance(n, cst.Call):
            for arg in n.args:
                walk(arg.value) if arg.star == "" else out.append(arg.value)
        elif isinstance(n, cst.Dict):
            for element in n.elements:
                if isinstance(element, cst.StarredDictElement):
                    out.append(element.value)
                    continue
                if not _constant_key(element.key):
                    out.append(element.key)
                walk(element.value)
        else:
            for e in n.elements:  # type: ignore[attr-defined]
                out.append(e.value) if isinstance(e, cst.StarredElement) else walk(e.value)

    walk(node)
    return out


# ---------------------------------------------------------------- building nodes
def _statement(module: cst.Module, lines: list[str]) -> cst.BaseStatement:
    nl = module.default_newline
    return cst.parse_statement(nl.join(lines) + nl, config=module.config_for_parsing)


def fixture_definition(module: cst.Module, plan: Plan, value: cst.BaseExpression,
                       settings: Settings | None = None) -> cst.FunctionDef:
    """`@pytest.fixture def <name>(...)` returning `value` (a factory: a function
    building it), laid out by black when `settings` are given (a construction
    aligned on its opening bracket would be misaligned after `return`)."""
    fn = _definition(module, plan, value)
    if settings is None:
        return fn
    code = module.code_for_node(fn.with_changes(leading_lines=()))
    formatted = format_ranges(code, [(1, code.count(module.default_newline) or 1)], settings)
    try:
        new = cst.parse_statement(formatted, config=module.config_for_parsing)
    except cst.ParserSyntaxError:
        return fn
    return new if isinstance(new, cst.FunctionDef) else fn


def _definition(module: cst.Module, plan: Plan, value: cst.BaseExpression) -> cst.FunctionDef:
    ind = module.default_indent
    head = ["@pytest.fixture", f"def {plan.fixture}({', '.join(plan.requests)}):"]
    if not plan.factory:
        fn = _statement(module, [*head, f"{ind}return None"])
        assert isinstance(fn, cst.FunctionDef)
        return _replace_return(fn, value)
    found = leaves(value)
    replaced = {found[i]: cst.Name(name) for i, name in plan.parameters}
    body = value.visit(_Swap(replaced))
    params = ", ".join(f"{name}=None" for _, name in plan.parameters)
    signature = f"def {plan.inner}(*, {params}):" if params else f"def {plan.inner}():"
    fn = _statement(module, [*head, f"{ind}{signature}", f"{ind}{ind}return None", f"{ind}return {plan.inner}"])
    assert isinstance(fn, cst.FunctionDef) and isinstance(fn.body, cst.IndentedBlock)
    inner = fn.body.body[0]
    assert isinstance(inner, cst.FunctionDef)
    defaults = [found[i] for i, _ in plan.parameters]
    kwonly = [p.with_changes(default=d) for p, d in zip(inner.params.kwonly_params, defaults)]
    inner = _replace_return(inner.with_changes(params=inner.params.with_changes(kwonly_params=kwonly)),
                            body)  # type: ignore[arg-type]
    return fn.with_changes(body=fn.body.with_changes(body=[inner, *fn.body.body[1:]]))


def _replace_return(fn: cst.FunctionDef, value: cst.BaseExpression) -> cst.FunctionDef:
    assert isinstance(fn.body, cst.IndentedBlock)
    line = fn.body.body[0]
    assert isinstance(line, cst.SimpleStatementLine) and isinstance(line.body[0], cst.Return)
    line = line.with_changes(body=[line.body[0].with_changes(value=value)])
    return fn.with_changes(body=fn.body.with_changes(body=[line, *fn.body.body[1:]]))


class _Swap(cst.CSTTransformer):
    def __init__(self, replaced: dict[cst.CSTNode, cst.CSTNode]) -> None:
        super().__init__()
        self.replaced = replaced

    def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        return self.replaced.get(original_node, updated_node)


def factory_call(module: cst.Module, plan: Plan, site: Site, value: cst.BaseExpression,
                 indent: int, line_length: int = 88) -> cst.Call:
    """`make_config(lr=0.1)`, one keyword per line when it would not fit on one."""
    found = leaves(value)
    given = [(name, found[i]) for name, i in site.overrides]
    texts = [f"{name}={module.code_for_node(v)}" for name, v in given]
    flat = f"{site.target} = {plan.fixture}({', '.join(texts)})"
    multiline = any("\n" in t or "\r" in t for t in texts) or indent + len(flat) > line_length
    args = []
    for n, (name, v) in enumerate(given):
        equal = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
        comma: cst.Comma | cst.MaybeSentinel = cst.MaybeSentinel.DEFAULT
        if multiline:
            last = n == len(given) - 1
            comma = cst.Comma(whitespace_after=cst.ParenthesizedWhitespace(
                indent=True, last_line=cst.SimpleWhitespace("" if last else module.default_indent)))
        args.append(cst.Arg(value=v, keyword=cst.Name(name), equal=equal, comma=comma))
    call = cst.Call(func=cst.Name(plan.fixture), args=args)
    if multiline and args:
        call = call.with_changes(whitespace_before_args=cst.ParenthesizedWhitespace(
            indent=True, last_line=cst.SimpleWhitespace(module.default_indent)))
    return call


# ---------------------------------------------------------------- edits
Transform = Callable[[cst.CSTNode], cst.CSTNode]


def _add_parameter(name: str) -> Transform:
    def add(fn: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(fn, cst.FunctionDef)
        params = list(fn.params.params)
        if any(p.name.value == name for p in params):
            return fn
        at = next((i for i, p in enumerate(params) if p.default is not None), len(params))
        new = cst.Param(cst.Name(name))
        space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        before = params[at - 1] if at else None
        if before is not None and isinstance(before.comma, cst.Comma):
            # one parameter per line: the new one takes the comma (and line break)
            # of the one before it, which gets the break of the line it is on
            new = new.with_changes(comma=before.comma)
            ws = before.comma.whitespace_after
            if not isinstance(ws, cst.ParenthesizedWhitespace):
                middle = space
            elif at >= 2 and isinstance(params[at - 2].comma, cst.Comma):
                middle = params[at - 2].comma
            elif isinstance(fn.whitespace_before_params, cst.ParenthesizedWhitespace):
                middle = before.comma.with_changes(
                    whitespace_after=ws.with_changes(last_line=fn.whitespace_before_params.last_line))
            else:
                middle = space
            params[at - 1] = before.with_changes(comma=middle)
        elif at < len(params):
            new = new.with_changes(comma=space)
        params.insert(at, new)
        return fn.with_changes(params=fn.params.with_changes(params=params))
    return add


def _rewrite_body(replacements: list[tuple[cst.SimpleStatementLine, cst.SimpleStatementLine | None]]) -> Transform:
    """Replace statements of a block (found by value: nothing else edits them), or
    remove them, keeping their comments on the next line."""
    def rewrite(block: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(block, cst.IndentedBlock)
        body = list(block.body)
        carried: list[cst.EmptyLine] = []
        out: list[cst.BaseStatement] = []
        todo = list(replacements)
        for stmt in body:
            match = next((r for r in todo if stmt.deep_equals(r[0])), None)
            if match is not None:
                todo.remove(match)
                new = match[1]
                if new is None:
                    carried += [line for line in stmt.leading_lines if line.comment is not None]
                    comment = stmt.trailing_whitespace.comment
                    if comment is not None:
                        carried.append(cst.EmptyLine(indent=True, comment=comment))
                    continue
                stmt = new
            if carried:
                stmt = stmt.with_changes(leading_lines=[*stmt.leading_lines, *carried])
                carried = []
            out.append(stmt)
        footer = list(block.footer)
        if not out:
            out.append(cst.SimpleStatementLine([cst.Pass()], leading_lines=carried))
        elif carried:
            footer = carried + footer
        return block.with_changes(body=out, footer=footer)
    return rewrite


def _insert_before(definitions: list[cst.FunctionDef]) -> Callable[[cst.CSTNode], cst.FlattenSentinel]:
    """Put `definitions` before a module-level statement, each after as many
    blank lines as that statement had (two if none), and as many after them."""
    def insert(stmt: cst.CSTNode) -> cst.FlattenSentinel:
        assert isinstance(stmt, cst.BaseStatement)
        lines = list(stmt.leading_lines)
        blanks = []
        while lines and lines[0].comment is None:
            blanks.append(lines.pop(0))
        blank = cst.EmptyLine(indent=False, whitespace=cst.SimpleWhitespace(""))
        blanks = blanks or [blank, blank]
        stmt = stmt.with_changes(leading_lines=[*blanks, *lines])
        return cst.FlattenSentinel([*(d.with_changes(leading_lines=blanks) for d in definitions), stmt])
    return insert


def _compose(steps: list[Callable]) -> Callable:  # type: ignore[type-arg]
    def run(node):  # type: ignore[no-untyped-def]
        for step in steps:
            node = step(node)
        return node
    return run


def site_edits(module: cst.Module, plans: Sequence[Plan], path: Path, defs: list[tuple[cst.FunctionDef, cst.CSTNode]],
               line_length: int = 88) -> dict[cst.CSTNode, list[Callable]] | str:  # type: ignore[type-arg]
    """The edits of `plans` in the module at `path`: parameters and assignments."""
    edits: dict[cst.CSTNode, list[Callable]] = {}  # type: ignore[type-arg]
    blocks: dict[cst.CSTNode, list[tuple[cst.SimpleStatementLine, cst.SimpleStatementLine | None]]] = {}
    added: set[tuple[cst.CSTNode, str]] = set()
    for plan in plans:
        for site in plan.sites:
            if site.path != path:
                continue
            if site.function >= len(defs):
                return "the module changed since it was indexed"
            fn = defs[site.function][0]
            found = assignment(fn, site.statement)
            if found is None:
                return f"{fn.name.value}: the assignment was not found where the index put it"
            line, assign = found
            if plan.factory:
                depth = len(module.default_indent) * (1 if defs[site.function][1] is fn else 2)
                value = factory_call(module, plan, site, assign.value, depth, line_length)
                new: cst.SimpleStatementLine | None = line.with_changes(body=[assign.with_changes(value=value)])
            elif site.target == plan.fixture:
                new = None
            else:
                new = line.with_changes(body=[assign.with_changes(value=cst.Name(plan.fixture))])
            blocks.setdefault(fn.body, []).append((line, new))
            if (fn, plan.fixture) not in added:
                added.add((fn, plan.fixture))
                edits.setdefault(fn, []).append(_add_parameter(plan.fixture))
    for block, replacements in blocks.items():
        edits.setdefault(block, []).append(_rewrite_body(replacements))
    return edits


def source_value(module: cst.Module, defs: list[tuple[cst.FunctionDef, cst.CSTNode]], plan: Plan,
                 expected: int) -> cst.BaseExpression | str:
    """The construction the fixture is built from, checked against the index's leaf count."""
    found = assignment(defs[plan.source.function][0], plan.source.statement) \
        if plan.source.function < len(defs) else None
    if found is None:
        return "the construction was not found where the index put it"
    value = found[1].value
    if len(leaves(value)) != expected:
        return "libcst and ast disagree on the construction's parts"
    return value


def extract_config_fixture(module: cst.Module, path: Path, plans: Sequence[Plan], counts: Sequence[int],
                           description: str, settings: Settings | None = None) -> Fix | str:
    """One Fix for `plans` whose sites are all in this module: fixtures inserted
    before the first statement that uses them, the sites rewritten."""
    defs = functions(module)
    edits = site_edits(module, plans, path, defs, settings.line_length if settings else 88)
    if isinstance(edits, str):
        return edits
    anchors: dict[cst.CSTNode, list[cst.FunctionDef]] = {}
    for plan, count in zip(plans, counts):
        value = source_value(module, defs, plan, count)
        if isinstance(value, str):
            return value
        first = min(plan.sites, key=lambda s: s.function)
        anchors.setdefault(defs[first.function][1], []).append(fixture_definition(module, plan, value, settings))
    for anchor, definitions in anchors.items():
        edits.setdefault(anchor, []).append(_insert_before(definitions))
    return Fix(description, Safety.UNSAFE, {node: _compose(steps) for node, steps in edits.items()},
               imports=("pytest",))


# ---------------------------------------------------------------- across files
def rewrite_module(text: str, path: Path, plans: Sequence[Plan], line_length: int = 88) -> str:
    """The new text of a test module whose constructions moved to a conftest.py;
    ValueError (with the reason) when the module does not match the index."""
    from testmend.fixing import render

    module = cst.parse_module(text)
    defs = functions(module)
    edits = site_edits(module, plans, path, defs, line_length)
    if isinstance(edits, str):
        raise ValueError(edits)
    new = render(module, [Fix("", Safety.UNSAFE, {n: _compose(s) for n, s in edits.items()})])
    unused = [(b[1], None, b[2]) if b[0] == "import" else (b[1], b[2], b[3])
              for plan in plans for p, b in plan.unused if p == path]
    if unused:
        tree = cst.parse_module(new)
        first = tree.body[0] if tree.body else None
        tree = RemoveImportsVisitor(CodemodContext(), unused).transform_module(tree)
        if tree.body and first is not None and not tree.body[0].deep_equals(first):
            # the file's first statements went: no blank lines left at the top
            lines = list(tree.body[0].leading_lines)
            while lines and lines[0].comment is None:
                lines.pop(0)
            tree = tree.with_changes(body=[tree.body[0].with_changes(leading_lines=lines), *tree.body[1:]])
        new = tree.code
    return new


def add_fixtures(text: str | None, plans: Sequence[Plan], values: Sequence[cst.BaseExpression],
                 settings: Settings | None = None) -> str:
    """A conftest.py (`text`; None: a new file) with the fixtures of `plans` appended and their imports added."""
    module = cst.parse_module(text or "")
    items = [ImportItem("pytest")]
    for binding in (b for plan in plans for b in plan.imports):
        if binding[0] == "import":
            items.append(ImportItem(binding[1], alias=binding[2]))
        else:
            items.append(ImportItem(binding[1], binding[2], binding[3]))
    module = AddImportsVisitor(CodemodContext(), items).transform_module(module)
    blank = cst.EmptyLine(indent=False, whitespace=cst.SimpleWhitespace(""))
    body = list(module.body)
    for plan, value in zip(plans, values):
        definition = fixture_definition(module, plan, value, settings)
        body.append(definition.with_changes(leading_lines=[blank, blank] if body else []))
    return module.with_changes(body=body, has_trailing_newline=True).code
