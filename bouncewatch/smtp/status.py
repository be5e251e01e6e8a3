"""RFC 3463 enhanced status codes ("5.1.1") out of free text."""

from __future__ import annotations

import re

from bouncewatch.smtp.text import first_standalone

#: RFC 3463 enhanced status code: class 2/4/5, subject 0-7 (up to 3 digits), detail up to 3 digits.
#: (Not preceded by a digit or a dot: checked by `first_standalone`, not by a look-behind, which
#: would make the regex engine try it at every position -- four times slower on long texts.)
STATUS_RE = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")


def extract_status(text: str | None) -> str | None:
    """The first RFC 3463 status code in `text` ("5.1.1"), or None."""
    if not text:
        return None
    m = first_standalone(STATUS_RE, text)
    if m is None:
        return None
    cls, subject, detail = m.groups()
    if (subject[0] == "0" and len(subject) > 1) or (detail[0] == "0" and len(detail) > 1):
        return f"{cls}.{int(subject)}.{int(detail)}"  # "5.01.001" -> "5.1.1"
    return m.group(0)


def is_generic_status(status: str | None) -> bool:
    """True for a missing status or one that says only its class ("5.0.0", "4.0.0")."""
    return status is None or status.endswith(".0.0")
