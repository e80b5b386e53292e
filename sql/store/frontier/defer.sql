-- URLs this worker holds that failed in a way worth another try (a timeout, a 5xx, a bug of ours):
-- each stays pending, is not claimed again by the run that deferred it, and waits %(wait_seconds)s;
-- once it has had %(max_attempts)s attempts it is given up (rejected).
-- Grain: one row per URL; returns the URLs held and whether each was given up.
update frontier
set status = case when fetch_attempts >= %(max_attempts)s then 'rejected' else 'pending' end,
    next_fetch_at = case when fetch_attempts >= %(max_attempts)s then null
                         else now() + make_interval(secs => %(wait_seconds)s::float8) end,
    fetched_at = case when fetch_attempts >= %(max_attempts)s then now() else fetched_at end,
    deferred_run_id = %(run_id)s,
    claimed_by = null,
    claim_expires_at = null
where url_hash = any(%(keys)s::text[])
  and claimed_by = %(worker)s
  and status = 'pending'
returning url_hash as key, status = 'rejected' as given_up
