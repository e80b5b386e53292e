-- settle URLs this worker still holds (fetched or rejected for good); returns the ones it held
-- (a lost lease settles nothing). Grain: one row per URL.
update frontier
set status = %(status)s, fetched_at = now(), claimed_by = null, claim_expires_at = null, next_fetch_at = null
where url_hash = any(%(keys)s::text[])
  and claimed_by = %(worker)s
  and status = 'pending'
returning url_hash as key
