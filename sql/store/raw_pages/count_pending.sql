-- stored pages of the selected sources (null: all sources) waiting for extraction that this run
-- may still claim. Grain: one row, the count.
select count(*)
from raw_pages
where process_status = 'pending'
  and (%(run_id)s::bigint is null or deferred_run_id is distinct from %(run_id)s::bigint)
  and (%(source_ids)s::bigint[] is null or source_id = any(%(source_ids)s::bigint[]))
