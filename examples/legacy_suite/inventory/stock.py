"""Items and the inventory that holds them."""
from __future__ import annotations

import getpass
import time
import uuid
import warnings
from dataclasses import dataclass


class UnknownItemError(KeyError):
    """No item with that SKU."""


class OutOfStockError(ValueError):
    """More units were requested than are in stock."""

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(f"cannot take {requested} x {sku}: only {available} in stock")
        self.sku = sku
        self.requested = requested
        self.available = available


@dataclass
class Item:
    sku: str
    name: str
    quantity: int = 0
    unit_price: float = 0.0

    def __post_init__(self) -> None:
        if self.quantity < 0:
            raise ValueError(f"quantity must not be negative, got {self.quantity}")
        if self.unit_price < 0:
            raise ValueError(f"unit_price must not be negative, got {self.unit_price}")

    @property
    def value(self) -> float:
        return self.quantity * self.unit_price


class Inventory:
    def __init__(self, currency: str = "EUR") -> None:
        self.currency = currency
        self._items: dict[str, Item] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, sku: object) -> bool:
        return sku in self._items

    def skus(self) -> list[str]:
        return sorted(self._items)

    def add(self, item: Item) -> Item:
        """Add an item; adding a known SKU again adds to its quantity."""
        existing = self._items.get(item.sku)
        if existing is None:
            self._items[item.sku] = item
            return item
        existing.quantity += item.quantity
        return existing

    def find(self, sku: str) -> Item | None:
        return self._items.get(sku)

    def get(self, sku: str) -> Item:
        try:
            return self._items[sku]
        except KeyError:
            raise UnknownItemError(sku) from None

    def restock(self, sku: str, quantity: int) -> Item:
        if quantity <= 0:
            raise ValueError("restock quantity must be positive")
        item = self.get(sku)
        item.quantity += quantity
        return item

    def remove(self, sku: str, quantity: int) -> Item:
        item = self.get(sku)
        if quantity > item.quantity:
            raise OutOfStockError(sku, quantity, item.quantity)
        item.quantity -= quantity
        return item

    def discontinue(self, sku: str) -> Item:
        return self._items.pop(sku) if sku in self._items else self.get(sku)

    def total_value(self) -> float:
        return sum(item.value for item in self._items.values())

    def low_stock(self, threshold: int) -> list[str]:
        """SKUs whose quantity is below `threshold`, sorted."""
        return sorted(sku for sku, item in self._items.items() if item.quantity < threshold)

    def price_with_tax(self, sku: str, tax_rate: float) -> float:
        return round(self.get(sku).unit_price * (1 + tax_rate), 2)

    def value_by_sku(self) -> dict[str, float]:
        return {sku: item.value for sku, item in sorted(self._items.items())}

    def audit_record(self) -> dict[str, object]:
        """A snapshot for the audit log."""
        return {
            "id": uuid.uuid4().hex,
            "timestamp": time.time(),
            "user": getpass.getuser(),
            "currency": self.currency,
            "items": len(self._items),
            "total_value": round(self.total_value(), 2),
        }

    def total(self) -> float:
        """Deprecated alias of total_value()."""
        warnings.warn("Inventory.total() is deprecated, use total_value()", DeprecationWarning, stacklevel=2)
        return self.total_value()
