"""Fetch stage: get the bytes of a discovered URL (local files for now)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from etl.records import Reject
from etl.settings import Settings


@dataclass(frozen=True)
class Fetched:
    """A successful fetch: the bytes and what the transport said about them."""

    url: str
    final_url: str
    body: bytes
    status_code: int | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def fetch_url(url: str, settings: Settings) -> Fetched | Reject:
    """Fetch one URL; every failure is a Reject with a reason, never an exception."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        return _fetch_file(url, settings)
    return Reject("fetch", "unsupported_scheme", url, f"scheme {scheme or '(none)'} is not fetched")


def _fetch_file(url: str, settings: Settings) -> Fetched | Reject:
    path = Path(unquote(urlsplit(url).path))
    try:
        size = path.stat().st_size
        if size > settings.max_page_bytes:
            return Reject("fetch", "too_large", url, f"{size} bytes > {settings.max_page_bytes}")
        body = path.read_bytes()
    except FileNotFoundError:
        return Reject("fetch", "file_not_found", url, str(path))
    except OSError as exc:
        return Reject("fetch", "file_unreadable", url, f"{type(exc).__name__}: {exc}")
    return Fetched(url=url, final_url=url, body=body)
