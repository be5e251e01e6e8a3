"""The message tree, built faster: the standard library's compat32 parser (`email.feedparser`)
re-done over a list of lines, without its incremental machinery.

The standard parser is written to be fed in chunks: every line goes through a generator, a
line buffer and one check per enclosing MIME boundary, and that is half the cost of reading
a bounce.  `read_message` builds the same tree -- the same `email.message.Message` objects,
with the same headers, payloads, preambles, epilogues and defects -- the same way (this module
follows `feedparser.FeedParser._parsegen` step by step), only from the whole text at once.

The defects the standard parser notes are noted alike.  Where it takes a path this reader
does not follow (carriage returns, a "From " line closing the headers, a boundary with
nothing after it, parts nested more than MAX_NESTING deep) the reader gives up, and `read_message` hands the message to the standard parser: the result is always the
standard parser's.  `FALLBACKS` counts how often that happens.
"""

from __future__ import annotations

import re
from email import errors
from email.message import Message
from email.parser import Parser
from email.policy import compat32

_stdlib = Parser(policy=compat32)

#: how a header line starts, as the standard parser's `headerRE` has it (`email.feedparser`)
_HEADER_LINE = r"From |[\041-\071\073-\176]*:|[\t ]"
#: a line's start as a header line's (matched at a line's first character)
_HEADER_START = re.compile(_HEADER_LINE)
#: a line break followed by a line that does not start so (a blank line, the end of the text),
#: or by one that does and asks for a closer look (group 1): "From " or ":" (the block is
#: read line by line) or "--" (it may be an enclosing boundary)
_NEXT_TO_SEE = re.compile(rf"\n(?=(From |:|--(?=[\041-\071\073-\176]*:)))|\n(?!{_HEADER_LINE})")
#: a header field: the name up to the first ":", the value after the blanks that follow it,
#: with its continuation lines, without the final line break (`compat32.header_source_parse`)
_FIELD_RE = re.compile(r"^([^:\n]+):[ \t]*(.*(?:\n[ \t].*)*)", re.M)


def _header_run(text: str, pos: int) -> tuple[int, bool, bool]:
    """Where the run of lines from `pos` (a line's start) that each start as a header line
    does ends: the start of the first line that does not, or the end of the text; and
    whether a line of the run after its first starts with "From " or ":", and with "--".
    Only the line starts are looked at: the line breaks are found by the pattern's literal
    first character, the rest of each line is not read."""
    if _HEADER_START.match(text, pos) is None:
        return pos, False, False
    odd = dashes = False
    found = _NEXT_TO_SEE.search(text, pos)
    while found is not None:
        seen = found.group(1)
        if seen is None:
            return found.start() + 1, odd, dashes
        if seen == "--":
            dashes = True
        else:
            odd = True
        found = _NEXT_TO_SEE.search(text, found.end())
    return len(text), odd, dashes


class _Boundary:
    """A multipart boundary line, as the standard parser's pattern for it matches a line:
    ``(?P<sep>--BOUNDARY)(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$`` (no "\r"
    reaches this reader).  Tested with string methods: every message brings boundaries of its
    own, and compiling a pattern for each costs more than reading the whole message."""

    __slots__ = ("separator", "size")

    def __init__(self, boundary: str) -> None:
        self.separator = "--" + boundary
        self.size = len(self.separator)

    def match(self, line: str) -> tuple[bool, str | None] | None:
        """None if `line` is no boundary line of this boundary, else (a close boundary,
        the line break ending it or None) -- the pattern's `end` and `linesep` groups."""
        if not line.startswith(self.separator):
            return None
        end = line.startswith("--", self.size)
        rest = line[self.size + 2 if end else self.size :].lstrip(" \t")
        if not rest:
            return (end, None)
        if rest == "\n":
            return (end, "\n")
        return None


#: messages nested deeper than this go to the standard parser, which decides how deep is
#: too deep (the interpreter's recursion limit) the same way it always has
MAX_NESTING = 100


class _Unsure(Exception):
    """The message takes a path of the standard parser this reader does not follow."""


#: messages handed to the standard parser, and messages read, since the process started
FALLBACKS = 0
READ = 0


def read_message(data: bytes) -> Message:
    """`BytesParser(policy=compat32).parsebytes(data)`, faster where the reader is sure."""
    global FALLBACKS, READ
    READ += 1
    text = data.decode("ascii", "surrogateescape")
    if "\r" not in text:
        try:
            return _Reader(text).parse()
        except _Unsure:
            pass
    FALLBACKS += 1
    return _stdlib.parsestr(text)


class _Reader:
    """One message's lines and the parser's state, as `FeedParser` keeps them."""

    def __init__(self, text: str) -> None:
        # the text is read in place: a line runs up to and with its "\n" (there is no "\r"
        # here), `pos` is where the next line starts
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.last_start = 0  # where the line readline returned started (for unreadline)
        #: the "end of file" predicates (`BufferedSubFile._eofstack`): boundaries of the
        #: enclosing multiparts, and blank lines inside a delivery-status part
        self.boundaries: list[_Boundary] = []
        self.stack: list[_Boundary | None] = []  # None: a blank line ends the part
        self.blank_ends = 0
        self.msgstack: list[Message] = []
        self.ctypes: list[str] = []  # the content type of each message of `msgstack`
        self.cur: Message | None = None
        self.last: Message | None = None
        self.last_type = ""  # the content type of `last`
        #: the last search for each line that may end a part: (searched from, found at or -1).
        #: The text never changes, so a later search from between the two finds the same
        #: place: a part of thousands of blocks does not rescan the rest for each block
        self._found: dict[str, tuple[int, int]] = {}

    # -- BufferedSubFile ------------------------------------------------------------------

    def _at_eof(self, line: str) -> bool:
        if self.blank_ends and line == "\n":
            return True
        if line[:2] == "--" and self.boundaries:
            for pattern in self.boundaries:
                if pattern.match(line):
                    return True
        return False

    def _line_end(self, pos: int) -> int:
        end = self.text.find("\n", pos)
        return self.n if end < 0 else end + 1

    def readline(self) -> str:
        pos = self.pos
        if pos >= self.n:
            return ""
        end = self._line_end(pos)
        line = self.text[pos:end]
        if self._at_eof(line):
            return ""
        self.last_start, self.pos = pos, end
        return line

    def unreadline(self) -> None:
        self.pos = self.last_start

    def push_eof(self, pattern: _Boundary | None) -> None:
        self.stack.append(pattern)
        if pattern is None:
            self.blank_ends += 1
        else:
            self.boundaries.append(pattern)

    def pop_eof(self) -> None:
        pattern = self.stack.pop()
        if pattern is None:
            self.blank_ends -= 1
        else:
            self.boundaries.pop()

    def _find(self, needle: str, pos: int) -> int:
        """`self.text.find(needle, pos)`, remembered (see `_found`)."""
        since, at = self._found.get(needle, (-1, -1))
        if since >= 0 and since <= pos and (at < 0 or pos <= at):
            return at
        at = self.text.find(needle, pos)
        self._found[needle] = (pos, at)
        return at

    def rest(self) -> str:
        """Every line up to the end of the current part (`for line in self._input`): the
        lines that can end it (a boundary starts with "--", a blank line is "\n") are found
        with str.find, the others are not looked at one by one."""
        text, n = self.text, self.n
        start = pos = self.pos
        blank_ends, boundaries = self.blank_ends, self.boundaries
        if pos < n and (blank_ends or boundaries):
            if not self._at_eof(text[pos : self._line_end(pos)]):
                while True:
                    found = self._find("\n--", pos) if boundaries else -1
                    if blank_ends:
                        blank = self._find("\n\n", pos)
                        if blank >= 0 and (found < 0 or blank < found):
                            found = blank
                    if found < 0:
                        pos = n
                        break
                    pos = found + 1  # a line that starts with "--" or is blank
                    if self._at_eof(text[pos : self._line_end(pos)]):
                        break
        else:
            pos = n
        self.pos = pos
        return text[start:pos]

    # -- FeedParser -----------------------------------------------------------------------

    def parse(self) -> Message:
        self._parsegen()
        ctype = self.ctypes[0]
        root = self._pop_message()
        if ctype.startswith("multipart/") and not root.is_multipart():
            root.defects.append(errors.MultipartInvariantViolationDefect())
        return root

    def _new_message(self) -> Message:
        if len(self.msgstack) >= MAX_NESTING:
            raise _Unsure("nested deeper than MAX_NESTING")
        msg = _blank_message()
        if self.ctypes and self.ctypes[-1] == "multipart/digest":
            msg.set_default_type("message/rfc822")
        if self.msgstack:
            self.msgstack[-1].attach(msg)
        self.msgstack.append(msg)
        self.ctypes.append("")
        self.cur = msg
        self.last = msg
        return msg

    def _pop_message(self) -> Message:
        retval = self.msgstack.pop()
        self.ctypes.pop()
        self.cur = self.msgstack[-1] if self.msgstack else None
        return retval

    def _parsegen(self) -> None:
        cur = self._new_message()
        # the header lines: up to a blank line, a line that is no header, or the part's end
        text, n, pos = self.text, self.n, self.pos
        blank_ends, boundaries = self.blank_ends, self.boundaries
        start = end = pos
        # every line up to `run` starts as a header line does; the line at `run` decides
        run, odd, dashes = _header_run(text, pos)
        if not boundaries or not (text.startswith("--", pos) or dashes):
            end = pos = run
            if pos < n:
                next_pos = self._line_end(pos)
                line = text[pos:next_pos]
                if self._at_eof(line):
                    pass
                elif line == "\n":
                    pos = next_pos  # the separator, thrown away
                else:
                    cur.defects.append(errors.MissingHeaderBodySeparatorDefect())
            self.pos = pos
            if end > start:
                self._parse_headers(cur, text[start:end], odd)
            self._body(cur)
            return
        # a line of the run may be an enclosing boundary: line by line
        match = _HEADER_START.match
        while pos < n:
            nl = text.find("\n", pos)
            next_pos = n if nl < 0 else nl + 1
            line = text[pos:next_pos]
            if line == "\n":
                end = pos
                if not blank_ends:
                    pos = next_pos  # the separator, thrown away
                break
            if boundaries and line[:2] == "--" and any(p.match(line) for p in boundaries):
                end = pos
                break
            if not match(line):
                cur.defects.append(errors.MissingHeaderBodySeparatorDefect())
                end = pos
                break
            pos = next_pos
        else:
            end = pos
        self.pos = pos
        if end > start:
            self._parse_headers(cur, text[start:end])
        self._body(cur)

    def _body(self, cur: Message) -> None:
        ctype = _content_type(cur)
        self.ctypes[-1] = ctype
        self.last_type = ctype  # (`cur` is `last`: no part was made since it was)
        if ctype == "message/delivery-status":
            while True:
                self.push_eof(None)
                self._parsegen()
                self._pop_message()
                self.pop_eof()
                self.readline()
                line = self.readline()
                if line == "":
                    break
                self.unreadline()
            return
        maintype = ctype.split("/", 1)[0]
        if maintype == "message":
            self._parsegen()
            self._pop_message()
            return
        if maintype == "multipart":
            self._multipart(cur)
            return
        cur._payload = self.rest()  # type: ignore[attr-defined]  # set_payload, no charset

    def _multipart(self, cur: Message) -> None:
        boundary = boundary_of(cur)
        if boundary is None:
            cur.defects.append(errors.NoBoundaryInMultipartDefect())
            cur._payload = self.rest()  # type: ignore[attr-defined]
            return
        if _transfer_encoding(cur).lower() not in (
            "7bit",
            "8bit",
            "binary",
        ):
            cur.defects.append(errors.InvalidMultipartContentTransferEncodingDefect())
        boundaryre = _Boundary(boundary)
        capturing_preamble = True
        preamble: list[str] = []
        linesep = None
        close_boundary_seen = False
        while True:
            line = self.readline()
            if line == "":
                break
            mo = boundaryre.match(line)
            if mo:
                if mo[0]:
                    close_boundary_seen = True
                    linesep = mo[1]
                    break
                if capturing_preamble:
                    if preamble:
                        lastline = preamble[-1]
                        if lastline.endswith("\n"):
                            preamble[-1] = lastline[:-1]
                        cur.preamble = "".join(preamble)
                    capturing_preamble = False
                    self.unreadline()
                    continue
                while True:
                    line = self.readline()
                    if line == "":
                        # (the standard parser pushes back an empty line here)
                        raise _Unsure("boundary at the end of the part")
                    if not boundaryre.match(line):
                        self.unreadline()
                        break
                self.push_eof(boundaryre)
                self._parsegen()
                last = self.last
                assert last is not None
                if self.last_type.startswith("multipart/"):  # get_content_maintype()
                    epilogue = last.epilogue
                    if epilogue == "":
                        last.epilogue = None
                    elif epilogue is not None and epilogue.endswith("\n"):
                        last.epilogue = epilogue[:-1]
                else:
                    payload = last._payload  # type: ignore[attr-defined]
                    if isinstance(payload, str) and payload.endswith("\n"):
                        last._payload = payload[:-1]  # type: ignore[attr-defined]
                self.pop_eof()
                self._pop_message()
                self.last = self.cur
                self.last_type = self.ctypes[-1]
            else:
                if not capturing_preamble:
                    raise _Unsure("a line between the parts")
                preamble.append(line)
        if capturing_preamble:
            cur.defects.append(errors.StartBoundaryNotFoundDefect())
            cur._payload = "".join(preamble)  # type: ignore[attr-defined]
            self.rest()
            cur.epilogue = ""
            return
        if not close_boundary_seen:
            cur.defects.append(errors.CloseBoundaryNotFoundDefect())
            return
        epilogue = self.rest()
        if linesep:
            # the standard parser starts the epilogue with "" and strips one line break
            # from the front of its first line
            cur.epilogue = epilogue
        else:
            if epilogue.startswith("\n"):
                epilogue = epilogue[1:]
            cur.epilogue = epilogue

    def _parse_headers(self, cur: Message, block: str, odd: bool | None = None) -> None:
        """`odd`: whether a line of `block` after its first starts with "From " or ":" (None:
        not known yet)."""
        headers = cur._headers  # type: ignore[attr-defined]
        if odd is None:
            odd = "\nFrom " in block or "\n:" in block
        if not (block[0] in " \t:" or block.startswith("From ") or odd):
            # every line a field or its continuation: one pass of a pattern over the block
            # (each field's first line holds a ":", as every line did that got here)
            headers.extend(_FIELD_RE.findall(block))
            return
        pieces = block.split("\n")
        lines = [p + "\n" for p in pieces]
        if pieces[-1]:
            lines[-1] = pieces[-1]
        else:
            lines.pop()
        lastvalue: list[str] = []
        last = len(lines) - 1
        for lineno, line in enumerate(lines):
            if line[0] in " \t":
                if not lastvalue:
                    cur.defects.append(errors.FirstHeaderLineIsContinuationDefect(line))
                    continue
                lastvalue.append(line)
                continue
            if lastvalue:
                headers.append(_header_source_parse(lastvalue))
                lastvalue = []
            if line.startswith("From "):
                if lineno == 0:
                    cur.set_unixfrom(line[:-1] if line.endswith("\n") else line)
                    continue
                if lineno == last:
                    # (the standard parser pushes this line back after the blank line)
                    raise _Unsure("a From line at the end of the headers")
                cur.defects.append(errors.MisplacedEnvelopeHeaderDefect(line))
                continue
            if line[0] == ":":
                cur.defects.append(errors.InvalidHeaderDefect("Missing header name."))
                continue
            lastvalue = [line]
        if lastvalue:
            headers.append(_header_source_parse(lastvalue))


def _header_source_parse(sourcelines: list[str]) -> tuple[str, str]:
    """`compat32.header_source_parse`."""
    name, value = sourcelines[0].split(":", 1)
    if len(sourcelines) > 1:
        value = value.lstrip(" \t") + "".join(sourcelines[1:])
    else:
        value = value.lstrip(" \t")
    return name, value.rstrip("\r\n")


def boundary_of(msg: Message) -> str | None:
    """`msg.get_boundary()`, read straight from a plain ASCII Content-Type (no RFC 2231
    parameters, no backslashes); through the standard library for anything else."""
    value = _first_field(msg, "content-type")
    if not isinstance(value, str) or not value.isascii() or "*" in value or "\\" in value:
        return msg.get_boundary()
    # the parameters as `email.message._parseparam` splits them: at each ";" outside quotes
    params = []
    rest = value
    while True:
        end = rest.find(";")
        while end > 0 and rest.count('"', 0, end) % 2:
            end = rest.find(";", end + 1)
        if end < 0:
            params.append(rest)
            break
        params.append(rest[:end])
        rest = rest[end + 1 :]
    if "boundary" in params[0].lower():
        return msg.get_boundary()  # the type itself read as a parameter: the long way
    for param in params[1:]:
        key, equals, given = param.partition("=")
        if key.strip().lower() == "boundary":
            # what get_param hands back (`decode_params` unquotes and re-quotes, get_param
            # unquotes), then `collapse_rfc2231_value` unquotes once more
            return _unquote(_unquote(given.strip() if equals else "")).rstrip()
    return None


def _unquote(value: str) -> str:
    """`email.utils.unquote` of a value without backslashes (`boundary_of` sends those the
    long way): the quotes or angle brackets around it taken off."""
    if len(value) > 1 and (
        (value[0] == '"' and value[-1] == '"') or (value[0] == "<" and value[-1] == ">")
    ):
        return value[1:-1]
    return value


#: what `Message(policy=compat32)` sets, copied into each new part (its two lists made anew):
#: half the cost of calling `Message.__init__` for every part
_BLANK = vars(Message(policy=compat32))
_FRESH_LISTS = ("_headers", "defects")
_COPYABLE = all(
    k in _FRESH_LISTS or not isinstance(v, list | dict | set | bytearray) for k, v in _BLANK.items()
) and all(_BLANK.get(k) == [] for k in _FRESH_LISTS)


def _blank_message() -> Message:
    """`Message(policy=compat32)`."""
    if not _COPYABLE:  # a Python whose Message holds other mutable state: the plain way
        return Message(policy=compat32)
    msg = Message.__new__(Message)
    state = msg.__dict__
    state.update(_BLANK)
    state["_headers"] = []
    state["defects"] = []
    return msg


def _first_field(msg: Message, name: str) -> object:
    """The first value of header `name` (lower case) as parsed, or None.  (Names of another
    length are passed over without being lower-cased.)"""
    size = len(name)
    for key, value in msg._headers:  # type: ignore[attr-defined]
        if len(key) == size and key.lower() == name:
            return value
    return None


def _transfer_encoding(msg: Message) -> str:
    """`str(msg.get("content-transfer-encoding", "8bit"))`, read straight from an ASCII header."""
    value = _first_field(msg, "content-transfer-encoding")
    if value is None:
        return "8bit"
    if isinstance(value, str) and value.isascii():
        return value
    return str(msg.get("content-transfer-encoding", "8bit"))


def _content_type(msg: Message) -> str:
    """`msg.get_content_type()`, read straight from an ASCII header."""
    value = _first_field(msg, "content-type")
    if value is None:
        return msg.get_default_type()
    if isinstance(value, str) and value.isascii():
        ctype = value.partition(";")[0].strip().lower()
        return ctype if ctype.count("/") == 1 else "text/plain"
    return msg.get_content_type()


__all__ = ["FALLBACKS", "READ", "read_message"]
