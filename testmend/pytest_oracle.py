"""`audit --pytest-oracle`: ask pytest itself which tests miss a fixture, and
compare with the static fixture index behind TM301.

The static index never imports the user's code. pytest does: it collects the
suite with `--setup-plan` (fixtures are resolved and the plan printed, nothing
is set up or run) in a subprocess, and every test it reports with "fixture
'x' not found" is compared with what the index says. Off by default, since
collection imports the test modules and their conftest.py files.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .config import Settings
from .discovery import discover

_NOT_FOUND = re.compile(r"fixture '([^']+)' not found")


@dataclass
class OracleReport:
    """Where pytest and the static index agree about missing fixtures, and where not."""

    command: list[str]
    tests: int = 0  # tests in pytest's report (parametrized ones once)
    both: list[tuple[str, str]] = field(default_factory=list)  # (node id, fixture) both call missing
    pytest_only: list[tuple[str, str]] = field(default_factory=list)  # pytest: missing; index: resolved
    index_only: list[tuple[str, str]] = field(default_factory=list)  # index: missing; pytest set it up
    unsure: list[tuple[str, str]] = field(default_factory=list)  # pytest: missing; index: could not tell
    not_collected: list[str] = field(default_factory=list)  # modules pytest failed to collect
    error: str | None = None  # pytest could not be asked

    @property
    def agrees(self) -> bool:
        return self.error is None and not self.pytest_only and not self.index_only and not self.not_collected

    def to_dict(self) -> dict[str, Any]:
        pairs = lambda items: [{"test": t, "fixture": f} for t, f in items]  # noqa: E731
        return {"command": self.command, "tests": self.tests, "error": self.error,
                "agreed": pairs(self.both), "pytest_only": pairs(self.pytest_only),
                "index_only": pairs(self.index_only), "index_unsure": pairs(self.unsure),
                "not_collected": self.not_collected}

    def text(self) -> str:
        if self.error is not None:
            return f"pytest oracle: could not ask pytest: {self.error}\n"
        lines = [f"pytest oracle ({' '.join(self.command)}): {self.tests} tests; "
                 f"{len(self.both)} missing fixtures found by both"
                 + ("; the static index agrees with pytest" if self.agrees else "")]
        lines += [f"  pytest reports fixture '{f}' not found for {t}; TM301's index resolved it "
                  "(please report this index bug)" for t, f in self.pytest_only]
        lines += [f"  TM301 reports fixture '{f}' missing for {t}; pytest sets it up (a false positive: "
                  "please report it)" for t, f in self.index_only]
        if self.not_collected:
            lines.append(f"  pytest could not collect {len(self.not_collected)} module(s) "
                         f"({', '.join(self.not_collected[:3])}): their tests were not compared; run "
                         f"`{' '.join(self.command)}` to see why (the oracle runs `verify-command` from "
                         "[tool.testmend], default this Python's pytest)")
        lines += [f"  pytest reports fixture '{f}' not found for {t}; the index could not tell "
                  "(something it cannot read may define it: a star import, a plugin, a fixture made at run time)" for t, f in self.unsure]
        return "\n".join(lines) + "\n"


def pytest_missing(rootdir: Path, targets: Sequence[Path], pytest: Sequence[str] = (sys.executable, "-m", "pytest"),
                   timeout: float = 600) -> tuple[list[str], set[str], dict[str, set[str]], list[str]]:
    """pytest's own view: (command, node ids of the tests it collected, node id
    -> fixtures reported not found, modules it could not collect), node ids
    without parameters. Raises OSError/subprocess errors/ValueError
    when pytest cannot be run or its report read."""
    with tempfile.TemporaryDirectory(prefix="testmend-oracle-") as tmp:
        xml = Path(tmp) / "setup-plan.xml"
        command = [*pytest, "--setup-plan", "-q", "-p", "no:cacheprovider",
                   "-o", "junit_family=xunit1", f"--rootdir={rootdir}", f"--junitxml={xml}",
                   *[str(t) for t in targets]]
        subprocess.run(command, cwd=rootdir, capture_output=True, text=True, timeout=timeout, check=False)
        if not xml.exists():
            raise ValueError("pytest wrote no report (did collection fail? run the command by hand)")
        root = ET.parse(xml).getroot()
    out: dict[str, set[str]] = {}
    seen: set[str] = set()
    broken: list[str] = []
    for case in root.iter("testcase"):
        if any(child.tag == "error" and child.get("message") == "collection failure" for child in case):
            broken.append(case.get("file") or case.get("classname") or case.get("name") or "?")
            continue
        module = case.get("file") or ""
        dotted = module[:-3].replace("/", ".") if module.endswith(".py") else module
        classes = (case.get("classname") or "")[len(dotted) + 1:]
        name = re.sub(r"\[.*", "", case.get("name") or "")
        nodeid = "::".join(p for p in (module, *classes.split("."), name) if p)
        seen.add(nodeid)
        for child in case:
            found = _NOT_FOUND.search((child.get("message") or "") + (child.text or ""))
            if child.tag == "error" and found:
                out.setdefault(nodeid, set()).add(found.group(1))
    shown = [*pytest, *[str(t) for t in targets]]
    return shown, seen, out, broken


def ask_pytest(paths: Sequence[Path], settings: Settings) -> OracleReport:
    """Compare pytest's missing fixtures under `paths` with the static index's."""
    from .detectors.missing_fixture import MissingFixture
    from .engine import build_suite
    from .fixture_index import FixtureIndex

    found = discover(list(paths), settings)
    suite = build_suite(found.files, [MissingFixture], settings)
    index = suite.data.get(FixtureIndex.name)
    if index is None:
        return OracleReport(command=[], error="the fixture index could not be built")
    rootdir = index.setup.rootdir
    try:
        command, seen, theirs, broken = pytest_missing(
            rootdir, [Path(p).resolve() for p in paths], settings.verify_command or (sys.executable, "-m", "pytest"))
    except (OSError, ValueError, subprocess.SubprocessError, ET.ParseError) as exc:
        return OracleReport(command=[], error=str(exc))
    ours = {(u.test.nodeid, u.name) for u in index.missing()}
    unsure = {(u.test.nodeid, u.name) for u in index.unknown()}
    pairs = {(t, f) for t, names in theirs.items() for f in names}
    return OracleReport(
        command=command, tests=len(seen), not_collected=broken,
        both=sorted(pairs & ours),
        pytest_only=sorted(pairs - ours - unsure),
        # a test pytest did not collect (a collection error, a -k in addopts) says nothing
        index_only=sorted((t, f) for t, f in ours - pairs if t in seen),
        unsure=sorted(pairs & unsure - ours),
    )
