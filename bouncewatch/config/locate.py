"""Which configuration file a command reads (no settings code: a command that finds none
runs on the built-in defaults without loading it)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CONFIG_PATH = Path("/etc/bouncewatch/config.toml")


def locate_config(path: str | Path | None = None) -> Path | None:
    """The configuration file to read: `path` (from --config or $BOUNCEWATCH_CONFIG) when
    given, else /etc/bouncewatch/config.toml if it exists, else None (built-in defaults)."""
    if path is not None and str(path) != "":
        return Path(path)
    env = os.environ.get("BOUNCEWATCH_CONFIG")
    if env:
        return Path(env)
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.is_file() else None


__all__ = ["DEFAULT_CONFIG_PATH", "locate_config"]
