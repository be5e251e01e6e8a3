"""Which SMTP command a refusal answered, as the reporting MTA words it."""

from __future__ import annotations

import re

#: how MTAs say which command the receiver refused: Postfix "(in reply to RCPT TO command)",
#: Exim "SMTP error from remote mail server after RCPT TO:<a@b>" / "after end of data",
#: Sendmail and Courier transcripts ">>> RCPT To:<a@b>" / ">>> ." (end of data) followed by
#: "<<< 550 …".  A transcript's ">>> DATA" followed by a refusal counts unless Sendmail's
#: summary of a refused recipient follows: with PIPELINING, Sendmail prints the replies to the
#: RCPT commands after ">>> DATA", each followed by that summary line
#: each form with the literal it starts with (looked for first: most texts have none of them)
_COMMAND_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "reply",
        re.compile(
            r"in\s+reply\s+to\s+(?:the\s+)?"
            r"(rcpt\s+to|mail\s+from|end\s+of\s+data|data|helo|ehlo|lhlo)\b"
        ),
    ),
    (
        "after",
        re.compile(
            r"\bafter\s+(?:pipelined\s+)?"
            r"(rcpt\s+to|mail\s+from|end\s+of\s+data|data|helo|ehlo|initial\s+connection)\b"
        ),
    ),
    # qmail: "Connected to 192.0.2.1 but sender was rejected." / "… but my name was rejected."
    (
        "connected",
        re.compile(r"\bconnected\s+to\s+\S+\s+but\s+(sender|my\s+name)\s+was\s+rejected"),
    ),
    # qmail: "192.0.2.1 does not like recipient." (RCPT TO), "… does not like sender."
    # (MAIL FROM), "… failed after I sent the message." (the end of DATA)
    ("does not like", re.compile(r"\bdoes\s+not\s+like\s+(recipient|sender)\b")),
    ("failed after", re.compile(r"\bfailed\s+after\s+i\s+(sent\s+the\s+message)\b")),
    (
        ">>>",
        re.compile(
            r"^>>> ?(rcpt\s+to|mail\s+from|helo|ehlo|\.)(?:[ :<][^\n]*)?\n<<< ?[45]\d\d"
            # ">>> DATA" and its refusal, unless Sendmail's summary line of a pipelined RCPT
            # follows ("550 5.1.1 <a@b>... User unknown"): the refusal then answered RCPT TO
            r"|^>>> ?(data)[ \t]*\n(?:<<< ?[45]\d\d[^\n]*(?:\n|\Z))+"
            r"(?!<<<|[45]\d\d [245]\.\d{1,3}\.\d{1,3} <?[^\s<>@]+@[^\s<>]+>?\.\.\.)",
            re.M,
        ),
    ),
)
_COMMAND_NAMES = {
    "rcpt to": "RCPT",
    "mail from": "MAIL",
    "end of data": "DATA",
    "data": "DATA",
    "helo": "HELO",
    "ehlo": "HELO",
    "lhlo": "HELO",
    "initial connection": "CONN",
    ".": "DATA",
    "sender": "MAIL",
    "recipient": "RCPT",
    "sent the message": "DATA",
    "my name": "HELO",
}


def smtp_command(text: str | None) -> str | None:
    """The SMTP command a refusal answered ("RCPT", "DATA", "MAIL", "HELO", "CONN"), as the
    reporting MTA words it in `text`; None if the text does not say.  The first mention
    counts: callers pass the text about one recipient."""
    if not text:
        return None
    lowered = text.lower()
    first: re.Match[str] | None = None
    for literal, pattern in _COMMAND_FORMS:
        if literal in lowered:
            m = pattern.search(lowered)
            if m is not None and (first is None or m.start() < first.start()):
                first = m
    if first is None:
        return None
    said = next(g for g in first.groups() if g is not None)
    return _COMMAND_NAMES[" ".join(said.split())]


def command_near(text: str, address: str) -> str | None:
    """The command named in the paragraph of `text` that mentions `address` (a transcript's
    ">>> …" line just above it included): for reports that speak of several recipients,
    each in its own paragraph or transcript ("... while talking to …: >>> RCPT To:<a@b> <<<
    550 …").  None if no paragraph about the address names one."""
    needle = address.lower()
    lowered = text.lower()
    pos = lowered.find(needle)
    while pos >= 0:
        line = text.rfind("\n", 0, pos) + 1
        above = text.rfind("\n", 0, max(line - 1, 0)) + 1
        start = above if text.startswith(">>>", above) else line
        end = text.find("\n\n", pos)
        end = min(end if end >= 0 else len(text), pos + 800)
        command = smtp_command(text[start:end])
        if command is not None:
            return command
        pos = lowered.find(needle, pos + len(needle))
    return None
