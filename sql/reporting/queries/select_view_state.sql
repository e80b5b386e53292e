-- one report materialized view before its refresh: one row. `concurrently` is true once the view
-- holds rows (REFRESH ... CONCURRENTLY needs a populated view, and filling an empty view is much
-- faster plainly: indexes are built once instead of row by row; nobody reads an empty view).
-- Also the newest article id and the newest resolution that re-derived article entities now, logged
-- with the refresh.
with articles as (
    select max(article_id) as max_article_id
    from public.articles
),

resolutions as (
    select max(resolution_id) as max_resolution_id
    from public.entity_resolution_log
    where articles > 0
),

views as (
    select v.matviewname, v.ispopulated, c.reltuples
    from pg_catalog.pg_matviews as v
    join pg_catalog.pg_namespace as n on n.nspname = v.schemaname
    join pg_catalog.pg_class as c on c.relnamespace = n.oid and c.relname = v.matviewname
    where v.schemaname = 'reporting'
)

select v.ispopulated and v.reltuples > 0 as concurrently, a.max_article_id, r.max_resolution_id
from views as v
cross join articles as a
cross join resolutions as r
where v.matviewname = %(view_name)s
