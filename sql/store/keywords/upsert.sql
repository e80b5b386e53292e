-- one row per keyword asked for: (keyword, keyword_id), created when missing
with new_keywords as (
    insert into keywords (keyword)
    select distinct unnest(%(keywords)s::text[])
    on conflict (keyword) do nothing
    returning keyword, keyword_id
)
select keyword, keyword_id from new_keywords
union all
select keyword, keyword_id from keywords where keyword = any(%(keywords)s::text[])
