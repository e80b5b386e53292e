-- report materialized views older than the newest article, or than the newest resolution that
-- re-derived article entities: one row per stale view. A view never refreshed since the migration is
-- stale once there is any article.
with articles as (
    select max(article_id) as max_article_id
    from public.articles
),

resolutions as (
    select max(resolution_id) as max_resolution_id
    from public.entity_resolution_log
    where articles > 0
),

refresh_log as (
    select view_name, max_article_id, max_resolution_id
    from reporting.refresh_log
),

views as (
    select matviewname as view_name
    from pg_catalog.pg_matviews
    where schemaname = 'reporting'
)

select v.view_name
from views as v
cross join articles as a
cross join resolutions as r
left join refresh_log as l on l.view_name = v.view_name
where (a.max_article_id is distinct from l.max_article_id
       or r.max_resolution_id is distinct from l.max_resolution_id)
  and a.max_article_id is not null
order by v.view_name
