"""Human-readable output: findings one per line (ruff style), diffs, summaries."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import click

from ..model import FileError, Finding, RunResult, Safety


def _rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def finding_line(f: Finding, color: bool) -> str:
    mark = ""
    if f.fix is not None:
        mark = " [*]" if f.fix.safety is Safety.SAFE else " [unsafe fix]"
    loc = f"{_rel(f.path)}:{f.span.line}:{f.span.column + 1}:"
    code = click.style(f.code, fg="red", bold=True) if color else f.code
    loc = click.style(loc, bold=True) if color else loc
    return f"{loc} {code}{mark} {f.message}"


def error_line(e: FileError, color: bool) -> str:
    head = click.style("error:", fg="red", bold=True) if color else "error:"
    return f"{head} {_rel(e.path)}: {e.message.removeprefix(str(e.path) + ': ')}"


def colorize_diff(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append(click.style(line, bold=True))
        elif line.startswith("@@"):
            out.append(click.style(line, fg="cyan"))
        elif line.startswith("+"):
            out.append(click.style(line, fg="green"))
        elif line.startswith("-"):
            out.append(click.style(line, fg="red"))
        else:
            out.append(line)
    return "".join(out)


def audit_report(run: RunResult, color: bool) -> str:
    lines = [finding_line(f, color) for f in run.findings]
    lines += [error_line(e, color) for e in run.errors]
    n = len(run.findings)
    safe = sum(1 for f in run.findings if f.fix and f.fix.safety is Safety.SAFE)
    unsafe = sum(1 for f in run.findings if f.fix and f.fix.safety is Safety.UNSAFE)
    if n == 0 and not run.errors:
        lines.append(f"All checks passed ({run.files_seen} files).")
    else:
        summary = f"Found {n} finding{'s' if n != 1 else ''} in {run.files_seen} files"
        extra = []
        if safe:
            extra.append(f"{safe} fixable with `testmend fix --write`")
        if unsafe:
            extra.append(f"{unsafe} more with `--unsafe-fixes`")
        if run.errors:
            extra.append(f"{len(run.errors)} file{'s' if len(run.errors) != 1 else ''} could not be checked")
        lines.append(summary + (" (" + "; ".join(extra) + ")" if extra else "") + ".")
    return "\n".join(lines) + "\n"


def residue(run: RunResult) -> list[tuple[Finding, str]]:
    """What a fix run left unchanged, and why."""
    out: list[tuple[Finding, str]] = []
    applied = {id(f) for c in [*run.changes, *run.earlier] for f in c.applied}
    for r in run.files:
        dropped = dict((id(f), why) for f, why in (r.change.dropped if r.change else ()))
        for f in r.findings:
            if id(f) in applied:
                continue
            if id(f) in dropped:
                out.append((f, dropped[id(f)]))
            elif f.fix is None:
                out.append((f, ""))
            elif f.fix.safety is Safety.UNSAFE:
                out.append((f, "unsafe fix: " + f.fix.description + " (apply with --unsafe-fixes)"))
            else:
                # Fix: a safe fix declined (or not reached) in --interactive was
                # missing here, so the summary said "0 left unchanged".
                out.append((f, "fix not applied (skipped)"))
    return out


def fix_report(run: RunResult, color: bool, written: bool, show_residue: bool = True) -> str:
    lines: list[str] = []
    left = residue(run)
    if left and show_residue:
        lines.append(click.style("Left unchanged:", bold=True) if color else "Left unchanged:")
        for f, why in left:
            lines.append("  " + finding_line(f, color) + (f" ({why})" if why else ""))
    lines += [error_line(e, color) for e in run.errors]
    # a finding fixed across several files (a fixture moved to a conftest.py) counts once
    fixed = len({id(f) for c in run.changes for f in c.applied})
    files = len(run.changes)
    if written:
        # Fix: count only what reached the disk (a read-only file's fixes were
        # counted as "Fixed" although it was not written).
        written_paths = set(run.written)
        fixed = len({id(f) for c in run.changes if c.path in written_paths for f in c.applied}
                    | {id(f) for c in run.earlier for f in c.applied})  # earlier passes of --write
        lines.append(f"Fixed {fixed} finding{'s' if fixed != 1 else ''} in {len(run.written)} "
                     f"file{'s' if len(run.written) != 1 else ''}; {len(left)} left unchanged.")
    elif fixed:
        lines.append(f"Would fix {fixed} finding{'s' if fixed != 1 else ''} in {files} "
                     f"file{'s' if files != 1 else ''} ({len(left)} left unchanged); "
                     f"run with --write to apply, or --interactive to choose.")
    else:
        lines.append(f"Nothing to fix ({run.files_seen} files checked; {len(left)} findings without a fix).")
    return "\n".join(lines) + "\n"


def count_by_code(findings: Iterable[Finding]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in findings:
        out[f.code] = out.get(f.code, 0) + 1
    return dict(sorted(out.items()))
