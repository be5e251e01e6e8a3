"""The part walk: every part of a message with its content type, in one pass, cached for the
message the registry is handing from decoder to decoder."""

from __future__ import annotations

from email.message import Message
from weakref import ref

#: parts below this depth are not looked at (a 60-deep nest of multiparts is an attack, not mail)
MAX_DEPTH = 40

#: the registry hands one message to every detector in turn: its part list is kept until the
#: next message comes (the list holds the message, so a weak-keyed cache would never let go)
_last_parts: tuple[ref[Message], list[tuple[str, Message]]] | None = None


def content_type(part: Message) -> str:
    """`part.get_content_type()`, read from the raw header (the stdlib's `get` sanitises and
    lower-cases every header name on the way, for every call)."""
    for k, v in part._headers:  # type: ignore[attr-defined]
        if len(k) == 12 and (k == "Content-Type" or k.lower() == "content-type"):
            if not isinstance(v, str):
                continue
            # "text/plain\n   charset=…" (a missing ";") is still text/plain
            words = v.partition(";")[0].split(None, 1)
            ctype = words[0].lower() if words else ""
            return ctype if ctype.count("/") == 1 else "text/plain"
    return part.get_default_type()


def typed_parts(msg: Message, keep: bool = True) -> list[tuple[str, Message]]:
    """(content type, part) for every part of `msg` (itself first), depth-first, without
    entering status blocks or attached messages.  Computed once per message and cached
    (`keep=False`: the cached list if there is one, else computed and not kept -- the cache
    holds the message until the next one comes)."""
    global _last_parts
    last = _last_parts
    if last is not None and last[0]() is msg:
        return last[1]
    out: list[tuple[str, Message]] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    pop, push, append = stack.pop, stack.append, out.append
    while stack:
        part, depth = pop()
        ctype = content_type(part)
        append((ctype, part))
        if depth < MAX_DEPTH and ctype.startswith("multipart/"):
            payload = part._payload  # type: ignore[attr-defined]  # get_payload() gives it
            if isinstance(payload, list):
                for p in reversed(payload):
                    if isinstance(p, Message):
                        push((p, depth + 1))
    if keep:
        _last_parts = (ref(msg), out)
    return out


def parts(msg: Message) -> list[Message]:
    """Every part of `msg` (itself first); see `typed_parts`."""
    return [part for _, part in typed_parts(msg)]


def find_part(msg: Message, *ctypes: str) -> Message | None:
    """The first part whose content type is one of `ctypes`."""
    for ctype, part in typed_parts(msg):
        if ctype in ctypes:
            return part
    return None
