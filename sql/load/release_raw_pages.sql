-- a worker stopping early (an error midway) hands back the pages it claimed but did not settle,
-- so a retry processes them at once instead of waiting for the lease to expire
update raw_pages
set claimed_by = null, claim_expires_at = null
where claimed_by = %(worker)s
  and process_status = 'pending'
