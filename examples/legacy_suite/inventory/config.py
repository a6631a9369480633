"""Settings: JSON file, then INVENTORY_* environment variables, over the defaults."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

DEFAULTS: dict[str, Any] = {
    "currency": "EUR",
    "tax_rate": 0.2,
    "low_stock_threshold": 5,
    "warehouse": "main",
}
ENV_PREFIX = "INVENTORY_"


class ConfigError(ValueError):
    """The settings are malformed or out of range."""


def _validate(cfg: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(cfg) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    currency = cfg["currency"]
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise ConfigError(f"currency must be a 3-letter ISO code, got {currency!r}")
    rate = cfg["tax_rate"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ConfigError(f"tax_rate must be in [0, 1), got {rate!r}")
    threshold = cfg["low_stock_threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise ConfigError(f"low_stock_threshold must be a non-negative integer, got {threshold!r}")
    return cfg


def merge(overrides: Mapping[str, Any]) -> dict[str, Any]:
    return _validate({**DEFAULTS, **overrides})


def parse_config(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise ConfigError("the settings must be a JSON object")
    return merge(data)


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        raw = environ.get(ENV_PREFIX + key.upper())
        if raw is None:
            continue
        try:
            out[key] = type(default)(raw)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}{key.upper()}: cannot read {raw!r} as {type(default).__name__}") from None
    return out


def load_config(path: str | os.PathLike[str] | None = None,
                environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then the JSON file at `path` (if given), then the environment."""
    cfg: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"no settings file at {p}")
        cfg.update(parse_config(p.read_text(encoding="utf-8")))
    cfg.update(from_env(environ))
    return merge(cfg)
