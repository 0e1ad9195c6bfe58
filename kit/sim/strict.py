"""The strict TOML reader of scenario files: every field typed, every unread field an error.

A silently ignored typo would make the simulator lie, so each table is read through ``Table``, which
names the field (``keys[2].stauts``) and the fix (``did you mean 'status'?``) in a ``ScenarioError``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from kit.errors import ScenarioError

__all__ = ["Table", "tables", "type_names", "unique"]


class Table:
    """Strict reader of one TOML table: every field is typed, every unread field is an error."""

    def __init__(self, data: Any, where: str, origin: str) -> None:
        if not isinstance(data, dict):
            raise ScenarioError(
                f"{origin}: '{where}' must be a table, not {type(data).__name__}",
                f"write it as [{where}] with key = value lines",
            )
        self.data = data
        self.where = where
        self.origin = origin
        self.read: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, problem: str, fix: str) -> ScenarioError:
        return ScenarioError(f"{self.origin}: field '{self._name(key)}' {problem}", fix)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
        self.read.add(key)
        if key not in self.data:
            if required:
                raise self.fail(key, "is required", f"add {key} = … to {self.where or 'the top level'}")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        wanted = type_names(kinds)
        # TOML booleans are ints in Python: never accept one for the other.
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(key, f"must be {wanted}, not a boolean", f"write {key} = <{wanted}>")
        if not isinstance(value, kinds):
            raise self.fail(
                key, f"must be {wanted}, not {type(value).__name__} ({value!r})", f"write {key} = <{wanted}>"
            )
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            close = difflib.get_close_matches(value, choices, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise self.fail(
                key,
                f"is {value!r}, which is not one of {', '.join(choices)}",
                f"{hint}use one of: {', '.join(choices)}",
            )
        return str(value)

    def strings(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.get(key, list, None)
        if value is None:
            return default
        if not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings", f'write {key} = ["…", "…"]')
        return tuple(value)

    def share(self, key: str) -> float:
        value = float(self.get(key, (int, float), 0.0))
        if not 0.0 <= value <= 1.0:
            raise self.fail(key, f"is {value}, outside 0..1", f"write a share such as {key} = 0.1 (10 % of requests)")
        return value

    def non_negative(self, key: str, default: int, maximum: int | None = None) -> int:
        value = int(self.get(key, int, default))
        if value < 0:
            raise self.fail(key, f"is {value}, which is negative", f"write {key} = 0 or more")
        if maximum is not None and value > maximum:
            raise self.fail(key, f"is {value}, more than {maximum}", f"write {key} = {maximum} or less")
        return value

    def date(self, key: str) -> dt.date | None:
        value = self.get(key, (dt.date, str), None)
        if value is None or isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(key, f"is {value!r}, not a date", f"write {key} = 2026-12-01 (YYYY-MM-DD)") from None

    def refuse_foreign(self, provider: str, owners: dict[str, tuple[str, ...]]) -> None:
        """Refuse a field that only another provider's face understands (``owners``: field → its providers)."""
        for key in self.data:
            belongs = owners.get(key)
            if belongs is not None and provider not in belongs:
                raise self.fail(
                    key,
                    f'belongs to {" and ".join(belongs)} scenarios, but this one has [api] provider = "{provider}"',
                    f'remove it, or set provider = "{belongs[0]}" in [api]',
                )

    def done(self, known: tuple[str, ...] | None = None) -> None:
        extra = [k for k in self.data if k not in self.read]
        if extra:
            key = extra[0]
            close = difflib.get_close_matches(key, sorted(self.read if known is None else known), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise self.fail(key, "is not a known field", f"{hint}known fields here: {', '.join(sorted(self.read))}")


def type_names(kinds: tuple[type, ...]) -> str:
    names = {
        bool: "true or false",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
        dt.date: "a date",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def tables(data: dict[str, Any], key: str, origin: str) -> list[tuple[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ScenarioError(f"{origin}: '{key}' must be an array of tables", f"write each entry as [[{key}]]")
    return [(f"{key}[{i}]", item) for i, item in enumerate(value)]


def unique(values: list[str], table: str, key: str, origin: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            shown = value if key != "value" else "(a key value)"
            raise ScenarioError(
                f"{origin}: field '{table}[{i}].{key}' repeats {shown!r}",
                f"give every entry of [[{table}]] a unique {key}",
            )
        seen.add(value)
