"""Which SMTP command a refusal answered, as the reporting MTA words it."""

from __future__ import annotations

import re

#: how MTAs say which command the receiver refused: Postfix "(in reply to RCPT TO command)",
#: Exim "SMTP error from remote mail server after RCPT TO:<a@b>" / "after end of data",
#: Sendmail and Courier transcripts ">>> RCPT To:<a@b>" / ">>> ." (end of data) followed by
#: "<<< 550 …".  A transcript's ">>> DATA" followed by a refusal counts unless Sendmail's
#: summary of a refused recipient follows: with PIPELINING, Sendmail prints the replies to the
#: RCPT commands after ">>> DATA", each followed by that summary line
_COMMAND_RE = re.compile(
    r"in\s+reply\s+to\s+(?:the\s+)?(rcpt\s+to|mail\s+from|end\s+of\s+data|data|helo|ehlo|lhlo)\b"
    r"|\bafter\s+(?:pipelined\s+)?(rcpt\s+to|mail\s+from|end\s+of\s+data|data|helo|ehlo|"
    r"initial\s+connection)\b"
    # qmail: "Connected to 192.0.2.1 but sender was rejected." / "… but my name was rejected."
    r"|\bconnected\s+to\s+\S+\s+but\s+(sender|my\s+name)\s+was\s+rejected"
    r"|^>>> ?(rcpt\s+to|mail\s+from|helo|ehlo|\.)(?:[ :<][^\n]*)?\n<<< ?[45]\d\d"
    # ">>> DATA" and its refusal, unless Sendmail's summary line of a pipelined RCPT follows
    # ("550 5.1.1 <a@b>... User unknown"): the refusal then answered the RCPT TO
    r"|^>>> ?(data)[ \t]*\n(?:<<< ?[45]\d\d[^\n]*(?:\n|\Z))+"
    r"(?!<<<|[45]\d\d [245]\.\d{1,3}\.\d{1,3} <?[^\s<>@]+@[^\s<>]+>?\.\.\.)",
    re.I | re.M,
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
    "my name": "HELO",
}


def smtp_command(text: str | None) -> str | None:
    """The SMTP command a refusal answered ("RCPT", "DATA", "MAIL", "HELO", "CONN"), as the
    reporting MTA words it in `text`; None if the text does not say.  The first mention
    counts: callers pass the text about one recipient."""
    if not text:
        return None
    m = _COMMAND_RE.search(text)
    if m is None:
        return None
    said = next(g for g in m.groups() if g is not None)
    return _COMMAND_NAMES[" ".join(said.lower().split())]
