#!/usr/bin/env python3
"""Wall-time comparison of testmend against ruff and unittest2pytest on the bench corpus.

For every project in the bench's corpus.toml, the pristine test paths are copied
once to a temporary directory; then, in the same run and interleaved round by
round, each tool produces its dry-run diff of those paths (stdout to /dev/null):

  testmend         <testmend> fix <tests>
  ruff             ruff check --isolated --no-cache --select PT009,PT027 --diff <tests>
  unittest2pytest  unittest2pytest <tests>

Each command runs --repeat times (default 3); the median wall time, measured
with time.perf_counter() around subprocess.run(), is reported as a Markdown
table: seconds per tool, .py files and bytes under the test paths, and the
ratios testmend/unittest2pytest and testmend/ruff.

  /work/venv/bin/python benchmarks/compare_speed.py
  /work/venv/bin/python benchmarks/compare_speed.py --packages cachetools,pycparser -n 5

Standard library only.  Nothing under the bench source tree is modified: tools
run with the temporary copy as their current directory.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "bench" / "corpus.toml"
DEFAULT_BENCH_HOME = Path(os.environ.get("BENCH_HOME", Path.home() / ".cache" / "testmend-bench"))
TOOLS = ("testmend", "ruff", "unittest2pytest")
# Exit statuses that mean "ran fine" in dry-run/diff mode.  testmend and ruff
# exit 1 when they would change something; that is not an error.
OK_CODES = {"testmend": {0, 1}, "ruff": {0, 1}, "unittest2pytest": {0}}
SKIP_DIRS = ("__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache")


@dataclass
class Failure:
    tool: str
    cmd: list[str]
    cwd: Path
    returncode: int | None
    stderr_tail: str


@dataclass
class Result:
    name: str
    srcdir: str = ""
    files: int = 0
    size: int = 0
    times: dict[str, list[float]] = field(default_factory=lambda: {t: [] for t in TOOLS})
    notes: dict[str, str] = field(default_factory=dict)  # last stderr line of the last run
    failures: list[Failure] = field(default_factory=list)
    skipped: str = ""

    def failed(self, tool: str) -> bool:
        return any(f.tool == tool for f in self.failures)

    def median(self, tool: str) -> float | None:
        return statistics.median(self.times[tool]) if self.times[tool] else None

    def complete(self) -> bool:
        """Every tool finished every run without failing."""
        return not self.failures and all(self.times[t] for t in TOOLS)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help="corpus.toml (default: ../shared/bench/corpus.toml relative to the repo)")
    ap.add_argument("--bench-home", type=Path, default=DEFAULT_BENCH_HOME,
                    help="bench cache with src/<srcdir> and venv/ (default: $BENCH_HOME or ~/.cache/testmend-bench)")
    ap.add_argument("--packages", default="", help="comma-separated package names (default: every package)")
    ap.add_argument("-n", "--repeat", type=int, default=3, help="runs per tool and project; the median is reported")
    ap.add_argument("--testmend", default=None,
                    help="testmend command line (default: '<this python> -m testmend')")
    ap.add_argument("--testmend-args", default="",
                    help="extra arguments for 'testmend fix', e.g. '-j 1' (default: none, so -j is one per core)")
    ap.add_argument("--ruff", default=None, help="ruff executable (default: <bench-home>/venv/bin/ruff)")
    ap.add_argument("--ruff-unsafe-fixes", action="store_true",
                    help="add --unsafe-fixes to ruff: PT009's fixes are unsafe, so without it ruff's diff is empty")
    ap.add_argument("--unittest2pytest", default=None,
                    help="unittest2pytest executable (default: <bench-home>/venv/bin/unittest2pytest)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds before one tool run counts as failed")
    ap.add_argument("--keep-temp", action="store_true", help="keep the temporary copies (path printed on stderr)")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    venv_bin = args.bench_home / "venv" / "bin"
    args.testmend_cmd = shlex.split(args.testmend) if args.testmend else [sys.executable, "-m", "testmend"]
    args.ruff_cmd = [args.ruff or str(venv_bin / "ruff")]
    args.u2p_cmd = [args.unittest2pytest or str(venv_bin / "unittest2pytest")]
    return args


def commands(args: argparse.Namespace, tests: list[str]) -> dict[str, list[str]]:
    ruff = [*args.ruff_cmd, "check", "--isolated", "--no-cache", "--select", "PT009,PT027", "--diff"]
    if args.ruff_unsafe_fixes:
        ruff.append("--unsafe-fixes")
    return {
        "testmend": [*args.testmend_cmd, "fix", *shlex.split(args.testmend_args), *tests],
        "ruff": [*ruff, *tests],
        "unittest2pytest": [*args.u2p_cmd, *tests],
    }


def tool_versions(args: argparse.Namespace) -> dict[str, str]:
    def out(cmd: list[str]) -> str:
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"? ({exc.__class__.__name__})"
        return (p.stdout.strip() or p.stderr.strip()).splitlines()[-1] if p.returncode == 0 else "?"

    u2p = Path(shutil.which(args.u2p_cmd[0]) or args.u2p_cmd[0])
    u2p_python = u2p.parent / "python"
    u2p_version = "?"
    if u2p_python.exists():  # unittest2pytest has no --version; ask its environment
        u2p_version = "unittest2pytest " + out([str(u2p_python), "-c", "import importlib.metadata as m; "
                                                "print(m.version('unittest2pytest'))"])
    return {"testmend": out([*args.testmend_cmd, "--version"]), "ruff": out([*args.ruff_cmd, "--version"]),
            "unittest2pytest": u2p_version}


def copy_tests(src: Path, dst: Path, tests: list[str]) -> None:
    ignore = shutil.ignore_patterns(*SKIP_DIRS, "*.pyc")
    for rel in tests:
        s, d = src / rel, dst / rel
        d.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir():
            shutil.copytree(s, d, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(s, d)


def py_files(root: Path, tests: list[str]) -> list[Path]:
    files: set[Path] = set()
    for rel in tests:
        p = root / rel
        if p.is_file() and p.suffix == ".py":
            files.add(p)
        elif p.is_dir():
            files.update(f for f in p.rglob("*.py") if not set(f.relative_to(root).parts) & set(SKIP_DIRS))
    return sorted(files)


def snapshot(root: Path) -> dict[str, str]:
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(root.rglob("*")) if f.is_file() and not set(f.parts) & set(SKIP_DIRS)}


def excerpt(text: str, context: int = 5, frames: int = 6) -> str:
    """What to show of a failed run's stderr: with a traceback, the lines before it,
    its innermost frames and the exception line; otherwise the last lines."""
    lines = text.rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")]
    if not starts:
        return "\n".join(lines[-15:])
    i = starts[-1]
    tb = lines[i:]
    exc = next((j for j in range(1, len(tb)) if tb[j] and not tb[j][0].isspace()), len(tb))
    out = lines[max(0, i - context):i] + [tb[0]]
    body = tb[1:exc]
    if len(body) > frames:
        out.append(f"  [... {len(body) - frames} lines ...]")
    out += body[-frames:]
    if exc < len(tb):
        out.append(tb[exc][:300])
        if len(tb) - exc > 1:
            out.append(f"[... {len(tb) - exc - 1} more lines of the exception message ...]")
    return "\n".join(out)


def run_once(tool: str, cmd: list[str], cwd: Path, timeout: float) -> tuple[float, subprocess.CompletedProcess | None, str]:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return time.perf_counter() - t0, None, err + f"\n[timed out after {timeout:g}s]"
    except OSError as exc:
        return time.perf_counter() - t0, None, f"[could not start: {exc}]"
    return time.perf_counter() - t0, p, p.stderr


def bench_package(pkg: dict, args: argparse.Namespace) -> Result:
    res = Result(pkg["name"], pkg["srcdir"])
    src = args.bench_home / "src" / pkg["srcdir"]
    tests = list(pkg["tests"])
    if not src.is_dir():
        res.skipped = f"{src} not found (run the bench's setup_corpus.sh)"
        return res
    tmp = Path(tempfile.mkdtemp(prefix=f"testmend-speed-{pkg['name']}-"))
    try:
        copy_tests(src, tmp, tests)
        files = py_files(tmp, tests)
        res.files, res.size = len(files), sum(f.stat().st_size for f in files)
        before = snapshot(tmp)
        cmds = commands(args, tests)
        for rep in range(args.repeat):
            # rotate the order each round so no tool always runs first (cold caches)
            order = TOOLS[rep % len(TOOLS):] + TOOLS[:rep % len(TOOLS)]
            for tool in order:
                dt, proc, err = run_once(tool, cmds[tool], tmp, args.timeout)
                crashed = proc is None or proc.returncode not in OK_CODES[tool] \
                    or "Traceback (most recent call last)" in err
                if crashed:
                    # a crash is usually deterministic: keep timing it (time to crash), report it once
                    if not res.failed(tool):
                        res.failures.append(Failure(tool, cmds[tool], tmp, proc.returncode if proc else None,
                                                    excerpt(err)))
                    print(f"  {pkg['name']:16} {tool:16} run {rep + 1}/{args.repeat}: {dt:7.2f}s "
                          f"FAILED rc={proc.returncode if proc else None}", file=sys.stderr, flush=True)
                    if proc is None:  # timed out or could not start: do not try again
                        continue
                    res.times[tool].append(dt)
                    continue
                res.times[tool].append(dt)
                last = [line for line in err.splitlines() if line.strip()]
                res.notes[tool] = last[-1].strip() if last else ""
                if tool == "testmend":
                    errors = [line for line in err.splitlines() if line.startswith("error:")]
                    if errors:
                        res.notes[tool] += f" [{len(errors)} file error(s), first: {errors[0]}]"
                print(f"  {pkg['name']:16} {tool:16} run {rep + 1}/{args.repeat}: {dt:7.2f}s rc={proc.returncode}",
                      file=sys.stderr, flush=True)
        if snapshot(tmp) != before:
            res.notes["!"] = "a tool modified the copied test files during a dry run; timings may be off"
    finally:
        if args.keep_temp:
            print(f"  kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return res


def fmt_s(x: float | None, failed: bool = False) -> str:
    if x is None:
        return "FAILED"
    return f"{x:.2f} (failed)" if failed else f"{x:.2f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "n/a"
    return f"{a / b:.1f}x"


def render(results: list[Result], args: argparse.Namespace, versions: dict[str, str]) -> str:
    L = ["# testmend speed vs ruff and unittest2pytest", "",
         f"Median of {args.repeat} wall-time runs per tool (dry run / diff mode, stdout to /dev/null), "
         f"same machine, same run. {os.cpu_count()} CPUs, Python {platform.python_version()}, "
         f"{time.strftime('%Y-%m-%d %H:%M')}.", ""]
    cmds = commands(args, ["<tests>"])
    for tool in TOOLS:
        shown = [Path(c).name if i == 0 else c for i, c in enumerate(cmds[tool])]
        if tool == "testmend" and shown[:2] == [Path(sys.executable).name, "-m"]:
            shown = ["python", *shown[1:]]
        L.append(f"- {tool} ({versions.get(tool, '?')}): `{' '.join(shown)}`")
    if not args.ruff_unsafe_fixes:
        L.append("- ruff's PT009 fixes are all unsafe, so without --unsafe-fixes its diff is empty "
                 "(it still parses and lints every file); rerun with --ruff-unsafe-fixes to make it render them.")
    L += ["", "| project | .py files | .py bytes | testmend s | ruff s | unittest2pytest s "
              "| testmend/unittest2pytest | testmend/ruff |",
          "|---|---:|---:|---:|---:|---:|---:|---:|"]
    done = [r for r in results if not r.skipped]
    for r in done:
        m = {t: None if r.failed(t) else r.median(t) for t in TOOLS}
        cells = " | ".join(fmt_s(r.median(t), r.failed(t)) for t in TOOLS)
        L.append(f"| {r.name} | {r.files} | {r.size:,} | {cells} | {ratio(m['testmend'], m['unittest2pytest'])} | "
                 f"{ratio(m['testmend'], m['ruff'])} |")
    complete = [r for r in done if r.complete()]
    if len(done) > 1 and complete:
        tot = {t: sum(r.median(t) for r in complete) for t in TOOLS}  # type: ignore[misc]
        label = "**total**" if len(complete) == len(done) else \
            f"**total, {len(complete)} of {len(done)} projects** (where every tool finished)"
        L.append(f"| {label} | {sum(r.files for r in complete)} | {sum(r.size for r in complete):,} | "
                 + " | ".join(fmt_s(tot[t]) for t in TOOLS)
                 + f" | {ratio(tot['testmend'], tot['unittest2pytest'])} | {ratio(tot['testmend'], tot['ruff'])} |")
        if len(complete) < len(done):
            ok = {t: [r for r in done if not r.failed(t) and r.times[t]] for t in TOOLS}
            L.append(f"| total per tool, every project it finished | | | "
                     + " | ".join(f"{sum(r.median(t) for r in ok[t]):.2f} ({len(ok[t])}/{len(done)})"  # type: ignore[misc]
                                  for t in TOOLS) + " | | |")
    if any(r.failures for r in done):
        L += ["", "(failed): the tool exited with an error or a traceback; the time is the time until it "
                  "stopped, and no ratio is given. Details below."]
    L += ["", "All runs (seconds):", "",
          "| project | testmend | ruff | unittest2pytest |", "|---|---|---|---|"]
    for r in done:
        L.append(f"| {r.name} | " + " | ".join(", ".join(f"{x:.2f}" for x in r.times[t]) or "-" for t in TOOLS) + " |")
    notes = [f"- {r.name} / {t}: {r.notes[t]}" for r in done for t in ("testmend", "!") if r.notes.get(t)]
    notes += [f"- {r.name}: skipped: {r.skipped}" for r in results if r.skipped]
    if notes:
        L += ["", "testmend's summary line (last run) and warnings:", "", *notes]
    for r in results:
        for f in r.failures:
            L += ["", f"**{f.tool} failed on {r.name}** (exit status {f.returncode}), run in a copy of the test paths:",
                  "", "```", f"$ cd <copy of {r.srcdir}> && {shlex.join(f.cmd)}", f.stderr_tail, "```"]
    return "\n".join(L) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus = tomllib.loads(args.corpus.read_text())
    pkgs = corpus.get("package", [])
    if args.packages:
        wanted = {p.strip().lower() for p in args.packages.split(",") if p.strip()}
        unknown = wanted - {p["name"].lower() for p in pkgs}
        if unknown:
            print(f"unknown package(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        pkgs = [p for p in pkgs if p["name"].lower() in wanted]
    for exe in (args.testmend_cmd[0], args.ruff_cmd[0], args.u2p_cmd[0]):
        if not shutil.which(exe):
            print(f"not found or not executable: {exe}", file=sys.stderr)
            return 2
    versions = tool_versions(args)
    results = []
    for pkg in pkgs:
        print(f"{pkg['name']}: {', '.join(pkg['tests'])}", file=sys.stderr, flush=True)
        results.append(bench_package(pkg, args))
    print(render(results, args, versions), end="")
    # peers crashing on a project is a finding, not a benchmark failure; testmend failing is
    return 1 if any(r.failed("testmend") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
