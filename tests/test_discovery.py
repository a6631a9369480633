"""testmend.discovery: which files a run works on."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from testmend.cli import main
from testmend.config import load_settings
from testmend.discovery import discover

TEST = """import unittest


class TestA(unittest.TestCase):
    def test_one(self):
        self.assertEqual(1, 1)
"""


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)


def touch(path: Path, text: str = TEST) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def names(tmp_path: Path, paths=None, **kw) -> list[str]:
    paths = paths or [tmp_path]
    found = discover(paths, load_settings(paths, **kw))
    return sorted(p.resolve().relative_to(tmp_path.resolve()).as_posix() for p in found.files)


def git_repo(root: Path, gitignore: str) -> None:
    (root / ".git").mkdir()
    (root / ".gitignore").write_text(gitignore)


def test_pytest_patterns_are_collected_and_nothing_else(tmp_path: Path) -> None:
    for name in ["test_a.py", "b_test.py", "conftest.py", "sub/test_c.py", "sub/deeper/conftest.py",
                 "helper.py", "testing.py", "test_a.txt", "sub/utils_tests.py", "sub/test_notpy.pyc"]:
        touch(tmp_path / name)
    assert names(tmp_path) == ["b_test.py", "conftest.py", "sub/deeper/conftest.py", "sub/test_c.py",
                               "test_a.py"]


def test_a_file_named_explicitly_is_taken_whatever_its_name(tmp_path: Path) -> None:
    helper = touch(tmp_path / "helper.py")
    assert names(tmp_path, [helper]) == ["helper.py"]


def test_a_non_python_file_named_explicitly_is_an_error(tmp_path: Path) -> None:
    notes = touch(tmp_path / "notes.txt")
    found = discover([notes], load_settings([notes]))
    assert found.files == []
    assert found.errors == [(notes, "not a Python file")]


def test_same_file_twice_is_processed_once(tmp_path: Path) -> None:
    a = touch(tmp_path / "test_a.py")
    assert names(tmp_path, [a, tmp_path, Path("test_a.py")]) == ["test_a.py"]


def test_gitignore_is_respected_inside_a_git_repository(tmp_path: Path) -> None:
    git_repo(tmp_path, "generated/\ntest_skip*.py\n")
    for name in ["test_a.py", "test_skip_me.py", "generated/test_g.py", "sub/test_skip2.py", "sub/test_b.py"]:
        touch(tmp_path / name)
    assert names(tmp_path) == ["sub/test_b.py", "test_a.py"]
    assert names(tmp_path, respect_gitignore=False) == [
        "generated/test_g.py", "sub/test_b.py", "sub/test_skip2.py", "test_a.py", "test_skip_me.py"]


def test_gitignore_outside_a_git_repository_is_not_used(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("test_skip*.py\n")
    touch(tmp_path / "test_skip_me.py")
    assert names(tmp_path) == ["test_skip_me.py"]


def test_nested_gitignore_applies_below_its_directory_and_can_reinclude(tmp_path: Path) -> None:
    git_repo(tmp_path, "test_gen_*.py\n")
    touch(tmp_path / "sub" / ".gitignore", "!test_gen_keep.py\ntest_local.py\n")
    for name in ["test_gen_a.py", "sub/test_gen_b.py", "sub/test_gen_keep.py", "sub/test_local.py",
                 "test_local.py"]:
        touch(tmp_path / name)
    assert names(tmp_path) == ["sub/test_gen_keep.py", "test_local.py"]


def test_gitignore_of_the_repository_applies_when_a_subdirectory_is_given(tmp_path: Path) -> None:
    git_repo(tmp_path, "sub/test_skip.py\n")
    touch(tmp_path / "sub" / "test_skip.py")
    touch(tmp_path / "sub" / "test_keep.py")
    assert names(tmp_path, [tmp_path / "sub"]) == ["sub/test_keep.py"]


def test_default_excludes_skip_virtualenvs_and_build_dirs(tmp_path: Path) -> None:
    for name in [".venv/lib/test_v.py", "build/test_b.py", "node_modules/x/test_n.py",
                 "__pycache__/test_c.py", "pkg.egg-info/test_e.py", "tests/test_ok.py"]:
        touch(tmp_path / name)
    assert names(tmp_path) == ["tests/test_ok.py"]


def test_exclude_patterns(tmp_path: Path) -> None:
    for name in ["tests/test_a.py", "tests/fixtures/test_f.py", "tests/slow/test_s.py", "test_top.py"]:
        touch(tmp_path / name)
    assert names(tmp_path, extend_exclude=("fixtures/", "tests/slow/")) == ["test_top.py", "tests/test_a.py"]
    # --exclude replaces the defaults, so a virtualenv would now be walked
    touch(tmp_path / ".venv" / "test_v.py")
    assert ".venv/test_v.py" in names(tmp_path, exclude=("fixtures/",))


def test_include_patterns(tmp_path: Path) -> None:
    touch(tmp_path / "check_a.py")
    touch(tmp_path / "test_b.py")
    assert names(tmp_path, include=("check_*.py",)) == ["check_a.py"]


def test_directory_without_tests_is_an_error_naming_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    touch(empty / "helper.py")
    found = discover([empty], load_settings([empty]))
    assert found.files == []
    [(path, message)] = found.errors
    assert path == empty and "no test files" in message


def test_missing_path_is_an_error_and_the_others_are_still_found(tmp_path: Path) -> None:
    a = touch(tmp_path / "test_a.py")
    missing = tmp_path / "nope"
    found = discover([missing, a], load_settings([a]))
    assert found.files == [a]
    assert found.errors == [(missing, "no such file or directory")]


# ---------------------------------------------------------------- through the CLI
def test_cli_respects_gitignore_and_can_be_told_not_to(tmp_path: Path) -> None:
    git_repo(tmp_path, "test_ignored.py\n")
    touch(tmp_path / "test_ignored.py")
    touch(tmp_path / "test_clean.py", "def test_x():\n    assert True\n")
    result = CliRunner().invoke(main, ["audit", "--select", "TM101", "."])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["audit", "--select", "TM101", "--no-respect-gitignore", "."])
    assert result.exit_code == 1
    assert "test_ignored.py:6:9: TM101" in result.stdout


def test_cli_directory_without_tests(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    result = CliRunner().invoke(main, ["audit", "docs"])
    assert result.exit_code == 1
    assert "error: docs: no test files here" in result.output


def test_cli_missing_path_reported_other_paths_processed(tmp_path: Path) -> None:
    touch(tmp_path / "test_a.py")
    result = CliRunner().invoke(main, ["audit", "--select", "TM101", "missing_dir", "test_a.py"])
    assert result.exit_code == 1
    assert "error: missing_dir: no such file or directory" in result.stdout
    assert "test_a.py:6:9: TM101" in result.stdout


def test_directory_named_inside_an_excluded_directory_is_walked(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.testmend]\nexclude = ["fixtures/"]\n')
    touch(tmp_path / "fixtures" / "TM101" / "test_case.py")
    touch(tmp_path / "fixtures" / "TM101" / "__pycache__" / "test_case.py")
    touch(tmp_path / "tests" / "test_a.py")
    assert names(tmp_path) == ["tests/test_a.py"]
    # named explicitly: walked, and patterns still apply below it
    assert names(tmp_path, [tmp_path / "fixtures" / "TM101"], exclude=("fixtures/", "__pycache__/")) == [
        "fixtures/TM101/test_case.py"]


def test_directory_named_inside_a_gitignored_directory_is_walked(tmp_path: Path) -> None:
    git_repo(tmp_path, "generated/\n")
    touch(tmp_path / "generated" / "tests" / "test_g.py")
    touch(tmp_path / "generated" / "tests" / "test_skip.py")
    touch(tmp_path / "generated" / "tests" / ".gitignore", "test_skip.py\n")
    assert names(tmp_path, [tmp_path / "generated" / "tests"]) == ["generated/tests/test_g.py"]
    assert names(tmp_path, [tmp_path / "generated"]) == ["generated/tests/test_g.py"]
