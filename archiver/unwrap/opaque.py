"""Placeholder: filled in by the opaque format work."""

FORMATS = ()
