"""Fetch: the bytes of one claimed URL — over polite HTTP, from a local file, or from a WARC record.

Every failure is a Reject with a machine-readable reason (``transient`` when a later run may
succeed); nothing here raises for a bad URL and nothing here touches the database. The claim →
fetch → settle loop that drives this is ``etl.pipeline.fetch``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote, urlsplit

from etl.acquire import warcs
from etl.acquire.http import PoliteClient, Response, Validators
from etl.acquire.localfiles import LocalRefused, local_roots, read_local
from etl.records import Fetched, FrontierClaim, NotModified, Reject, Stage
from etl.settings import Settings

Outcome = Fetched | NotModified | Reject


def _fetch_file(url: str, settings: Settings) -> Fetched | Reject:
    """A file: URL's bytes: only a regular file inside the files roots (checked again here: the frontier row
    may be older than the sources file or the roots)."""
    path = Path(unquote(urlsplit(url).path))
    try:
        body = read_local(path, local_roots(settings), settings.max_page_bytes)
    except LocalRefused as exc:
        return Reject(Stage.FETCH, exc.reason, url, str(exc))
    except FileNotFoundError:
        return Reject(Stage.FETCH, "file_not_found", url, str(path))
    except OSError as exc:
        return Reject(Stage.FETCH, "file_unreadable", url, f"{type(exc).__name__}: {exc}")
    return Fetched(url=url, final_url=url, body=body)


def _fetch_warc(url: str, locator: str, settings: Settings) -> Fetched | Reject:
    try:
        page = warcs.read_record(locator, settings.max_fetch_bytes, local_roots(settings))
    except warcs.WarcError as exc:
        return Reject(Stage.FETCH, exc.reason, url, str(exc))
    return Fetched(url=url, final_url=url, body=page.body, status_code=page.status_code,
                   content_type=page.headers.get("content-type"), headers=page.headers)


async def fetch_claim(claim: FrontierClaim, client: PoliteClient, settings: Settings) -> Outcome:
    """Fetch one claimed URL from wherever its bytes are; failures are Rejects."""
    if claim.fetch_from:
        return await asyncio.to_thread(_fetch_warc, claim.url, claim.fetch_from, settings)
    scheme = urlsplit(claim.url).scheme.lower()
    if scheme == "file":
        if not claim.source_kind.operator_local:
            return Reject(Stage.FETCH, "unsupported_scheme", claim.url, f"file: URL from a {claim.source_kind} source")
        return await asyncio.to_thread(_fetch_file, claim.url, settings)
    validators = Validators(claim.etag, claim.last_modified) if (claim.etag or claim.last_modified) else None
    got = await client.get(claim.url, purpose="page", validators=validators, html_only=True)
    if isinstance(got, Reject):
        return got
    if got.not_modified:
        return NotModified(claim.url)
    return _fetched(got)


def _fetched(got: Response) -> Fetched:
    return Fetched(url=got.url, final_url=got.final_url, body=got.body, status_code=got.status_code,
                   content_type=got.content_type, headers=got.headers, redirects=got.redirects)


def fetch_url(url: str, settings: Settings) -> Fetched | Reject:
    """Fetch one URL outside a run (local file or polite HTTP); every failure is a Reject."""
    if urlsplit(url).scheme.lower() == "file":
        return _fetch_file(url, settings)

    async def go() -> Fetched | Reject:
        async with PoliteClient(settings) as client:
            got = await client.get(url, purpose="page", html_only=True)
        return got if isinstance(got, Reject) else _fetched(got)

    return asyncio.run(go())
