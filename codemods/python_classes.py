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
