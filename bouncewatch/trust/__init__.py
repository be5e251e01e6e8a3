"""Trust: which bounces may change an address's state (see docs/trust.md).

- `signing`: signed VERP return paths (HMAC-SHA256 tags, key rotation, a validity window);
- `verdict`: per recipient, whether a bounce is authenticated (signed return path or a
  Message-ID that `bouncewatch sent` recorded) and whether it may change state.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bouncewatch.trust.signing import SignedPath, sign, verify
    from bouncewatch.trust.verdict import KnownMessage, Verdict, judge

#: name -> the module that defines it, loaded on first use: the settings import
#: `trust.settings`, and a command that checks no signature never loads hashlib and hmac
_LAZY = {
    "SignedPath": "signing",
    "sign": "signing",
    "verify": "signing",
    "KnownMessage": "verdict",
    "Verdict": "verdict",
    "judge": "verdict",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = ["KnownMessage", "SignedPath", "Verdict", "judge", "sign", "verify"]
