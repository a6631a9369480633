"""The parts of a project's pytest configuration that decide collection.

Read statically from the file pytest itself would use (pytest.ini,
pyproject.toml, tox.ini, setup.cfg, in pytest's order), without importing
pytest plugins or running anything.
"""
from __future__ import annotations

import configparser
import fnmatch
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class PytestConfig:
    path: Path | None
    python_classes: tuple[str, ...] = ("Test",)
    python_functions: tuple[str, ...] = ("test",)

    def collects_class(self, name: str) -> bool:
        return any(_matches(pattern, name) for pattern in self.python_classes)


def _matches(pattern: str, name: str) -> bool:
    """pytest's rule: a glob if the pattern has glob characters, else a prefix."""
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatch(name, pattern)
    return name.startswith(pattern)


def _split(value: object) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return None


def read_pytest_config(root: Path) -> PytestConfig:
    """The pytest configuration found from `root` upwards (first match wins)."""
    for directory in [root, *root.parents]:
        for name in ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"):
            path = directory / name
            if not path.is_file():
                continue
            section = _section(path)
            if section is None:
                continue
            return PytestConfig(
                path=path,
                python_classes=_split(section.get("python_classes")) or ("Test",),
                python_functions=_split(section.get("python_functions")) or ("test",),
            )
    return PytestConfig(path=None)


def _section(path: Path) -> dict | None:
    try:
        if path.name == "pyproject.toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            tool = data.get("tool", {}).get("pytest", {})
            if "ini_options" in tool:
                return dict(tool["ini_options"])
            return dict(tool) if tool else None
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path, encoding="utf-8")
        name = "tool:pytest" if path.name == "setup.cfg" else "pytest"
        if parser.has_section(name):
            return dict(parser.items(name))
        if path.name in ("pytest.ini", ".pytest.ini"):
            return {}  # pytest.ini always counts, even without a [pytest] section
    except (OSError, ValueError, configparser.Error, tomllib.TOMLDecodeError):
        return None
    return None
