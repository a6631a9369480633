"""Settings, from `[tool.testmend]` in pyproject.toml and the command line.

Keys equal the long option names (`select`, `ignore`, `exclude`,
`extend-exclude`, `include`, `unsafe-fixes`, `jobs`, `respect-gitignore`,
`target-version`, `line-length`), plus `verify-command` and `verify-timeout`
for `fix --verify`; a sub-table per rule code holds that rule's
options (`[tool.testmend.TM601] max-lines = 60`). Command-line values win.
Unknown keys are reported, never silently ignored.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_INCLUDE = ("test_*.py", "*_test.py", "conftest.py")
DEFAULT_EXCLUDE = (
    ".git/", ".hg/", ".svn/", ".tox/", ".nox/", ".venv/", "venv/", "env/", "__pycache__/",
    "build/", "dist/", "node_modules/", "site-packages/", ".eggs/", "*.egg-info/",
    ".mypy_cache/", ".pytest_cache/", ".ruff_cache/",
)
KNOWN_KEYS = {
    "select", "ignore", "exclude", "extend-exclude", "include", "unsafe-fixes", "jobs",
    "respect-gitignore", "target-version", "line-length", "verify-command", "verify-timeout",
}
DEFAULT_VERIFY_TIMEOUT = 600.0  # seconds, per test run of `fix --verify`
_PY_VERSIONS = [(3, minor) for minor in range(3, 16)]


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    root: Path = Path(".")
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    unsafe_fixes: bool = False
    jobs: int = 0  # 0: one per core
    respect_gitignore: bool = True
    target_versions: tuple[tuple[int, int], ...] = ()  # Python versions the project supports
    line_length: int = 88
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # `fix --verify`: how to run pytest (empty: this interpreter's `python -m pytest`)
    # and the limit of one test run, in seconds
    verify_command: tuple[str, ...] = ()
    verify_timeout: float = DEFAULT_VERIFY_TIMEOUT
    config_file: Path | None = None
    warnings: tuple[str, ...] = ()

    def options_for(self, code: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
        return {**defaults, **self.rule_options.get(code, {})}

    def workers(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)


def find_pyproject(start: Path) -> Path | None:
    start = start.resolve()
    for directory in [start, *start.parents] if start.is_dir() else list(start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _versions_from_requires(spec: str) -> tuple[tuple[int, int], ...]:
    """Python versions allowed by a requires-python specifier (lower/upper bounds only)."""
    low, high = (3, 0), (3, 99)
    for part in spec.split(","):
        m = re.match(r"\s*(>=|>|==|~=|<|<=)\s*(\d+)\.(\d+)", part)
        if not m:
            continue
        op, ver = m.group(1), (int(m.group(2)), int(m.group(3)))
        if op in (">=", "~=", "=="):
            low = max(low, ver)
        elif op == ">":
            low = max(low, (ver[0], ver[1] + 1))
        elif op == "<":
            high = min(high, (ver[0], ver[1] - 1))
        elif op == "<=":
            high = min(high, ver)
    return tuple(v for v in _PY_VERSIONS if low <= v <= high)


def parse_target(value: str) -> tuple[tuple[int, int], ...]:
    """'py310' or '3.10' -> that version and every later one."""
    m = re.fullmatch(r"(?:py)?3\.?(\d+)", value.strip().lower())
    if not m:
        raise ConfigError(f"target-version {value!r} is not a Python version such as 'py310'")
    minor = int(m.group(1))
    return tuple(v for v in _PY_VERSIONS if v >= (3, minor))


def load_settings(paths: list[Path], config: Path | None = None, **overrides: Any) -> Settings:
    """Settings for a run over `paths`: the nearest pyproject.toml, then `overrides`
    (command-line values; None means "not given")."""
    anchor = paths[0] if paths else Path.cwd()
    pyproject = config or find_pyproject(anchor if anchor.exists() else Path.cwd())
    settings = Settings(root=(pyproject.parent if pyproject else Path.cwd()).resolve())
    warnings: list[str] = []
    if pyproject is not None:
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{pyproject}: cannot be read as TOML ({exc})") from exc
        settings = replace(settings, config_file=pyproject)
        settings = _apply_project(settings, data, warnings, pyproject)
    values = {k: v for k, v in overrides.items() if v is not None}
    if "select" in values and "ignore" not in values and settings.ignore:
        # Fix: the command line wins. `--select TM101` with `ignore = ["TM1"]`
        # in the config used to select nothing at all; a config ignore now
        # yields to a command-line selection at least as specific as itself
        # (an ignore more specific than the selection, e.g. TM103 under
        # --select TM1, still applies).
        chosen = [c.strip().upper() for c in values["select"]]
        values["ignore"] = tuple(i for i in settings.ignore
                                 if not any(c != "ALL" and c.startswith(i.strip().upper()) for c in chosen))
    if "extend_exclude" in values:
        values["exclude"] = tuple(values.get("exclude", settings.exclude)) + tuple(values.pop("extend_exclude"))
    if "target_version" in values:
        values["target_versions"] = parse_target(values.pop("target_version"))
    for key in ("select", "ignore", "include", "exclude"):
        if key in values:
            values[key] = tuple(values[key])
    return replace(settings, warnings=tuple(warnings), **values)


def _apply_project(settings: Settings, data: dict[str, Any], warnings: list[str], path: Path) -> Settings:
    tool = data.get("tool", {})
    requires = data.get("project", {}).get("requires-python")
    if isinstance(requires, str):
        settings = replace(settings, target_versions=_versions_from_requires(requires))
    black_len = tool.get("black", {}).get("line-length")
    if isinstance(black_len, int):
        settings = replace(settings, line_length=black_len)
    cfg = tool.get("testmend", {})
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: [tool.testmend] must be a table")
    changes: dict[str, Any] = {}
    rule_options: dict[str, dict[str, Any]] = {}
    extend: tuple[str, ...] = ()
    for key, value in cfg.items():
        if re.fullmatch(r"TM\d+", key):
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [tool.testmend.{key}] must be a table of options")
            rule_options[key] = {k.replace("-", "_"): v for k, v in value.items()}
            warnings.extend(_check_rule_table(key, value, path))
            continue
        if key not in KNOWN_KEYS:
            warnings.append(f"{path}: unknown key {key!r} in [tool.testmend] (ignored)")
            continue
        attr = key.replace("-", "_")
        if key in ("select", "ignore", "exclude", "extend-exclude", "include"):
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ConfigError(f"{path}: [tool.testmend] {key} must be a list of strings")
            value = tuple(value)
        # Fix: scalar values were taken unchecked (`jobs = "4"` crashed the run
        # with a TypeError traceback); a wrong type is a configuration error.
        expected = _SCALAR_TYPES.get(key)
        if expected is not None and not _is_type(value, expected[0]):
            raise ConfigError(f"{path}: [tool.testmend] {key} must be {expected[1]}, not {value!r}")
        if key == "jobs" and value < 0:
            raise ConfigError(f"{path}: [tool.testmend] jobs must be 0 (one per core) or more, not {value!r}")
        if key == "line-length" and value <= 0:
            raise ConfigError(f"{path}: [tool.testmend] line-length must be a positive integer, not {value!r}")
        if key == "extend-exclude":
            # Fix: applied after the loop, so `extend-exclude` written before
            # `exclude` in the table is not thrown away by it.
            extend += value
            continue
        if key == "target-version":
            changes["target_versions"] = parse_target(str(value))
            continue
        if key == "verify-command":
            changes["verify_command"] = parse_verify_command(value, f"{path}: [tool.testmend] verify-command")
            continue
        if key == "verify-timeout":
            if not (_is_type(value, int) or _is_type(value, float)) or not 0 < value < float("inf"):
                raise ConfigError(f"{path}: [tool.testmend] verify-timeout must be a positive number of "
                                  f"seconds, not {value!r}")
            changes["verify_timeout"] = float(value)
            continue
        changes[attr] = value
    if extend:
        changes["exclude"] = tuple(changes.get("exclude", settings.exclude)) + extend
    return replace(settings, rule_options=rule_options, **changes)


_SCALAR_TYPES: dict[str, tuple[type, str]] = {
    "jobs": (int, "an integer (0: one per core)"),
    "line-length": (int, "an integer"),
    "unsafe-fixes": (bool, "true or false"),
    "respect-gitignore": (bool, "true or false"),
    "target-version": (str, "a string such as 'py310'"),
}


def parse_verify_command(value: Any, where: str) -> tuple[str, ...]:
    """`verify-command`: a command line (split like a shell would, nothing is
    run through a shell) or a list of arguments; it must start pytest."""
    import shlex

    if isinstance(value, str):
        try:
            parts = shlex.split(value)
        except ValueError as exc:
            raise ConfigError(f"{where} cannot be split into arguments ({exc}): {value!r}") from exc
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = list(value)
    else:
        raise ConfigError(f"{where} must be a command line or a list of strings, not {value!r}")
    if not parts or not parts[0].strip():
        raise ConfigError(f"{where} is empty; leave it out to use `python -m pytest`")
    return tuple(parts)


def _is_type(value: Any, kind: type) -> bool:
    # bool is a subclass of int: `jobs = true` is not a number of jobs
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


def _check_rule_table(code: str, options: Mapping[str, Any], path: Path) -> list[str]:
    """Fix: per-rule tables for unknown codes, or unknown options of a known
    rule, were silently ignored; report them like unknown top-level keys."""
    from .registry import rule_by_code  # late: the registry imports every detector

    rule = rule_by_code(code)
    if rule is None:
        return [f"{path}: [tool.testmend.{code}] is not a known rule (ignored)"]
    return [f"{path}: unknown option {k!r} in [tool.testmend.{code}] (ignored)"
            for k in options if k.replace("-", "_") not in rule.defaults]
