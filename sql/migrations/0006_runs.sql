-- 0006: one politeness clock per host, hosts parked for the rest of a run, runs that know their process.
-- Never edit after it has landed; add a new numbered file instead.

-- one row per HTTP host ever asked: when its next request may start. Every stage, task and worker
-- process reserves its request slots here (sql/store/host_clock/reserve.sql), so the host's spacing
-- holds across discover and fetch, mapped tasks and parallel runs alike.
create table host_clock (
    host        text primary key,
    next_at     timestamptz not null,           -- the next slot to reserve (a queue of future starts)
    last_start  timestamptz,                    -- when the latest request actually started
    updated_at  timestamptz not null default now()
);

-- one row per run and host that kept failing (timeouts, refused connections, 5xx, an unreadable
-- robots.txt): the run asks that host nothing more, and its URLs stay pending, untouched.
create table parked_hosts (
    run_id     bigint not null references pipeline_runs on delete cascade,
    host       text not null,
    reason     text not null,                   -- the reason of the failure that parked it
    detail     text not null default '',
    failures   integer not null default 0,      -- consecutive failed URLs when it was parked
    parked_at  timestamptz not null default now(),
    primary key (run_id, host)
);

-- the process owning a CLI run, so a later run can tell a dead owner (abandoned) from a live one
alter table pipeline_runs add column owner_host text;
alter table pipeline_runs add column owner_pid integer;
alter table pipeline_runs add column owner_started_at double precision;  -- the process' start (epoch s): pid reuse


-- one row per robots.txt being fetched right now by one client: the others of the run wait for its
-- answer (stored in http_cache) instead of asking the host too. A claim past `until` is stale.
create table robots_fetches (
    url      text primary key,
    fetcher  text not null,
    until    timestamptz not null
);
