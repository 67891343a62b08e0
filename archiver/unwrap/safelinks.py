"""Placeholder: filled in by the safelinks format work."""

FORMATS = ()
