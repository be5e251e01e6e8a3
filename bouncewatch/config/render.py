"""Settings → plain data → TOML, for `check-config` (holds no secret)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bouncewatch.durations import format_duration

if TYPE_CHECKING:
    from bouncewatch.config.settings import Settings


def settings_to_dict(s: Settings) -> dict[str, Any]:
    def conv(v: Any) -> Any:
        if isinstance(v, timedelta):
            return format_duration(v)
        if isinstance(v, Path):
            return str(v)
        if isinstance(v, tuple):
            return [conv(x) for x in v]
        return v

    def section(obj: Any) -> dict[str, Any]:
        return {
            k: conv(getattr(obj, k))
            for k in obj.__dataclass_fields__
            if getattr(obj, k) is not None
        }

    out: dict[str, Any] = {"database": str(s.database)}
    if s.database_group is not None:
        out["database_group"] = s.database_group
    out["mailbox"] = [section(m) for m in s.mailboxes]
    out["schedule"] = section(s.schedule)
    out["policy"] = section(s.policy)
    out["parse"] = section(s.parse)
    out["trust"] = section(s.trust)
    out["log"] = section(s.log)
    return out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def to_toml(data: dict[str, Any]) -> str:
    """Render `settings_to_dict` output as TOML (the subset it uses)."""
    lines = [f"database = {_toml_value(data['database'])}"]
    if "database_group" in data:
        lines.append(f"database_group = {_toml_value(data['database_group'])}")
    for mb in data["mailbox"]:
        lines += ["", "[[mailbox]]"] + [f"{k} = {_toml_value(v)}" for k, v in mb.items()]
    for name in ("schedule", "policy", "parse", "trust", "log"):
        lines += ["", f"[{name}]"] + [f"{k} = {_toml_value(v)}" for k, v in data[name].items()]
    return "\n".join(lines) + "\n"


__all__ = ["settings_to_dict", "to_toml"]
