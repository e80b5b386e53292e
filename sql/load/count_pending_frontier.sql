-- pending URLs of the selected sources (null: all sources)
select count(*)
from frontier
where status = 'pending'
  and (next_fetch_at is null or next_fetch_at <= now())
  and (%(source_ids)s::bigint[] is null or source_id = any(%(source_ids)s::bigint[]))
