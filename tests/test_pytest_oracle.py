"""`audit --pytest-oracle`: pytest's own "fixture not found" list next to TM301's."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from testmend import api
from testmend.cli import main
from testmend.config import load_settings


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)


def make(root: Path, files: dict[str, str]) -> Path:
    (root / "pytest.ini").write_text("[pytest]\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


CONFTEST = """
    import pytest

    @pytest.fixture
    def db():
        return {}
"""


def test_agreement_on_a_missing_fixture(tmp_path: Path) -> None:
    make(tmp_path, {"tests/conftest.py": CONFTEST, "tests/test_a.py": """
        def test_uses_db(db):
            assert db == {}

        def test_typo(dbb):
            pass

        def test_nowhere(mock_service):
            pass
    """})
    report = api.pytest_oracle([Path("tests")], load_settings([tmp_path], jobs=1))
    assert report.error is None and report.tests == 3
    assert report.both == [("tests/test_a.py::test_nowhere", "mock_service"), ("tests/test_a.py::test_typo", "dbb")]
    assert report.pytest_only == [] and report.index_only == [] and report.agrees


def test_fixture_made_by_a_factory_is_not_reported_missing(tmp_path: Path) -> None:
    """A fixture decorated inside a function and bound at module level: the
    index cannot know its name, so nothing in that scope is reported (TM301's
    stub would have replaced the working fixture)."""
    make(tmp_path, {"tests/conftest.py": """
        import pytest

        def _make(name):
            @pytest.fixture(name=name)
            def fixture():
                return 1
            return fixture

        dyn = _make("dyn")
    """, "tests/test_a.py": "def test_dyn(dyn):\n    assert dyn == 1\n"})
    result = CliRunner().invoke(main, ["audit", "--select", "TM301", "--pytest-oracle", "--format", "json", "tests"])
    doc = json.loads(result.stdout)
    assert doc["findings"] == []
    assert doc["pytest_oracle"]["index_only"] == [] and doc["pytest_oracle"]["pytest_only"] == []
    assert result.exit_code == 0, result.output


def test_disagreements_are_reported_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both directions. pytest's side is replaced by a fixed answer here (the
    tests above run the real pytest); what is checked is the comparison."""
    make(tmp_path, {"tests/conftest.py": CONFTEST, "tests/test_a.py": """
        def test_uses_db(db):
            pass

        def test_nowhere(mock_service):
            pass
    """})
    from testmend import pytest_oracle

    def fake(rootdir, targets, command):  # type: ignore[no-untyped-def]
        seen = {"tests/test_a.py::test_uses_db", "tests/test_a.py::test_nowhere"}
        return ["pytest"], seen, {"tests/test_a.py::test_uses_db": {"db"}}, []

    monkeypatch.setattr(pytest_oracle, "pytest_missing", fake)
    result = CliRunner().invoke(main, ["audit", "--select", "TM301", "--pytest-oracle", "tests"])
    assert result.exit_code == 1
    assert "pytest reports fixture 'db' not found for tests/test_a.py::test_uses_db; TM301's index resolved it" \
        in result.output
    assert "TM301 reports fixture 'mock_service' missing for tests/test_a.py::test_nowhere; pytest sets it up" \
        in result.output


def test_collection_errors_are_not_agreement(tmp_path: Path) -> None:
    make(tmp_path, {"tests/test_a.py": "import not_installed_anywhere\n\ndef test_a(x):\n    pass\n"})
    report = api.pytest_oracle([Path("tests")], load_settings([tmp_path], jobs=1))
    assert report.not_collected == ["tests/test_a.py"] and not report.agrees
    assert "could not collect 1 module(s) (tests/test_a.py)" in report.text()
