"""Add class-name patterns to the project's pytest configuration (TM202).

Edits the file pytest reads its configuration from as text, one inserted
line, so everything else in it (comments, order, quoting) stays as it was.
"""
from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def add_patterns(path: Path, text: str, patterns: list[str]) -> str | None:
    """`text` of the config file `path` with `python_classes` set to the
    default "Test" plus `patterns`; None when the file already sets
    python_classes (merging someone's list is left to a person)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    values = ["Test", *patterns]
    if path.name == "pyproject.toml":
        line = "python_classes = [" + ", ".join(f'"{v}"' for v in values) + "]"
        header = re.search(r"(?m)^\[tool\.pytest\.ini_options\][ \t]*(?:#[^\r\n]*)?\r?$", text)
        if header is None:
            if re.search(r"(?m)^\[tool\.pytest\]", text):
                return None
            sep = "" if text.endswith(("\n", "\r")) or not text else newline
            return _checked(path, f"{text}{sep}{newline}[tool.pytest.ini_options]{newline}{line}{newline}", values)
        section = "[tool.pytest.ini_options]"
    else:
        line = "python_classes = " + " ".join(values)
        section = "[tool:pytest]" if path.name == "setup.cfg" else "[pytest]"
        header = re.search(rf"(?m)^{re.escape(section)}[ \t]*(?:[#;][^\r\n]*)?\r?$", text)
        if header is None:
            return None
    end = header.end()
    following = text[end:]
    nxt = re.search(r"(?m)^\[", following)
    body = following[:nxt.start()] if nxt else following
    if re.search(r"(?m)^python_classes\s*=", body):
        return None
    eol = text.find("\n", end)
    cut = len(text) if eol < 0 else eol + 1
    prefix = text[:cut] if eol >= 0 else text + newline
    return _checked(path, prefix + line + newline + text[cut:], values)


def _checked(path: Path, text: str, values: list[str]) -> str | None:
    """`text` when it parses and sets python_classes to `values` as pytest will read
    it, else None (a layout the line-based edit misread: `python_classes: ...`,
    an indented key, dotted `pytest.ini_options` keys under `[tool]`)."""
    try:
        if path.name == "pyproject.toml":
            found = tomllib.loads(text)["tool"]["pytest"]["ini_options"]["python_classes"]
        else:
            parser = configparser.ConfigParser(interpolation=None)
            parser.read_string(text)
            found = parser.get("tool:pytest" if path.name == "setup.cfg" else "pytest", "python_classes").split()
    except (KeyError, TypeError, ValueError, configparser.Error):  # TOMLDecodeError is a ValueError
        return None
    return text if found == values else None


def set_test_flags(text: str, flags: dict[str, bool]) -> str | None:
    """`text` with `__test__ = <flag>` as the first statement (after the
    docstring) of each class named in `flags` ("Outer.Inner" for a nested one);
    None when a class is missing or its body is on the `class` line."""
    import libcst as cst

    module = cst.parse_module(text)
    done: set[str] = set()

    class Flagger(cst.CSTTransformer):
        def __init__(self) -> None:
            self.stack: list[str] = []

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            self.stack.append(node.name.value)
            return True

        def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
            qual = ".".join(self.stack)
            self.stack.pop()
            if qual not in flags or not isinstance(updated.body, cst.IndentedBlock):
                return updated
            done.add(qual)
            body = list(updated.body.body)
            at = 1 if body and _is_docstring(body[0]) else 0
            line = cst.parse_statement(f"__test__ = {flags[qual]}\n")
            return updated.with_changes(body=updated.body.with_changes(body=[*body[:at], line, *body[at:]]))

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False  # classes local to a function are not in the class graph

    new = module.visit(Flagger())
    return new.code if done == set(flags) else None


def _is_docstring(stmt: object) -> bool:
    import libcst as cst

    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Expr)
            and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))
