-- settle pages this worker still holds (done or rejected for good); returns the ids it held
-- (a lost lease settles nothing). Grain: one row per page.
update raw_pages
set process_status = %(status)s, processed_at = now(), claimed_by = null, claim_expires_at = null
where raw_page_id = any(%(keys)s::bigint[])
  and claimed_by = %(worker)s
  and process_status = 'pending'
returning raw_page_id as key
