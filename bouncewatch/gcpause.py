"""Python's cycle collector paused while a batch is read and recorded.

A batch holds thousands of objects until it is committed: each message's parse result, its
rows and its address states.  None of them is in a reference cycle (the parser and the store
make none), yet while they are held every few hundred new objects start a collection, and the
older generations' collections walk everything the batch holds so far.  Paused, the batch pays
for none of that; what it frees is freed by reference counting as before, and collection
resumes when the batch is done.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The cycle collector off for the block, on again after it (after an error too).  When
    it is off already, it is someone else's pause: left off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


__all__ = ["paused"]
