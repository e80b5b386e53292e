-- pending URLs of the selected sources (null: all sources) that this run may still claim (hosts the
-- run parked are left alone for the rest of it). Grain: one row, the count.
select count(*)
from frontier as f
where f.status = 'pending'
  and (f.next_fetch_at is null or f.next_fetch_at <= now())
  and (%(run_id)s::bigint is null or f.deferred_run_id is distinct from %(run_id)s::bigint)
  and (%(source_ids)s::bigint[] is null or f.source_id = any(%(source_ids)s::bigint[]))
  and not exists (select 1 from parked_hosts as p where p.run_id = %(run_id)s::bigint and p.host = f.host)
