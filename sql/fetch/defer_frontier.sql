-- transient failures (timeout, 429, 5xx) of URLs this worker holds: each stays pending and waits
-- %(wait_seconds)s before a later claim, or is rejected once it has had %(max_attempts)s attempts.
-- Grain: one row per URL; returns the URLs held and the status they got.
update frontier
set status = case when fetch_attempts >= %(max_attempts)s then 'rejected' else 'pending' end,
    next_fetch_at = case when fetch_attempts >= %(max_attempts)s then null
                         else now() + make_interval(secs => %(wait_seconds)s::float8) end,
    fetched_at = case when fetch_attempts >= %(max_attempts)s then now() else fetched_at end,
    claimed_by = null,
    claim_expires_at = null
where url_hash = any(%(url_hashes)s::text[])
  and claimed_by = %(worker)s
  and status = 'pending'
returning url_hash, status
