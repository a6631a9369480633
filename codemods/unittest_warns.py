"""Rewrite `self.assertWarns*` as `pytest.warns` (TM103): the builders are shared
with TM102 (`unittest_raises`), only the helper name and the safety differ."""
from __future__ import annotations

from .unittest_raises import Expectation, convert_callable_form, convert_context_managers

__all__ = ["Expectation", "convert_callable_form", "convert_context_managers"]
