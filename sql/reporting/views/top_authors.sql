-- reporting.top_authors: one row per source and author: stories with the author in the byline,
-- first and last day, and rank within the source (1 = most stories).
create or replace view reporting.top_authors as
with stories as (
    select article_id, source_id, source, day
    from reporting.stories
),

article_authors as (
    select article_id, author_id
    from public.article_authors
),

authors as (
    select author_id, name
    from public.authors
),

bylines as (
    select
        s.source_id,
        s.source,
        aa.author_id,
        count(*) as articles,
        min(s.day) as first_day,
        max(s.day) as last_day
    from stories as s
    join article_authors as aa on aa.article_id = s.article_id
    group by s.source_id, s.source, aa.author_id
)

select
    b.source,
    row_number() over (partition by b.source_id order by b.articles desc, au.name) as rank,
    au.name as author,
    b.articles,
    b.first_day,
    b.last_day
from bylines as b
join authors as au on au.author_id = b.author_id;
