#!/usr/bin/env python3
"""Rewrite the formats table in docs/formats.md from the parse registry (the only list of
formats).  tests/test_formats_registry.py fails while the table is out of date."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bouncewatch.parse.registry import formats_table  # noqa: E402

DOC = ROOT / "docs" / "formats.md"
BEGIN = "<!-- formats table:"
END = "<!-- end of formats table -->"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    begin = text.index("\n", text.index(BEGIN)) + 1
    end = text.index(END)
    DOC.write_text(text[:begin] + formats_table() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
