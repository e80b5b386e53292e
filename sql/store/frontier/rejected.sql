-- requeue, dry run: URLs given up at fetch whose latest fetch reject has reason %(reason)s, of one
-- source (null: all), rejected on or after %(since)s (null: ever). Grain: one row per URL.
with latest as (
    select distinct on (r.url_hash)
        r.url_hash,
        r.reason,
        r.created_at
    from rejects as r
    where r.stage = 'fetch'
      and r.url_hash is not null
    order by r.url_hash, r.reject_id desc
)

select f.url_hash as key, f.url, s.name as source, l.reason, l.created_at as rejected_at
from frontier as f
join latest as l on l.url_hash = f.url_hash
join sources as s on s.source_id = f.source_id
where f.status = 'rejected'
  and l.reason = %(reason)s
  and (%(source)s::text is null or s.name = %(source)s::text)
  and (%(since)s::date is null or l.created_at >= %(since)s::date)
order by s.name, f.url
