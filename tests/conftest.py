"""Shared fixtures: a real PostgreSQL (embedded, via pgserver) and a fresh migrated warehouse per test."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from etl.settings import SEEDS_DIR, Settings, load_settings
from etl.store import migrate
from etl.store.db import ensure_database, libpq_url

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")

# Property tests: `make test` runs the "ci" profile (fixed seed, few examples, same inputs every
# run); `make fuzz` sets HYPOTHESIS_PROFILE=fuzz (random seed, many examples, failures kept in
# .hypothesis/ so a found counterexample is replayed first next time).
hypothesis_settings.register_profile(
    "ci", derandomize=True, max_examples=25, deadline=None, database=None, print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: a failure costs seconds, not minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
hypothesis_settings.register_profile(
    "fuzz", max_examples=2000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL of the 'postgres' database on a real server: NEWSETL_TEST_ADMIN_URL or an embedded one."""
    if os.environ.get("NEWSETL_TEST_ADMIN_URL"):
        yield os.environ["NEWSETL_TEST_ADMIN_URL"]
        return
    import pgserver

    # Not under pytest's basetemp: a concurrent pytest session resets that tree to mode 0700, which
    # would lock the `pgserver` system user (root runs) out of its own data folder.
    folder = Path(tempfile.mkdtemp(prefix="newsetl-test-pg-"))
    server = pgserver.get_server(folder / "data", cleanup_mode="stop")
    yield server.get_uri("postgres")
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


def new_database(admin_url: str, prefix: str = "t") -> str:
    """Create an empty database with a unique name on the admin URL's server; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    ensure_database(admin_url, name)
    return with_database(admin_url, name)


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database ``name``."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def drop_database(admin_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def empty_db_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database (no schema), dropped after the test."""
    url = new_database(pg_admin_url, "empty")
    yield url
    drop_database(pg_admin_url, url)


@pytest.fixture
def warehouse_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh database migrated to head, dropped after the test."""
    url = new_database(pg_admin_url, "wh")
    migrate.upgrade(url)
    yield url
    drop_database(pg_admin_url, url)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with defaults, isolated from the developer's environment; local sources may read the test's
    tmp_path and the seed corpus (stages called without a sources file would otherwise read only seeds/)."""
    return load_settings(environ={}, data_dir=tmp_path / "data", extract_timeout_seconds=20.0,
                         files_roots=(str(tmp_path), str(SEEDS_DIR)))


@pytest.fixture
def db(warehouse_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the test warehouse, for assertions."""
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        yield conn
