-- a host was just parked by run %(run_id)s: the URLs of that host the run had already deferred for a
-- transient failure (a timeout, a refused connection, a 5xx) failed with their host, so their attempt
-- is taken back, and one given up for it is pending again. A crash of our own code is not forgiven.
-- Grain: one row per URL; returns whether each had been given up.
with forgiven as (
    select f.url_hash, f.status = 'rejected' as was_given_up
    from frontier as f
    where f.host = any(%(hosts)s::text[])
      and f.deferred_run_id = %(run_id)s
      and f.status in ('pending', 'rejected')
      and f.claimed_by is null
      and f.fetch_attempts > 0
      and not exists (
          select 1
          from rejects as r
          where r.run_id = %(run_id)s
            and r.url_hash = f.url_hash
            and r.reason = 'internal_error'
      )
    for update of f
)
update frontier as f
set fetch_attempts = f.fetch_attempts - 1,
    status = 'pending',
    fetched_at = case when g.was_given_up then null else f.fetched_at end,
    next_fetch_at = greatest(coalesce(f.next_fetch_at, now()), now() + make_interval(secs => %(wait_seconds)s::float8))
from forgiven as g
where f.url_hash = g.url_hash
returning g.was_given_up
