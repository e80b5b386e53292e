-- validators of fetched feeds, sitemaps and URL lists (one row per document URL), and the
-- robots.txt answers younger than %(robots_hours)s hours (older ones are asked again)
select url, etag, last_modified, last_status, purpose, children, body, checked_at
from http_cache
where (purpose is distinct from 'robots' and %(documents)s)
   or (purpose = 'robots' and checked_at > now() - make_interval(secs => %(robots_hours)s::float8 * 3600))
