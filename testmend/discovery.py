"""Finding the files to work on, the way pytest collects tests.

Directories are walked for files matching `include` (pytest's test_*.py,
*_test.py and conftest.py by default); `exclude` patterns and every .gitignore
between the repository root and the file are honoured (gitignore syntax, via
pathspec). A file named explicitly on the command line is always taken.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from .config import Settings


@dataclass
class Discovered:
    files: list[Path] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)


def _git_root(path: Path) -> Path | None:
    for directory in [path, *path.parents]:
        if (directory / ".git").exists():
            return directory
    return None


class _Ignores:
    """The .gitignore files that apply below a repository root, loaded once each."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._specs: dict[Path, pathspec.PathSpec | None] = {}

    def _spec(self, directory: Path) -> pathspec.PathSpec | None:
        if directory not in self._specs:
            gi = directory / ".gitignore"
            spec = None
            if gi.is_file():
                try:
                    lines = gi.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = pathspec.GitIgnoreSpec.from_lines(lines)
                except OSError:
                    spec = None
            self._specs[directory] = spec
        return self._specs[directory]

    def ignored(self, path: Path, is_dir: bool, top: Path | None = None) -> bool:
        """Whether git ignores `path`; with `top`, only .gitignore files in `top`
        and below it count."""
        if not self.enabled:
            return False
        root = top or _git_root(path.parent)
        if root is None or top is not None and _git_root(top) is None:
            return False
        directory = path.parent
        chain = []
        while True:
            chain.append(directory)
            if directory == root or directory.parent == directory:
                break
            directory = directory.parent
        # Fix: as git does, the deepest .gitignore with a pattern that matches
        # decides, so `!test_keep.py` in a subdirectory re-includes a file a
        # parent .gitignore excludes (match_file() ignored the negation and
        # went on to the parent's pattern).
        for d in chain:
            spec = self._spec(d)
            if spec is None:
                continue
            rel = path.relative_to(d).as_posix() + ("/" if is_dir else "")
            decided = spec.check_file(rel).include
            if decided is not None:
                return decided
        return False


def discover(paths: list[Path], settings: Settings) -> Discovered:
    out = Discovered()
    exclude = pathspec.GitIgnoreSpec.from_lines(settings.exclude)
    ignores = _Ignores(settings.respect_gitignore)
    root = settings.root
    seen: set[Path] = set()

    def excluded(path: Path, is_dir: bool, top: Path | None = None) -> bool:
        try:
            rel = (path.relative_to(top) if top else path.resolve().relative_to(root)).as_posix()
        except ValueError:
            rel = path.name
        return exclude.match_file(rel + ("/" if is_dir else "")) or \
            ignores.ignored(path.resolve(), is_dir, top.resolve() if top else None)

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            out.files.append(path)

    for given in paths:
        if not given.exists():
            out.errors.append((given, "no such file or directory"))
            continue
        if given.is_file():
            if given.suffix not in (".py", ".pyi") and not given.name.endswith(".py"):
                out.errors.append((given, "not a Python file"))
                continue
            add(given)
            continue
        before = len(out.files)
        # Fix: a directory named on the command line is walked even when it
        # lies in an excluded or gitignored directory (`testmend audit
        # build/tests`, `fixtures/TM101` with exclude = ["fixtures/"]): every
        # file below it matched the pattern through its ancestors, so the run
        # said "no test files here". Patterns then apply below it only, as ruff
        # and git's own walker do for a path given explicitly.
        top = given if given.resolve() != root and excluded(given, True) else None
        for dirpath, dirnames, filenames in os.walk(given):
            base = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not excluded(base / d, True, top))
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                if not any(fnmatch.fnmatchcase(name, pat) for pat in settings.include):
                    continue
                p = base / name
                if not excluded(p, False, top):
                    add(p)
        if len(out.files) == before:
            out.errors.append((given, "no test files here (looked for " + ", ".join(settings.include) + ")"))
    return out
