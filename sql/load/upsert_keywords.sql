-- one row per keyword; returns the ids of all keywords asked for
with new_keywords as (
    insert into keywords (keyword)
    select distinct unnest(%(keywords)s::text[])
    on conflict (keyword) do nothing
    returning keyword_id, keyword
)
select keyword_id, keyword from new_keywords
union all
select keyword_id, keyword from keywords where keyword = any(%(keywords)s::text[])
