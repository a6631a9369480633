"""Codemods: each builds the fix for the rule in `detectors/` that shares its file name."""
