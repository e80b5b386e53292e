-- a worker stopping early (an error midway) hands back the pages it claimed but did not settle,
-- so a retry processes them at once instead of waiting for the lease to expire; the attempt the
-- claim counted is taken back
update raw_pages
set claimed_by = null, claim_expires_at = null, process_attempts = greatest(process_attempts - 1, 0)
where claimed_by = %(worker)s
  and process_status = 'pending'
