-- what keeps a fetch worker that claimed nothing from ending: URLs of its scope (sources, hosts) that
-- run %(run_id)s may still fetch, and the other workers holding a lease on one of them or on one of
-- their hosts (host affinity keeps this worker off those hosts until they let go). Grain: one row.
with scope as (
    select f.url_hash, f.host
    from frontier as f
    where f.status = 'pending'
      and (f.next_fetch_at is null or f.next_fetch_at <= now())
      and f.deferred_run_id is distinct from %(run_id)s::bigint
      and (%(source_ids)s::bigint[] is null or f.source_id = any(%(source_ids)s::bigint[]))
      and (%(hosts)s::text[] is null or f.host = any(%(hosts)s::text[]))
      and not exists (
          select 1 from parked_hosts as p where p.run_id = %(run_id)s::bigint and p.host = f.host
      )
)
select
    (select count(*) from scope)::integer as pending,
    (select coalesce(array_agg(distinct o.claimed_by order by o.claimed_by), '{}')
     from frontier as o
     where o.status = 'pending'
       and o.claimed_by <> %(worker)s
       and o.claim_expires_at >= now()
       and (o.url_hash in (select s.url_hash from scope as s)
            or (o.host <> '' and o.host in (select s.host from scope as s)))) as holders
