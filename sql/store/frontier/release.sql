-- a worker stopping early (an error midway) hands back the URLs it claimed but did not settle,
-- so the next run fetches them at once instead of waiting for the lease to expire
update frontier
set claimed_by = null, claim_expires_at = null, fetch_attempts = greatest(fetch_attempts - 1, 0)
where claimed_by = %(worker)s
  and status = 'pending'
