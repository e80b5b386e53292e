-- the stored robots.txt answer of one URL if younger than %(robots_hours)s hours (another process of
-- the run may have fetched it a moment ago). Grain: zero or one row.
select last_status, body
from http_cache
where url = %(url)s
  and purpose = 'robots'
  and checked_at > now() - make_interval(secs => %(robots_hours)s::float8 * 3600)
