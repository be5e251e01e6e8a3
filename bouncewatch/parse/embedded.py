"""Reports inside the wrong shape: read again as the message they really are.

Three shapes real mail has, each tried only when no decoder recognised the message:

- a MIME body whose boundary is not the one the header names (or whose Content-Type header
  was lost on the way): the body's own "--boundary" lines are used;
- a whole bounce pasted into a text body (a provider that wraps the report it got in its
  own notice): the pasted header block and what follows;
- a bounce forwarded inline by a person ("-------- Forwarded Message --------" and its
  header lines) or quoted in a forward ("> " before every line).

`candidates` yields each re-read message; the registry runs its decoders over them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message
from email.parser import Parser
from email.policy import compat32

from bouncewatch.parse.formats._common import body_text
from bouncewatch.parse.lean import read_message

_parser = Parser(policy=compat32)
#: a body's first boundary line: "--" and a token, alone on its line
_BOUNDARY_RE = re.compile(r"^--([0-9A-Za-z'()+_,./:=?-]{6,70})[ \t]*$", re.M)
#: a pasted message starts with an mbox "From " line or one of these header lines
_PASTED_RE = re.compile(
    r"^(?:From MAILER-DAEMON\b.*|Return-Path:[ \t]*<>[ \t]*|Received: from .+)\n"
    r"(?=(?:[!-9;-~]+:.*\n|[ \t]+.*\n)*(?:From|Subject|Content-Type):)",
    re.M | re.I,
)
#: a forward's marker line, followed by the forwarded message's header lines
_FORWARD_RE = re.compile(
    r"^(?:-{2,} ?(?:Forwarded|Original) [Mm]essage ?-{2,}|Begin forwarded message:)[ \t]*\n"
    r"(?=(?:[!-9;-~]+:.*\n)+)",
    re.M,
)
#: a quoted bounce: "> From: Mail Delivery Subsystem <MAILER-DAEMON…>"
_QUOTED_RE = re.compile(
    r"^>[ \t]?From:.*(?:MAILER-DAEMON|postmaster|Mail Delivery).*$", re.M | re.I
)
_MAX_TEXT = 256 * 1024


def candidates(msg: Message) -> Iterator[Message]:
    """The messages `msg` may really be, cheapest first."""
    if msg.is_multipart():
        return  # the parser found parts: the boundary works, and the decoders had them
    repaired = repaired_boundary(msg)
    if repaired is not None:
        yield repaired
        return
    text = body_text(msg)[:_MAX_TEXT]
    m = _PASTED_RE.search(text)
    if m is not None:
        pasted = text[m.start() :]
        if pasted.startswith("From "):  # the mbox separator line is no header
            pasted = pasted.partition("\n")[2]
        yield _read(pasted)
    f = _FORWARD_RE.search(text)
    if f is not None:
        yield _read(text[f.end() :])
    q = _QUOTED_RE.search(text)
    if q is not None:
        lines = []
        for line in text[q.start() :].split("\n"):
            if not line.startswith(">"):
                break
            lines.append(line[2:] if line.startswith("> ") else line[1:])
        yield _read("\n".join(lines))


def repaired_boundary(msg: Message) -> Message | None:
    """`msg` re-read with the boundary its body really uses, or None when its body has no
    MIME parts at all."""
    try:
        payload = msg.get_payload()
    except (UnicodeError, LookupError):  # 8-bit bytes under a charset that refuses them
        return None
    if not isinstance(payload, str) or "\n--" not in payload[:_MAX_TEXT]:
        return None
    m = _BOUNDARY_RE.search(payload, 0, _MAX_TEXT)
    if m is None or payload.count("\n--" + m.group(1)) < 2:
        return None
    ctype = msg.get_content_type()
    if not ctype.startswith("multipart/"):
        ctype = "multipart/mixed"
    report_type = msg.get_param("report-type")
    params = f"; report-type={report_type}" if isinstance(report_type, str) else ""
    # (a value is a str, or an email.header.Header when its raw bytes are not ASCII)
    fields: list[tuple[str, object]] = msg.items()  # type: ignore[assignment]
    head = "".join(
        f"{name}: {value}\n"
        for name, value in fields
        if name.lower() not in ("content-type", "content-transfer-encoding", "mime-version")
    )
    fixed = f'{head}MIME-Version: 1.0\nContent-Type: {ctype}{params}; boundary="{m.group(1)}"\n\n'
    return _read(fixed + payload)


def _read(text: str) -> Message:
    """`text` parsed as compat32's `Parser.parsestr` does: by the lean reader (the same tree,
    faster) when the text is what reading bytes gives (ASCII, 8-bit bytes as surrogate
    escapes), else by the standard parser."""
    try:
        data = text.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:  # characters no byte stands for (a decoded header or body)
        return _parser.parsestr(text)
    return read_message(data)
