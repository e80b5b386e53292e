-- 0003: one error policy for both work queues, and runs that can be found abandoned.
-- Never edit after it has landed; add a new numbered file instead.

-- the run that deferred a URL (a transient failure, a crash of our code) does not claim it again:
-- one attempt per URL and run
alter table frontier add column deferred_run_id bigint;

-- a page whose processing crashed is tried again by later runs, up to the attempt limit
alter table raw_pages add column process_attempts integer not null default 0;
alter table raw_pages add column deferred_run_id bigint;

alter table pipeline_runs drop constraint pipeline_runs_status_check;
alter table pipeline_runs add constraint pipeline_runs_status_check
    check (status in ('running', 'success', 'degraded', 'failed', 'abandoned'));

-- one row per set of repeatable SQL objects (the report views): the digest of the files it was
-- created from, so `db upgrade` re-creates them when a file changed (etl/store/migrate.py)
create table schema_files (
    name        text primary key,
    sha256      char(64) not null,
    applied_at  timestamptz not null default now()
);
