"""JSON output: stable keys, UTF-8, and non-UTF-8 path bytes kept as JSON escapes."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit(data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    # A path byte that is not UTF-8 is a lone surrogate here; "\\udcXX" is its JSON escape.
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace") + b"\n")
    sys.stdout.flush()
