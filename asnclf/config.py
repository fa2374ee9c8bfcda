"""Frozen configuration dataclasses, JSON on disk, hashed into every artifact and result."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from asnclf.artifacts import sha256_json
from asnclf.errors import ConfigError

C = TypeVar("C", bound="Config")


@dataclasses.dataclass(frozen=True)
class Config:
    """Base of every model configuration.

    Subclasses are frozen dataclasses whose fields are JSON values (numbers, strings, booleans,
    lists as tuples); validation lives in ``__post_init__``.
    """

    seed: int = 13

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in dataclasses.fields(self)
        }

    def sha256(self) -> str:
        return sha256_json({"class": type(self).__name__, **self.to_dict()})

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any], *, source: str = "config") -> C:
        """Build from a dict; unknown keys and wrongly typed values are a :class:`ConfigError`."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a JSON object, got {type(data).__name__}")
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {unknown}; known keys are {sorted(known)}")
        hints = typing.get_type_hints(cls)
        values = {name: _coerce(value, hints[name], f"{source}: {name}") for name, value in data.items()}
        try:
            return cls(**values)
        except (TypeError, ValueError) as error:
            if isinstance(error, ConfigError):
                raise
            raise ConfigError(f"{source}: {error}") from None

    @classmethod
    def from_file(cls: type[C], path: str | Path) -> C:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ConfigError(f"{path}: cannot read config ({error})") from None
        return cls.from_dict(data, source=str(path))

    def with_overrides(self: C, overrides: dict[str, str]) -> C:
        """Apply ``--key value`` overrides given as strings (parsed as JSON when possible)."""
        data = self.to_dict()
        for key, raw in overrides.items():
            try:
                data[key] = json.loads(raw)
            except json.JSONDecodeError:
                data[key] = raw
        return type(self).from_dict(data, source="overrides")


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint)]
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: {value!r} does not fit {hint}")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        args = typing.get_args(hint)
        item = args[0] if args else Any
        return tuple(_coerce(v, item, where) for v in value)
    if hint is Any:
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    return value
