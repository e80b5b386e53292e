"""Report rows as CSV, JSON or table cells."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from etl.reports.catalog import FORMATS, ReportInputError, ReportResult


def _plain(value: Any) -> Any:
    """A value as JSON/CSV should show it."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def render(result: ReportResult, fmt: str) -> str:
    """The rows as CSV (header first) or JSON (a list of objects); tables are drawn by the CLI."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([["" if v is None else _plain(v) for v in row] for row in result.rows])
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps([{k: _plain(v) for k, v in r.items()} for r in result.records()], ensure_ascii=False,
                          indent=1) + "\n"
    raise ReportInputError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")


def cell(value: Any) -> str:
    """A value as a table cell."""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    return str(value)
