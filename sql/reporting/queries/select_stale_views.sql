-- report materialized views older than the newest article: one row per stale view. A view never
-- refreshed since the migration is stale once there is any article.
with articles as (
    select max(article_id) as max_article_id
    from public.articles
),

refresh_log as (
    select view_name, max_article_id
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
left join refresh_log as l on l.view_name = v.view_name
where a.max_article_id is distinct from l.max_article_id
  and a.max_article_id is not null
order by v.view_name
