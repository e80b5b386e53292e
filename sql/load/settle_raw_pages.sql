-- settle pages this worker still holds; returns the ids it held (a lost lease settles nothing)
update raw_pages
set process_status = %(status)s, processed_at = now(), claimed_by = null, claim_expires_at = null
where raw_page_id = any(%(raw_page_ids)s::bigint[])
  and claimed_by = %(worker)s
  and process_status = 'pending'
returning raw_page_id
