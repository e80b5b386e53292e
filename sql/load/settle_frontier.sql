-- settle URLs this worker still holds; returns the ones it held (a lost lease settles nothing)
update frontier
set status = %(status)s, fetched_at = now(), claimed_by = null, claim_expires_at = null, next_fetch_at = null
where url_hash = any(%(url_hashes)s::text[])
  and claimed_by = %(worker)s
  and status = 'pending'
returning url_hash
