"""The command line: exit codes, options, config, messages, interactive mode, colour."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from testmend.cli import PROMPT_HELP, main

TWO = """import unittest


class TestA(unittest.TestCase):
    def test_one(self):
        self.assertEqual(1, 1)
        self.assertEqual(2, 2)
"""
FIRST_FIXED = TWO.replace("self.assertEqual(1, 1)", "assert 1 == 1")
TWO_FIXED = FIRST_FIXED.replace("self.assertEqual(2, 2)", "assert 2 == 2")
CLEAN = "def test_x():\n    assert 1 + 1 == 2\n"
ANSI = "\x1b["


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)


def run(*args: str, input: str | None = None):
    """Invoke the CLI with only TM101 selected (other rules are written
    concurrently and must not change these results)."""
    args_ = list(args)
    if args_ and args_[0] in ("audit", "fix"):
        args_[1:1] = ["--select", "TM101"]
    return raw_run(*args_, input=input)


def raw_run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def write(name: str, text: str = TWO) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ---------------------------------------------------------------- audit exit codes
def test_audit_clean_exits_0() -> None:
    write("test_clean.py", CLEAN)
    result = run("audit", ".")
    assert result.exit_code == 0
    assert "All checks passed" in result.stdout


def test_audit_findings_exit_1() -> None:
    write("test_a.py")
    result = run("audit", ".")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        "test_a.py:6:9: TM101 [*] self.assertEqual() can be a plain assert",
        "test_a.py:7:9: TM101 [*] self.assertEqual() can be a plain assert",
    ]


def test_audit_defaults_to_current_directory() -> None:
    write("tests/test_a.py")
    result = run("audit")
    assert result.exit_code == 1
    assert "tests/test_a.py:6:9: TM101" in result.stdout


@pytest.mark.parametrize("args, words", [
    (["--select", "TM999"], "unknown rule code or prefix 'TM999'"),
    (["--ignore", "XX1"], "unknown rule code or prefix 'XX1'"),
    (["--bogus"], "No such option"),
    (["--target-version", "python3"], "is not a Python version"),
    (["-j", "many"], "'many' is not a valid integer"),
])
def test_audit_usage_errors_exit_2(args: list[str], words: str) -> None:
    write("test_a.py")
    result = run("audit", *args, ".")
    assert result.exit_code == 2
    assert words in result.stderr


@pytest.mark.parametrize("toml, words", [
    ("[tool.testmend\n", "cannot be read as TOML"),
    ('[tool.testmend]\nselect = ["TM999"]\n', "unknown rule code or prefix 'TM999'"),
    ('[tool.testmend]\njobs = "4"\n', "jobs must be an integer"),
    ('[tool.testmend]\nignore = "TM101"\n', "ignore must be a list of strings"),
])
def test_bad_config_exits_2(toml: str, words: str) -> None:
    write("pyproject.toml", toml)
    write("test_a.py")
    result = raw_run("audit", ".")
    assert result.exit_code == 2
    assert words in result.stderr
    assert "pyproject.toml" in result.stderr or "TM999" in result.stderr


def test_unknown_command_exits_2() -> None:
    assert raw_run("frobnicate").exit_code == 2


# ---------------------------------------------------------------- fix exit codes
def test_fix_dry_run_prints_diff_writes_nothing_exits_1() -> None:
    path = write("test_a.py")
    result = run("fix", "test_a.py")
    assert result.exit_code == 1
    assert result.stdout == (
        "--- a/test_a.py\n"
        "+++ b/test_a.py\n"
        "@@ -3,5 +3,5 @@\n"
        " \n"
        " class TestA(unittest.TestCase):\n"
        "     def test_one(self):\n"
        "-        self.assertEqual(1, 1)\n"
        "-        self.assertEqual(2, 2)\n"
        "+        assert 1 == 1\n"
        "+        assert 2 == 2\n"
    )
    assert "Would fix 2 findings in 1 file" in result.stderr
    assert path.read_text() == TWO


def test_fix_dry_run_with_nothing_to_change_exits_0() -> None:
    write("test_clean.py", CLEAN)
    result = run("fix", ".")
    assert result.exit_code == 0
    assert "---" not in result.stdout
    assert "Nothing to fix" in result.output


def test_fix_write_writes_and_exits_0() -> None:
    path = write("test_a.py")
    result = run("fix", "--write", ".")
    assert result.exit_code == 0, result.output
    assert path.read_text() == TWO_FIXED
    assert "Fixed 2 findings in 1 file" in result.stdout
    # and then there is nothing left to do
    again = run("fix", ".")
    assert again.exit_code == 0 and again.stdout.startswith("Nothing to fix")


def test_write_and_interactive_together_is_a_usage_error() -> None:
    path = write("test_a.py")
    result = run("fix", "--write", "--interactive", ".", input="y\ny\n")
    assert result.exit_code == 2
    assert "exclusive" in result.stderr
    assert path.read_text() == TWO


# ---------------------------------------------------------------- select / ignore
@pytest.mark.parametrize("args, code", [
    ([], 1),
    (["--select", "TM101"], 1),
    (["--select", "TM1"], 1),
    (["--select", "tm101"], 1),
    (["--select", "TM102,TM101"], 1),
    (["--select", "TM102", "--select", "TM101"], 1),
    (["--select", "TM101,TM102", "--ignore", "TM101"], 0),
    (["--select", "TM101", "--ignore", "TM1"], 0),
    (["--select", "TM101", "--ignore", "TM10"], 0),
])
def test_select_and_ignore_by_code_and_prefix(args: list[str], code: int) -> None:
    write("test_a.py")
    result = raw_run("audit", *args, ".")
    assert result.exit_code == code, result.output
    assert ("test_a.py:6:9: TM101" in result.stdout) == (code == 1)


def test_ignore_alone_removes_the_rule() -> None:
    write("test_a.py")
    result = raw_run("audit", "--ignore", "TM101", ".")
    assert "TM101" not in result.stdout
    assert "TM101" in raw_run("audit", ".").stdout


def test_config_select_ignore_and_exclude_next_to_the_files() -> None:
    write("proj/pyproject.toml", '[tool.testmend]\nselect = ["TM101"]\nignore = ["TM10"]\n')
    write("proj/tests/test_a.py")
    assert raw_run("audit", "proj/tests").exit_code == 0
    write("proj/pyproject.toml", '[tool.testmend]\nselect = ["TM101"]\nexclude = ["generated/"]\n')
    write("proj/tests/generated/test_g.py")
    result = raw_run("audit", "proj/tests")
    assert result.exit_code == 1
    assert "test_a.py:6:9: TM101" in result.stdout
    assert "test_g.py" not in result.stdout


def test_command_line_wins_over_config() -> None:
    write("pyproject.toml", '[tool.testmend]\nselect = ["TM101"]\nignore = ["TM1"]\nexclude = ["sub/"]\n')
    write("test_a.py")
    write("sub/test_s.py")
    assert raw_run("audit", ".").exit_code == 0
    result = raw_run("audit", "--select", "TM101", ".")
    assert result.exit_code == 1 and "test_a.py:6:9: TM101" in result.stdout
    assert "sub/test_s.py" not in result.stdout
    result = raw_run("audit", "--select", "TM101", "--exclude", "nothing/", ".")
    assert "sub/test_s.py:6:9: TM101" in result.stdout
    # --ignore on the command line replaces the config's ignore
    write("pyproject.toml", '[tool.testmend]\nselect = ["TM101", "TM102"]\nignore = ["TM101"]\n')
    assert raw_run("audit", ".").exit_code == 0
    assert raw_run("audit", "--ignore", "TM102", ".").exit_code == 1


def test_unknown_config_key_warns_on_stderr() -> None:
    write("pyproject.toml", '[tool.testmend]\nselct = ["TM101"]\n')
    write("test_a.py")
    result = run("audit", ".")
    assert result.exit_code == 1
    assert "warning:" in result.stderr and "'selct'" in result.stderr and "pyproject.toml" in result.stderr
    assert "warning" not in result.stdout


def test_explicit_config_option() -> None:
    write("cfg/settings.toml", '[tool.testmend]\nselect = ["TM101"]\nignore = ["TM101"]\n')
    write("test_a.py")
    assert raw_run("audit", "--config", "cfg/settings.toml", ".").exit_code == 0
    assert raw_run("audit", "--config", "cfg/missing.toml", ".").exit_code == 2


# ---------------------------------------------------------------- bad input
def test_syntax_error_named_other_files_processed() -> None:
    write("test_bad.py", "import unittest\ndef test_x(:\n    self.assertEqual(1, 2)\n")
    write("test_a.py")
    result = run("audit", ".")
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("error:")]
    assert errors == ["error: test_bad.py: syntax error at line 2, column 12: invalid syntax; "
                      "testmend only reads files that parse"]
    assert "test_a.py:6:9: TM101" in result.stdout


def test_undecodable_file_named_other_files_processed() -> None:
    Path("test_bad.py").write_bytes(TWO.replace("(1, 1)", "('\xff', 1)").encode("latin-1"))
    write("test_a.py")
    result = run("fix", "--write", ".")
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith("error: test_bad.py: line 6: byte 0xff")
    assert Path("test_a.py").read_text() == TWO_FIXED


def test_read_only_file_under_fix_write() -> None:
    ro = write("test_ro.py")
    rw = write("test_rw.py")
    before = ro.read_bytes()
    os.chmod(ro, 0o444)
    try:
        result = run("fix", "--write", ".")
        mode = stat.S_IMODE(ro.stat().st_mode)
    finally:
        os.chmod(ro, 0o644)
    assert result.exit_code == 1
    assert ro.read_bytes() == before and mode == 0o444
    assert rw.read_text() == TWO_FIXED
    assert "error: test_ro.py: is read-only; not written" in result.stdout
    assert "Fixed 2 findings in 1 file" in result.stdout


def test_latin1_file_dry_run_diff_is_printable() -> None:
    text = "# -*- coding: latin-1 -*-\n" + TWO.replace("(2, 2)", "('caf\u00e9', 'caf\u00e9')")
    Path("test_l.py").write_bytes(text.encode("latin-1"))
    result = run("fix", ".")
    assert result.exit_code == 1
    assert "+        assert 'caf\u00e9' == 'caf\u00e9'\n" in result.stdout
    assert Path("test_l.py").read_bytes() == text.encode("latin-1")


# ---------------------------------------------------------------- parallelism
def test_jobs_2_output_equals_jobs_1() -> None:
    for i in range(20):
        write(f"tests/d{i % 4}/test_{i:02d}.py", TWO.replace("(2, 2)", f"({i}, {i})"))
    one = run("fix", "-j", "1", "tests")
    two = run("fix", "-j", "2", "tests")
    assert one.exit_code == two.exit_code == 1
    assert one.stdout == two.stdout
    assert one.stdout.count("+++ b/") == 20
    one = run("audit", "-j", "1", "tests")
    two = run("audit", "-j", "2", "tests")
    assert one.stdout == two.stdout and one.stdout.count("TM101") == 40


# ---------------------------------------------------------------- interactive
def two_files() -> tuple[Path, Path]:
    return write("test_a.py"), write("test_b.py")


def test_interactive_yes_then_no_then_end_of_input() -> None:
    a, b = two_files()
    result = run("fix", "--interactive", ".", input="y\nn\n")
    assert result.exit_code == 0
    assert a.read_text() == FIRST_FIXED
    assert b.read_text() == TWO  # end of input means quit
    assert result.stdout.count("Apply this fix [y,n,a,q,?]? ") == 3
    assert "[1/4] test_a.py:6:9: TM101" in result.stdout
    assert "[3/4] test_b.py:6:9: TM101" in result.stdout
    assert "Fixed 1 finding in 1 file; 3 left unchanged." in result.stdout


def test_interactive_all_applies_the_rest_of_the_rule() -> None:
    a, b = two_files()
    result = run("fix", "-i", ".", input="n\na\n")
    assert result.exit_code == 0
    assert a.read_text() == TWO.replace("self.assertEqual(2, 2)", "assert 2 == 2")
    assert b.read_text() == TWO_FIXED
    assert result.stdout.count("Apply this fix") == 2


def test_interactive_quit_keeps_approved_and_touches_nothing_else() -> None:
    a, b = two_files()
    result = run("fix", "-i", ".", input="y\nq\ny\ny\n")
    assert result.exit_code == 0
    assert a.read_text() == FIRST_FIXED
    assert b.read_text() == TWO
    assert result.stdout.count("Apply this fix") == 2


def test_interactive_immediate_end_of_input_changes_nothing() -> None:
    a, b = two_files()
    result = run("fix", "-i", ".", input="")
    assert result.exit_code == 0
    assert (a.read_text(), b.read_text()) == (TWO, TWO)


def test_interactive_unknown_key_shows_help_and_asks_again() -> None:
    a = write("test_a.py")
    result = run("fix", "-i", "test_a.py", input="x\n\n?\nyes\nn\n")
    assert result.exit_code == 0
    assert result.stdout.count(PROMPT_HELP) == 3
    assert result.stdout.count("[1/2]") == 1  # the same proposal, asked again
    assert a.read_text() == FIRST_FIXED


def test_interactive_diff_builds_on_approved_fixes() -> None:
    write("test_a.py")
    result = run("fix", "-i", "test_a.py", input="y\ny\n")
    second = result.stdout.split("[2/2]")[1]
    assert "         assert 1 == 1\n-        self.assertEqual(2, 2)\n+        assert 2 == 2\n" in second


# ---------------------------------------------------------------- colour
def test_no_ansi_when_not_a_terminal() -> None:
    write("test_a.py")
    for args in (["audit", "."], ["fix", "."], ["fix", "-i", "."]):
        result = run(*args, input="n\nn\n")
        assert ANSI not in result.stdout + result.stderr, args


def test_color_forces_ansi() -> None:
    write("test_a.py")
    audit = run("audit", "--color", ".")
    assert "\x1b[31m\x1b[1mTM101\x1b[0m" in audit.stdout
    fix = run("fix", "--color", ".")
    assert "\x1b[32m+        assert 1 == 1\n\x1b[0m" in fix.stdout
    interactive = run("fix", "-i", "--color", ".", input="n\nn\n")
    assert "\x1b[31m-        self.assertEqual(1, 1)" in interactive.stdout
    assert "[1/2] \x1b[1mtest_a.py:6:9:\x1b[0m" in interactive.stdout


def test_no_color_wins() -> None:
    write("test_a.py")
    assert ANSI not in run("audit", "--no-color", ".").stdout


# ---------------------------------------------------------------- a real process
def test_real_process_exit_codes_and_streams(tmp_path: Path) -> None:
    write("test_a.py")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    cmd = [sys.executable, "-m", "testmend"]
    sel = ["--select", "TM101"]
    audit = subprocess.run(cmd + ["audit", *sel, "."], capture_output=True, text=True, env=env, timeout=120)
    assert audit.returncode == 1 and "TM101" in audit.stdout and ANSI not in audit.stdout
    dry = subprocess.run(cmd + ["fix", *sel, "."], capture_output=True, text=True, env=env, timeout=120)
    assert dry.returncode == 1 and dry.stdout.startswith("--- a/test_a.py")
    usage = subprocess.run(cmd + ["fix", "-w", "-i", "."], capture_output=True, text=True, env=env, timeout=120)
    assert usage.returncode == 2 and "exclusive" in usage.stderr
    wrote = subprocess.run(cmd + ["fix", *sel, "-w", "."], capture_output=True, text=True, env=env, timeout=120)
    assert wrote.returncode == 0
    assert Path("test_a.py").read_text() == TWO_FIXED
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".testmend")] == []
