"""A small stock-keeping package: items, quantities, prices, and its settings."""
from .config import ConfigError, load_config, parse_config
from .stock import Inventory, Item, OutOfStockError, UnknownItemError

__all__ = [
    "ConfigError", "Inventory", "Item", "OutOfStockError", "UnknownItemError",
    "load_config", "parse_config",
]
__version__ = "0.3.1"
