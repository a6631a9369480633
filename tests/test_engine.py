"""The engine through the library API: findings, fixes, preservation, errors, parallelism."""
from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

import pytest

import testmend.engine as engine
from testmend import api, source
from testmend.config import load_settings

TWO = """import unittest


class TestA(unittest.TestCase):
    def test_one(self):
        self.assertEqual(1, 1)
        self.assertEqual(2, 2)
"""
TWO_FIXED = TWO.replace("self.assertEqual(1, 1)", "assert 1 == 1").replace("self.assertEqual(2, 2)", "assert 2 == 2")


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)


def settings(tmp_path: Path, **kw):
    kw.setdefault("select", ("TM101",))
    return load_settings([tmp_path], **kw)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".testmend")]


# ---------------------------------------------------------------- audit and fix
def test_audit_reports_each_assertion_with_position(tmp_path: Path) -> None:
    write(tmp_path / "test_a.py", TWO)
    run = api.audit([tmp_path], settings(tmp_path))
    assert [(f.code, f.span.line, f.span.column) for f in run.findings] == [("TM101", 6, 8), ("TM101", 7, 8)]
    assert all(f.fixable for f in run.findings)
    assert run.errors == []
    assert run.files_seen == 1


def test_fix_without_write_changes_nothing_on_disk(tmp_path: Path) -> None:
    path = write(tmp_path / "test_a.py", TWO)
    run = api.fix([tmp_path], settings(tmp_path))
    assert [c.new.decode() for c in run.changes] == [TWO_FIXED]
    assert run.written == []
    assert path.read_text() == TWO


def test_fix_write_applies_and_second_run_is_a_no_op(tmp_path: Path) -> None:
    path = write(tmp_path / "test_a.py", TWO)
    run = api.fix([tmp_path], settings(tmp_path), write=True)
    assert run.written == [path]
    assert path.read_text() == TWO_FIXED
    again = api.fix([tmp_path], settings(tmp_path), write=True)
    assert again.changes == [] and again.written == []
    assert api.audit([tmp_path], settings(tmp_path)).findings == []
    assert leftovers(tmp_path) == []


def test_clean_file_has_no_findings(tmp_path: Path) -> None:
    write(tmp_path / "test_clean.py", "def test_x():\n    assert 1 + 1 == 2\n")
    run = api.audit([tmp_path], settings(tmp_path))
    assert run.findings == [] and run.errors == []


# ---------------------------------------------------------------- preservation
def _one_fix(tmp_path: Path, raw: bytes, name: str = "test_p.py") -> tuple[Path, bytes]:
    path = tmp_path / name
    path.write_bytes(raw)
    api.fix([path], settings(tmp_path), write=True)
    return path, path.read_bytes()


def test_crlf_file_stays_crlf(tmp_path: Path) -> None:
    raw = TWO.replace("\n", "\r\n").encode()
    _, new = _one_fix(tmp_path, raw)
    assert new == TWO_FIXED.replace("\n", "\r\n").encode()


def test_bom_stays(tmp_path: Path) -> None:
    raw = codecs.BOM_UTF8 + TWO.encode()
    _, new = _one_fix(tmp_path, raw)
    assert new == codecs.BOM_UTF8 + TWO_FIXED.encode()


def test_latin1_file_stays_latin1(tmp_path: Path) -> None:
    text = "# -*- coding: latin-1 -*-\n" + TWO.replace("(2, 2)", "('caf\u00e9', 'caf\u00e9')")
    _, new = _one_fix(tmp_path, text.encode("latin-1"))
    assert b"assert 'caf\xe9' == 'caf\xe9'" in new
    assert new.decode("latin-1").startswith("# -*- coding: latin-1 -*-\n")
    with pytest.raises(UnicodeDecodeError):
        new.decode("utf-8")


def test_permission_bits_kept(tmp_path: Path) -> None:
    path = tmp_path / "test_p.py"
    path.write_text(TWO)
    os.chmod(path, 0o750)
    api.fix([path], settings(tmp_path), write=True)
    assert path.read_text() == TWO_FIXED
    assert stat.S_IMODE(path.stat().st_mode) == 0o750


def test_bytes_outside_fixed_lines_are_identical(tmp_path: Path) -> None:
    odd = (
        "import unittest   \n"  # trailing spaces
        "x  =  ( 1 ,2 )\t# tab before comment, caf\u00e9\n"
        "\x0c\n"  # form feed line
        "\n"
        "class TestA(unittest.TestCase):\n"
        "    def test_one(self):\n"
        "        y = {'a':1,\n"
        "             'b' :2}\n"
        "        self.assertEqual(y, {'a': 1, 'b': 2})\n"
        "        z=[ 1,2 ]   # keep me\n"
        "        self.assertEqual(z, [1, 2])"  # no newline at end of file
    )
    expected = odd.replace("self.assertEqual(y, {'a': 1, 'b': 2})", "assert y == {'a': 1, 'b': 2}") \
        .replace("self.assertEqual(z, [1, 2])", "assert z == [1, 2]")
    _, new = _one_fix(tmp_path, odd.encode())
    assert new == expected.encode()


def test_diff_of_a_file_with_a_form_feed_has_no_spurious_markers(tmp_path: Path) -> None:
    # str.splitlines() would split the comment line at the form feed
    text = "import unittest\n\x0c\nclass TestA(unittest.TestCase):\n    def test_one(self):\n" \
           "        # page\x0cbreak\n        self.assertEqual(1, 1)\n"
    path = write(tmp_path / "test_ff.py", text)
    run = api.fix([path], settings(tmp_path))
    diff = api.unified_diff(run.changes[0])
    assert "No newline at end of file" not in diff
    assert "\n-        self.assertEqual(1, 1)\n+        assert 1 == 1\n" in diff


def test_diff_of_a_latin1_file_is_decoded_with_its_encoding(tmp_path: Path) -> None:
    text = "# -*- coding: latin-1 -*-\n" + TWO.replace("(2, 2)", "('caf\u00e9', 'caf\u00e9')")
    path = tmp_path / "test_l.py"
    path.write_bytes(text.encode("latin-1"))
    run = api.fix([path], settings(tmp_path))
    diff = api.unified_diff(run.changes[0])
    assert "+        assert 'caf\u00e9' == 'caf\u00e9'\n" in diff
    diff.encode("utf-8")  # no lone surrogates: printable on a UTF-8 terminal


# ---------------------------------------------------------------- bad input
def test_syntax_error_is_reported_and_other_files_still_fixed(tmp_path: Path) -> None:
    bad = write(tmp_path / "test_bad.py", "import unittest\ndef test_x(:\n    self.assertEqual(1, 2)\n")
    good = write(tmp_path / "test_good.py", TWO)
    run = api.fix([tmp_path], settings(tmp_path), write=True)
    [error] = run.errors
    assert error.path == bad
    assert "syntax error at line 2" in error.message and "\n" not in error.message
    assert good.read_text() == TWO_FIXED
    assert bad.read_text().startswith("import unittest\ndef test_x(:")


def test_syntax_error_in_a_file_no_rule_looks_at_is_still_reported(tmp_path: Path) -> None:
    # the byte pre-filter finds no `.assert` here, so no rule runs; the file
    # must not be reported as clean
    write(tmp_path / "test_bad.py", "def test_x(:\n    pass\n")
    write(tmp_path / "test_good.py", TWO)
    for jobs in (1, 2):
        run = api.audit([tmp_path], settings(tmp_path, jobs=jobs))
        assert [e.path.name for e in run.errors] == ["test_bad.py"]
        assert "syntax error at line 1" in run.errors[0].message
        assert len(run.findings) == 2


def test_undecodable_file_is_reported_and_others_processed(tmp_path: Path) -> None:
    bad = tmp_path / "test_bad.py"
    bad.write_bytes(TWO.replace("(1, 1)", "('\xff', 1)").encode("latin-1"))
    write(tmp_path / "test_good.py", TWO)
    run = api.audit([tmp_path], settings(tmp_path))
    [error] = run.errors
    assert error.path == bad
    assert "line 6" in error.message and "utf-8" in error.message and "\n" not in error.message
    assert {f.path.name for f in run.findings} == {"test_good.py"}


def test_read_only_file_is_not_written_others_are(tmp_path: Path) -> None:
    ro = write(tmp_path / "test_ro.py", TWO)
    rw = write(tmp_path / "test_rw.py", TWO)
    os.chmod(ro, 0o444)
    try:
        run = api.fix([tmp_path], settings(tmp_path), write=True)
    finally:
        mode = stat.S_IMODE(ro.stat().st_mode)
        os.chmod(ro, 0o644)
    assert mode == 0o444
    assert ro.read_text() == TWO
    assert rw.read_text() == TWO_FIXED
    assert run.written == [rw]
    [error] = run.errors
    assert error.path == ro and "read-only" in error.message


def test_file_changed_between_read_and_write_is_skipped(tmp_path: Path) -> None:
    changed = write(tmp_path / "test_changed.py", TWO)
    other = write(tmp_path / "test_other.py", TWO)
    run = api.fix([tmp_path], settings(tmp_path), write=False)
    assert len(run.changes) == 2
    changed.write_text(TWO + "# edited meanwhile\n")
    api.write_changes(run)
    assert changed.read_text() == TWO + "# edited meanwhile\n"
    assert other.read_text() == TWO_FIXED
    assert run.written == [other]
    [error] = run.errors
    assert error.path == changed and "changed since it was read" in error.message


def test_interrupted_write_leaves_file_intact_and_no_temp_files(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path / "test_a.py", TWO)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(source.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.fix([path], settings(tmp_path), write=True)
    assert path.read_text() == TWO
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- parallelism
def _tree(tmp_path: Path, n: int = 20) -> list[Path]:
    paths = []
    for i in range(n):
        text = TWO.replace("TestA", f"Test{i}").replace("(2, 2)", f"({i}, {i})")
        paths.append(write(tmp_path / f"pkg{i % 3}" / f"test_f{i:02d}.py", text))
    return paths


def _summary(run):
    return ([(f.path.name, f.span, f.message) for f in run.findings],
            sorted((c.path.name, c.new) for c in run.changes),
            [(e.path.name, e.message) for e in run.errors])


def test_two_jobs_give_the_same_results_as_one(tmp_path: Path) -> None:
    _tree(tmp_path)
    serial = api.fix([tmp_path], settings(tmp_path, jobs=1))
    parallel = api.fix([tmp_path], settings(tmp_path, jobs=2))
    assert len(serial.findings) == 40 and len(serial.changes) == 20
    assert _summary(parallel) == _summary(serial)
    assert [r.path for r in parallel.files] == [r.path for r in serial.files]


@pytest.mark.parametrize("jobs", [2, 4])
def test_worker_that_dies_is_reported_for_its_file_only(tmp_path: Path, monkeypatch, jobs: int) -> None:
    paths = _tree(tmp_path)
    poison = paths[7]
    real = engine.process_file

    def process_file(path, job):
        if path.name == poison.name:
            os._exit(3)  # as a segfault in a native extension would
        return real(path, job)

    # workers are forked, so they see the patched module attribute
    monkeypatch.setattr(engine, "process_file", process_file)
    run = api.audit([tmp_path], settings(tmp_path, jobs=jobs))
    assert [(e.path.name, "worker process died" in e.message) for e in run.errors] == [(poison.name, True)]
    assert len(run.findings) == 38
    assert {f.path.name for f in run.findings} == {p.name for p in paths} - {poison.name}


def test_internal_error_in_one_file_is_reported_for_that_file(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path / "test_a.py", TWO)
    write(tmp_path / "test_b.py", TWO)
    real = engine.parse_and_check

    def broken(path, job):
        if path.name == "test_a.py":
            raise RuntimeError("boom")
        return real(path, job)

    monkeypatch.setattr(engine, "parse_and_check", broken)
    run = api.audit([tmp_path], settings(tmp_path, jobs=1))
    [error] = run.errors
    assert error.path.name == "test_a.py" and "internal error" in error.message and "boom" in error.message
    assert {f.path.name for f in run.findings} == {"test_b.py"}


# ---------------------------------------------------------------- interactive (library)
def test_fix_interactively_applies_only_approved(tmp_path: Path) -> None:
    a = write(tmp_path / "test_a.py", TWO)
    b = write(tmp_path / "test_b.py", TWO)
    answers = iter([api.Answer.YES, api.Answer.NO, api.Answer.QUIT])
    seen = []

    def ask(p: api.Proposal) -> api.Answer:
        seen.append((p.finding.path.name, p.index, p.total))
        return next(answers)

    run = api.fix_interactively([tmp_path], ask, settings(tmp_path))
    assert seen == [("test_a.py", 1, 4), ("test_a.py", 2, 4), ("test_b.py", 3, 4)]
    assert a.read_text() == TWO.replace("self.assertEqual(1, 1)", "assert 1 == 1")
    assert b.read_text() == TWO
    assert run.written == [a]


def test_fix_interactively_writes_finished_files_before_an_interrupt(tmp_path: Path) -> None:
    a = write(tmp_path / "test_a.py", TWO)
    write(tmp_path / "test_b.py", TWO)

    def ask(p: api.Proposal) -> api.Answer:
        if p.finding.path.name == "test_b.py":
            raise KeyboardInterrupt
        return api.Answer.YES

    with pytest.raises(KeyboardInterrupt):
        api.fix_interactively([tmp_path], ask, settings(tmp_path))
    assert a.read_text() == TWO_FIXED


def test_a_broken_suite_analysis_is_reported_and_the_other_rules_still_run(tmp_path: Path, monkeypatch) -> None:
    """Fix: pytest missing from testmend's environment made the fixture index
    raise, and the whole run died with a traceback."""
    from testmend import fixture_index

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ModuleNotFoundError("No module named '_pytest'")

    monkeypatch.setattr(fixture_index.FixtureIndex, "build", staticmethod(broken))
    (tmp_path / "test_a.py").write_text("import unittest\n\n\nclass TestA(unittest.TestCase):\n"
                                        "    def test_a(self):\n        self.assertEqual(1, 1)\n")
    from testmend import api
    from testmend.config import load_settings

    run = api.audit([tmp_path], load_settings([tmp_path], jobs=1))
    assert any(f.code == "TM101" for f in run.findings)
    assert not any(f.code == "TM301" for f in run.findings)
    [error] = run.errors
    assert "internal error in the suite analysis fixture-index (ModuleNotFoundError" in error.message
