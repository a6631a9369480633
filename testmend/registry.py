"""The one place rules are found: every module under `testmend.detectors`.

Each detector module defines exactly one public `Rule` subclass; importing the
package is the registration. There is no second list to keep in sync.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from .rule import Rule


@lru_cache(maxsize=None)
def all_rules() -> tuple[type[Rule], ...]:
    from . import detectors

    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(detectors.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{detectors.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule \
                    and value.__module__ == module.__name__ and not value.__name__.startswith("_"):
                if value.code in found:
                    raise RuntimeError(f"rule code {value.code} is defined twice")
                found[value.code] = value
    return tuple(found[c] for c in sorted(found))


def rule_by_code(code: str) -> type[Rule] | None:
    for rule in all_rules():
        if rule.code == code.upper():
            return rule
    return None


def select_rules(select: list[str] | None, ignore: list[str] | None) -> tuple[type[Rule], ...]:
    """Rules whose code starts with a selected prefix and with no ignored prefix.

    Raises ValueError naming an unknown code, so a typo is never a silent no-op.
    """
    rules = all_rules()
    codes = [r.code for r in rules]

    def check(prefixes: list[str]) -> list[str]:
        out = []
        for p in prefixes:
            p = p.strip().upper()
            if not p:
                continue
            if p != "ALL" and not any(c.startswith(p) for c in codes):
                raise ValueError(f"unknown rule code or prefix {p!r}; run 'testmend rules' for the list")
            out.append(p)
        return out

    sel = check(select or ["ALL"])
    ign = check(ignore or [])

    def matches(code: str, prefixes: list[str]) -> bool:
        return any(p == "ALL" or code.startswith(p) for p in prefixes)

    return tuple(r for r in rules if matches(r.code, sel) and not matches(r.code, ign))
