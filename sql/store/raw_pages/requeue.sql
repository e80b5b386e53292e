-- requeue: rejected pages pending again, with their attempts starting afresh. Returns how many.
with requeued as (
    update raw_pages
    set process_status = 'pending', process_attempts = 0, deferred_run_id = null,
        claimed_by = null, claim_expires_at = null
    where raw_page_id = any(%(keys)s::bigint[])
      and process_status = 'rejected'
    returning 1
)
select count(*) from requeued
