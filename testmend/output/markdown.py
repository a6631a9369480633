"""The audit report as Markdown: a suite index and one page per file.

A pure function of the `SuiteReport` (testmend/report.py): everything is
sorted, nothing depends on the clock or the machine, and paths are relative
to the current directory, so the same audit gives the same bytes.

`render()` is the one document `testmend audit --format markdown` prints (the
index, then every file's page a heading level down); `pages()` is what
`--output DIR` writes: `index.md` plus `PATH.md` for each file (`tests/
test_a.py` -> `tests/test_a.py.md`), linked from the index.
"""
from __future__ import annotations

from typing import Sequence

from ..report import (
    RISK_RULE,
    SEVERITY_ORDER,
    FileReport,
    Issue,
    Metrics,
    Recommendation,
    RiskAssessment,
    RuleGroup,
    SuiteReport,
    Verdict,
)

MAX_NAMES = 10  # names listed inline before "and N more"
MAX_IN_CELL = 5  # the same, in a table cell


# ---------------------------------------------------------------- helpers
def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    align = ["---:" if i in right else "---" for i in range(len(head))]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _names(names: Sequence[str], limit: int = MAX_NAMES) -> str:
    shown = ", ".join(_code(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _lines(lines: Sequence[int]) -> str:
    words = [str(n) for n in lines[:MAX_NAMES]]
    more = f" and {len(lines) - MAX_NAMES} more" if len(lines) > MAX_NAMES else ""
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(words) + more


def _severity_counts(issues: Sequence[Issue]) -> str:
    parts = [f"{sum(1 for i in issues if i.severity is s)} {s.value}" for s in SEVERITY_ORDER]
    return f"{len(issues)} ({', '.join(parts)})"


def _risk_line(risk: RiskAssessment) -> str:
    return f"**Risk: {risk.level.value}**: {risk.reason}."


def _share(m: Metrics, count: int) -> str:
    if not m.total:
        return "-"
    share = m.share(count)
    return "<1%" if count and share == 0 else ">99%" if count < m.total and share == 100 else f"{share}%"


def _metrics(m: Metrics) -> str:
    rows = [("Total", m.total), ("Well-designed", m.well_designed), ("Minor issues", m.minor),
            ("Major issues", m.major), ("Placeholders", m.placeholders)]
    return _table(["Tests", "Count", "Share"],
                  [(label, str(n), _share(m, n)) for label, n in rows], right=(1, 2))


def _recommendation(n: int, r: Recommendation, suite: bool) -> str:
    where = f" in {_n(r.files, 'file')}" if suite else ""
    head = f"{n}. **{r.priority.capitalize()} priority: {r.code} {r.name}** ({_n(r.findings, 'finding')}{where})."
    parts = []

    def share(count: int) -> str:
        return ("it" if count == 1 else "all of them") if count == r.findings else f"{count} of them"

    if r.command:
        parts.append(f"`{r.command}` shows the safe fix for {share(r.safe)}; add `--write` to apply it.")
    if r.unsafe_command:
        parts.append(f"`{r.unsafe_command}` also shows the unsafe fix for {share(r.unsafe)}: it may change "
                     "what a test checks, so review the diff before `--write`.")
    if r.manual:
        lines = f" ({_lines(r.lines)})" if r.lines and not suite else ""
        fixable = r.safe + r.unsafe
        left = ("the other one" if r.manual == 1 else f"the other {r.manual}") if fixable else \
            ("it" if r.manual == 1 else "them")
        why = " The codemod leaves these as they are; each finding's message says why." if fixable else ""
        parts.append(f"Fix {left} by hand{lines}: `testmend rules {r.code}` explains the rule with an example.{why}")
    return head + " " + " ".join(parts)


def _rule_cell(g: RuleGroup) -> str:
    return f"{g.code} {g.name}"


# ---------------------------------------------------------------- a file
def render_file(f: FileReport, level: int = 1) -> str:
    h = "#" * level
    inv = f.inventory
    out = [f"{h} Test audit: {_code(f.path)}", _risk_line(f.risk)]
    in_classes = sum(1 for t in inv.tests if t.cls)
    overview = [f"- File: {_code(f.path)}", f"- Lines: {inv.lines}",
                f"- Test functions: {len(inv.tests)}" + (f" ({in_classes} in classes)" if in_classes else ""),
                f"- Test classes: {len(inv.classes)}" + (f" ({_names([c.name for c in inv.classes])})"
                                                         if inv.classes else ""),
                f"- Findings: {_severity_counts(f.issues)}"]
    out += [f"{h}# Overview", "\n".join(overview)]
    if f.error:
        out += [f"{h}# Not checked", f"testmend could not check this file: {f.error}"]
    if f.rows:
        rows = []
        for r in f.rows:
            verdict = r.verdict.value if r.verdict is Verdict.WELL_DESIGNED else f"**{r.verdict.value}**"
            issues = "; ".join(_grouped(r.issues, f.path))
            rows.append((_code(r.test.name), f"{r.test.line}-{r.test.end_line} ({r.test.lines})", verdict, issues))
        out += [f"{h}# Tests", _table(["Test", "Lines", "Verdict", "Issues"], rows)]
    out += [f"{h}# Issues by severity"]
    if not f.issues:
        out.append("No findings.")
    for severity in SEVERITY_ORDER:
        found = [i for i in f.issues if i.severity is severity]
        if found:
            out += [f"{h}## {severity.value.capitalize()} ({len(found)})", "\n".join(_issue_items(found))]
    if f.mentions:
        out += [f"{h}# Findings reported with another test", "These findings are reported at another test, "
                "but name tests of this file (by pytest node id), so they count for those tests' verdicts:",
                "\n".join(f"- {_code(i.test or '')}: **{i.code}** {i.name} ({i.severity.value}), reported at "
                          f"line {i.line}" + ("" if i.origin == f.path else f" of {_code(i.origin or '')}") +
                          f": {i.message}" for i in f.mentions)]
    if f.rules:
        rows = [(_rule_cell(g), g.severity.value, str(g.findings), str(g.tests), _fix_cell(f, g.code))
                for g in f.rules]
        out += [f"{h}# Anti-patterns", _table(["Rule", "Severity", "Findings", "Tests", "Fix"], rows, right=(2, 3))]
    if f.rows or f.quiet_rules:
        out += [f"{h}# Strengths", _strengths(f)]
    if f.recommendations:
        out += [f"{h}# Recommendations",
                "\n".join(_recommendation(n, r, suite=False) for n, r in enumerate(f.recommendations, 1))]
    if f.rows:
        out += [f"{h}# Quality metrics", _metrics(f.metrics)]
    out += [f"{h}# Risk assessment", f"**{f.risk.level.value.capitalize()}**: {f.risk.reason}.",
            f"The rule: {RISK_RULE}."]
    return "\n\n".join(out) + "\n"


def _grouped(issues: Sequence[Issue], path: str) -> list[str]:
    """A test's issues, one entry per rule and file: `TM101 unittest-assertion ×3 (lines 4, 5, 9)`."""
    by_code: dict[tuple[str, str], list[Issue]] = {}
    for i in issues:
        by_code.setdefault((i.code, i.origin or path), []).append(i)
    out = []
    for (code, origin), found in by_code.items():
        times = f" \u00d7{len(found)}" if len(found) > 1 else ""
        where = _lines(sorted({i.line for i in found}))
        if origin != path:
            where += f" of {_code(origin)}"
        out.append(f"{code} {found[0].name}{times} ({where})")
    return out


def _issue_items(issues: Sequence[Issue]) -> list[str]:
    """One item per code and message, in order of first line; a single finding
    says where it is, a repeated one lists its lines (the table says which tests)."""
    groups: dict[tuple[str, str], list[Issue]] = {}
    for i in issues:
        groups.setdefault((i.code, i.message), []).append(i)
    out = []
    for (code, message), found in groups.items():
        if len(found) == 1:
            out.append(f"- Line {found[0].line}, {_where(found[0])}: **{code}** {found[0].name}: {message}")
        else:
            lines = ", ".join(str(n) for n in sorted({i.line for i in found}))
            out.append(f"- Lines {lines} (\u00d7{len(found)}): **{code}** {found[0].name}: {message}")
    return out


def _where(i: Issue) -> str:
    if i.test:
        return f"in {_code(i.test)}"
    return f"in class {_code(i.cls)}" if i.cls else "module level"


def _fix_cell(f: FileReport, code: str) -> str:
    r = next((r for r in f.recommendations if r.code == code), None)
    if r is None:
        return "by hand"
    parts = [f"{label}{'' if n == r.findings else f' ({n})'}"
             for label, n in (("safe", r.safe), ("unsafe", r.unsafe), ("by hand", r.manual)) if n]
    return ", ".join(parts)


def _strengths(f: FileReport) -> str:
    lines = []
    if f.rows:
        clean = f.clean_tests
        if clean:
            verb = "has" if len(clean) == 1 else "have"
            lines.append(f"- {len(clean)} of {_n(len(f.rows), 'test')} {verb} no finding: {_names(list(clean))}.")
        else:
            lines.append("- Every test has at least one finding.")
    if f.quiet_rules:
        lines.append(f"- No finding from {_n(len(f.quiet_rules), 'rule')} that checked this file: "
                     f"{', '.join(f.quiet_rules)}.")
    return "\n".join(lines)


# ---------------------------------------------------------------- the suite
def page_name(path: str) -> str:
    """The page of a file under --output: its relative path plus `.md`; `..`
    parts become `__` so every page stays inside the directory."""
    parts = ["__" if p == ".." else p for p in path.split("/") if p not in ("", ".")]
    return "/".join(parts) + ".md"


def render_index(s: SuiteReport, links: bool = False) -> str:
    files = [f for f in s.files if f.error is None]
    issues = [i for f in s.files for i in f.issues]
    with_tests = [f for f in files if f.rows]
    classes = sum(len(f.inventory.classes) for f in files)
    audited = ", ".join(_code(p) for p in s.paths)
    risk = _risk_line(s.risk) if s.files_audited else "**No file was checked** (see Files not checked)."
    out = [f"# Test suite audit: {audited}", risk, "## Overview", "\n".join([
        f"- Audited: {audited} ({_n(s.files_audited, 'file')} checked)",
        f"- In this report: {_n(len(s.ranked), 'file')} with tests or findings",
        f"- Tests: {s.metrics.total} in {_n(len(with_tests), 'file')}, {_n(classes, 'test class', 'test classes')}",
        f"- Findings: {_severity_counts(issues)}",
        f"- Rules run: {len(s.rules_run)}" + (f" ({', '.join(s.rules_run)})" if s.rules_run else ""),
    ])]
    out += ["## Quality metrics", _metrics(s.metrics)]
    if s.ranked:
        rows = []
        for f in s.ranked:
            name = f"[{_code(f.path)}]({page_name(f.path)})" if links else _code(f.path)
            m = f.metrics
            rows.append((name, f.risk.level.value, str(m.total), str(m.well_designed), str(m.minor), str(m.major),
                         str(m.placeholders), str(len(f.issues))))
        out += ["## Files by risk", _table(["File", "Risk", "Tests", "Well-designed", "Minor", "Major",
                                            "Placeholders", "Findings"], rows, right=(2, 3, 4, 5, 6))]
    out += ["## Recurring patterns"]
    if not s.recurring and not s.patterns:
        out.append("No rule found anything in more than one file.")
    if s.recurring:
        rows = [(_rule_cell(g), g.severity.value, str(len(g.files)), str(g.findings),
                 _names(list(g.files), MAX_IN_CELL)) for g in s.recurring]
        out += ["### Rules found in several files",
                _table(["Rule", "Severity", "Files", "Findings", "Where"], rows, right=(2, 3))]
    if s.patterns:
        out += ["### Findings that concern several files",
                "\n".join(f"- **{p.code}** {p.name} ({p.severity.value}) in {_code(p.files[0])}, naming "
                          f"{_names(list(p.files[1:]))}: {p.message}" for p in s.patterns)]
    if s.recommendations:
        out += ["## Recommendations",
                "\n".join(_recommendation(n, r, suite=True) for n, r in enumerate(s.recommendations, 1))]
    if s.errors:
        out += ["## Files not checked", "\n".join(f"- {_code(p)}: {m}" for p, m in s.errors)]
    out += ["## How to read this report", "\n".join([
        "- A test's verdict comes from the findings on it (inside its lines, or naming it by its pytest node "
        "id): **placeholder** when a placeholder-test finding is on it, **major** when any finding is major, "
        "**minor** when any is minor, well-designed otherwise (no rule found a major or minor problem in it; "
        "info findings are listed but do not change the verdict). Findings outside every test are listed "
        "with their class or as module level.",
        f"- Risk: {RISK_RULE}.",
        "- `testmend fix --select CODE PATH` shows a rule's fixes as a diff; `--write` applies them. "
        "`testmend rules CODE` explains a rule.",
    ])]
    return "\n\n".join(out) + "\n"


def render(s: SuiteReport) -> str:
    """The whole report as one document: the index, then each file's page."""
    parts = [render_index(s)]
    parts += [render_file(f, level=2) for f in s.ranked]
    parts += [render_file(f, level=2) for f in s.files if f.error is not None and (f.issues or f.mentions)]
    return "\n".join(parts)


def pages(s: SuiteReport) -> dict[str, str]:
    """--output DIR: relative file name -> content, `index.md` first."""
    out = {"index.md": render_index(s, links=True)}
    for f in s.files:
        if f.rows or f.issues or f.mentions:  # an unreadable file is listed in the index
            out[page_name(f.path)] = render_file(f)
    return out
