"""Rewrite `self.assertX(...)` statements as plain `assert` statements (TM101).

`plan_assertion` decides, from the original call, whether an exact rewrite
exists and how safe it is; `Fix.edits` then renders the statement from the
node as it is after any nested fix (so a `cm.exception` renamed inside the
call is kept).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable

import libcst as cst

from testmend.model import Safety
from testmend.rule import Fix
from testmend.unittest_api import SIGNATURES, bind, canonical

from ._render import Operands, has_comments, inside_parentheses, is_simple, parse_small_statement, wrap_multiline

Template = Callable[[Operands], str]

_COMPARE = {
    "assertEqual": ("first", "==", "second"),
    "assertNotEqual": ("first", "!=", "second"),
    "assertIs": ("expr1", "is", "expr2"),
    "assertIsNot": ("expr1", "is not", "expr2"),
    "assertIn": ("member", "in", "container"),
    "assertNotIn": ("member", "not in", "container"),
    "assertGreater": ("a", ">", "b"),
    "assertGreaterEqual": ("a", ">=", "b"),
    "assertLess": ("a", "<", "b"),
    "assertLessEqual": ("a", "<=", "b"),
}
_CALL = {  # method -> (function, args, negated)
    "assertIsInstance": ("isinstance", ("obj", "cls"), False),
    "assertNotIsInstance": ("isinstance", ("obj", "cls"), True),
    "assertHasAttr": ("hasattr", ("obj", "name"), False),
    "assertNotHasAttr": ("hasattr", ("obj", "name"), True),
    "assertIsSubclass": ("issubclass", ("cls", "superclass"), False),
    "assertNotIsSubclass": ("issubclass", ("cls", "superclass"), True),
}
_METHOD = {  # method -> (receiver, method, arg, negated)
    "assertStartsWith": ("s", "startswith", "prefix", False),
    "assertNotStartsWith": ("s", "startswith", "prefix", True),
    "assertEndsWith": ("s", "endswith", "suffix", False),
    "assertNotEndsWith": ("s", "endswith", "suffix", True),
}
# Equality methods that also check the operands' type in unittest.
_TYPED_EQUAL = {
    "assertListEqual": ("list1", "list2", "list"),
    "assertTupleEqual": ("tuple1", "tuple2", "tuple"),
    "assertDictEqual": ("d1", "d2", "dict"),
    "assertSetEqual": ("set1", "set2", "set"),
    "assertMultiLineEqual": ("first", "second", "str"),
    "assertSequenceEqual": ("seq1", "seq2", None),
}


@dataclass(frozen=True)
class Plan:
    """How one assertion call becomes an assert statement."""

    test: Template
    msg: str | None  # parameter holding the message, if given
    safety: Safety
    imports: tuple[str, ...] = ()
    note: str = ""
    raise_error: bool = False  # self.fail(): `raise AssertionError(msg)`, exactly what unittest raises


def plan_assertion(call: cst.Call, method: str, module: cst.Module) -> Plan | str:
    """The rewrite of `self.<method>(...)`, or the reason there is no exact one."""
    name = canonical(method)
    bound = bind(call, SIGNATURES[name])
    if isinstance(bound, str):
        return bound
    args = bound.args
    params = SIGNATURES[name]
    required = [p for p in params if p not in ("msg", "places", "delta", "seq_type")]
    missing = [p for p in required if p not in args]
    if missing:
        return f"argument {missing[0]!r} is missing, so the call fails before asserting anything"
    if not bound.in_order and not all(is_simple(a.value) for a in args.values()):
        return "keyword arguments are out of order and would be evaluated in a different order"
    msg = "msg" if "msg" in args and not _is_none(args["msg"].value) else None

    if name in _COMPARE:
        left, op, right = _COMPARE[name]
        return Plan(lambda o: f"{o.compared(left)} {op} {o.compared(right)}", msg, Safety.SAFE)
    if name == "assertTrue":
        return Plan(lambda o: o.bare("expr"), msg, Safety.SAFE)
    if name == "assertFalse":
        return Plan(lambda o: f"not {o.negated('expr')}", msg, Safety.SAFE)
    if name in ("assertIsNone", "assertIsNotNone"):
        op = "is" if name == "assertIsNone" else "is not"
        return Plan(lambda o: f"{o.compared('obj')} {op} None", msg, Safety.SAFE)
    if name in _CALL:
        func, names, neg = _CALL[name]
        prefix = "not " if neg else ""
        return Plan(lambda o: f"{prefix}{func}({', '.join(o.bare(n) for n in names)})", msg, Safety.SAFE)
    if name in _METHOD:
        recv, meth, arg, neg = _METHOD[name]
        prefix = "not " if neg else ""
        return Plan(lambda o: f"{prefix}{o.receiver(recv)}.{meth}({o.bare(arg)})", msg, Safety.SAFE)
    if name in ("assertRegex", "assertNotRegex"):
        text, regex = params[0], params[1]
        if not (is_simple(args[text].value) or is_simple(args[regex].value)):
            return "re.search(pattern, text) would evaluate the two arguments in the opposite order"
        prefix = "not " if name == "assertNotRegex" else ""
        return Plan(lambda o: f"{prefix}re.search({o.bare(regex)}, {o.bare(text)})", msg, Safety.SAFE, ("re",))
    if name == "assertDictContainsSubset":
        return Plan(lambda o: f"{o.receiver('subset')}.items() <= {o.receiver('dictionary')}.items()", msg, Safety.SAFE)
    if name == "assertCountEqual":
        if not (_hashable_items(args["first"].value) and _hashable_items(args["second"].value)):
            return ("items may be unhashable: collections.Counter would raise TypeError where "
                    "unittest falls back to comparing items pairwise")
        return Plan(lambda o: f"collections.Counter({o.bare('first')}) == collections.Counter({o.bare('second')})",
                    msg, Safety.SAFE, ("collections",))
    if name in _TYPED_EQUAL:
        return _plan_typed_equal(name, args, msg)
    if name in ("assertAlmostEqual", "assertNotAlmostEqual"):
        return _plan_almost(name, args, msg, module)
    if name == "fail":
        return Plan(lambda o: "", msg, Safety.SAFE, ("pytest",))
    return f"no rewrite for {method}"


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_str(node: cst.BaseExpression) -> bool:
    """Certainly a str (or an expression that raises before producing anything else)."""
    if isinstance(node, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return _literal_type(node) == "str"
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Modulo, cst.Add)):
        return _is_str(node.left)
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Name):
            return func.value in ("str", "repr", "format", "ascii")
        if isinstance(func, cst.Attribute) and func.attr.value in ("format", "join"):
            return _is_str(func.value)
    return False


def _literal_type(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.List, cst.ListComp)):
        return "list"
    if isinstance(node, cst.Tuple):
        return "tuple"
    if isinstance(node, (cst.Dict, cst.DictComp)):
        return "dict"
    if isinstance(node, (cst.Set, cst.SetComp)):
        return "set"
    if isinstance(node, cst.SimpleString):
        return "bytes" if "b" in node.prefix.lower() else "str"
    if isinstance(node, cst.FormattedString):
        return "str"
    if isinstance(node, cst.ConcatenatedString):
        return _literal_type(node.left)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
        return {"list": "list", "sorted": "list", "tuple": "tuple", "dict": "dict", "set": "set",
                "frozenset": "set", "str": "str"}.get(node.func.value)
    return None


def _plan_typed_equal(name: str, args: dict[str, cst.Arg], msg: str | None) -> Plan | str:
    first, second, kind = _TYPED_EQUAL[name]
    t1, t2 = _literal_type(args[first].value), _literal_type(args[second].value)
    test: Template = lambda o: f"{o.compared(first)} == {o.compared(second)}"  # noqa: E731
    if kind is None:  # assertSequenceEqual
        if "seq_type" in args:
            return "seq_type adds a type check that a plain == does not make"
        if t1 is not None and t1 == t2 and t1 in ("list", "tuple", "str"):
            return Plan(test, msg, Safety.SAFE)
        return ("unittest compares items across sequence types ([1] equals (1,)) while == does not; "
                "the operand types could not be proven equal")
    if t1 == kind and t2 == kind:
        return Plan(test, msg, Safety.SAFE)
    return Plan(test, msg, Safety.UNSAFE, note=f"drops unittest's check that both operands are {kind}")


def _plan_almost(name: str, args: dict[str, cst.Arg], msg: str | None, module: cst.Module) -> Plan | str:
    has_places = "places" in args and not _is_none(args["places"].value)
    has_delta = "delta" in args and not _is_none(args["delta"].value)
    # Fix: `places=None, delta=d` was refused; unittest only raises when both are not None.
    if has_places and has_delta:
        return "places and delta together make unittest raise TypeError"
    if not (is_simple(args["first"].value) and is_simple(args["second"].value)):
        return ("unittest's exact rule (equal, or difference rounded to zero) needs each operand twice; "
                "bind the operands to names first")
    if has_comments(module, args["first"].value) or has_comments(module, args["second"].value):
        return "a comment inside an operand would be repeated, since the rewrite uses each operand twice"
    for extra in ("places", "delta"):
        if extra in args and not is_simple(args[extra].value):
            return f"{extra} is not a simple value"
    positive = name == "assertAlmostEqual"

    def test(o: Operands) -> str:
        # The equality uses each operand as one side of a comparison, the
        # difference as arithmetic operands (`(-x) - (-y)`, but `-x == -y`).
        # Each piece is rendered once: an operand's trailing comment goes with
        # its first rendering (the equality) and is not repeated.
        a, b = o.compared("first"), o.compared("second")
        diff = f"abs({o.atom('first')} - {o.atom('second')})"
        if has_delta:
            near = f"{diff} {'<=' if positive else '>'} {o.atom('delta')}"
        else:
            places = o.raw("places") if has_places else "7"
            near = f"round({diff}, {places}) {'==' if positive else '!='} 0"
        return f"{a} == {b} or {near}" if positive else f"{a} != {b} and {near}"

    return Plan(test, msg, Safety.SAFE)


def _hashable_items(node: cst.BaseExpression) -> bool:
    """Every item this iterable yields is certainly hashable."""
    if isinstance(node, (cst.Set, cst.SetComp)) or isinstance(node, cst.SimpleString):
        return True
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("set", "frozenset"):
        return True
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(isinstance(e, cst.Element) and _hashable_value(e.value) for e in node.elements)
    return False


def _hashable_value(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.Name) and node.value in ("None", "True", "False"):
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return _hashable_value(node.expression)
    if isinstance(node, cst.Tuple):
        return all(isinstance(e, cst.Element) and _hashable_value(e.value) for e in node.elements)
    return False


def render(module: cst.Module, expr: cst.Expr, method: str, plan: Plan) -> cst.BaseSmallStatement:
    """The statement replacing `expr` (a `self.<method>(...)` expression statement)."""
    new = parse_small_statement(module, render_text(module, expr, method, plan))
    return new.with_changes(semicolon=expr.semicolon)


def render_text(module: cst.Module, expr: cst.Expr, method: str, plan: Plan) -> str:
    """The source of the statement replacing `expr`, without its semicolon."""
    call = expr.value
    assert isinstance(call, cst.Call)
    bound = bind(call, SIGNATURES[canonical(method)])
    assert not isinstance(bound, str)
    ops = Operands(module, call, bound.args)
    nl = module.default_newline
    # Render the pieces first: comments of arguments the rewrite drops
    # (`msg=None,  # why`) are only known afterwards, and must not be lost.
    if canonical(method) == "fail" and plan.raise_error:
        # unittest's fail() is `raise self.failureException(msg)`: the same
        # exception, caught by the same `except AssertionError` (pytest.fail's is not)
        comments = ops.outer_comments() + ops.unrendered_comments()
        arg = ops.bare("msg") if plan.msg else ""
        if not arg and not comments:
            return "raise AssertionError"
        return f"raise AssertionError({inside_parentheses(arg, comments, nl)})"
    if canonical(method) == "fail":
        arg = ops.bare("msg") if plan.msg else ""
        if plan.msg and not _is_str(ops.node("msg")):
            # Fix: pytest.fail(error) raises TypeError ("expected string as 'msg'")
            # where self.fail(error) failed with str(error) as the message.
            arg = f"str({ops.raw('msg')})"
        comments = ops.outer_comments() + ops.unrendered_comments()
        # Fix: the call's own parentheses hold the comments (was `pytest.fail((...))`,
        # and `self.fail(  # why` with no message lost its comment).
        return f"pytest.fail({inside_parentheses(arg, comments, nl)})"
    test = plan.test(ops)
    message = ops.bare(plan.msg) if plan.msg else None
    comments = ops.outer_comments() + ops.unrendered_comments()
    text = "assert " + wrap_multiline(test, comments, nl)
    if message is not None:
        text += ", " + wrap_multiline(message, [], nl)
    return text


def _syntax_warnings(code: str) -> set[str] | None:
    """The SyntaxWarnings Python gives for the statement `code` (None if it does
    not compile on its own). It is compiled inside an `async def` so that
    `await` and `yield` in it are allowed."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            compile("async def _():\n " + code + "\n", "<assertion>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return None
    return {str(w.message) for w in caught if issubclass(w.category, SyntaxWarning)}


def new_syntax_warning(module: cst.Module, expr: cst.Expr, method: str, plan: Plan) -> str | None:
    """A SyntaxWarning the rewrite would draw and the call did not, if any.

    Fix: `self.assertIs(x, 1)` became `assert x is 1` and `self.assertTrue((a, b))`
    became `assert (a, b)`: Python warns about both ('"is" with a literal',
    'assertion is always true'), which is an error, failing collection, in the
    many suites that run with `-W error` / `filterwarnings = error`."""
    after = _syntax_warnings(render_text(module, expr, method, plan))
    if not after:
        return None
    before = _syntax_warnings(module.code_for_node(expr)) or set()
    added = sorted(after - before)
    return added[0] if added else None


def convert_unittest_assertion(module: cst.Module, expr: cst.Expr, method: str, plan: Plan) -> Fix:
    """The fix turning the statement `expr` into an assert (or pytest.fail)."""
    target = "assert"
    if canonical(method) == "fail":
        target = "raise AssertionError(...)" if plan.raise_error else "pytest.fail(...)"
    note = f" ({plan.note})" if plan.note else ""
    multiline = "\n" in module.code_for_node(expr) or "\r" in module.code_for_node(expr)
    return Fix(
        description=f"replace self.{method}(...) with {target}{note}",
        safety=plan.safety,
        edits={expr: lambda updated: render(module, updated, method, plan)},
        imports=plan.imports,
        reformat=multiline,
    )
