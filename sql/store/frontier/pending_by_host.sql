-- the fetch plan's input: URLs of the selected sources (null: all) that run %(run_id)s may fetch, per
-- host ('' = local reads: files, WARC records), hosts parked by the run left out. Grain: one row per host.
select f.host, count(*)::integer as pending
from frontier as f
where f.status = 'pending'
  and (f.next_fetch_at is null or f.next_fetch_at <= now())
  and f.deferred_run_id is distinct from %(run_id)s::bigint
  and (%(source_ids)s::bigint[] is null or f.source_id = any(%(source_ids)s::bigint[]))
  and not exists (select 1 from parked_hosts as p where p.run_id = %(run_id)s::bigint and p.host = f.host)
group by f.host
order by count(*) desc, f.host
