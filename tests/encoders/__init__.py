"""Test-only encoders: wrap a URL the way each wrapper format does, to round-trip the decoder."""
