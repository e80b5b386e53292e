"""Values as PostgreSQL takes them: text without NUL or lone surrogates, jsonb parameters."""

from __future__ import annotations

import re
from typing import Any

from psycopg.types.json import Jsonb

SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str) -> str:
    """Text PostgreSQL accepts: NUL removed, lone surrogates replaced by U+FFFD."""
    return SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def _storable(value: Any) -> Any:
    """The value with what PostgreSQL text cannot hold (NUL, lone surrogates) replaced, recursively."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_storable(v) for v in value]
    return value


def as_json(value: object) -> Jsonb:
    """Wrap a value for a jsonb parameter (made storable first: feeds and pages carry NUL bytes)."""
    return Jsonb(_storable(value))
