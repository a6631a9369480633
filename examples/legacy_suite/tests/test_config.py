import json
import os
import shutil
import tempfile
import unittest

from inventory import ConfigError, load_config, parse_config
from inventory.config import DEFAULTS, from_env, merge


class ParseConfigTest(unittest.TestCase):

    def test_empty_text_gives_defaults(self):
        self.assertEqual(parse_config(""), DEFAULTS)
        self.assertEqual(parse_config("  \n"), DEFAULTS)

    def test_overrides_win(self):
        raw = {"currency": "USD", "tax_rate": 0.07, "low_stock_threshold": 10, "warehouse": "east"}
        cfg = parse_config(json.dumps(raw))
        self.assertDictEqual(cfg, raw)

    def test_partial_override_keeps_defaults(self):
        cfg = parse_config('{"warehouse": "north"}')
        self.assertDictContainsSubset({"currency": "EUR", "tax_rate": 0.2}, cfg)
        self.assertEqual(cfg["warehouse"], "north")

    def test_invalid_json(self):
        with self.assertRaisesRegex(ConfigError, r"not valid JSON: .* \(line 1\)"):
            parse_config("{currency: EUR}")

    def test_not_an_object(self):
        self.assertRaisesRegex(ConfigError, "must be a JSON object", parse_config, "[1, 2, 3]")

    def test_tax_rate_out_of_range(self):
        with self.assertRaises(ConfigError) as cm:
            parse_config('{"tax_rate": 1.5}')
        self.assertTrue(str(cm.exception).startswith("tax_rate must be in [0, 1)"))

    def test_bool_is_not_a_threshold(self):
        self.assertRaisesRegex(ConfigError, "low_stock_threshold", parse_config, '{"low_stock_threshold": true}')

    def test_currency_code(self):
        for bad in ("eur", "EURO", "E1R", 978):
            with self.assertRaises(ConfigError, msg=bad):
                merge({"currency": bad})

    def test_unknown_key(self):
        with self.assertRaisesRegex(ConfigError, "unknown setting"):
            merge({"colour": "blue"})


class LoadConfigTest(unittest.TestCase):

    def setUp(self):
        self.tmpdir = tempfile.mkdtemp()
        self.path = os.path.join(self.tmpdir, "inventory.json")

    def tearDown(self):
        shutil.rmtree(self.tmpdir)

    def write(self, data):
        with open(self.path, "w", encoding="utf-8") as fh:
            json.dump(data, fh)

    def test_file(self):
        raw = {"currency": "USD", "tax_rate": 0.07, "low_stock_threshold": 10, "warehouse": "east"}
        self.write(raw)
        cfg = load_config(self.path, environ={})
        self.assertEqual(cfg, raw)

    def test_environment_beats_file(self):
        raw = {"currency": "USD", "tax_rate": 0.07, "low_stock_threshold": 10, "warehouse": "east"}
        self.write(raw)
        cfg = load_config(self.path, environ={"INVENTORY_WAREHOUSE": "west", "INVENTORY_TAX_RATE": "0.19"})
        self.assertEqual(cfg["warehouse"], "west")
        self.assertAlmostEqual(cfg["tax_rate"], 0.19, places=7)
        self.assertEqual(cfg["currency"], "USD", "the file's currency must survive")

    def test_missing_file(self):
        with self.assertRaises(ConfigError) as cm:
            load_config(os.path.join(self.tmpdir, "nope.json"))
        self.assertIn("nope.json", cm.exception.args[0])

    def test_no_file_no_environment(self):
        self.assertEqual(load_config(environ={}), DEFAULTS)

    def test_bad_environment_value(self):
        self.assertRaisesRegex(ConfigError, "INVENTORY_LOW_STOCK_THRESHOLD", from_env,
                               {"INVENTORY_LOW_STOCK_THRESHOLD": "many"})

    def test_from_env_ignores_other_variables(self):
        self.assertEqual(from_env({"HOME": "/root", "INVENTORY_CURRENCY": "GBP"}), {"currency": "GBP"})


if __name__ == "__main__":
    unittest.main()
