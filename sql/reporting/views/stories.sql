-- reporting.stories: one row per story, i.e. per article that is not a near-duplicate of an earlier
-- one (articles.duplicate_of is null), so every report counts a story once. `day` is the day of
-- publication, or the UTC day the article was first seen when the page gave no date
-- (`day_source` says which).
create or replace view reporting.stories as
with articles as (
    select article_id, source_id, language, published_date, first_seen_at, word_count, title, run_id,
           duplicate_of
    from public.articles
),

sources as (
    select source_id, name
    from public.sources
)

select
    a.article_id,
    a.source_id,
    s.name as source,
    coalesce(a.language::text, 'unknown') as language,
    coalesce(a.published_date, (a.first_seen_at at time zone 'UTC')::date) as day,
    case when a.published_date is null then 'first_seen' else 'published' end as day_source,
    a.word_count,
    a.title,
    a.run_id
from articles as a
join sources as s on s.source_id = a.source_id
where a.duplicate_of is null;
