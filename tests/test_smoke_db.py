"""The warehouse migrates on a real PostgreSQL and holds the documented tables."""

import psycopg

from etl.store import migrate

TABLES = {
    "sources", "raw_pages", "articles", "authors", "article_authors", "entities", "article_entities",
    "entity_aliases", "keywords", "article_keywords", "pipeline_runs", "rejects", "frontier",
    "http_cache", "fetch_log", "article_lsh_bands",
}


def test_upgrade_creates_tables_and_is_repeatable(warehouse_url: str, db: psycopg.Connection) -> None:
    names = {r[0] for r in db.execute("select tablename from pg_tables where schemaname = 'public'")}
    assert TABLES <= names
    migrate.upgrade(warehouse_url)  # second time: nothing to do, no error
    assert migrate.current_revision(warehouse_url) == migrate.head_revision()
