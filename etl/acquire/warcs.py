"""WARC archives as a source: list their HTML responses, and read one record back by its offset.

Design: discovery lists each HTML ``response`` record under its own target URL (so a page
from an archive and the same page fetched live share one url_hash and one article), and
stores where its bytes are in ``frontier.fetch_from`` as a locator
``warc:<absolute path>#<record offset>``. The fetch stage then reads that one record instead
of making a request. Stages keep their jobs (discover lists, fetch reads bytes into
raw_pages, with the same leases, counters and rejects), and a WARC of 100,000 records is
never held in memory: discovery streams the file, fetch seeks to one record.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from etl.acquire.http import HTML_TYPES
from etl.acquire.localfiles import LocalRefused, open_local

LOCATOR_PREFIX = "warc:"


@dataclass(frozen=True)
class WarcRecord:
    """An HTML response found in an archive: its URL, status, date and where it starts."""

    url: str
    locator: str
    date: str | None


@dataclass(frozen=True)
class WarcPage:
    """The bytes of one record as a fetch would have returned them."""

    url: str
    status_code: int | None
    headers: dict[str, str]
    body: bytes


class WarcError(ValueError):
    """The archive (or a record) cannot be read; ``reason`` is the reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def warc_paths(pattern: str) -> list[Path]:
    """The archive files a source location names (a file, a folder or a glob)."""
    path = Path(pattern)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and ".warc" in p.name)
    return sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())


def locator(path: Path, offset: int) -> str:
    return f"{LOCATOR_PREFIX}{path.resolve()}#{offset}"


def parse_locator(value: str) -> tuple[Path, int]:
    body = value.removeprefix(LOCATOR_PREFIX)
    path, _, offset = body.rpartition("#")
    return Path(path), int(offset)


def _is_html(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() in HTML_TYPES


def list_records(path: Path, roots: tuple[Path, ...]) -> Iterator[WarcRecord | tuple[str, str]]:
    """HTML 200 responses of an archive (a regular file inside ``roots``); skipped records come as
    (reason, url) for counting."""
    try:
        with open_local(path, roots) as stream:
            records = ArchiveIterator(stream)
            for record in records:
                if record.rec_type != "response":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                status = record.http_headers.get_statuscode() if record.http_headers else None
                if status != "200":
                    yield ("warc_not_ok", url)
                    continue
                if not _is_html(record.http_headers.get_header("Content-Type")):
                    yield ("warc_not_html", url)
                    continue
                offset = records.get_record_offset()
                yield WarcRecord(url, locator(path, offset), record.rec_headers.get_header("WARC-Date"))
    except LocalRefused as exc:
        raise WarcError(exc.reason, str(exc)) from exc
    except (ArchiveLoadFailed, OSError, ValueError) as exc:
        raise WarcError("warc_unreadable", f"{path}: {exc}") from exc


def read_record(value: str, max_bytes: int, roots: tuple[Path, ...]) -> WarcPage:
    """The payload of the record at a locator (chunked and content encodings undone); the archive must be a
    regular file inside ``roots``."""
    path, offset = parse_locator(value)
    try:
        with open_local(path, roots) as stream:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(stream)), None)
            if record is None or record.rec_type != "response":
                raise WarcError("warc_record_missing", f"no response record at {value}")
            content = record.content_stream()
            body = content.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise WarcError("too_large", f"record body over {max_bytes} bytes")
            headers = {k.lower(): v for k, v in (record.http_headers.headers if record.http_headers else [])}
            status = record.http_headers.get_statuscode() if record.http_headers else None
            for name in ("content-encoding", "content-length", "transfer-encoding"):
                headers.pop(name, None)
            return WarcPage(record.rec_headers.get_header("WARC-Target-URI") or "",
                            int(status) if status and status.isdigit() else None, headers, body)
    except WarcError:
        raise
    except LocalRefused as exc:
        raise WarcError(exc.reason, str(exc)) from exc
    except FileNotFoundError as exc:
        raise WarcError("file_not_found", str(path)) from exc
    except (ArchiveLoadFailed, OSError, ValueError) as exc:
        raise WarcError("warc_unreadable", f"{value}: {exc}") from exc
