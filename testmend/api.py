"""The library API: audit or fix a tree and get data back. The CLI is a thin layer over this.

    from testmend.api import audit, fix
    result = audit([Path("tests")])
    result = fix([Path("tests")], write=True)
"""
from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from .config import Settings, load_settings
from .discovery import discover
from .engine import Job, Parsed, Progress, build_suite, chosen_fixes, parse_and_check, run_files, suite_results
from .fixing import render
from .formatting import lines_of
from .model import FileChange, FileError, FileResult, Finding, RunResult, Safety
from .registry import select_rules
from .rule import Fix
from .source import SourceError, decode, write_atomic


def _prepare(paths: Sequence[Path], settings: Settings) -> tuple[list[Path], list[FileResult], Job, Sequence]:
    rules = select_rules(list(settings.select), list(settings.ignore))
    found = discover(list(paths), settings)
    errors = [FileResult(p, error=FileError(p, msg)) for p, msg in found.errors]
    suite = build_suite(found.files, rules, settings)
    files = found.files + _helper_modules(paths, found.files, rules, suite, settings)
    return files, errors, Job(settings, rules, suite, fix=False), rules


def _helper_modules(paths: Sequence[Path], files: list[Path], rules: Sequence, suite, settings: Settings) -> list[Path]:
    """Non-test modules under the given directories that a suite analysis found the
    tests depend on (base classes, mixins), minus anything excluded."""
    dirs = [p.resolve() for p in paths if p.is_dir()]
    have = {f.resolve() for f in files}
    extra: list[Path] = []
    for rule in rules:
        for analysis in rule.needs:
            getter = getattr(analysis, "extra_files", None)
            data = suite.data.get(analysis.name)
            if getter is None or data is None:
                continue
            for path in getter(data):
                resolved = path.resolve()
                if resolved in have or not any(d in resolved.parents for d in dirs):
                    continue
                have.add(resolved)
                extra.append(path)
    if not extra:
        return []
    kept = discover(extra, settings).files  # explicit files: only .py checks apply
    excluded = _excluded(kept, settings)
    return [p for p in kept if p not in excluded]


def _excluded(paths: list[Path], settings: Settings) -> set[Path]:
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(settings.exclude)
    out = set()
    for p in paths:
        try:
            rel = p.resolve().relative_to(settings.root).as_posix()
        except ValueError:
            continue
        if spec.match_file(rel):
            out.add(p)
    return out


def audit(paths: Sequence[Path], settings: Settings | None = None, progress: Progress | None = None) -> RunResult:
    """Findings for every file under `paths`; nothing is changed."""
    settings = settings or load_settings(list(paths))
    files, errors, job, rules = _prepare(paths, settings)
    results = run_files(files, job, progress)
    return RunResult(files=errors + results + suite_results(rules, job.suite, settings, fix=False),
                     files_seen=len(files))


def pytest_oracle(paths: Sequence[Path], settings: Settings | None = None):  # type: ignore[no-untyped-def]
    """pytest's own missing fixtures under `paths` (it imports the test modules),
    compared with the static index behind TM301: a pytest_oracle.OracleReport."""
    from .pytest_oracle import ask_pytest

    return ask_pytest(paths, settings or load_settings(list(paths)))


MAX_PASSES = 4


def fix(paths: Sequence[Path], settings: Settings | None = None, write: bool = False,
        progress: Progress | None = None) -> RunResult:
    """Compute every selected fix; write them (atomically) only if `write`.

    With `write`, passes repeat until nothing changes (at most MAX_PASSES):
    some fixes enable others (a pytest configuration pattern lets a class be
    converted; converting a mixin's assertions lets its users be converted).
    The dry run shows the first pass.
    """
    settings = settings or load_settings(list(paths))
    earlier: list[FileChange] = []
    written: list[Path] = []
    only: set[Path] | None = None
    carried: list[FileResult] = []
    for _ in range(MAX_PASSES if write else 1):
        run, suite, fresh = _fix_pass(paths, settings, progress, only)
        if not write:
            return run
        write_changes(run)
        changed = list(run.changes)
        run.files = carried + run.files
        run.earlier = earlier
        run.written = sorted(set(written) | set(run.written))
        written = run.written
        if not changed or run.write_errors:
            break
        earlier = earlier + changed
        # Only a file that still has findings without an applied fix can gain
        # one in the next pass; the others are done (and are not parsed again).
        applied = {id(f) for c in changed for f in c.applied}
        pending = {r.path.resolve() for r in run.files
                   if not r.error and any(id(f) not in applied for f in r.findings)}
        pending = _affected(pending, {c.path.resolve() for c in changed}, suite)
        # Suite-wide findings are found again by every pass: only those fixed are carried.
        carried = [r for r in run.files if (r.error or r.path.resolve() not in pending)
                   and not any(r is s for s in fresh)]
        carried = [FileResult(r.path, findings=r.findings, error=r.error) for r in carried]
        carried += [FileResult(r.path, findings=tuple(f for f in r.findings if id(f) in applied))
                    for r in fresh if any(id(f) in applied for f in r.findings)]
        # A suite-wide fix that waited for a file a per-file fix changed is retried.
        waiting = any(f.fix is not None and id(f) not in applied and (f.fix.safety is Safety.SAFE
                                                                     or settings.unsafe_fixes)
                      for r in fresh for f in r.findings)
        if not pending and not waiting:
            break
        only = pending
    run.earlier = [c for c in earlier if c not in run.changes]
    return run


def _fix_pass(paths: Sequence[Path], settings: Settings, progress: Progress | None,
              only: set[Path] | None = None) -> tuple[RunResult, Any, list[FileResult]]:
    files, errors, job, rules = _prepare(paths, settings)
    if only is not None:
        files = [f for f in files if f.resolve() in only]
        errors = []
    job = Job(job.settings, job.rules, job.suite, fix=True)
    results = run_files(files, job, progress)
    busy = [r.path for r in results if r.change is not None and r.change.new != r.change.old]
    suite = suite_results(rules, job.suite, settings, fix=True, busy=busy)
    return RunResult(files=errors + results + suite, files_seen=len(files)), job.suite, suite


def _affected(pending: set[Path], changed: set[Path], suite) -> set[Path]:  # type: ignore[no-untyped-def]
    """The files among `pending` whose outcome can differ in another pass: a
    configuration changed, or a module their classes inherit from changed."""
    if any(p.suffix != ".py" for p in changed):
        return pending
    from .unittest_api import TestCaseClasses

    graph = suite.data.get(TestCaseClasses.name)
    if graph is None:
        return set()
    owners = {q: p.resolve() for q, p in graph.owner_path.items()}
    out = set()
    for qual, owner in owners.items():
        bases = {owners.get(base) for base in (graph.mro(qual) or ())[1:]} - {owner}  # same-file: same pass
        if owner in pending and bases & changed:
            out.add(owner)
    return out


def write_changes(run: RunResult) -> None:
    """Write every change. Changes that carry the same finding (a fixture moved
    into a conftest.py and the modules whose tests now request it) are written
    all or none: each file is checked first, and if one write still fails the
    others are restored."""
    for unit in _linked(run.changes):
        if len(unit) == 1:
            _write_one(run, unit[0])
            continue
        names = ", ".join(_display(c.path) for c in unit)
        stale = next((c for c in unit if _current(c.path) != _digest(c.old)), None)
        if stale is not None:
            run.write_errors.extend(FileError(c.path, f"not written: {_display(stale.path)} changed since it was "
                                                      f"read, and one fix spans {names}") for c in unit)
            continue
        done: list[tuple[FileChange, bool]] = []
        for change in unit:
            existed = change.path.exists()
            errors = len(run.write_errors)
            _write_one(run, change)
            if len(run.write_errors) == errors:
                done.append((change, existed))
                continue
            for ok, was in done:  # restore what this unit already wrote
                try:
                    if was:
                        write_atomic(ok.path, ok.old, expected_digest=_digest(ok.new))
                    else:
                        ok.path.unlink()
                    run.written.remove(ok.path)
                    run.write_errors.append(FileError(ok.path, f"restored: the same fix could not be written "
                                                               f"to {_display(change.path)}"))
                except (SourceError, OSError) as exc:
                    run.write_errors.append(FileError(ok.path, f"could not be restored after "
                                                               f"{_display(change.path)} failed ({exc})"))
            rest = unit[unit.index(change) + 1:]
            run.write_errors.extend(FileError(c.path, f"not written: the same fix could not be written to "
                                                      f"{_display(change.path)}") for c in rest)
            break


def _linked(changes: list[FileChange]) -> list[list[FileChange]]:
    """Changes grouped by the findings they share (a finding fixed across files links its changes)."""
    units: list[list[FileChange]] = []
    owner: dict[int, int] = {}  # finding id -> unit index
    for change in changes:
        hits = sorted({owner[id(f)] for f in change.applied if id(f) in owner})
        if not hits:
            units.append([change])
            index = len(units) - 1
        else:
            index = hits[0]
            for other in hits[1:]:
                units[index].extend(units[other])
                units[other] = []
            units[index].append(change)
        for c in units[index]:
            for f in c.applied:
                owner[id(f)] = index
    return [u for u in units if u]


def _current(path: Path) -> str:
    try:
        return _digest(Path(path).read_bytes())
    except FileNotFoundError:
        return _digest(b"")
    except OSError:
        return ""


def _write_one(run: RunResult, change: FileChange) -> None:
    try:
        write_atomic(change.path, change.new, expected_digest=_digest(change.old))
        run.written.append(change.path)
    except SourceError as exc:
        run.write_errors.append(FileError(change.path, str(exc)))
    except OSError as exc:
        run.write_errors.append(FileError(change.path, f"cannot be written ({exc.strerror}); left unchanged"))


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _text(path: Path, data: bytes) -> str:
    # Fix: decode with the file's own encoding (coding cookie, BOM). Decoding a
    # latin-1 file as UTF-8 with surrogateescape put lone surrogates in the
    # diff, and printing it crashed with UnicodeEncodeError on a UTF-8 stdout.
    try:
        return decode(path, data).text
    except SourceError:
        return data.decode("utf-8", errors="replace")


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def unified_diff(change: FileChange) -> str:
    old = _text(change.path, change.old)
    new = _text(change.path, change.new)
    name = _display(change.path)
    lines = difflib.unified_diff(lines_of(old), lines_of(new),
                                 f"a/{name}", f"b/{name}")
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# ---------------------------------------------------------------- interactive
class Answer(enum.Enum):
    YES = "y"  # apply this fix
    NO = "n"  # skip it
    ALL = "a"  # apply this fix and every later one of the same rule
    QUIT = "q"  # stop: apply nothing more (what was approved is still written)


@dataclass(frozen=True)
class Proposal:
    """One fix offered for approval, with its diff against what is approved so far."""

    finding: Finding
    diff: str
    index: int
    total: int


def fix_interactively(paths: Sequence[Path], ask: Callable[[Proposal], Answer],
                      settings: Settings | None = None,
                      on_file_done: Callable[[RunResult, FileChange], None] | None = None) -> RunResult:
    """Offer each fix in turn; later fixes are shown on top of the approved ones.

    Approved fixes are written file by file as soon as a file is done, so
    quitting keeps what was approved. Runs in one process: a person is the
    bottleneck here, not the parse. `on_file_done` is called after each file
    is written, before the next file's fixes are offered (`fix --verify`).

    After the per-file fixes come the suite-wide ones (a fixture stub in a
    conftest.py, a pytest configuration line), each offered with the diff of
    every file it changes and written all or nothing. As with `fix --write`,
    approving one can make others possible (a `python_classes` pattern lets a
    class be converted): the rounds repeat, at most MAX_PASSES times, never
    asking again about a fix that was declined.
    """
    settings = settings or load_settings(list(paths))
    asking = _Asking(ask)
    run = RunResult(files=[], files_seen=0)
    by_path: dict[Path, int] = {}  # file -> its entry in run.files
    for round_no in range(MAX_PASSES):
        files, errors, job, rules = _prepare(paths, settings)
        if round_no == 0:
            run.files.extend(errors)
            run.files_seen = len(files)
        changed = _file_round(files, job, settings, asking, run, by_path, on_file_done, first=round_no == 0)
        if asking.quitting:
            break
        if changed:
            # the per-file round changed files: the suite index must see them
            files, errors, job, rules = _prepare(paths, settings)
        # another round only when a suite-wide fix was written: that is what
        # makes new per-file fixes possible (a python_classes pattern)
        if not _suite_round(rules, job, settings, asking, run, on_file_done) or asking.quitting:
            break
    run.written = list(dict.fromkeys(run.written))  # a file written in two rounds counts once
    return run


class _Asking:
    """The questions of one interactive session: counts, `a` and `q` answers, and declined fixes."""

    def __init__(self, ask: Callable[[Proposal], Answer]) -> None:
        self.ask = ask
        self.index = 0
        self.accept_rules: set[str] = set()
        self.declined: set[tuple[Path, str, str, int, int]] = set()
        self.quitting = False

    def approve(self, finding: Finding, diff: str, total: int) -> bool:
        """Whether `finding`'s fix is approved; asks unless an earlier answer decides."""
        # a later round sees the fixes of earlier ones: a declined fix whose
        # place moved may be asked about again, never one that did not move
        key = (Path(finding.path).resolve(), finding.code, finding.message, finding.span.line, finding.span.column)
        self.index += 1
        if self.quitting or key in self.declined:
            return False
        if finding.code in self.accept_rules:
            return True
        answer = self.ask(Proposal(finding, diff, self.index, total))
        if answer is Answer.QUIT:
            self.quitting = True
            return False
        if answer is Answer.ALL:
            self.accept_rules.add(finding.code)
            return True
        if answer is Answer.YES:
            return True
        self.declined.add(key)
        return False


def _file_round(files: list[Path], job, settings: Settings, asking: _Asking, run: RunResult,  # type: ignore[no-untyped-def]
                by_path: dict[Path, int], on_file_done, first: bool) -> int:
    """Offer every per-file fix; returns how many files were written."""
    found = RunResult(files=[])
    proposals = list(_all_proposals(files, job, found))
    if first:
        run.files.extend(found.files)  # files without fixes, and files that could not be read
    total = asking.index + sum(len(fixes) for _, fixes in proposals)
    written = 0
    for parsed, fixes in proposals:
        approved: list[tuple[Finding, Fix]] = []
        for finding, fx in fixes:
            if asking.quitting:
                asking.index += 1
                continue
            before = render(parsed.module, [f for _, f in approved], parsed.positions)  # type: ignore[arg-type]
            after = render(parsed.module, [f for _, f in approved] + [fx], parsed.positions)  # type: ignore[arg-type]
            diff = "".join(difflib.unified_diff(lines_of(before), lines_of(after),
                                                f"a/{parsed.source.path.as_posix()}",
                                                f"b/{parsed.source.path.as_posix()}"))
            if asking.approve(finding, diff, total):
                approved.append((finding, fx))
        change = None
        if approved:
            from .fixing import apply

            result = apply(parsed.module, approved, settings, str(parsed.source.path), parsed.positions)  # type: ignore[arg-type]
            change = FileChange(parsed.source.path, parsed.source.raw, parsed.source.encode(result.text),
                                applied=tuple(f for f, _ in result.applied), dropped=tuple(result.dropped))
        entry = FileResult(parsed.source.path, findings=tuple(f for f, _ in parsed.reports), change=change)
        key = parsed.source.path.resolve()
        if key in by_path:  # a later round: what the earlier one wrote becomes an earlier change
            old = run.files[by_path[key]]
            if old.change is not None and old.change.new != old.change.old:
                run.earlier.append(old.change)
            if change is None:
                entry = FileResult(old.path, findings=old.findings, change=None)
            run.files[by_path[key]] = entry
        else:
            by_path[key] = len(run.files)
            run.files.append(entry)
        # Fix: write each file as soon as it is done, as the docstring promises
        # (it used to write everything at the end, so an interrupt lost every
        # approved fix).
        if change is not None and change.new != change.old:
            _write_one(run, change)
            if change.path in run.written:
                written += 1
                if on_file_done is not None:
                    on_file_done(run, change)
    return written


def _suite_round(rules: Sequence, job, settings: Settings, asking: _Asking, run: RunResult,  # type: ignore[no-untyped-def]
                 on_file_done) -> int:
    """Offer every suite-wide fix, each with all the files it changes; returns how many files were written."""
    results = suite_results(rules, job.suite, settings, fix=True)
    units = _linked([r.change for r in results if r.change is not None and r.change.new != r.change.old])
    total = asking.index + len(units)
    written = 0
    approved_ids: set[int] = set()
    for unit in units:
        findings = [f for c in unit for f in c.applied]
        if asking.quitting:
            asking.index += 1
            continue
        diff = "".join(unified_diff(c) for c in unit)
        if not asking.approve(findings[0], diff, total):
            continue
        batch = RunResult(files=[FileResult(c.path, change=c) for c in unit])
        write_changes(batch)
        run.written.extend(batch.written)
        run.write_errors.extend(batch.write_errors)
        if not batch.write_errors:
            approved_ids.update(id(f) for f in findings)
            written += len(batch.written)
            for c in unit:
                if on_file_done is not None:
                    on_file_done(run, c)
    for r in results:
        keep = r.change if r.change is not None and any(id(f) in approved_ids for f in r.change.applied) else None
        if r.findings or keep is not None:
            run.files.append(FileResult(r.path, findings=r.findings, change=keep))
    return written


def _all_proposals(files: list[Path], job, run: RunResult) -> Iterator[tuple[Parsed, list[tuple[Finding, Fix]]]]:
    for path in files:
        parsed = parse_and_check(path, job)
        if parsed is None:
            continue
        if isinstance(parsed, FileError):
            run.files.append(FileResult(path, error=parsed))
            continue
        fixes = chosen_fixes(parsed.reports, job.settings.unsafe_fixes)
        if fixes:
            yield parsed, fixes
        else:
            run.files.append(FileResult(path, findings=tuple(f for f, _ in parsed.reports)))
