"""The entity contract: load a manifest's pages into a scratch warehouse with the real pipeline and
write each article's final entities in the format of news-dev's ``score_entities.py``.

How: the pages of each manifest are written, under their manifest URLs, into a temporary WARC file;
a temporary sources file names one ``warc`` source per manifest (the context ones first, the target
last), and :func:`etl.pipeline.run.run_pipeline` runs discover -> fetch -> process (extract, entities,
load) once per source, in that order, on a fresh database. Whatever the warehouse learns from the
context pages (the evidence the resolution step reads) therefore acts on the target pages, as it
would in production. The entities written are what the warehouse holds after the last run's
resolution step: ``article_entities`` joined to ``entities``.

The scratch database is never the user's warehouse: on the embedded server (no
NEWSETL_DATABASE_URL) or on NEWSETL_DATABASE_URL's server a new database ``newsetl_scratch_<hex>`` is
created and dropped at the end.
"""

from __future__ import annotations

import gzip
import io
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from etl.settings import Settings
from etl.store import articles as article_rows
from etl.store.db import scratch_database, transaction
from etl.urls import url_hash

__all__ = ["EntityRun", "ManifestPage", "read_manifest", "run_entities", "scratch_database", "write_predictions",
           "write_warc"]


@dataclass(frozen=True)
class ManifestPage:
    """One manifest row: its id, the URL it was saved from and the file holding its bytes."""

    id: str
    url: str
    path: Path


@dataclass
class EntityRun:
    """What :func:`run_entities` did: predictions per target id, the target articles, timings."""

    predictions: list[dict[str, Any]] = field(default_factory=list)
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> title, text, language
    # every article of the scratch warehouse (context and target): article_id, title, text, language, id
    warehouse: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    summaries: list[dict[str, Any]] = field(default_factory=list)


def read_manifest(manifest: Path, ids: set[str] | None = None) -> list[ManifestPage]:
    """The rows of a manifest (paths relative to its folder), optionally only those of ``ids``."""
    base = manifest.resolve().parent
    pages: list[ManifestPage] = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if ids is not None and row["id"] not in ids:
            continue
        url = row.get("url") or ""
        if urlsplit(url).scheme not in ("http", "https"):  # a WARC response record needs an HTTP URL
            url = f"https://manifest.invalid/{row['id']}"
        pages.append(ManifestPage(str(row["id"]), url, base / row["path"]))
    return pages


def _body(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def write_warc(pages: Sequence[ManifestPage], target: Path) -> int:
    """Write the pages as HTTP 200 text/html response records under their URLs; returns how many."""
    with target.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for page in pages:
            http_headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            record = writer.create_warc_record(page.url, "response", payload=io.BytesIO(_body(page.path)),
                                               http_headers=http_headers)
            writer.write_record(record)
    return len(pages)


def _warehouse(url: str, pages: Sequence[ManifestPage]) -> list[dict[str, Any]]:
    ids = {url_hash(p.url): p.id for p in pages}
    with transaction(url) as conn:
        return [{"article_id": aid, "title": title, "text": text, "language": language, "id": ids.get(key)}
                for aid, title, text, language, key in article_rows.texts(conn)]


def _predictions(url: str, pages: Sequence[ManifestPage]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    hashes = {url_hash(p.url): p for p in pages}
    found: dict[str, list[dict[str, Any]]] = {}
    articles: dict[str, dict[str, Any]] = {}
    with transaction(url) as conn:
        rows = article_rows.entities_of_pages(conn, list(hashes))
        for key, title, text, language, name, etype, count, salience in rows:
            page_id = hashes[key].id
            articles[page_id] = {"title": title, "text": text, "language": language}
            ents = found.setdefault(page_id, [])
            if name is not None:
                ents.append({"name": name, "type": etype, "mentions": int(count),
                             "salience": round(float(salience), 5)})
    predictions = [{"id": p.id, "article": p.id in found, "entities": found.get(p.id, [])} for p in pages]
    return predictions, articles


def run_entities(
    manifest: Path,
    settings: Settings,
    context: Sequence[Path] = (),
    ids: set[str] | None = None,
    database_url: str | None = None,
) -> EntityRun:
    """Load the context manifests' pages, then the manifest's pages, into a scratch warehouse with
    the real pipeline, and return the final entities of the manifest's pages (in manifest order).

    ``ids`` keeps only those rows of ``manifest``. ``database_url`` runs on that (empty) database
    instead of a scratch one (tests).
    """
    from etl.pipeline.run import RunRequest, run_pipeline

    target = read_manifest(manifest, ids)
    result = EntityRun()
    with tempfile.TemporaryDirectory(prefix="newsetl-entities-") as tmp:
        folder = Path(tmp)
        sources: list[dict[str, str]] = []
        for number, path in enumerate([*context, manifest]):
            pages = target if number == len(context) else read_manifest(path)
            warc = folder / f"{number:02d}.warc.gz"
            write_warc(pages, warc)
            name = "entities-target" if number == len(context) else f"entities-context-{number}"
            sources.append({"name": name, "kind": "warc", "location": str(warc)})
        sources_file = folder / "sources.yaml"
        sources_file.write_text(json.dumps({"sources": sources}), encoding="utf-8")  # JSON is YAML

        def load(url: str) -> None:
            for source in sources:
                started = time.perf_counter()
                summary = run_pipeline(url, settings.with_overrides(database_url=url),
                                       RunRequest(sources_file=sources_file, source_names=(source["name"],)),
                                       trigger="entities")
                result.seconds[source["name"]] = round(time.perf_counter() - started, 2)
                result.summaries.append({"source": source["name"], "status": str(summary.status),
                                         "counts": summary.counts, "stage_timings": summary.stage_timings})
            result.predictions, result.articles = _predictions(url, target)
            result.warehouse = _warehouse(url, target)

        if database_url:
            load(database_url)
        else:
            with scratch_database(settings) as url:
                load(url)
    return result


def write_predictions(predictions: Sequence[dict[str, Any]], out_file: Path) -> None:
    """One JSON object per line: {"id", "article", "entities": [{"name", "type", "mentions", "salience"}]}."""
    with out_file.open("w", encoding="utf-8") as sink:
        for row in predictions:
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
