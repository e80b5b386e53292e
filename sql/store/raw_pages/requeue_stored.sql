-- reprocess: queue stored pages again (filtered by source and fetch date) without fetching, with
-- their attempts starting afresh. Grain: one row per page queued.
update raw_pages
set process_status = 'pending', process_attempts = 0, deferred_run_id = null,
    claimed_by = null, claim_expires_at = null
where (%(source_ids)s::bigint[] is null or source_id = any(%(source_ids)s::bigint[]))
  and (%(since)s::timestamptz is null or fetched_at >= %(since)s::timestamptz)
  and (%(until)s::timestamptz is null or fetched_at < %(until)s::timestamptz)
  and process_status <> 'pending'
