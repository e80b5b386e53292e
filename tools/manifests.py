"""The benchmark contract: run the real extract + metadata stages over a manifest of pages."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from etl.extract.metadata import PageMetadata
from etl.extract.page import extract_page_found
from etl.records import Article, RawPage, Reject
from etl.settings import Settings
from etl.urls import url_hash


def _published(found: Article | PageMetadata) -> str | None:
    if found.published_at is not None:
        return found.published_at.isoformat()
    if found.published_date is not None:
        return found.published_date.isoformat()
    return None


def article_json(page_id: str, outcome: Article | Reject, found: PageMetadata | None = None) -> dict[str, Any]:
    """One prediction line of the benchmark format.

    A reject carries what the page's metadata said (``found``: title, date, authors), with an
    empty text: the date of a page with too little body text is still the page's date.
    """
    if isinstance(outcome, Reject):
        meta = found or PageMetadata()
        return {"id": page_id, "title": meta.title, "text": "", "published_at": _published(meta),
                "modified_at": meta.modified_at.isoformat() if meta.modified_at else None,
                "authors": meta.authors, "language": None, "description": meta.description,
                "top_image": meta.top_image, "canonical_url": meta.canonical_url, "keywords": meta.keywords,
                "extractor": None, "published_precision": meta.published_precision,
                "agency": meta.agency, "site_name": meta.site_name, "section": meta.section,
                "reject": {"reason": outcome.reason, "detail": outcome.detail}}
    published = _published(outcome)
    return {
        "id": page_id,
        "title": outcome.title,
        "text": outcome.text,
        "published_at": published,
        "published_precision": outcome.published_precision,
        "modified_at": outcome.modified_at.isoformat() if outcome.modified_at else None,
        "authors": outcome.authors,
        "agency": outcome.agency,
        "site_name": outcome.site_name,
        "section": outcome.section,
        "language": outcome.language,
        "description": outcome.description,
        "top_image": outcome.top_image,
        "canonical_url": outcome.canonical_url,
        "keywords": outcome.keywords,
        "extractor": outcome.extractor,
    }


def extract_manifest(manifest: Path, out_file: Path, settings: Settings) -> int:
    """Write one prediction per manifest row; paths are relative to the manifest's folder."""
    base = manifest.resolve().parent
    count = 0
    with open(manifest, encoding="utf-8") as rows, open(out_file, "w", encoding="utf-8") as sink:
        for line in rows:
            if not line.strip():
                continue
            row = json.loads(line)
            path = base / row["path"]
            body = path.read_bytes()
            if path.suffix == ".gz":
                body = gzip.decompress(body)
            url = row.get("url") or path.as_uri()
            page = RawPage(raw_page_id=0, url_hash=url_hash(url), url=url, final_url=url, source_id=0,
                           body=body, content_type=None, headers={})
            found = extract_page_found(page, settings)
            sink.write(json.dumps(article_json(row["id"], found.outcome, found.metadata), ensure_ascii=False) + "\n")
            count += 1
    return count
