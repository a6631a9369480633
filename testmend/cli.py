"""The command line: parse options, call the library, render, choose the exit code.

Exit codes (as ruff): 0 nothing found / nothing to change, 1 findings or
changes to make (or files that could not be processed), 2 usage error or an
internal error.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import click

from . import __version__, api
from .config import ConfigError, Settings, load_settings
from .model import RunResult
from .output import json_report, text
from .registry import all_rules, rule_by_code, select_rules


def _split(values: tuple[str, ...]) -> tuple[str, ...] | None:
    out = tuple(v.strip() for value in values for v in value.split(",") if v.strip())
    return out or None


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option("--select", multiple=True, metavar="CODES",
                     help="Only these rule codes or prefixes (TM1, TM101), comma-separated. Default: all."),
        click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rule codes or prefixes."),
        click.option("--exclude", multiple=True, metavar="PATTERN",
                     help="Replace the default excludes with these gitignore-style patterns."),
        click.option("--extend-exclude", multiple=True, metavar="PATTERN", help="Exclude these patterns too."),
        click.option("--include", multiple=True, metavar="GLOB",
                     help="File name patterns to collect (default: test_*.py, *_test.py, conftest.py)."),
        click.option("--no-respect-gitignore", is_flag=True, default=False,
                     help="Also process files that .gitignore excludes."),
        click.option("-j", "--jobs", type=int, default=None, metavar="N",
                     help="Worker processes (default: one per core)."),
        click.option("--target-version", metavar="PY", help="Oldest Python the project supports, e.g. py310 "
                     "(default: from requires-python)."),
        click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="pyproject.toml to read [tool.testmend] from (default: the nearest one)."),
        click.option("--color/--no-color", default=None, help="Colour the output (default: only on a terminal)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _settings(paths: tuple[Path, ...], kw: dict[str, Any], **extra: Any) -> Settings:
    try:
        settings = load_settings(
            list(paths), config=kw.get("config"),
            select=_split(kw["select"]), ignore=_split(kw["ignore"]),
            exclude=_split(kw["exclude"]), extend_exclude=_split(kw["extend_exclude"]),
            include=_split(kw["include"]), jobs=kw["jobs"], target_version=kw["target_version"],
            respect_gitignore=False if kw["no_respect_gitignore"] else None, **extra,
        )
        select_rules(list(settings.select), list(settings.ignore))
    except (ConfigError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    for warning in settings.warnings:
        click.echo(f"warning: {warning}", err=True)
    return settings


def _color(flag: bool | None, stream: Any = None) -> bool:
    if flag is not None:
        return flag
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def _progress() -> tuple[Any, Callable[[int, int], None] | None]:
    """A rich progress bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task("checking files", total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


def _run_with_progress(call: Callable[..., RunResult], *args: Any, **kwargs: Any) -> RunResult:
    bar, update = _progress()
    if bar is None:
        return call(*args, **kwargs)
    with bar:
        return call(*args, progress=update, **kwargs)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="testmend")
def main() -> None:
    """Audit a Python test suite and mend it.

    \b
    testmend audit tests/            list the problems (nothing is changed)
    testmend fix tests/              show the fixes as a diff (nothing is written)
    testmend fix --write tests/      apply every safe fix
    testmend fix --write --verify tests/  ...and revert any that breaks a test
    testmend fix --interactive tests/  approve fix by fix (y/n/a/q)
    testmend rules [CODE]            what each rule flags and how it fixes it

    Settings come from [tool.testmend] in the nearest pyproject.toml; options on
    the command line win.
    """


@main.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "markdown"]), default="text",
              show_default=True, help="Output format; markdown is the audit report (every test classified, "
              "risk, recommendations; see docs/report.md).")
@click.option("--output", "output", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Write the markdown report to DIR: index.md and one PATH.md page per file (implies "
              "--format markdown).")
@click.option("--pytest-oracle", is_flag=True, help="Also ask pytest itself (`--setup-plan` in a subprocess, which "
              "imports the test modules) which tests miss a fixture, and report where it disagrees with TM301.")
def audit(paths: tuple[Path, ...], fmt: str, output: Path | None, pytest_oracle: bool, **kw: Any) -> None:
    """Report findings in PATHS (default: the current directory).

    Exit status: 0 when nothing is found, 1 when there are findings or files
    that could not be read (or, with --pytest-oracle, when pytest disagrees with
    the fixture index or cannot be asked), 2 on a usage error (or when --output
    DIR cannot be written).
    """
    if output is not None:
        source = click.get_current_context().get_parameter_source("fmt")
        if fmt != "markdown" and source is not click.core.ParameterSource.DEFAULT:
            raise click.UsageError(f"--output writes the markdown report; it cannot be used with --format {fmt}")
        fmt = "markdown"
    paths = paths or (Path("."),)
    settings = _settings(paths, kw)
    run = _run_with_progress(api.audit, list(paths), settings)
    oracle = api.pytest_oracle(list(paths), settings) if pytest_oracle else None
    if fmt == "markdown":
        _markdown_report(run, paths, settings, output)
    elif fmt == "json":
        from .report import build_report

        report = build_report(run, list(paths), settings).to_dict()
        rendered = json_report.render(run, report=report)
        if oracle is not None:
            import json

            doc = json.loads(rendered)
            doc["pytest_oracle"] = oracle.to_dict()
            rendered = json.dumps(doc, indent=2, sort_keys=False) + "\n"
        click.echo(rendered, nl=False)
    elif fmt == "sarif":
        from .output import sarif

        click.echo(sarif.render(run), nl=False)
    else:
        # Fix: click.echo strips ANSI codes whenever the stream is not a
        # terminal, so `--color` had no effect on piped output; pass the flag on.
        click.echo(text.audit_report(run, _color(kw["color"])), nl=False, color=kw["color"])
    if oracle is not None and fmt != "json":
        click.echo(oracle.text(), nl=False, err=fmt in ("sarif", "markdown"))
    disagrees = oracle is not None and not oracle.agrees
    sys.exit(1 if run.findings or run.errors or disagrees else 0)


def _markdown_report(run: RunResult, paths: tuple[Path, ...], settings: Settings, output: Path | None) -> None:
    from .output import markdown
    from .report import build_report

    report = build_report(run, list(paths), settings)
    if output is None:
        click.echo(markdown.render(report), nl=False)
        return
    written = 0
    for name, content in markdown.pages(report).items():
        target = output / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode("utf-8"))
        except OSError as exc:
            click.echo(f"error: cannot write {target}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        written += 1
    click.echo(f"Wrote {written} report pages to {output} (start with {output / 'index.md'}).", err=True)


@main.command()
@common_options
@click.option("--write", "-w", is_flag=True, help="Apply the fixes (atomically, file by file).")
@click.option("--interactive", "-i", is_flag=True, help="Show each fix and ask: y apply, n skip, "
              "a apply this and the rest of its rule, q quit.")
@click.option("--unsafe-fixes", is_flag=True, default=None,
              help="Also apply fixes that may change behaviour (see `testmend rules`).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format; json carries the diffs and the residue report.")
@click.option("--verify", is_flag=True, help="With --write or --interactive: run the tests the fixes affect "
              "before and after writing, and revert every fix that breaks a test that passed.")
@click.option("--verify-all", is_flag=True, help="Like --verify, but run the whole test suite.")
@click.option("--verify-timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Limit of one test run of --verify (default: verify-timeout in [tool.testmend], or 600).")
def fix(paths: tuple[Path, ...], write: bool, interactive: bool, unsafe_fixes: bool | None, fmt: str,
        verify: bool, verify_all: bool, verify_timeout: float | None, **kw: Any) -> None:
    """Fix findings in PATHS. By default a dry run: prints a unified diff, writes nothing.

    \b
    Exit status: dry run: 0 when nothing would change, 1 when something would;
    --write / --interactive: 0 when done, 1 when a file could not be processed
    (or --verify could not run the tests); 2 when interrupted.
    Anything left unchanged is listed with the reason.

    \b
    --verify runs the affected tests with pytest (`verify-command` in
    [tool.testmend], default `python -m pytest`, from the project root) before
    and after writing; a fix that makes a passing test fail, error, skip or
    vanish is reverted and reported with the tests it broke.
    """
    if write and interactive:
        raise click.UsageError("--write and --interactive are exclusive: pick one")
    verify = verify or verify_all
    if verify and not (write or interactive):
        raise click.UsageError("--verify needs --write or --interactive (a dry run changes nothing to verify)")
    if verify_timeout is not None and not verify:
        raise click.UsageError("--verify-timeout needs --verify")
    paths = paths or (Path("."),)
    settings = _settings(paths, kw, unsafe_fixes=unsafe_fixes, verify_timeout=verify_timeout)
    color = _color(kw["color"])
    report = None
    if verify:
        from . import verify as verifying

        log = (lambda line: click.echo(line, err=True)) if sys.stderr.isatty() else None
        try:
            if interactive:
                run, report = verifying.fix_interactively_verified(
                    list(paths), _prompt(color, kw["color"]), settings, everything=verify_all, log=log)
            else:
                run, report = verifying.fix_and_verify(list(paths), settings, everything=verify_all, log=log)
        except verifying.Interrupted as exc:
            click.echo(exc.message, err=True)
            sys.exit(2)
        except verifying.VerifyError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
    elif interactive:
        run = api.fix_interactively(list(paths), _prompt(color, kw["color"]), settings)
    else:
        run = _run_with_progress(api.fix, list(paths), settings, write=write)
    diffs = {c.path: api.unified_diff(c) for c in run.changes}
    if fmt == "json":
        rendered = json_report.render(run, fix_mode=True, diffs=diffs)
        if report is not None:
            import json

            doc = json.loads(rendered)
            doc["verify"] = report.to_dict()
            rendered = json.dumps(doc, indent=2, sort_keys=False) + "\n"
        click.echo(rendered, nl=False)
    else:
        if not write and not interactive:
            for change in run.changes:
                d = diffs[change.path]
                click.echo(text.colorize_diff(d) if color else d, nl=False, color=kw["color"])
        click.echo(text.fix_report(run, color, written=write or interactive), nl=False,
                   err=not write and not interactive and bool(run.changes), color=kw["color"])
        if report is not None:
            from .verify import summary

            click.echo(summary(report, color), nl=False, color=kw["color"])
    if write or interactive:
        sys.exit(1 if run.errors or (report is not None and report.could_not_verify) else 0)
    sys.exit(1 if run.changes or run.errors else 0)


PROMPT_HELP = """y - apply this fix
n - skip this fix
a - apply this fix and every remaining fix of the same rule
q - quit; fixes approved so far are written, nothing else
? - show this help"""


def _prompt(color: bool, force: bool | None = None) -> Callable[[api.Proposal], api.Answer]:
    """Ask on the terminal with single keys; with piped stdin, read whole lines
    (end of input means quit)."""
    tty = sys.stdin.isatty()

    def ask(p: api.Proposal) -> api.Answer:
        f = p.finding
        safety = f"{f.fix.safety.value} fix" if f.fix else ""
        click.echo(f"\n[{p.index}/{p.total}] {text.finding_line(f, color)}", color=force)
        click.echo(f"    {f.fix.description if f.fix else ''} ({safety})")
        click.echo(text.colorize_diff(p.diff) if color else p.diff, nl=False, color=force)
        while True:
            click.echo("Apply this fix [y,n,a,q,?]? ", nl=False)
            if tty:
                try:
                    key = click.getchar()
                except (EOFError, KeyboardInterrupt):
                    key = "q"
                click.echo(key)
            else:
                line = sys.stdin.readline()
                if not line:
                    click.echo()
                    return api.Answer.QUIT
                key = line.strip()[:1]
            key = key.lower()
            for answer in api.Answer:
                if key == answer.value:
                    return answer
            click.echo(PROMPT_HELP)

    return ask


@main.command()
@click.argument("code", required=False)
def rules(code: str | None) -> None:
    """List the rules, or explain one (what it flags, why, an example, fix safety)."""
    if code:
        rule = rule_by_code(code)
        if rule is None:
            raise click.UsageError(f"unknown rule {code!r}; run 'testmend rules' for the list")
        fix = rule.fix_safety.value if rule.fix_safety else "none"
        click.echo(f"{rule.code} {rule.name} (severity: {rule.severity.value}, fix: {fix})\n")
        click.echo(rule.doc())
        return
    rows = [("code", "name", "severity", "fix", "summary")]
    for rule in all_rules():
        rows.append((rule.code, rule.name, rule.severity.value,
                     rule.fix_safety.value if rule.fix_safety else "-", rule.summary()))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        click.echo("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])


if __name__ == "__main__":  # pragma: no cover
    main()
