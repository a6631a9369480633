"""Detectors: one rule per module; the registry imports every public module here."""
