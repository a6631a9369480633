import unittest

from inventory import Inventory, Item, OutOfStockError, UnknownItemError


class ItemTest(unittest.TestCase):

    def test_value(self):
        item = Item("widget", "Widget", quantity=4, unit_price=2.5)
        self.assertEqual(item.value, 10.0)

    def test_defaults(self):
        item = Item("bolt", "Bolt")
        self.assertEquals(item.quantity, 0)
        self.assertEquals(item.unit_price, 0.0)

    def test_negative_quantity_rejected(self):
        self.assertRaises(ValueError, Item, "bolt", "Bolt", -1)

    def test_negative_price_rejected(self):
        with self.assertRaises(ValueError) as cm:
            Item("bolt", "Bolt", quantity=1, unit_price=-0.5)
        self.assertIn("unit_price", str(cm.exception))


class InventoryTest(unittest.TestCase):

    def setUp(self):
        self.inventory = Inventory()
        self.inventory.add(Item("widget", "Widget", quantity=3, unit_price=2.49))
        self.inventory.add(Item("gizmo", "Gizmo", quantity=0, unit_price=19.99))
        self.inventory.add(Item("sprocket", "Sprocket, 12mm", quantity=40, unit_price=0.35))

    def test_len_and_contains(self):
        self.assertEqual(len(self.inventory), 3)
        self.assertTrue("widget" in self.inventory)
        self.assertFalse("doohickey" in self.inventory)
        self.assertIn("gizmo", self.inventory.skus())
        self.assertNotIn("doohickey", self.inventory.skus())

    def test_add_existing_sku_adds_quantity(self):
        item = self.inventory.add(Item("widget", "Widget", quantity=10, unit_price=2.49))
        self.assertEqual(item.quantity, 13, "adding a known SKU should add to its quantity")
        self.assertEqual(len(self.inventory), 3, msg="no new SKU expected")

    def test_find_missing_returns_none(self):
        self.assertIsNone(self.inventory.find("doohickey"))
        self.assertIsNotNone(self.inventory.find("widget"))

    def test_get_unknown(self):
        self.assertRaises(UnknownItemError, self.inventory.get, "doohickey")

    def test_remove(self):
        item = self.inventory.remove("sprocket", 15)
        self.assertEqual(item.quantity, 25)

    def test_remove_more_than_in_stock(self):
        with self.assertRaises(OutOfStockError) as cm:
            self.inventory.remove("widget", 10)
        self.assertEqual(cm.exception.available, 3)
        self.assertEqual(cm.exception.requested, 10)
        self.assertIn("only 3 in stock", str(cm.exception))

    def test_remove_unknown(self):
        self.assertRaises(UnknownItemError, self.inventory.remove, "doohickey", 1)

    def test_remove_everything(self):
        # regression test for #112 (removing the last unit used to raise)
        self.inventory.remove("widget", 3)

    def test_total_value(self):
        self.assertAlmostEqual(self.inventory.total_value(), 21.47, places=2)

    def test_price_with_tax(self):
        self.assertAlmostEqual(self.inventory.price_with_tax("gizmo", 0.2), 23.99, places=2)
        self.assertAlmostEqual(self.inventory.price_with_tax("sprocket", 0.07), 0.37, 2)

    def test_low_stock(self):
        self.assertEqual(
            self.inventory.low_stock(threshold=5),
            # gizmo is sold out and widgets are at 3; sprockets (40) must not show up
            ["gizmo", "widget"],
        )

    def test_low_stock_threshold_zero(self):
        self.assertEqual(self.inventory.low_stock(0), [])

    def test_restock_rejects_zero(self):
        with self.assertRaisesRegex(ValueError, "must be positive"):
            self.inventory.restock("gizmo", 0)

    def test_value_by_sku(self):
        values = self.inventory.value_by_sku()
        self.assertEqual(list(values), ["gizmo", "sprocket", "widget"])
        self.assertAlmostEqual(values["sprocket"], 14.0)
        self.assertIsInstance(values["gizmo"], float)

    def test_deprecated_total(self):
        with self.assertWarns(DeprecationWarning):
            total = self.inventory.total()
        self.assertAlmostEqual(total, self.inventory.total_value())

    def test_bulk_import(self):
        pass  # TODO: CSV import, see #97

    def test_full_day_of_trading(self):
        inv = self.inventory
        # morning delivery
        inv.restock("gizmo", 12)
        inv.restock("widget", 20)
        inv.add(Item("flange", "Flange", quantity=8, unit_price=4.1))
        self.assertEqual(len(inv), 4)
        self.assertEqual(inv.get("gizmo").quantity, 12)
        self.assertEqual(inv.get("widget").quantity, 23)
        self.assertEqual(inv.low_stock(5), [])
        # first orders
        inv.remove("gizmo", 2)
        inv.remove("sprocket", 30)
        inv.remove("flange", 8)
        self.assertEqual(inv.get("gizmo").quantity, 10)
        self.assertEqual(inv.get("sprocket").quantity, 10)
        self.assertEqual(inv.get("flange").quantity, 0)
        self.assertEqual(inv.low_stock(5), ["flange"])
        # a customer wants more widgets than we have
        with self.assertRaises(OutOfStockError):
            inv.remove("widget", 24)
        self.assertEqual(inv.get("widget").quantity, 23)
        # afternoon: flanges are discontinued
        gone = inv.discontinue("flange")
        self.assertEqual(gone.sku, "flange")
        self.assertNotIn("flange", inv)
        self.assertRaises(UnknownItemError, inv.discontinue, "flange")
        # closing stock
        self.assertEqual(inv.skus(), ["gizmo", "sprocket", "widget"])
        self.assertAlmostEqual(inv.total_value(), 10 * 19.99 + 10 * 0.35 + 23 * 2.49, places=6)
        self.assertTrue(inv.total_value() > 250)
        self.assertGreater(inv.price_with_tax("gizmo", 0.2), inv.get("gizmo").unit_price)
        self.assertLess(inv.get("sprocket").value, inv.get("widget").value)
        self.assertEqual(inv.value_by_sku()["widget"], inv.get("widget").value)


if __name__ == "__main__":
    unittest.main()
