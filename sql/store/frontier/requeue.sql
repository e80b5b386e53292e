-- requeue: rejected URLs pending again, with their attempts starting afresh. Returns how many.
with requeued as (
    update frontier
    set status = 'pending', fetch_attempts = 0, next_fetch_at = null, deferred_run_id = null,
        claimed_by = null, claim_expires_at = null
    where url_hash = any(%(keys)s::text[])
      and status = 'rejected'
    returning 1
)
select count(*) from requeued
