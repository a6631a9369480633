"""Loading the before/after cases under fixtures/ (see fixtures/README.md)."""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
OUTPUT_MARK = b"# output"


@dataclass(frozen=True)
class Case:
    code: str  # the rule directory: TM101
    name: str  # file stem: assert_equal
    source: Path
    before: bytes
    after: bytes | None  # None: the fix must leave the input unchanged
    flags: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.code}/{self.name}"

    @property
    def expected(self) -> bytes:
        return self.before if self.after is None else self.after

    @property
    def test_file_name(self) -> str:
        return f"test_{self.code.lower()}_{self.name}.py"

    def rule_options(self) -> dict[str, dict[str, object]]:
        """`--option TM404.to-with=true` flags: per-rule options, values read as TOML."""
        from testmend.config import tomllib  # tomli before Python 3.11

        out: dict[str, dict[str, object]] = {}
        for i, flag in enumerate(self.flags[:-1]):
            if flag == "--option":
                key, _, value = self.flags[i + 1].partition("=")
                code, _, name = key.partition(".")
                out.setdefault(code, {})[name.replace("-", "_")] = tomllib.loads(f"v = {value}")["v"]
        return out

    def option(self, name: str) -> str | None:
        for i, flag in enumerate(self.flags):
            if flag == name and i + 1 < len(self.flags):
                return self.flags[i + 1]
        return None


def _split(data: bytes) -> tuple[bytes, bytes | None]:
    """Input and expected output around a line that is exactly `# output`."""
    lines = data.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.rstrip(b"\r\n") == OUTPUT_MARK:
            return b"".join(lines[:i]), b"".join(lines[i + 1:])
    return data, None


def _flags(before: bytes) -> tuple[str, ...]:
    for line in before.splitlines()[:5]:
        text = line.decode("utf-8", "replace").lstrip("\ufeff")
        if text.startswith("# flags:"):
            return tuple(shlex.split(text[len("# flags:"):]))
    return ()


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(FIXTURES.glob("TM*/*.py")):
        before, after = _split(path.read_bytes())
        cases.append(Case(path.parent.name, path.stem, path, before, after, _flags(before)))
    return cases
