import unittest


class TestLegacy(unittest.TestCase):
    def setUp(self):
        self.values = [1, 2]

    def test_equal(self):
        self.assertEqual(sum(self.values), 3)

    def test_raises(self):
        self.assertRaises(ZeroDivisionError, lambda: 1 / 0)

    def test_plain(self):
        assert self.values


if __name__ == "__main__":
    unittest.main()
