-- pending URLs of the selected sources (null: all sources) that this run may still claim.
-- Grain: one row, the count.
select count(*)
from frontier
where status = 'pending'
  and (next_fetch_at is null or next_fetch_at <= now())
  and (%(run_id)s::bigint is null or deferred_run_id is distinct from %(run_id)s::bigint)
  and (%(source_ids)s::bigint[] is null or source_id = any(%(source_ids)s::bigint[]))
