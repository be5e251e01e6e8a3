"""The top-level items of a phrase regex, read with public means only.

`matcher` needs to know, for each phrase, which whole literal words it requires and whether
it begins or ends with a word character.  That needs the pattern's top-level sequence of
items (literal characters, character classes, anchors, repeats, groups), not its meaning:
groups and alternatives are opaque.  This module reads that sequence from the pattern text
(the syntax of Python's `re`, which has no public parser), giving the same items the
standard library's own parser gives for everything the phrase tables use -- including its
hoisting of a prefix common to all top-level alternatives and its folding of one-character
classes (``[.]`` is the literal ``.``).

An item is a tuple ``(op, value)``:

- ``("literal", codepoint)``, ``("not_literal", codepoint)``, ``("any", None)``;
- ``("at", where)``, where one of ``boundary``, ``non_boundary``, ``beginning``,
  ``beginning_string``, ``end``, ``end_string``;
- ``("in", members)`` -- a character class, members ``("literal", cp)``, ``("range", (lo,
  hi))``, ``("category", name)`` (``space``, ``not_space``, ``word``, ``not_word``,
  ``digit``, ``not_digit``) or ``("negate", None)``;
- ``("repeat", (min, max, items))`` (max is None when unbounded), ``("min_repeat", …)``,
  ``("possessive_repeat", …)``;
- ``("group", text)``, ``("assert", text)`` (a look-ahead or look-behind: consumes nothing),
  ``("branch", alternatives)``, ``("backref", text)``.
"""

from __future__ import annotations

import re

Item = tuple[str, object]

_CATEGORIES = {
    "s": "space",
    "S": "not_space",
    "w": "word",
    "W": "not_word",
    "d": "digit",
    "D": "not_digit",
}
_ANCHORS = {"b": "boundary", "B": "non_boundary", "A": "beginning_string", "Z": "end_string"}
_CONTROL = {"a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
_QUANTIFIER_RE = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")
_HEX = {"x": 2, "u": 4, "U": 8}


class _Reader:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0

    def more(self) -> bool:
        return self.pos < len(self.text)

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def take(self, n: int = 1) -> str:
        out = self.text[self.pos : self.pos + n]
        self.pos += n
        return out


def top_level_items(pattern: str, *, validate: bool = True) -> tuple[Item, ...]:
    """The top-level items of `pattern` (see the module docstring).  Raises ValueError on a
    pattern `re` would not compile.

    `validate=False` skips that check, which compiles the pattern (the larger part of the
    cost): for a caller that checks its patterns elsewhere.  The items of a pattern that is
    not a regular expression are then undefined."""
    if validate:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {pattern!r}: {exc}") from None
    reader = _Reader(pattern)
    branches = [_sequence(reader)]
    while reader.peek() == "|":
        reader.take()
        branches.append(_sequence(reader))
    return tuple(_join_branches(branches))


def _join_branches(branches: list[list[Item]]) -> list[Item]:
    if len(branches) == 1:
        return branches[0]
    prefix: list[Item] = []
    while all(branches) and all(b[0] == branches[0][0] for b in branches):
        prefix.append(branches[0][0])
        for b in branches:
            del b[0]
    members: list[Item] = []
    for b in branches:
        if len(b) != 1:
            break
        op, value = b[0]
        if op == "literal":
            members.append(b[0])
        elif op == "in" and isinstance(value, tuple) and value[0][0] != "negate":
            members.extend(value)
        else:
            break
    else:
        return [*prefix, ("in", tuple(dict.fromkeys(members)))]
    return [*prefix, ("branch", tuple(tuple(b) for b in branches))]


#: characters that stand for themselves wherever they are (outside a class)
_PLAIN_RUN = re.compile(r"[^\\.^$*+?{}\[\]()|]+")
_QUANTIFIER_START = frozenset("*+?{")


def _sequence(reader: _Reader) -> list[Item]:
    items: list[Item] = []
    text = reader.text
    while reader.more() and reader.peek() not in ("|", ")"):
        plain = _PLAIN_RUN.match(text, reader.pos)
        if plain is not None:
            # a run of plain characters is that many literals, read at once; its last one is
            # read by itself when a quantifier may follow it
            end = plain.end()
            if end < len(text) and text[end] in _QUANTIFIER_START:
                end -= 1
            items.extend(("literal", ord(c)) for c in text[reader.pos : end])
            reader.pos = end
            if not reader.more() or reader.peek() in ("|", ")"):
                break
        atom = _atom(reader)
        if atom is None:
            continue
        items.append(_quantified(reader, atom))
    return items


def _quantified(reader: _Reader, atom: Item) -> Item:
    c = reader.peek()
    if c == "*":
        lo, hi = 0, None
        reader.take()
    elif c == "+":
        lo, hi = 1, None
        reader.take()
    elif c == "?":
        lo, hi = 0, 1
        reader.take()
    elif c == "{" and (m := _QUANTIFIER_RE.match(reader.text, reader.pos)) is not None:
        if not m.group(1) and not m.group(2):
            return atom  # "{}" is two literals: handled by the caller's next atoms
        lo = int(m.group(1) or 0)
        hi = int(m.group(3)) if m.group(3) else (None if m.group(2) else lo)
        reader.pos = m.end()
    else:
        return atom
    op = "repeat"
    if reader.peek() == "?":
        reader.take()
        op = "min_repeat"
    elif reader.peek() == "+":
        reader.take()
        op = "possessive_repeat"
    return (op, (lo, hi, (atom,)))


def _atom(reader: _Reader) -> Item | None:
    c = reader.take()
    if c == "\\":
        return _escape(reader, in_class=False)
    if c == "[":
        return _char_class(reader)
    if c == "(":
        return _group(reader)
    if c == ".":
        return ("any", None)
    if c == "^":
        return ("at", "beginning")
    if c == "$":
        return ("at", "end")
    return ("literal", ord(c))


def _escape(reader: _Reader, in_class: bool) -> Item:
    c = reader.take()
    if c in _CATEGORIES:
        category = ("category", _CATEGORIES[c])
        return category if in_class else ("in", (category,))
    if c == "b" and in_class:
        return ("literal", 8)
    if c in _ANCHORS and not in_class:
        return ("at", _ANCHORS[c])
    if c in _CONTROL:
        return ("literal", _CONTROL[c])
    if c in _HEX:
        digits = reader.take(_HEX[c])
        return ("literal", int(digits, 16))
    if c == "N" and reader.peek() == "{":
        import unicodedata

        name = reader.take(reader.text.index("}", reader.pos) + 1 - reader.pos)[1:-1]
        return ("literal", ord(unicodedata.lookup(name)))
    if c.isdigit():
        digits = c
        while reader.peek().isdigit() and len(digits) < 3:
            digits += reader.take()
        if c == "0" or len(digits) == 3 or in_class:
            return ("literal", int(digits, 8) if set(digits) <= set("01234567") else 0)
        return ("backref", digits)
    return ("literal", ord(c))


def _char_class(reader: _Reader) -> Item:
    members: list[Item] = []
    if reader.peek() == "^":
        reader.take()
        members.append(("negate", None))
    first = True
    while True:
        c = reader.take()
        if c == "]" and not first:
            break
        first = False
        member = _escape(reader, in_class=True) if c == "\\" else ("literal", ord(c))
        if member[0] == "literal" and reader.peek() == "-" and reader.peek(2)[1:] not in ("]", ""):
            reader.take()
            hi_c = reader.take()
            hi = _escape(reader, in_class=True) if hi_c == "\\" else ("literal", ord(hi_c))
            members.append(("range", (member[1], hi[1])))
            continue
        members.append(member)
    if len(members) == 1 and members[0][0] == "literal":
        return members[0]
    if len(members) == 2 and members[0][0] == "negate" and members[1][0] == "literal":
        return ("not_literal", members[1][1])
    return ("in", tuple(members))


def _group(reader: _Reader) -> Item | None:
    start = reader.pos - 1
    lookaround = False
    if reader.peek() == "?":
        head = reader.peek(3)
        if head[:2] in ("?=", "?!") or head in ("?<=", "?<!"):
            lookaround = True
        elif head[:2] not in ("?:", "?P", "?<", "?>", "?(") and head[1:2].isalpha():
            # inline flags "(?i)" or scoped "(?i:...)"
            close = reader.text.find(")", reader.pos)
            colon = reader.text.find(":", reader.pos)
            if colon < 0 or close < colon:
                reader.pos = close + 1
                return None
    _skip_group_body(_skip_group_head(reader))
    reader.take()  # ")"
    text = reader.text[start : reader.pos]
    return ("assert", text) if lookaround else ("group", text)


#: inside a group: what can hide a parenthesis (an escape, a character class) or is one
_GROUP_TOKEN = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|[()]", re.S)


def _skip_group_body(reader: _Reader) -> None:
    """Move to the ")" that closes the group whose body starts here (its items are not
    needed: a group is one opaque item), or to the end of an unclosed one."""
    depth = 0
    for m in _GROUP_TOKEN.finditer(reader.text, reader.pos):
        token = m.group()
        if token == "(":
            depth += 1
        elif token == ")":
            if not depth:
                reader.pos = m.start()
                return
            depth -= 1
    reader.pos = len(reader.text)


def _skip_group_head(reader: _Reader) -> _Reader:
    """Move past "?:", "?P<name>", "?=", "?<!" … so the group's body can be read."""
    if reader.peek() != "?":
        return reader
    reader.take()
    c = reader.take()
    if c in ("P", "<") and reader.peek() not in ("=", "!"):
        if c == "P" and reader.peek() == "=":  # (?P=name): a back-reference
            reader.pos = reader.text.index(")", reader.pos)
            return reader
        reader.pos = reader.text.index(">", reader.pos) + 1
    elif c == "<":
        reader.take()
    elif c == "(":
        reader.pos = reader.text.index(")", reader.pos) + 1
    elif c not in (":", "=", "!", ">"):
        reader.pos = reader.text.index(":", reader.pos) + 1
    return reader
