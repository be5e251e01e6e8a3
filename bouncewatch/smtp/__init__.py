"""The neutral floor: SMTP facts that every layer above reads the same way.

Owns RFC 3463 enhanced status codes (`status`), RFC 5321 reply codes and the "550 5.1.1 …"
phrases that carry them (`reply`), the SMTP command a refusal answered (`command`),
addresses -- their one spelling, VERP, the Original-Recipient choice (`address`) -- and the
plain-text helpers those need (`text`: white-space squashing, a fast case-insensitive search).

May import: the standard library only.  Everything else (`parse`, `classify`, `store.policy`)
stands on it; it never imports them.
"""

from bouncewatch.smtp.command import command_near, smtp_command
from bouncewatch.smtp.reply import extract_codes, extract_reply_code, find_code_lines
from bouncewatch.smtp.status import extract_status, is_generic_status
from bouncewatch.smtp.text import FoldedPattern, squash

__all__ = [
    "FoldedPattern",
    "command_near",
    "extract_codes",
    "extract_reply_code",
    "extract_status",
    "find_code_lines",
    "is_generic_status",
    "smtp_command",
    "squash",
]
