-- stored pages waiting for extraction in the selected sources (null: all sources)
select count(*)
from raw_pages
where process_status = 'pending'
  and (%(source_ids)s::bigint[] is null or source_id = any(%(source_ids)s::bigint[]))
