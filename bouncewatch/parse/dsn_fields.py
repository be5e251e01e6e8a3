"""The fields of an RFC 3464 / RFC 6533 delivery-status body, read tolerantly.

Real status parts are often damaged: folded lines, no blank line between recipient groups,
`rfc822;` prefixes in odd cases, `<angle>` addresses, encoded words, xtext.  This module turns
the text into one dict of per-message fields and a list of per-recipient dicts (lower-case
field names -> unfolded values), and cleans the typed values.
"""

from __future__ import annotations

import re

from bouncewatch.parse.headers import decode_words

#: fields that belong to the per-message group (RFC 3464 §2.2, plus common extensions)
PER_MESSAGE = frozenset(
    {
        "reporting-mta",
        "dsn-gateway",
        "received-from-mta",
        "arrival-date",
        "original-envelope-id",
        "x-postfix-queue-id",
        "x-postfix-sender",
        "x-original-message-id",
    }
)
#: a field that opens a recipient group when the current group already has it
_STARTS_RECIPIENT = ("original-recipient", "final-recipient")


#: one field with its folded continuation lines
_FIELD_BLOCK_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*(?:\n[ \t]+.*)*)", re.M)
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")

Block = list[tuple[str, str]]


def text_blocks(text: str) -> list[Block]:
    """The blank-line separated blocks of a status text as (lower-case name, value) pairs;
    lines that are not fields (garbage, broken folding) are skipped."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _UNFOLDED_REPLY_RE.search(text):
        text = _fold_reply_lines(text)
    findall = _FIELD_BLOCK_RE.findall  # (name, value) of each match, as finditer finds them
    return [
        [(name.lower(), value) for name, value in findall(chunk)]
        for chunk in _BLANK_LINE_RE.split(text)
    ]


#: a line of a multi-line reply written without folding under its Diagnostic-Code
#: (nullmailer: "Diagnostic-Code: SMTP; 550-5.7.26 This mail …\n550-5.7.26 sender and …")
_UNFOLDED_REPLY_RE = re.compile(r"\n[245]\d\d[ -]")
_DIAGNOSTIC_RE = re.compile(r"diagnostic-code[ \t]*:", re.I)


def _fold_reply_lines(text: str) -> str:
    """Fold the reply lines that follow a Diagnostic-Code field unindented into it (they are
    not fields, and would otherwise be dropped)."""
    out = []
    in_diagnostic = False
    for line in text.split("\n"):
        if _DIAGNOSTIC_RE.match(line):
            in_diagnostic = True
        elif in_diagnostic and line[:1] in (" ", "\t"):
            pass
        elif in_diagnostic and _UNFOLDED_REPLY_RE.match("\n" + line):
            line = " " + line
        else:
            in_diagnostic = False
        out.append(line)
    return "\n".join(out)


def parse_fields(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(per-message fields, per-recipient groups) out of a delivery-status text."""
    return parse_blocks(text_blocks(text))


def parse_blocks(blocks: list[Block]) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(per-message fields, per-recipient groups) out of field blocks.  A block holding
    several recipients (no blank line between them) is split where a recipient's field
    repeats; per-message fields are taken wherever they appear (first value wins)."""
    message: dict[str, str] = {}
    groups: list[dict[str, str]] = []
    for block in blocks:
        current: dict[str, str] = {}
        for name, value in block:
            if name in PER_MESSAGE:
                if current:  # a second DSN block inside the same part: new group
                    groups.append(current)
                    current = {}
                message.setdefault(name, value.strip())
                continue
            if name in current:
                if name in _REPEAT_OPENS:
                    groups.append(current)
                    current = {name: value.strip()}
                continue  # a repeated free field: keep the first
            # Original-Recipient usually comes first; after a complete group it starts the next
            if (
                name == "original-recipient"
                and "final-recipient" in current
                and "action" in current
            ):
                groups.append(current)
                current = {}
            current[name] = value.strip()
        if current:
            groups.append(current)
    return message, [
        g
        for g in groups
        if "final-recipient" in g or "original-recipient" in g or "x-actual-recipient" in g
    ]


#: fields whose repetition opens a new recipient group
_REPEAT_OPENS = frozenset({*_STARTS_RECIPIENT, "action", "status"})


_TYPE_PREFIX_RE = re.compile(
    r"^\s*(?:rfc822|utf-8|x-[a-z0-9-]+|unknown|dns|smtp|x400|x500)\s*;\s*", re.I
)
_KNOWN_TYPES = frozenset({"rfc822", "utf-8", "unknown", "dns", "smtp", "x-postfix", "x-unix"})
_ANY_PREFIX_RE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9.+-]*\s*;\s*")
_ADDR_IN_RE = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
_PLAIN_ADDR_RE = re.compile(r"[^\s<>\"'\\+;,.][^\s<>\"'\\+;,]*@[^\s<>\"'\\;,]*[^\s<>\"'\\;,.]")
_QUOTED_LOCAL_RE = re.compile(r'"[^"]*"@\S+')
_UTF8_XTEXT_RE = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
_XTEXT_RE = re.compile(r"\+([0-9A-F]{2})")


def strip_type(value: str | None) -> str | None:
    """Drop an address/diagnostic type prefix: "rfc822; a@b" -> "a@b", "smtp; 550 …"."""
    if value is None:
        return None
    if value.isascii() and "=?" not in value:
        value = " ".join(value.split())  # what decode_words does to plain ASCII, inlined
    else:
        value = decode_words(value) or ""
    head, sep, tail = value.partition(";")
    if sep and head.strip().lower() in _KNOWN_TYPES:
        return tail.strip() or None
    stripped = _TYPE_PREFIX_RE.sub("", value, count=1)
    if stripped == value:
        stripped = _ANY_PREFIX_RE.sub("", value, count=1) if ";" in value[:24] else value
    return stripped.strip() or None


def clean_address(value: str | None, *, xtext: bool = False) -> str | None:
    """A recipient address out of a Final-/Original-Recipient value."""
    addr = strip_type(value)
    if not addr:
        return None
    if _PLAIN_ADDR_RE.fullmatch(addr):  # the usual case: nothing to clean
        return addr
    m = _ADDR_IN_RE.search(addr)
    if m:
        addr = m.group(1)
    bare = addr.strip().removeprefix("<").removesuffix(">").strip()
    if _QUOTED_LOCAL_RE.fullmatch(bare):
        # a quoted local part ("john smith"@…, "x'); DROP …"@…) is one address, kept whole:
        # cut at its spaces or quotes it would become another address
        return bare
    addr = addr.strip().strip("<>\"'").strip()
    if " " in addr and not _QUOTED_LOCAL_RE.fullmatch(addr):  # "Name user@…", comments
        words = [w.strip("<>()\"',;") for w in addr.split()]
        addr = next((w for w in words if "@" in w), words[0])
    addr = _UTF8_XTEXT_RE.sub(lambda m: chr(int(m.group(1), 16)), addr)
    if xtext:
        addr = _XTEXT_RE.sub(lambda m: chr(int(m.group(1), 16)), addr)
    return addr.rstrip(".;,") or None


def mailbox_address(address: str | None) -> str | None:
    """The mailbox in a recipient value that may not be one: a source route
    ("@relay.example.net:jo@example.org", RFC 5321 §4.1.2) gives its last hop's address; a
    file path or program ("/var/spool/…", "|procmail …") or a bare local name gives None."""
    if not address:
        return None
    if address.startswith("@") and ":" in address:
        address = address.rpartition(":")[2]
    if "@" not in address or address[0] in "/|":
        return None
    return address


def clean_host(value: str | None) -> str | None:
    """A host out of Reporting-MTA / Remote-MTA ("dns; mx.example.org [192.0.2.1]")."""
    host = strip_type(value)
    if not host:
        return None
    host = host.split()[0].strip("[]()<>").rstrip(".")
    return host.lower() or None
