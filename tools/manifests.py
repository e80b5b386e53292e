"""The benchmark contract: run the real extract + metadata stages over a manifest of pages."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from etl.extract.page import extract_page
from etl.records import Article, RawPage, Reject
from etl.settings import Settings
from etl.urls import url_hash


def article_json(page_id: str, outcome: Article | Reject) -> dict[str, Any]:
    """One prediction line of the benchmark format."""
    if isinstance(outcome, Reject):
        return {"id": page_id, "title": None, "text": "", "published_at": None, "modified_at": None,
                "authors": [], "language": None, "description": None, "top_image": None,
                "canonical_url": None, "keywords": [], "extractor": None, "published_precision": None,
                "agency": None, "site_name": None, "section": None,
                "reject": {"reason": outcome.reason, "detail": outcome.detail}}
    published: str | None = None
    if outcome.published_at is not None:
        published = outcome.published_at.isoformat()
    elif outcome.published_date is not None:
        published = outcome.published_date.isoformat()
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
            sink.write(json.dumps(article_json(row["id"], extract_page(page, settings)), ensure_ascii=False) + "\n")
            count += 1
    return count
