-- one report materialized view before its refresh: one row. `concurrently` is true once the view
-- holds rows (REFRESH ... CONCURRENTLY needs a populated view, and filling an empty view is much
-- faster plainly: indexes are built once instead of row by row; nobody reads an empty view).
-- Also the newest article id now, logged with the refresh.
with articles as (
    select max(article_id) as max_article_id
    from public.articles
),

views as (
    select v.matviewname, v.ispopulated, c.reltuples
    from pg_catalog.pg_matviews as v
    join pg_catalog.pg_namespace as n on n.nspname = v.schemaname
    join pg_catalog.pg_class as c on c.relnamespace = n.oid and c.relname = v.matviewname
    where v.schemaname = 'reporting'
)

select v.ispopulated and v.reltuples > 0 as concurrently, a.max_article_id
from views as v
cross join articles as a
where v.matviewname = %(view_name)s
