"""Newer tests, written for pytest; the TestCase below was moved here from the old suite."""
import unittest

import pytest

from inventory import Inventory, Item, OutOfStockError

# helper instance for the unittest comparisons that have no bare-assert spelling
_tc = unittest.TestCase()
_tc.maxDiff = None


@pytest.mark.parametrize("rate, expected", [(0.0, 19.99), (0.2, 23.99), (0.07, 21.39)])
def test_price_with_tax(stocked, rate, expected):
    assert stocked.price_with_tax("gizmo", rate) == expected


def test_value_by_sku(stocked):
    _tc.assertCountEqual(stocked.value_by_sku(), ["widget", "gizmo", "sprocket"])
    assert stocked.value_by_sku()["gizmo"] == 0


def test_out_of_stock_message(stocked):
    with pytest.raises(OutOfStockError, match="only 0 in stock"):
        stocked.remove("gizmo", 1)


def test_discount_bulk_order(stocked):
    stocked.restock("sprocket", 960)
    order_value = stocked.get("sprocket").unit_price * 1000
    _tc.assertAlmostEqual(order_value, 350.0, places=6)


class TestRestockPolicy(unittest.TestCase):
    """Uses the pytest fixture through an autouse fixture method."""

    @pytest.fixture(autouse=True)
    def _inject(self, stocked):
        self.inventory = stocked

    def test_restock_sold_out(self):
        self.inventory.restock("gizmo", 5)
        self.assertEqual(self.inventory.get("gizmo").quantity, 5)
        self.assertNotIn("gizmo", self.inventory.low_stock(5))

    def test_restock_negative(self):
        with self.assertRaises(ValueError) as ctx:
            self.inventory.restock("widget", -2)
        self.assertEqual(str(ctx.exception), "restock quantity must be positive")

    def test_currency(self):
        self.assertEqual(self.inventory.currency, "EUR")
        self.assertIs(type(self.inventory), Inventory)
        self.assertIsInstance(self.inventory.get("widget"), Item)
