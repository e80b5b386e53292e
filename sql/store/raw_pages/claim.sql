-- lease up to %(limit)s stored pages to one worker for extract + entities + load, counting an attempt.
-- Skipped: pages another worker holds (an expired lease frees them) and pages this run deferred
-- after a crash (they wait for a later run). Grain: one row per claimed page.
update raw_pages as r
set claimed_by = %(worker)s,
    claim_expires_at = now() + make_interval(secs => %(lease_seconds)s),
    process_attempts = r.process_attempts + 1
from frontier as f
where f.url_hash = r.url_hash
  and r.raw_page_id in (
    select raw_page_id
    from raw_pages
    where process_status = 'pending'
      and (claim_expires_at is null or claim_expires_at < now())
      and deferred_run_id is distinct from %(run_id)s
      and (%(source_ids)s::bigint[] is null or source_id = any(%(source_ids)s::bigint[]))
    order by raw_page_id
    limit %(limit)s
    for update skip locked
)
returning r.raw_page_id, r.url_hash, r.url, r.final_url, r.source_id, r.body_gz, r.content_type,
          r.headers, f.entry, r.process_attempts as attempts
