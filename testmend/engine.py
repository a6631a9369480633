"""The engine: discover files, build suite analyses, check and fix each file.

Phases:
  1. suite analyses (only those a selected rule needs): every file is indexed
     on a cheap `ast` parse, in parallel; each analysis builds one result
     from all of them (the class graph, later the fixture index);
  2. per file, in parallel: a byte pre-filter decides whether any selected
     rule can apply; if so the file is parsed once with libcst, every rule runs
     in one batched traversal, and (in fix modes) the chosen fixes are applied,
     validated and formatted;
  3. rules with suite-wide findings report them from the suite data.
A failure in one file becomes a `FileError` for that file; a worker process
that dies is replaced, and only the file it was working on is reported.
"""
from __future__ import annotations

import ast
import multiprocessing
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper

from .config import Settings
from .fixing import apply
from .model import FileChange, FileError, FileResult, Finding, Safety
from .positions import spans_of
from .rule import FileContext, Fix, Rule, SuiteIndex
from .source import SourceError, SourceFile, read_source

Progress = Callable[[int, int], None]
UNPARSED = "_unparsed"  # suite.data key: files the suite phase's `ast` parse rejected


@dataclass(frozen=True)
class Job:
    """What every worker needs to know; sent to each worker once."""

    settings: Settings
    rules: tuple[type[Rule], ...]
    suite: SuiteIndex
    fix: bool


# ---------------------------------------------------------------- one file
@dataclass
class Parsed:
    source: SourceFile
    module: cst.Module | None
    reports: list[tuple[Finding, Fix | None]]
    positions: Any = None  # node -> CodeRange, from the detectors' traversal
    error: FileError | None = None
    notes: tuple[str, ...] = ()


def with_required(rules: Sequence[type[Rule]]) -> list[type[Rule]]:
    """`rules` plus the rules they read outcomes from, each before its readers."""
    from .registry import rule_by_code

    out: list[type[Rule]] = []

    def add(rule: type[Rule]) -> None:
        if rule in out:
            return
        for code in rule.requires:
            dep = rule_by_code(code)
            if dep is not None:
                add(dep)
        out.append(rule)

    for rule in rules:
        add(rule)
    return out


def parse_and_check(path: Path, job: Job) -> Parsed | FileError | None:
    """Read, parse once and run every applicable rule; None if no rule applies."""
    try:
        source = read_source(path)
    except SourceError as exc:
        return FileError(path, str(exc))
    rules = [r for r in job.rules if r.per_file and (r.prefilter is None or r.prefilter.search(source.raw))
             and r.applies_to(path, job.suite)]
    if not rules:
        # Fix: a file no rule applies to was reported clean even when it does
        # not parse. The suite phase already ran `ast` over every file when a
        # rule needs it (and noted the failures); otherwise parse it here.
        unparsed = job.suite.data.get(UNPARSED)
        if unparsed is None or path in unparsed:
            try:
                compile(source.text, str(path), "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
            except SyntaxError as py:
                return FileError(path, f"syntax error at line {py.lineno}, column {py.offset}: {py.msg}; "
                                       "testmend only reads files that parse")
            except (ValueError, RecursionError, MemoryError):
                pass
        return None
    try:
        module = cst.parse_module(source.text)
    except cst.ParserSyntaxError as exc:
        # Fix: libcst's positions are unreliable (`def f(:` on line 1 was
        # reported as "line 2, column 0: ... error at 2:4"); Python's own
        # parser says where the error is, and whether there is one at all.
        try:
            compile(source.text, str(path), "exec", dont_inherit=True)
        except SyntaxError as py:
            return FileError(path, f"syntax error at line {py.lineno}, column {py.offset}: {py.msg}; "
                                   "testmend only reads files that parse")
        except (ValueError, RecursionError, MemoryError):
            pass
        message = " ".join(exc.message.split())
        return FileError(path, f"libcst cannot parse this file ({message}); left unchanged")
    except RecursionError:
        return FileError(path, "too deeply nested for libcst to parse; left unchanged")
    try:
        roundtrip = module.code
    except RecursionError:
        roundtrip = None
    if roundtrip != source.text:
        return FileError(path, "libcst cannot reproduce this file byte for byte (a known libcst "
                               "defect, e.g. `except E :`); left unchanged")
    instances = []
    outcomes: dict = {}  # shared by the rules of this file (see FileContext.outcomes)
    selected = {r.code for r in rules}
    for rule in with_required(rules):
        context = FileContext(path=path, module=module, suite=job.suite,
                              options=job.settings.options_for(rule.code, rule.defaults), outcomes=outcomes,
                              settings=job.settings, text=source.text)
        instances.append(rule(context))
    if any(inst.METADATA_DEPENDENCIES for inst in instances):
        MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(instances)
    else:
        cst.visit_batched(module, instances)
    kept = [inst for inst in instances if inst.code in selected]
    nodes = {node for inst in kept for node, _, _ in inst.pending}
    nodes |= {edited for inst in kept for _, _, fix in inst.pending if fix for edited in fix.edits}
    positions = spans_of(module, nodes)
    reports = [r for inst in kept for r in inst.findings(positions)]
    reports.sort(key=lambda r: (r[0].span.line, r[0].span.column, r[0].code))
    return Parsed(source, module, reports, positions=positions)


def chosen_fixes(reports: Iterable[tuple[Finding, Fix | None]], unsafe: bool) -> list[tuple[Finding, Fix]]:
    return [(f, fix) for f, fix in reports if fix is not None and (fix.safety is Safety.SAFE or unsafe)]


def process_file(path: Path, job: Job) -> FileResult:
    try:
        parsed = parse_and_check(path, job)
        if parsed is None:
            return FileResult(path)
        if isinstance(parsed, FileError):
            return FileResult(path, error=parsed)
        findings = tuple(f for f, _ in parsed.reports)
        change = None
        if job.fix:
            chosen = chosen_fixes(parsed.reports, job.settings.unsafe_fixes)
            if chosen:
                assert parsed.module is not None
                result = apply(parsed.module, chosen, job.settings, str(path), parsed.positions)
                new = parsed.source.encode(result.text)
                change = FileChange(path, parsed.source.raw, new,
                                    applied=tuple(f for f, _ in result.applied),
                                    dropped=tuple(result.dropped))
        return FileResult(path, findings=findings, change=change)
    except SourceError as exc:
        return FileResult(path, error=FileError(path, str(exc)))
    except Exception as exc:  # a bug in a rule: report it for this file, keep going
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return FileResult(path, error=FileError(
            path, f"internal error ({exc.__class__.__name__}: {exc} at {Path(where.filename).name}:"
                  f"{where.lineno}); please report it with this file"))


# ---------------------------------------------------------------- pool
_JOB: Job | None = None


def _init_worker(job: Job) -> None:
    global _JOB
    _JOB = job


def _work_chunk(paths: list[Path]) -> list[FileResult]:
    assert _JOB is not None
    return [process_file(p, _JOB) for p in paths]


def _index_chunk(args: tuple[list[Path], tuple[Any, ...]]) -> list[tuple[Path, dict[str, Any]]]:
    paths, analyses = args
    out = []
    for path in paths:
        try:
            text = read_source(path).text
            tree = ast.parse(text, filename=str(path))
        except (SourceError, SyntaxError, ValueError, RecursionError):
            continue
        out.append((path, {a.name: a.index_file(path, tree, text) for a in analyses}))
    return out


def _chunks(items: Sequence[Path], workers: int) -> list[list[Path]]:
    size = max(1, min(16, len(items) // (workers * 4) or 1))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def _pool(workers: int, job: Job | None) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context("fork") if hasattr(multiprocessing, "get_context") else None
    if job is None:
        return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(job,))


def run_files(paths: Sequence[Path], job: Job, progress: Progress | None = None) -> list[FileResult]:
    """Process every file, in parallel when it pays; results in the order of `paths`."""
    workers = min(job.settings.workers(), max(1, len(paths) // 2))
    results: dict[Path, FileResult] = {}
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(paths))

    if workers <= 1:
        for p in paths:
            results[p] = process_file(p, job)
            tick(1)
        return [results[p] for p in paths]

    # Fix: when a worker dies the whole pool breaks and *every* unfinished
    # future fails, not just the culprit's. The old loop blamed every file of a
    # failed one-file chunk, so one crash reported a dozen innocent files.
    # Now: failed chunks are split and retried in parallel; files that still
    # fail are run one at a time in a one-worker pool, where work is done in
    # order, so the first failed future is the culprit and the rest are retried.
    pending = _chunks(paths, workers)
    suspects: list[Path] = []
    while pending:
        retry: list[list[Path]] = []
        with _pool(workers, job) as pool:
            futures: dict[Future[list[FileResult]], list[Path]] = {
                pool.submit(_work_chunk, chunk): chunk for chunk in pending
            }
            for fut, chunk in futures.items():
                try:
                    for r in fut.result():
                        results[r.path] = r
                    tick(len(chunk))
                except BrokenProcessPool:
                    if len(chunk) == 1:
                        suspects.append(chunk[0])
                    else:
                        retry.extend([p] for p in chunk)
        pending = retry
    while suspects:
        again: list[Path] = []
        with _pool(1, job) as pool:
            ordered = [(p, pool.submit(_work_chunk, [p])) for p in suspects]
            blamed = False
            for p, fut in ordered:
                try:
                    for r in fut.result():
                        results[r.path] = r
                    tick(1)
                except BrokenProcessPool:
                    if blamed:
                        again.append(p)
                        continue
                    blamed = True
                    results[p] = FileResult(p, error=FileError(
                        p, "the worker process died while handling this file "
                           "(out of memory or a crash in a native extension); left unchanged"))
                    tick(1)
        suspects = again
    return [results[p] for p in paths]


def build_suite(paths: Sequence[Path], rules: Sequence[type[Rule]], settings: Settings) -> SuiteIndex:
    analyses: dict[str, Any] = {}
    for rule in rules:
        for analysis in rule.needs:
            analyses[analysis.name] = analysis
    suite = SuiteIndex(root=settings.root, settings=settings)
    if not analyses:
        return suite
    todo = tuple(analyses.values())
    workers = min(settings.workers(), max(1, len(paths) // 8))
    facts: list[tuple[Path, dict[str, Any]]] = []
    if workers <= 1:
        facts = _index_chunk((list(paths), todo))
    else:
        with _pool(workers, None) as pool:
            for part in pool.map(_index_chunk, [(c, todo) for c in _chunks(paths, workers)]):
                facts.extend(part)
    indexed = {p for p, _ in facts}
    suite.data[UNPARSED] = frozenset(p for p in paths if p not in indexed)  # see parse_and_check
    for analysis in todo:
        per_file = {p: f[analysis.name] for p, f in facts}
        try:
            suite.data[analysis.name] = analysis.build(per_file, settings.root)
        except Exception as exc:  # an analysis bug must not cost the other rules their run
            suite.data.setdefault(SUITE_ERRORS, []).append(
                f"internal error in the suite analysis {analysis.name} ({type(exc).__name__}: {exc}); "
                "the rules that need it were skipped; please report it")
    return suite


SUITE_ERRORS = "suite-errors"  # suite.data key: what went wrong in the suite phase


def suite_results(rules: Sequence[type[Rule]], suite: SuiteIndex, settings: Settings,
                  fix: bool, busy: Iterable[Path] = ()) -> list[FileResult]:
    """Suite-wide findings, one FileResult per file they concern, carrying the
    change that fixes them when fixing.

    A change may be to another file than its finding's (a stub in a conftest.py
    for a test that requests a missing fixture; the conftest.py may not exist
    yet, then `old` is b""), and a finding may come with several changes, one
    per file: the rule returns one pair per change, all with the same Finding.
    Each file gets at most one change per run: identical changes are merged
    (all their findings are applied), a different one waits for the next pass
    of `fix --write`, as does a change to a file in `busy` (one that a per-file
    fix already changes in this run). A finding's changes are all applied or
    none: when one waits, they all wait."""
    taken = {p.resolve() for p in busy}
    by_path: dict[Path, list[Finding]] = {}
    changes: dict[Path, FileChange] = {}
    withheld: set[int] = set()  # findings with a change left for the next pass
    problems = list(suite.data.get(SUITE_ERRORS, []))
    for rule in rules:
        needs = getattr(rule, "needs", ())
        if needs and not getattr(rule, "per_file", True) and any(a.name not in suite.data for a in needs):
            continue  # its analysis failed (reported below)
        try:
            pairs = rule.check_suite(suite, settings.options_for(rule.code, rule.defaults))
        except Exception as exc:  # one rule's bug must not cost the others their findings
            problems.append(f"internal error in {rule.code} ({type(exc).__name__}: {exc}); its suite-wide "
                            "findings were skipped; please report it")
            continue
        for finding, change in pairs:
            listed = by_path.setdefault(finding.path, [])
            if not any(f is finding for f in listed):
                listed.append(finding)
            if not fix or change is None or finding.fix is None \
                    or not (finding.fix.safety is Safety.SAFE or settings.unsafe_fixes):
                continue
            key = change.path.resolve()
            held = changes.get(key)
            if key in taken or held is not None and (held.old, held.new) != (change.old, change.new):
                withheld.add(id(finding))
            elif held is None:
                changes[key] = FileChange(change.path, change.old, change.new, applied=(finding,))
            elif not any(f is finding for f in held.applied):
                changes[key] = FileChange(held.path, held.old, held.new, applied=held.applied + (finding,))
    # All or nothing: a finding with one change waiting waits whole, so every
    # change that carries it waits too (its text holds that finding's edits),
    # and with it every other finding that change carries, and so on.
    while True:
        spread = {id(f) for c in changes.values() if any(id(g) in withheld for g in c.applied) for f in c.applied}
        if spread <= withheld:
            break
        withheld |= spread
    changes = {k: c for k, c in changes.items() if not any(id(f) in withheld for f in c.applied)}
    out = []
    for path, findings in by_path.items():
        out.append(FileResult(path, findings=tuple(findings), change=changes.pop(path.resolve(), None)))
    out.extend(FileResult(c.path, change=c) for c in changes.values())
    out.extend(FileResult(settings.root, error=FileError(settings.root, p)) for p in problems)
    return out
