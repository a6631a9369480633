"""Every before/after case under fixtures/, checked the same way.

For each case: the fix produces exactly the expected bytes (or leaves the input
alone), the output compiles, a second run changes nothing, the detector finds
nothing fixable in the output, and every test in the case that passed before
the fix still passes after it (both trees are run once with pytest).
"""
from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from testmend import api
from testmend.config import load_settings
from tests.fixture_cases import Case, load_cases

CASES = load_cases()


def settings_for(case: Case, root: Path):
    flags = case.flags
    return load_settings(
        [root], config=None,
        select=(case.option("--select") or case.code).split(","),
        unsafe_fixes=True if "--unsafe-fixes" in flags else None,
        target_version=case.option("--target-version"),
        rule_options=case.rule_options() or None,
        jobs=1,
    )


def fix_once(case: Case, path: Path) -> api.RunResult:
    settings = replace(settings_for(case, path.parent), root=path.parent)
    return api.fix([path], settings, write=True)


def run_pytest(directory: Path) -> dict[str, str]:
    xml = directory / "_junit.xml"
    (directory / "pytest.ini").write_text("[pytest]\n")
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
         f"--junitxml={xml}", "-o", "junit_family=xunit1", "--rootdir", str(directory), str(directory)],
        cwd=directory, capture_output=True, text=True, timeout=600,
    )
    outcomes: dict[str, str] = {}
    for tc in ET.parse(xml).getroot().iter("testcase"):
        tags = {c.tag for c in tc}
        outcome = "error" if "error" in tags else "failed" if "failure" in tags else \
            "skipped" if "skipped" in tags else "passed"
        outcomes[f"{tc.get('classname')}::{tc.get('name')}"] = outcome
    return outcomes


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Every case fixed once, and the pytest outcomes of both trees."""
    before = tmp_path_factory.mktemp("before")
    after = tmp_path_factory.mktemp("after")
    results = {}
    for case in CASES:
        (before / case.test_file_name).write_bytes(case.before)
        target = after / case.test_file_name
        target.write_bytes(case.before)
        results[case.id] = fix_once(case, target)
    return {"dir": after, "results": results, "before": run_pytest(before), "after": run_pytest(after)}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture_case(case: Case, converted: dict) -> None:
    path = converted["dir"] / case.test_file_name
    result: api.RunResult = converted["results"][case.id]
    assert not result.errors, result.errors
    output = path.read_bytes()
    assert output.decode("utf-8", "replace") == case.expected.decode("utf-8", "replace")
    assert output == case.expected  # byte for byte (line endings, BOM)
    compile(output, str(path), "exec", dont_inherit=True)

    again = fix_once(case, path)
    assert again.changes == [], "a second run changed the output again"
    fixable = [f for f in again.findings if f.fixable and (f.fix.safety.value == "safe" or "--unsafe-fixes" in case.flags)]
    assert fixable == [], "the detector still offers fixes on the output"

    stem = path.stem
    before = {k: v for k, v in converted["before"].items() if k.split("::")[0].endswith(stem) or stem in k}
    after = {k: v for k, v in converted["after"].items() if k.split("::")[0].endswith(stem) or stem in k}
    broken = sorted(k for k, v in before.items() if v == "passed" and after.get(k) != "passed")
    assert broken == [], f"tests that passed before the fix and not after: {broken}"


def test_every_rule_with_a_codemod_has_cases() -> None:
    from testmend.registry import all_rules

    codes = {c.code for c in CASES}
    # suite-level rules (per_file = False) edit several files; their own test modules cover them
    missing = [r.code for r in all_rules() if r.fix_safety is not None and r.per_file and r.code not in codes]
    assert missing == []
