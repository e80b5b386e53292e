-- pages this worker holds whose processing crashed in our own code: each stays pending, is not
-- claimed again by the run that deferred it, and is given up (rejected) once it has had
-- %(max_attempts)s attempts. Grain: one row per page; returns the pages held and whether each was given up.
update raw_pages
set process_status = case when process_attempts >= %(max_attempts)s then 'rejected' else 'pending' end,
    processed_at = case when process_attempts >= %(max_attempts)s then now() else processed_at end,
    deferred_run_id = %(run_id)s,
    claimed_by = null,
    claim_expires_at = null
where raw_page_id = any(%(keys)s::bigint[])
  and claimed_by = %(worker)s
  and process_status = 'pending'
returning raw_page_id as key, process_status = 'rejected' as given_up
