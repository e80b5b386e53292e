"""Run parameters given by people (CLI options, DAG params): validated with messages naming them."""

from __future__ import annotations

from datetime import date


class BadRequest(ValueError):
    """A run parameter that cannot be used; the message names it and the fix."""


def check_day(name: str, value: str | None) -> str | None:
    """``value`` when it is a YYYY-MM-DD day (or None); else BadRequest naming ``name``."""
    if value is None:
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} {value!r} is not a day; give it as YYYY-MM-DD") from None
    if len(value) != 10:
        raise BadRequest(f"{name} {value!r} is not a day; give it as YYYY-MM-DD")
    return value
