"""Run parameters given by people (CLI options, DAG params): validated with messages naming them."""

from __future__ import annotations

import os
from datetime import date

WORKERS_PER_CPU = 4  # process workers at most, per CPU of the machine (each holds its own spaCy model)


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


def check_limit(name: str, value: object) -> int | None:
    """A page limit: None, a whole number >= 0, or its digits as text (the trigger form's text box)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadRequest(f"{name} {value!r} is not a number of pages; give a whole number >= 0 (or nothing)")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise BadRequest(f"{name} {value!r} is not a number of pages; give a whole number >= 0 (or nothing)")


def check_workers(name: str, value: object) -> int:
    """A number of process workers: a whole number from 1 to WORKERS_PER_CPU per CPU of this machine."""
    most = WORKERS_PER_CPU * max(1, os.cpu_count() or 1)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= most:
        return value
    raise BadRequest(f"{name} {value!r} is out of range: give a whole number from 1 to {most} "
                     f"({WORKERS_PER_CPU} per CPU of this machine; each worker loads its own NER model)")
