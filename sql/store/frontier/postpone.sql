-- URLs this worker holds that failed only because their host is parked for the rest of the run (it
-- kept failing): the host failed, not the URL, so the attempt the claim counted is taken back and the
-- URL stays pending for a later run, never given up for this. Grain: one row per URL; returns those held.
update frontier
set fetch_attempts = greatest(fetch_attempts - 1, 0),
    deferred_run_id = %(run_id)s,
    next_fetch_at = now() + make_interval(secs => %(wait_seconds)s::float8),
    claimed_by = null,
    claim_expires_at = null
where url_hash = any(%(keys)s::text[])
  and claimed_by = %(worker)s
  and status = 'pending'
returning url_hash as key
