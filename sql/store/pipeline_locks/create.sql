-- pipeline_locks: one row per lock the pipeline takes (migrate, claims, dedup, ...). A step holds its
-- lock by locking the row (`select ... for update`, lock.sql) until its transaction ends. Locking a row
-- needs UPDATE on the table, which only the migrating role (the pipeline's role) has: a news_reader
-- login can neither take nor hold these locks, as it could advisory locks (any role may take any).
-- Created before any migration runs (the migration lock is one of its rows), by etl/store/locks.py.
create table if not exists pipeline_locks (
    name     text primary key,
    purpose  text not null
);
