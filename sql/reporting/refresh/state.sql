-- what a refresh saw, logged with it: the newest article id and the newest resolution that re-derived
-- article entities
with articles as (
    select max(article_id) as max_article_id
    from public.articles
),

resolutions as (
    select max(resolution_id) as max_resolution_id
    from public.entity_resolution_log
    where articles > 0
)

select a.max_article_id, r.max_resolution_id
from articles as a
cross join resolutions as r
