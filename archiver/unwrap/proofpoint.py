"""Placeholder: filled in by the proofpoint format work."""

FORMATS = ()
