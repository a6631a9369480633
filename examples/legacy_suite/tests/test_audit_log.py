import unittest
from unittest import mock

from inventory import Inventory, Item


class AuditRecordTest(unittest.TestCase):

    def setUp(self):
        self.inventory = Inventory(currency="CHF")
        self.inventory.add(Item("widget", "Widget", quantity=3, unit_price=2.49))
        self.inventory.add(Item("sprocket", "Sprocket, 12mm", quantity=40, unit_price=0.35))

    @mock.patch("inventory.stock.getpass.getuser")
    @mock.patch("inventory.stock.time.time")
    @mock.patch("inventory.stock.uuid.uuid4")
    def test_audit_record(self, mock_uuid4, mock_time, mock_getuser):
        mock_uuid4.return_value.hex = "0f1e2d3c"
        mock_time.return_value = 1700000000.25
        mock_getuser.return_value = "clerk"

        record = self.inventory.audit_record()

        self.assertEqual(record, {
            "id": "0f1e2d3c",
            "timestamp": 1700000000.25,
            "user": "clerk",
            "currency": "CHF",
            "items": 2,
            "total_value": 21.47,
        })
        mock_uuid4.assert_called_once_with()
        self.assertEqual(mock_time.call_count, 1)
        self.assertTrue(mock_getuser.called)

    @mock.patch("inventory.stock.getpass.getuser", return_value="night-shift")
    @mock.patch("inventory.stock.time.time", return_value=0.0)
    @mock.patch("inventory.stock.uuid.uuid4")
    def test_audit_record_of_empty_inventory(self, mock_uuid4, _time, _user):
        mock_uuid4.return_value.hex = "abc"
        record = Inventory().audit_record()
        self.assertEqual(record["items"], 0)
        self.assertEqual(record["total_value"], 0)
        self.assertEqual(record["currency"], "EUR")
        self.assertEqual(record["user"], "night-shift")

    @mock.patch("inventory.stock.getpass.getuser", return_value="clerk")
    @mock.patch("inventory.stock.time.time", return_value=5.0)
    def test_audit_ids_are_unique(self, _time, _user):
        first = self.inventory.audit_record()["id"]
        second = self.inventory.audit_record()["id"]
        self.assertNotEqual(first, second)
        self.assertEqual(len(first), 32)


if __name__ == "__main__":
    unittest.main()
