"""testmend.config: [tool.testmend] in pyproject.toml, and the command line on top."""
from __future__ import annotations

from pathlib import Path

import pytest

from testmend.config import DEFAULT_EXCLUDE, ConfigError, Settings, find_pyproject, load_settings, parse_target


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)


def project(tmp_path: Path, toml: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(toml)
    tests = tmp_path / "tests"
    tests.mkdir(exist_ok=True)
    return tests


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    s = load_settings([tmp_path])
    assert s.config_file is None
    assert s.select == ("ALL",) and s.ignore == ()
    assert s.exclude == DEFAULT_EXCLUDE
    assert s.respect_gitignore is True
    assert s.root == tmp_path.resolve()


def test_nearest_pyproject_is_found_from_a_file_or_directory(tmp_path: Path) -> None:
    tests = project(tmp_path, "[tool.testmend]\n")
    (tests / "test_a.py").write_text("")
    assert find_pyproject(tests / "test_a.py") == (tmp_path / "pyproject.toml").resolve()
    assert find_pyproject(tests) == (tmp_path / "pyproject.toml").resolve()
    s = load_settings([tests / "test_a.py"])
    assert s.root == tmp_path.resolve()


def test_select_ignore_exclude_from_config(tmp_path: Path) -> None:
    tests = project(tmp_path, '[tool.testmend]\nselect = ["TM1"]\nignore = ["TM101"]\n'
                              'exclude = ["fixtures/"]\nextend-exclude = ["slow/"]\n')
    s = load_settings([tests])
    assert s.select == ("TM1",)
    assert s.ignore == ("TM101",)
    assert s.exclude == ("fixtures/", "slow/")
    assert s.warnings == ()


def test_extend_exclude_written_before_exclude_still_counts(tmp_path: Path) -> None:
    tests = project(tmp_path, '[tool.testmend]\nextend-exclude = ["slow/"]\nexclude = ["fixtures/"]\n')
    assert load_settings([tests]).exclude == ("fixtures/", "slow/")


def test_scalar_options_from_config(tmp_path: Path) -> None:
    tests = project(tmp_path, '[tool.testmend]\njobs = 3\nunsafe-fixes = true\nrespect-gitignore = false\n'
                              'line-length = 100\ntarget-version = "py311"\n')
    s = load_settings([tests])
    assert (s.jobs, s.unsafe_fixes, s.respect_gitignore, s.line_length) == (3, True, False, 100)
    assert s.target_versions[0] == (3, 11)


def test_requires_python_and_black_line_length_are_used(tmp_path: Path) -> None:
    tests = project(tmp_path, '[project]\nrequires-python = ">=3.9,<3.13"\n[tool.black]\nline-length = 99\n')
    s = load_settings([tests])
    assert s.target_versions == ((3, 9), (3, 10), (3, 11), (3, 12))
    assert s.line_length == 99


def test_unknown_keys_are_warnings(tmp_path: Path) -> None:
    tests = project(tmp_path, '[tool.testmend]\nselct = ["TM1"]\n[tool.testmend.TM999]\nx = 1\n'
                              '[tool.testmend.TM101]\nno-such-option = 1\n')
    warnings = load_settings([tests]).warnings
    assert len(warnings) == 3
    assert any("'selct'" in w for w in warnings)
    assert any("TM999" in w and "not a known rule" in w for w in warnings)
    assert any("'no-such-option'" in w and "TM101" in w for w in warnings)
    assert all(str(tmp_path / "pyproject.toml") in w for w in warnings)


@pytest.mark.parametrize("body, words", [
    ('select = "TM101"', "select must be a list of strings"),
    ("jobs = \"4\"", "jobs must be an integer"),
    ("jobs = true", "jobs must be an integer"),
    ("jobs = -1", r"jobs must be 0 \(one per core\) or more"),
    ('unsafe-fixes = "yes"', "unsafe-fixes must be true or false"),
    ("line-length = 0", "line-length must be a positive integer"),
    ('target-version = "python3"', "is not a Python version"),
    ('TM101 = 3', "must be a table"),
])
def test_wrong_values_are_config_errors(tmp_path: Path, body: str, words: str) -> None:
    tests = project(tmp_path, f"[tool.testmend]\n{body}\n")
    with pytest.raises(ConfigError, match=words):
        load_settings([tests])


def test_invalid_toml_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    tests = project(tmp_path, "[tool.testmend\n")
    with pytest.raises(ConfigError, match="pyproject.toml: cannot be read as TOML"):
        load_settings([tests])


def test_command_line_wins_over_config(tmp_path: Path) -> None:
    tests = project(tmp_path, '[tool.testmend]\nselect = ["TM102"]\nignore = ["TM103"]\nexclude = ["a/"]\njobs = 3\n')
    s = load_settings([tests], select=("TM101",), ignore=("TM102",), exclude=("b/",), jobs=1)
    assert (s.select, s.ignore, s.exclude, s.jobs) == (("TM101",), ("TM102",), ("b/",), 1)
    # None means "not given on the command line"
    s = load_settings([tests], select=None, ignore=None, jobs=None)
    assert (s.select, s.ignore, s.jobs) == (("TM102",), ("TM103",), 3)


def test_command_line_select_overrides_a_broader_config_ignore(tmp_path: Path) -> None:
    tests = project(tmp_path, '[tool.testmend]\nignore = ["TM1", "TM9"]\n')
    assert load_settings([tests], select=("TM101",)).ignore == ("TM9",)
    assert load_settings([tests], select=("tm1",)).ignore == ("TM9",)
    # a config ignore more specific than the selection still applies
    tests = project(tmp_path, '[tool.testmend]\nignore = ["TM103"]\n')
    assert load_settings([tests], select=("TM1",)).ignore == ("TM103",)
    assert load_settings([tests], select=("ALL",)).ignore == ("TM103",)


def test_explicit_config_file(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text('[tool.testmend]\nselect = ["TM101"]\n')
    s = load_settings([tmp_path], config=other)
    assert s.select == ("TM101",) and s.config_file == other


def test_parse_target() -> None:
    assert parse_target("py310")[0] == (3, 10)
    assert parse_target("3.12")[0] == (3, 12)
    with pytest.raises(ConfigError):
        parse_target("2.7")


def test_rule_options(tmp_path: Path) -> None:
    tests = project(tmp_path, '[tool.testmend.TM101]\n')
    s = load_settings([tests])
    assert isinstance(s, Settings)
    assert s.options_for("TM101", {"max_lines": 60}) == {"max_lines": 60}
