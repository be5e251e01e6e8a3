"""Trust: which bounces may change an address's state (see docs/trust.md).

- `signing`: signed VERP return paths (HMAC-SHA256 tags, key rotation, a validity window);
- `verdict`: per recipient, whether a bounce is authenticated (signed return path or a
  Message-ID that `bouncewatch sent` recorded) and whether it may change state.
"""

from __future__ import annotations

from bouncewatch.trust.signing import SignedPath, sign, verify
from bouncewatch.trust.verdict import KnownMessage, Verdict, judge

__all__ = ["KnownMessage", "SignedPath", "Verdict", "judge", "sign", "verify"]
