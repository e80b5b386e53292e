-- one row per document URL: its latest validators (a 304 keeps the stored ones), the children of a
-- sitemap index, and for robots.txt the rules themselves
insert into http_cache as c (url, etag, last_modified, last_status, purpose, children, body, checked_at)
select u.url, u.etag, u.last_modified, u.last_status, u.purpose, u.children, u.body, now()
from unnest(%(urls)s::text[], %(etags)s::text[], %(last_modifieds)s::text[], %(statuses)s::integer[],
            %(purposes)s::text[], %(children)s::jsonb[], %(bodies)s::bytea[])
     as u (url, etag, last_modified, last_status, purpose, children, body)
on conflict (url) do update
set etag = case when excluded.last_status = 304 then c.etag else excluded.etag end,
    last_modified = case when excluded.last_status = 304 then c.last_modified else excluded.last_modified end,
    children = case when excluded.last_status = 304 then c.children else excluded.children end,
    body = case when excluded.last_status = 304 then c.body else excluded.body end,
    last_status = excluded.last_status,
    purpose = excluded.purpose,
    checked_at = now()
