"""Output helpers shared by the subcommands: terminal detection and JSON lines."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO


def is_terminal(stream: TextIO | None = None) -> bool:
    """True when ``stream`` (stdout by default) is an interactive terminal: show tables and bars."""
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def print_json_line(value: Any, stream: TextIO | None = None) -> None:
    """Write ``value`` as one line of JSON (non-ASCII kept readable)."""
    (stream or sys.stdout).write(json.dumps(value, ensure_ascii=False) + "\n")
