"""Shared fixtures, and a shim that keeps the suite running on Python 3.12+.

The suite predates Python 3.12, which removed the TestCase aliases it still
uses (assertEquals, assertDictContainsSubset).  Converting the asserts removes
the need for this shim.
"""
import os
import sys
import unittest

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inventory import Inventory, Item  # noqa: E402

if not hasattr(unittest.TestCase, "assertEquals"):  # Python >= 3.12
    unittest.TestCase.assertEquals = unittest.TestCase.assertEqual
if not hasattr(unittest.TestCase, "assertDictContainsSubset"):  # Python >= 3.12
    def _assert_dict_contains_subset(self, subset, dictionary, msg=None):
        missing = {k: v for k, v in subset.items() if k not in dictionary or dictionary[k] != v}
        if missing:
            self.fail(self._formatMessage(msg, f"missing or different: {missing!r}"))

    unittest.TestCase.assertDictContainsSubset = _assert_dict_contains_subset


@pytest.fixture
def stocked():
    inv = Inventory(currency="EUR")
    inv.add(Item("widget", "Widget", quantity=3, unit_price=2.49))
    inv.add(Item("gizmo", "Gizmo", quantity=0, unit_price=19.99))
    inv.add(Item("sprocket", "Sprocket, 12mm", quantity=40, unit_price=0.35))
    return inv
