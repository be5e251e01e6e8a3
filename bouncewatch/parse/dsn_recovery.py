"""Recovering a DSN recipient's real status and diagnostic from the report's human-readable
text, when its machine-readable fields are generic ("5.0.0" or nothing), missing, or cut
short (a multi-line reply with only its first line).  Used by the RFC 3464 decoder."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from email.message import Message
from functools import partial
from typing import Any
from weakref import ref

from bouncewatch.model import RecipientReport
from bouncewatch.parse.mime import human_texts
from bouncewatch.parse.text import (
    FoldedPattern,
    explanation_after,
    extract_reply_code,
    extract_status,
    find_code_lines,
    is_generic_status,
    squash,
)
from bouncewatch.smtp.command import command_near, smtp_command

#: the action a status class implies when the report gives none
CLASS_ACTION = {"5": "failed", "4": "delayed", "2": "delivered"}


def needs_recovery(r: RecipientReport) -> bool:
    return r.action in ("failed", "delayed", None) and (
        is_generic_status(r.status)
        or not r.diagnostic
        or extract_status(r.diagnostic) is None
        or _incomplete(r.diagnostic)
    )


def _incomplete(diag: str | None) -> bool:
    """A multi-line reply cut after its first line: "550-5.7.26 …" with no "550 " line."""
    m = _MULTILINE_RE.match(diag or "")
    return m is not None and f"{m.group(1)} " not in (diag or "")[4:]


#: "550-5.7.26 …": the first line of a multi-line reply (Sendmail keeps only that one)
_MULTILINE_RE = re.compile(r"([245]\d\d)-")
_TRANSCRIPT_PREFIX_RE = re.compile(r"^\s*(?:<<<\s*)?")


#: a reply received from the remote server in a Sendmail-style transcript
_REMOTE_REPLY_RE = re.compile(r"^<<<\s*([45]\d\d)[ -](.*)$", re.M)


def _remote_reply(text: str) -> tuple[int, str] | None:
    """(code, whole reply) of the last 4xx/5xx reply in a session transcript, or None."""
    if "<<<" not in text:  # (the pattern's literal: no transcript, no reply)
        return None
    found: list[tuple[str, str]] = _REMOTE_REPLY_RE.findall(text)
    if not found:
        return None
    code = found[-1][0]
    block: list[str] = []
    for reply_code, rest in reversed(found):
        if reply_code != code:
            break
        block.append(rest.strip())
    return int(code), squash(f"{code} " + " ".join(reversed(block))) or code


def _completed(r: RecipientReport, text: str) -> RecipientReport | None:
    """The whole multi-line reply when the diagnostic holds only its first line and the
    transcript in the text part has the rest."""

    diag = r.diagnostic or ""
    m = _MULTILINE_RE.match(diag)
    if m is None:
        return None
    code = m.group(1)
    lines = text.split("\n")
    head = diag[:60]
    for i, line in enumerate(lines):
        if head not in " ".join(line.split()):
            continue
        reply = []
        for follow in lines[i:]:
            bare = _TRANSCRIPT_PREFIX_RE.sub("", follow, count=1)
            if not bare.startswith(code):
                break
            reply.append(bare)
            if bare[3:4] != "-":
                break
        if len(reply) > 1:
            return replace(r, diagnostic=squash(" ".join(reply)))
    return None


def _explained(r: RecipientReport, text: str, lowered: str | None = None) -> RecipientReport:
    """No Diagnostic-Code (Exim puts the reason only in its text part): take the text that
    follows the address in the human-readable part (`lowered`: `text.lower()`)."""

    explanation = explanation_after(text, r.address, lowered=lowered)
    if not explanation:
        return r
    status = r.status
    found = extract_status(explanation)
    if found and is_generic_status(status) and (status is None or found[0] == status[0]):
        status = found
    return replace(
        r, diagnostic=explanation, status=status, smtp_code=extract_reply_code(explanation)
    )


#: an explanation that is a server reply: "550 5.1.1 …", "550-5.7.26 …", "5.1.1 …"
_REPLY_START_RE = re.compile(r"(?:[245]\d\d(?:[ -]|$)|[245]\.\d{1,3}\.\d{1,3}\b)")


def _replied(r: RecipientReport, text: str, lowered: str | None = None) -> RecipientReport | None:
    """`r` with the explanation that follows its address in `text` ("a@b: 550 5.1.1 <a@b>:
    Recipient address rejected: …") when that explanation is a server reply: it starts with a
    reply code or status agreeing with the status part (a precise status is never
    overridden).  None otherwise.  `lowered`: `text.lower()`."""

    explanation = explanation_after(text, r.address, lowered=lowered)
    if not explanation or not _REPLY_START_RE.match(explanation):
        return None
    found = extract_status(explanation)
    code = extract_reply_code(explanation)
    if found is None and code is None:
        return None
    status = r.status
    if found is not None:
        if status is not None and found[0] != status[0]:
            return None  # another class than the status part says: not this reply
        if is_generic_status(status):
            status = found
        elif found != status:
            return None
    if code is not None and status is not None and str(code)[0] != status[0]:
        return None
    changes: dict[str, Any] = {"diagnostic": explanation, "status": status, "smtp_code": code}
    if r.action is None and status is not None:
        changes["action"] = CLASS_ACTION.get(status[0])
    return replace(r, **changes)


#: Sendmail's transcript of a local delivery: the delivery program's own message, then
#: Sendmail's summary of the address ("mail.local: unknown user: jo" / "554 5.3.0
#: <jo@example.org>... Service unavailable"); the summary alone hides the cause
_LOCAL_MAILER_RE = re.compile(
    r"^((?:[\w.-]+: [^\n]+\n){1,3})([45]\d\d(?:[ -][245]\.\d{1,3}\.\d{1,3})? <?([^\s<>]+)>?\.\.\. [^\n]+)$",
    re.M,
)


def _local_mailer(r: RecipientReport, text: str) -> RecipientReport | None:
    """`r` with the local delivery program's message and Sendmail's summary line about its
    address as the diagnostic, when the transcript has them."""
    if "... " not in text:
        return None
    for m in _LOCAL_MAILER_RE.finditer(text):
        if m.group(3).lower() != r.address.lower():
            continue
        diagnostic = squash(m.group(1).replace("\n", " ") + m.group(2))
        return replace(r, diagnostic=diagnostic, smtp_code=extract_reply_code(m.group(2)))
    return None


#: Exim's report of a local delivery (a pipe, a file) that failed: the transport's
#: output follows this line, under a "------ pipe to |/path … ------" heading
_GENERATED = "The following text was generated during the delivery attempt:"
_GENERATED_HEADING_RE = re.compile(r"^------ (.*?)(?:\n\s+(.*?))? ------$", re.M)


def _generated(r: RecipientReport, text: str) -> RecipientReport | None:
    """`r` with what its local delivery program wrote, when Exim's report has it and
    speaks of this address ("pipe to |/usr/bin/prog … generated by a@b")."""
    at = text.find(_GENERATED)
    if at < 0:
        return None
    block = text[at + len(_GENERATED) :].lstrip("\n")
    heading = _GENERATED_HEADING_RE.match(block)
    if heading is None or r.address.lower() not in heading.group(0).lower():
        return None
    what = heading.group(1).strip()  # "pipe to |/usr/local/bin/prog a@b /home/u/.prog"
    output = block[heading.end() : heading.end() + 2000].lstrip()
    said = squash(re.split(r"\n[ \t]*\n", output, maxsplit=1)[0])
    if not said:
        return None
    return replace(r, diagnostic=squash(f"{what}: {said}"))


#: the message whose texts were asked for last, and its texts: the decoder reads them, and so
#: does the output's list of commands (`parse.api.said_commands`) after it -- decoded once for
#: both, kept until the next message comes (as `parse.parts` keeps its part list)
_last_texts: tuple[ref[Message], _Lazy] | None = None


def texts_of(msg: Message) -> _Lazy:
    """The human-readable parts of `msg`, decoded once, on first use, for every reader."""
    global _last_texts
    last = _last_texts
    if last is not None and last[0]() is msg:
        return last[1]
    texts = _Lazy(human_texts(msg))
    _last_texts = (ref(msg), texts)
    return texts


#: recipients whose fields are recovered from the text, at most, in one report: each reads
#: the text around its address and looks for the other recipients' there, so a report of
#: thousands of recipients with generic codes would cost their number squared
MAX_RECOVERED = 200


def recover_from_text(
    msg: Message,
    reports: list[RecipientReport],
    needs: list[bool] | None = None,
    texts: _Lazy | None = None,
) -> list[RecipientReport]:
    """Fill a generic status/diagnostic from "550 5.1.10 …" phrases in the human-readable
    parts (plain text first; the HTML part is decoded only if the plain one has nothing).
    `needs`: `needs_recovery` of each report, when the caller has it already; `texts`: the
    parts as `texts_of` gives them, when the caller has them already."""
    if texts is None:
        texts = texts_of(msg)
    if needs is None:
        needs = [needs_recovery(r) for r in reports]
    out = []
    addresses = [r.address.lower() for r in reports]
    attempts = 0
    for r, need in zip(reports, needs, strict=True):
        if not need or attempts >= MAX_RECOVERED:
            out.append(r)
            continue
        attempts += 1
        own = r.address.lower()
        others = [a for a in addresses if a != own]
        fixed = None
        if _incomplete(r.diagnostic):
            fixed = next((c for c in map(partial(_completed, r), texts) if c is not None), None)
            out.append(fixed or r)
            continue
        if not r.diagnostic:
            # no Diagnostic-Code (OpenSMTPD): the reply the text gives after the address, whole
            for text in texts:
                fixed = _replied(r, text, texts.lowered(text))
                if fixed is not None:
                    break
        if fixed is None and not r.diagnostic:
            # a local delivery program's own words: above Sendmail's summary line, or after
            # Exim's "The following text was generated during the delivery attempt:"
            fixed = next((c for c in map(partial(_local_mailer, r), texts) if c is not None), None)
            fixed = fixed or next(
                (c for c in map(partial(_generated, r), texts) if c is not None), None
            )
        for text in texts if fixed is None else ():
            # (each text lower-cased once, not once per recipient)
            lowered = texts.lowered(text) if others else None
            fixed = _from_codes(r, text, others=others, lowered=lowered)
            if fixed is not None:
                break
        if fixed is None and not r.diagnostic:
            for text in texts:
                fixed = _explained(r, text, texts.lowered(text))
                if fixed is not r:
                    break
        out.append(fixed or r)
    return out


def with_commands(reports: list[RecipientReport], msg: Message) -> list[RecipientReport]:
    """Each report with the SMTP command its refusal answered, from its diagnostic or from
    the text about it in the human-readable part (Postfix "(in reply to RCPT TO command)",
    Exim "after RCPT TO:<a@b>", a Sendmail transcript ">>> RCPT To:<a@b>" / "<<< 550 …").
    Looked for only where it can matter: a failure (not a delay or a success notice) whose
    diagnostic speaks of the address without an address status (x.1.x) to settle it."""
    return [_with_command(r, msg) for r in reports]


#: words of an address-level refusal ("user unknown", "no such mailbox", "domain not found",
#: "account disabled"): the refusals whose meaning depends on the command they answered
_ADDRESS_WORDS = FoldedPattern(
    r"unknown|exist|such|found|invalid|disabled|inactive|suspend|moved|user|mailbox|account|"
    r"recipient|address|domain"
)


def _with_command(r: RecipientReport, msg: Message) -> RecipientReport:
    if r.command is not None or r.action not in ("failed", None):
        return r
    if r.status is not None and (r.status[0] == "2" or r.status[2:4] == "1."):
        return r  # an address status (x.1.x) is evidence whatever the command
    if _ADDRESS_WORDS.search(r.diagnostic or "") is None:
        return r  # nothing the command could confirm or refute: no need to read the text
    command = command_said(r, texts_of(msg))  # (the texts read for recovery, if they were)
    return _commanded(r, command) if command is not None else r


def _commanded(r: RecipientReport, command: str) -> RecipientReport:
    """`replace(r, command=command)`, without `replace`'s look-up of the fields (a test holds
    it to every field)."""
    return RecipientReport(
        r.address,
        r.action,
        r.status,
        r.smtp_code,
        r.diagnostic,
        r.remote_mta,
        r.original_recipient,
        r.last_attempt_date,
        r.will_retry_until,
        command,
    )


def command_said(r: RecipientReport, texts: _Lazy) -> str | None:
    """The SMTP command the report says `r`'s refusal answered: in its diagnostic, else in the
    text about its address in the human-readable part; None if it says nothing."""
    key = (r.address, r.diagnostic)
    said = texts.commands
    if key in said:  # asked before for this message (the decoder, then the output)
        return said[key]
    command = smtp_command(r.diagnostic)
    if command is None:
        needle = r.address.lower()
        near = needle.lower()  # what `command_near` looks for
        for text in texts:
            lowered = texts.lowered(text)
            if near not in lowered:
                continue  # `command_near` reads only the paragraphs naming the address
            # the words in the lower-cased text: what a case-insensitive search of the text
            # finds, whatever the text (no character but the ASCII letters themselves
            # lower-cases to, or matches under re.IGNORECASE, one of their letters: a test
            # goes through every character)
            if not any(hint in lowered for hint in _HINT_WORDS):
                continue  # no wording of a command anywhere in this part
            command = command_near(text, needle)
            if command is not None:
                break
    said[key] = command
    return command


#: the words every form of `smtp_command` starts with: a part without them names no command
_HINT_WORDS = ("reply", "after", "connected", ">>>")


def _from_codes(
    r: RecipientReport,
    text: str,
    *,
    others: list[str] | None = None,
    lowered: str | None = None,
) -> RecipientReport | None:
    """`r` with the status, reply code and phrase of the best "550 5.1.10 …" in `text`.
    With `others` (the other recipients' addresses, lower case), only the text after this
    address and before the next other recipient's is read: a neighbour's reply is not this
    recipient's."""

    scope = text
    if others:  # several recipients: only the text about this address
        if lowered is None:
            lowered = text.lower()
        pos = lowered.find(r.address.lower())
        if pos < 0:
            return None
        end = pos + 2000
        for other in others:  # (only a start before `end` matters: the search stops there)
            at = lowered.find(other, pos + len(r.address), end + len(other) - 1)
            if 0 <= at < end:
                end = at
        scope = text[pos:end]
    if not is_generic_status(r.status):
        # the status part was precise but says nothing more (Sendmail): the receiver's reply
        # from the session transcript ("<<< 421-4.7.28 …"), else a phrase with that very
        # status -- whose code is then the reporting MTA's own, not a receiver's reply
        reply = _remote_reply(scope)
        if reply is not None:
            return replace(r, diagnostic=reply[1], smtp_code=reply[0])
        same = next((c for c in find_code_lines(scope) if c[1] == r.status), None)
        return replace(r, diagnostic=same[2]) if same is not None else None
    found = [
        c
        for c in find_code_lines(scope)
        if r.status is None or c[1][0] == r.status[0] or r.action is None
    ]
    specific = [c for c in found if not is_generic_status(c[1])]
    pick = specific[0] if specific else found[0] if found else None
    if pick is None or (is_generic_status(pick[1]) and r.diagnostic):
        return None
    code, status, phrase = pick
    replacement: dict[str, Any] = {"status": status, "smtp_code": code}
    if not r.diagnostic or extract_status(r.diagnostic) in (None, r.status):
        replacement["diagnostic"] = phrase
    if r.action is None:
        replacement["action"] = CLASS_ACTION.get(status[0])
    return replace(r, **replacement)


class _Lazy:
    """Iterate a generator several times, computing each item once.  An error of the
    generator is raised again by every later pass, where a fresh generator would raise it.
    `commands`: `command_said`'s answers for this message, by (address, diagnostic)."""

    def __init__(self, source: Iterator[str]) -> None:
        self._source: Iterator[str] | None = source
        self._items: list[str] = []
        self._error: Exception | None = None
        self._lowered: dict[int, str] = {}
        self.commands: dict[tuple[str, str | None], str | None] = {}

    def lowered(self, text: str) -> str:
        """`text.lower()` for one of the texts this iterates, computed once."""
        key = id(text)  # (the text is kept in `_items`: its id is not reused)
        low = self._lowered.get(key)
        if low is None:
            low = self._lowered[key] = text.lower()
        return low

    def __iter__(self) -> Iterator[str]:
        yield from self._items
        while self._source is not None:
            try:
                item = next(self._source, None)
            except Exception as exc:
                self._source, self._error = None, exc
                raise
            if item is None:
                self._source = None
                return
            self._items.append(item)
            if item:
                yield item
        if self._error is not None:
            raise self._error
