-- requeue, dry run: stored pages rejected by the process stage (extract, entities, load) whose
-- latest such reject has reason %(reason)s, of one source (null: all), rejected on or after
-- %(since)s (null: ever). Grain: one row per page.
with latest as (
    select distinct on (r.url_hash)
        r.url_hash,
        r.reason,
        r.created_at
    from rejects as r
    where r.stage in ('extract', 'entities', 'load')
      and r.url_hash is not null
    order by r.url_hash, r.reject_id desc
)

select p.raw_page_id as key, p.url, s.name as source, l.reason, l.created_at as rejected_at
from raw_pages as p
join latest as l on l.url_hash = p.url_hash
join sources as s on s.source_id = p.source_id
where p.process_status = 'rejected'
  and l.reason = %(reason)s
  and (%(source)s::text is null or s.name = %(source)s::text)
  and (%(since)s::date is null or l.created_at >= %(since)s::date)
order by s.name, p.url
