"""Reading one TOML table: typed values taken out key by key, every problem noted (not
raised) with its key path, and unknown keys reported with a "did you mean"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bouncewatch.durations import format_duration
from bouncewatch.durations import parse_duration as _parse_duration
from bouncewatch.errors import ConfigError


def parse_duration(value: object, key: str) -> timedelta:
    """A duration value of the configuration → timedelta; a ConfigError names the key."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ConfigError(f'{key}: expected a duration such as "90s", "15m", "14d"')
    try:
        return _parse_duration(value)
    except ValueError as e:
        raise ConfigError(f"{key}: {e}") from None


class Invalid(Exception):
    """One value was wrong (already noted): use the default and go on."""


class Reader:
    """Takes keys out of one table, checking types; problems are noted, not raised."""

    def __init__(self, data: Mapping[str, Any], prefix: str, problems: list[str]) -> None:
        self.data = dict(data)
        self.prefix = prefix
        self.problems = problems

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def note(self, name: str, text: str) -> None:
        self.problems.append(f"{self.key(name)}: {text}")

    def take(self, name: str, default: Any = None) -> Any:
        return self.data.pop(name, default)

    def _typed(self, name: str, types: tuple[type, ...], what: str, default: Any) -> Any:
        if name not in self.data:
            return default
        value = self.data.pop(name)
        if isinstance(value, bool) and bool not in types:
            self.note(name, f"expected {what}, got a boolean")
            raise Invalid
        if not isinstance(value, types):
            self.note(name, f"expected {what}, got {type(value).__name__}")
            raise Invalid
        return value

    def _get(self, default: Any, read: Any, *args: Any) -> Any:
        try:
            return read(*args)
        except Invalid:
            return default

    def opt_str(self, name: str, default: str | None = None) -> str | None:
        def read() -> str | None:
            value = self._typed(name, (str,), "a string", default)
            if value is not None and not value.strip():
                self.note(name, "must not be empty")
                return default
            return value

        return self._get(default, read)

    def req_str(self, name: str) -> str:
        value = self.opt_str(name)
        if value is None:
            if not any(p.startswith(f"{self.key(name)}:") for p in self.problems):
                self.note(name, "required key is missing")
            return ""
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self._get(default, self._typed, name, (str,), "a string", default)
        if value not in choices:
            self.note(name, f"must be one of {', '.join(choices)}")
            return default
        return value

    def integer(self, name: str, default: int, lo: int, hi: int | None = None) -> int:
        value = self._get(default, self._typed, name, (int,), "an integer", default)
        if value < lo or (hi is not None and value > hi):
            rng = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            self.note(name, f"must be {rng}, got {value}")
            return default
        return value

    def boolean(self, name: str, default: bool) -> bool:
        return self._get(default, self._typed, name, (bool,), "true or false", default)

    def duration(self, name: str, default: timedelta, minimum: timedelta) -> timedelta:
        if name not in self.data:
            return default
        try:
            value = parse_duration(self.data.pop(name), self.key(name))
        except ConfigError as e:
            self.problems.append(str(e))
            return default
        if value < minimum:
            self.note(name, f"must be at least {format_duration(minimum)}")
            return default
        return value

    def str_list(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._get(None, self._typed, name, (list,), "a list of strings", None)
        if value is None:
            return default
        bad = [i for i, item in enumerate(value) if not isinstance(item, str) or not item.strip()]
        for i in bad:
            self.problems.append(f"{self.key(name)}[{i}]: expected a non-empty string")
        return default if bad else tuple(value)

    def table(self, name: str) -> dict[str, Any]:
        return self._get({}, self._typed, name, (dict,), "a table", {})

    def done(self, known: tuple[str, ...]) -> None:
        for name in self.data:
            if name == "password":
                hint = (
                    " (passwords are not kept in the configuration: use password_file, "
                    "password_env or password_credential)"
                )
            else:
                import difflib  # (only a misspelt key needs it)

                close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]}?)" if close else ""
            self.note(name, f"unknown key{hint}")


__all__ = ["Invalid", "Reader", "parse_duration"]
