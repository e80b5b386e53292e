-- lease up to %(limit)s due URLs to one worker: at most %(per_host)s per host, round-robin over hosts,
-- so one big site cannot fill a batch while the others wait. Grain: one row per claimed URL.
-- Skipped: hosts in %(busy_hosts)s (this worker has enough of them in flight) and hosts whose URLs
-- another worker holds (host affinity: per-host spacing holds across parallel workers). Local reads
-- (host '') have no per-host bound. SKIP LOCKED lets many workers claim at once; an expired lease
-- (dead worker) makes a URL claimable again; next_fetch_at delays a transiently failed URL, and a
-- URL the run deferred (deferred_run_id) waits for a later run: one attempt per URL and run. Only the
-- hosts in %(hosts)s when given (the fetch plan gives each mapped task its own hosts), never a host the
-- run parked (it kept failing: its URLs stay pending, untouched, for a later run).
with hosts as (
    select distinct f.host
    from frontier as f
    where f.status = 'pending'
      and f.host <> ''
      and (f.claim_expires_at is null or f.claim_expires_at < now())
      and (f.next_fetch_at is null or f.next_fetch_at <= now())
      and f.deferred_run_id is distinct from %(run_id)s
      and (%(source_ids)s::bigint[] is null or f.source_id = any(%(source_ids)s::bigint[]))
      and not (f.host = any(%(busy_hosts)s::text[]))
      and (%(hosts)s::text[] is null or f.host = any(%(hosts)s::text[]))
      and not exists (
          select 1 from parked_hosts as p where p.run_id = %(run_id)s::bigint and p.host = f.host
      )
      and not exists (
          select 1
          from frontier as o
          where o.host = f.host
            and o.status = 'pending'
            and o.claimed_by <> %(worker)s
            and o.claim_expires_at >= now()
      )
),
remote as (
    select c.url_hash, c.host, c.discovered_at
    from hosts as h
    cross join lateral (
        select f.url_hash, f.host, f.discovered_at
        from frontier as f
        where f.host = h.host
          and f.status = 'pending'
          and (f.claim_expires_at is null or f.claim_expires_at < now())
          and (f.next_fetch_at is null or f.next_fetch_at <= now())
          and f.deferred_run_id is distinct from %(run_id)s
          and (%(source_ids)s::bigint[] is null or f.source_id = any(%(source_ids)s::bigint[]))
        order by f.discovered_at, f.url_hash
        limit %(per_host)s
        for update skip locked
    ) as c
),
local as (
    select f.url_hash, f.host, f.discovered_at
    from frontier as f
    where f.host = ''
      and (%(hosts)s::text[] is null or '' = any(%(hosts)s::text[]))
      and f.status = 'pending'
      and (f.claim_expires_at is null or f.claim_expires_at < now())
      and (f.next_fetch_at is null or f.next_fetch_at <= now())
      and f.deferred_run_id is distinct from %(run_id)s
      and (%(source_ids)s::bigint[] is null or f.source_id = any(%(source_ids)s::bigint[]))
    order by f.discovered_at, f.url_hash
    limit %(limit)s
    for update skip locked
),
picked as (
    select url_hash
    from (
        select url_hash, discovered_at,
               row_number() over (partition by host order by discovered_at, url_hash) as host_rank
        from (select * from remote union all select * from local) as locked
    ) as ranked
    order by host_rank, discovered_at, url_hash
    limit %(limit)s
)
update frontier as f
set claimed_by = %(worker)s,
    claim_expires_at = now() + make_interval(secs => %(lease_seconds)s),
    fetch_attempts = f.fetch_attempts + 1
from picked as p
where f.url_hash = p.url_hash
returning f.url_hash, f.url, f.source_id, f.entry, f.fetch_from, f.host, f.fetch_attempts as attempts,
          (select s.kind from sources as s where s.source_id = f.source_id) as source_kind,
          (select r.headers ->> 'etag' from raw_pages as r where r.url_hash = f.url_hash) as etag,
          (select r.headers ->> 'last-modified' from raw_pages as r where r.url_hash = f.url_hash)
              as last_modified
