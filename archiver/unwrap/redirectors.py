"""Placeholder: filled in by the redirectors format work."""

FORMATS = ()
