"""Text helpers for decoders: the SMTP code finders of the floor (`bouncewatch.smtp`, re-exported
here for the decoders that import them from this module), HTML to text, and the explanation a
human-readable bounce gives after an address.  (`strip_html` lives in `parse.bodytext`.)"""

from __future__ import annotations

# the floor's helpers, re-exported for the decoders that import them from here
from bouncewatch.parse.bodytext import strip_html as strip_html
from bouncewatch.smtp.reply import extract_codes as extract_codes
from bouncewatch.smtp.reply import extract_reply_code as extract_reply_code
from bouncewatch.smtp.reply import find_code_lines as find_code_lines
from bouncewatch.smtp.status import extract_status as extract_status
from bouncewatch.smtp.status import is_generic_status as is_generic_status
from bouncewatch.smtp.text import FoldedPattern as FoldedPattern
from bouncewatch.smtp.text import squash as squash


def explanation_after(
    text: str, address: str, limit: int = 600, *, lowered: str | None = None
) -> str | None:
    """The reason a human-readable bounce gives for `address`: the rest of the line that names
    it and the indented lines under it (Postfix "<a@b>: host … said: …", Exim "  a@b\\n
    Unrouteable address").  None when the address is not in the text or nothing follows.
    `lowered`: `text.lower()`, when the caller has it already."""
    if lowered is None:
        lowered = text.lower()
    needle = address.lower()
    start = 0
    while True:
        pos = lowered.find(needle, start)
        if pos < 0:
            return None
        start = pos + len(needle)
        eol = text.find("\n", start)
        eol = len(text) if eol < 0 else eol
        lines = []
        rest = text[start:eol].lstrip(" \t>:;,)").rstrip(" \t:;,")
        if rest:
            lines.append(rest)
        for line in text[eol + 1 : eol + 1 + limit * 2].split("\n"):
            if not line.strip() or line[:1] not in (" ", "\t"):
                break
            lines.append(line.strip())
        found = squash(" ".join(lines))
        if found:
            return found[:limit]
